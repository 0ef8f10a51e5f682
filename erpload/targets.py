"""What each target reads from the canonical model, and the checks that follow from it.

A target declares its contract once, in its own package (`transforms/<target>/contract.py`: a
`CONTRACT`), and is registered by one line in `transforms/__init__.py`. erpload itself names no
target: `erpload model --target X`, `map`'s check that the profile maps what the targets need and
`transform`'s check that `erp` holds it all work from the registered contracts.

Which targets `map` checks: those in `[erpload] targets` (`ERPLOAD__TARGETS`), by default every
registered one. An ERP that feeds only some targets lists them there, and the others' entities are
then optional.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import dlt
import duckdb

from erpload import canonical
from erpload.errors import ConfigError, ProfileError
from erpload.profiles import Profile


@dataclass(frozen=True)
class TargetContract:
    """One target's declaration: what it makes and which canonical entities and columns it reads."""

    name: str
    doc: str
    #: canonical entity -> the columns the target reads from it (keys included when read)
    reads: Mapping[str, tuple[str, ...]]

    def __post_init__(self) -> None:
        for entity, columns in self.reads.items():
            if entity not in canonical.BY_NAME:
                raise ValueError(f"target {self.name} reads '{entity}', which is not a canonical entity")
            unknown = [c for c in columns if c not in canonical.entity(entity).column_names]
            if unknown:
                raise ValueError(f"target {self.name} reads {entity}.{', '.join(unknown)}, not canonical columns")


def contracts() -> dict[str, TargetContract]:
    """Every registered target's contract, by name, in registration order."""
    registry: Mapping[str, str] = importlib.import_module("transforms").TARGETS
    found = {}
    for name, module in registry.items():
        contract: TargetContract = importlib.import_module(module).CONTRACT
        if contract.name != name:
            raise ValueError(f"{module} declares target '{contract.name}', registered as '{name}'")
        found[name] = contract
    return found


def contract(name: str) -> TargetContract:
    """The contract of target `name`; a ConfigError naming the known targets if there is none."""
    known = contracts()
    if name not in known:
        raise ConfigError(f"unknown target '{name}'", hint="use one of: " + ", ".join(known))
    return known[name]


def configured_targets() -> list[str]:
    """`[erpload] targets` (a list, or names separated by commas), checked; every registered target if unset."""
    value: Any = dlt.config.get("erpload.targets")
    known = contracts()
    if value is None or value == "":
        return list(known)
    if isinstance(value, str):
        text = value.strip()
        try:
            names = [str(v) for v in json.loads(text)] if text.startswith("[") else text.split(",")
        except ValueError as exc:
            raise ConfigError(f"[erpload] targets is {value!r}, not a list of target names",
                              hint='write targets = ["datev"] in .dlt/config.toml, or ERPLOAD__TARGETS=datev,dvelop'
                              ) from exc
    else:
        names = [str(v) for v in value]
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"[erpload] targets names unknown target(s) {', '.join(unknown)}",
                          hint="use some of: " + ", ".join(known))
    return names


def empty_select(entity: str) -> str:
    """The select for an entity the ERP does not have: every canonical column, typed, and no row."""
    cols = ", ".join(f"cast(null as {c.type.lower()}) as {c.name}" for c in canonical.entity(entity).columns)
    return f"select {cols} where false"


def check_profile_covers(profile: Profile, targets: Iterable[str]) -> None:
    """Fail (ProfileError, exit 2) when the profile maps no SQL for an entity one of `targets` reads."""
    targets = list(targets)
    needed: dict[str, list[str]] = {}
    for name in targets:
        for entity in contract(name).reads:
            if entity not in profile.entity_sql:
                needed.setdefault(entity, []).append(name)
    if not needed:
        return
    first = next(iter(needed))
    lacking = "; ".join(f"{e} (read by {', '.join(ts)})" for e, ts in needed.items())
    raise ProfileError(
        f"maps no SQL for {len(needed)} entit{'y' if len(needed) == 1 else 'ies'} the targets read: {lacking}",
        profile=profile.name, entity=first,
        hint=f"add an [entities.<name>] select for each (`erpload model --target <target>` lists what it reads); "
             f"for one your ERP does not have, select no rows, every column typed, e.g.\n"
             f'    [entities.{first}]\n    sql = "{empty_select(first)}"\n'
             f"  or leave the target out of [erpload] targets in .dlt/config.toml "
             f"(now: {', '.join(targets)})")


def check_mapped(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Fail (ConfigError, exit 2) when `erp` lacks a table target `name` reads: map it before transforming."""
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                       "AND table_schema = 'erp'").fetchall()
    present = {str(r[0]) for r in rows}
    missing = [e for e in contract(name).reads if e not in present]
    if not missing:
        return
    if not present:
        raise ConfigError("the canonical erp dataset is empty", hint="run `erpload run --until map` (extract and map) "
                                                                       "first")
    raise ConfigError(f"target {name} reads {', '.join(f'erp.{e}' for e in missing)}, which `erpload map` has not "
                      "written: the profile maps no SQL for " + ("it" if len(missing) == 1 else "them"),
                      hint=f"add [entities.{missing[0]}] to the profile (an empty select if the ERP has no such "
                           f"records: see the README, 'Connect your own ERP'), then run `erpload map`")
