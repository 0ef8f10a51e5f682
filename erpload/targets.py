"""Targets as plugins: each declares itself once, in its own package; erpload works from the declarations.

A target's package holds `target.py` with a `TARGET` (a `Target`): its name, kind (files, record push,
trigger), what it reads from the canonical model (`TargetContract`), its transform, its exporter or
sender, the settings it needs, its fake and its demo configuration, and any commands of its own. It is
registered by one line in `transforms/__init__.py`. The declaration names its implementations as
"module:function" strings, imported only when used: `erpload --help` loads no vendor code.

erpload itself names no target: `erpload transform X`, `export X`, `push X`, `targets`, `fakes serve`,
`run`, `demo`, `model --target X`, `map`'s check that the profile maps what the targets need and
`transform`'s check that `erp` holds it all work from the declarations.

Which targets `run` and `map` cover: those in `[erpload] targets` (`ERPLOAD__TARGETS`), by default every
registered one. An ERP that feeds only some targets lists them there, and the others' entities are
then optional.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import dlt
import duckdb

from erpload import canonical
from erpload.errors import ConfigError, ProfileError
from erpload.profiles import Profile

Kind = Literal["files", "record push", "trigger"]
KINDS: tuple[Kind, ...] = ("files", "record push", "trigger")


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


@dataclass(frozen=True)
class Setting:
    """One key a target reads the dlt way: `destination.x.api_key` is `api_key` under `[destination.x]` in
    .dlt/config.toml (a secret: .dlt/secrets.toml) or the environment variable DESTINATION__X__API_KEY."""

    key: str
    secret: bool = False
    #: False: it has a default, so it is never missing
    required: bool = True
    #: says where records go (a base URL, a bucket): a dry run needs it to know what that destination holds
    scope: bool = False
    doc: str = ""
    #: a folder the target writes to: its default, relative to the project (a tenant's lies in its own folder)
    folder: str | None = None

    def is_set(self) -> bool:
        """Whether the key has a value (read, never shown)."""
        value: Any = dlt.secrets.get(self.key) if self.secret else dlt.config.get(self.key)
        return value is not None and str(value).strip() != ""


@dataclass(frozen=True)
class CliOption:
    """An option a target adds to one of its commands, e.g. Maesn's `--system NAME` or DATEV's `--out DIR`.
    The command hands its value to the target by `name`."""

    name: str
    help: str
    #: str, int, float, Path, or bool (a flag)
    type: type = str
    default: Any = None
    #: repeatable: the value is a list
    multiple: bool = False
    #: the values allowed; empty: any
    choices: tuple[str, ...] = ()
    #: the flag when it is not `--name` (with `-` for `_`)
    flag_name: str | None = None

    @property
    def flag(self) -> str:
        return self.flag_name or "--" + self.name.replace("_", "-")


class FakeServer(Protocol):
    """A running fake's app and what points erpload at it."""

    app: Any

    def env(self, base_url: str, *, printable: bool = False) -> dict[str, str]:
        """Environment settings pointing erpload at the fake served at `base_url`, the keys it accepts included.
        `printable`: fit to show, where a key the user chose is named, not quoted (a demo key is shown)."""
        ...

    def accepts(self) -> list[str]:
        """What the fake accepts, one line each (its keys by name, any bucket ...), never a secret of the user's."""
        ...


@dataclass(frozen=True)
class Fake:
    """A loopback fake of the target's vendor API: served by `erpload fakes serve` and `erpload demo`."""

    title: str
    #: where `erpload fakes serve` puts it unless told otherwise
    port: int
    #: "module:function() -> FakeServer"
    factory: str


@dataclass(frozen=True)
class Call:
    """What a target's exporter or sender factory gets from the command line."""

    staging_path: Path
    pipelines_dir: Path
    dry_run: bool
    #: the target's own options (`Target.export_options`, `Target.push_options`) by name
    options: Mapping[str, Any]
    #: prints one line for the user
    say: Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """One target, declared once in its own package. Implementations are "module:function" references,
    imported when a command uses them (see `load`)."""

    contract: TargetContract
    kind: Kind
    #: how messages name the vendor or format: "d.velop smart invoice", "DATEV"
    title: str
    #: "module:function(staging_path: Path, run: Run) -> None": erp -> the target's dataset, rejects aside
    transform: str
    #: files: "module:function(call: Call) -> Callable[[Run], None]"; it checks its settings before the run
    export: str | None = None
    export_options: tuple[CliOption, ...] = ()
    #: record push: "module:function(call: Call) -> erpload.push.pusher.Sender"; trigger: "module:function(call:
    #: Call) -> erpload.push.trigger.Trigger"
    sender: str | None = None
    #: what a push sends, in push order (referenced records first): one table each in the target's dataset
    entities: tuple[str, ...] = ()
    #: the push option that picks one entity: `--entity`, or Maesn's `--system`; None: no such option
    entity_option: str | None = "entity"
    #: the vendor creates a new record at every request (no upsert): a record whose outcome is unknown is held
    #: for a decision, never sent again blindly; the sender says the same (`Sender.create_only`)
    create_only: bool = False
    #: `push --single ENTITY KEY`: one record through the sender's `send_one`
    single_record: bool = False
    push_options: tuple[CliOption, ...] = ()
    settings: tuple[Setting, ...] = ()
    #: "module:function(dry_run: bool) -> list[str]": the keys missing, where `settings` cannot say (per system)
    missing_settings: str | None = None
    #: its transform reads its settings (which systems, their mappings): `run` and `demo` leave out a target
    #: whose settings are missing, with a note, rather than fail
    transform_needs_settings: bool = False
    fake: Fake | None = None
    #: "module:function(fake_url: str | None) -> dict[str, str]": settings `erpload demo` adds (beside the fake's)
    demo: str | None = None
    #: lines `erpload demo` ends with (where to look), "module:function(staging: Path) -> list[str]", given the
    #: staging file as the user should type it
    demo_notes: str | None = None
    #: "module:attribute": a typer app served as `erpload <name> ...`, with `cli_help`
    cli: str | None = None
    cli_help: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"target {self.name}: kind '{self.kind}' is not one of {', '.join(KINDS)}")
        if self.kind == "files" and self.export is None:
            raise ValueError(f"target {self.name} makes files but declares no export")
        if self.kind != "files" and (self.sender is None or not self.entities):
            raise ValueError(f"target {self.name} pushes records but declares no sender or no entities")

    @property
    def name(self) -> str:
        return self.contract.name

    @property
    def doc(self) -> str:
        return self.contract.doc

    @property
    def pushes(self) -> bool:
        return self.sender is not None

    def missing(self, *, dry_run: bool = False) -> list[str]:
        """The keys the target needs that are not set (their names, never a value). A dry run sends nothing: it
        needs no secret, only what says where records would go."""
        if self.missing_settings is not None:
            found: list[str] = load(self.missing_settings)(dry_run)
            return found
        return [s.key for s in self.settings if s.required and (s.scope or not dry_run) and not s.is_set()]


def load(reference: str) -> Any:
    """The object a "module:attribute" reference names, imported now."""
    module, _, attribute = reference.partition(":")
    if not attribute:
        raise ValueError(f"'{reference}' is not a 'module:attribute' reference")
    return getattr(importlib.import_module(module), attribute)


def targets() -> dict[str, Target]:
    """Every registered target, by name, in registration order (erpload/transforms/__init__.py)."""
    registry: Mapping[str, str] = importlib.import_module("erpload.transforms").TARGETS
    found = {}
    for name, module in registry.items():
        declared: Target = importlib.import_module(module).TARGET
        if declared.name != name:
            raise ValueError(f"{module} declares target '{declared.name}', registered as '{name}'")
        found[name] = declared
    return found


def target(name: str) -> Target:
    """Target `name`; a ConfigError naming the known targets if there is none."""
    known = targets()
    if name not in known:
        raise ConfigError(f"unknown target '{name}'",
                          hint="use one of: " + ", ".join(known) + " (`erpload targets` lists them)")
    return known[name]


def contracts() -> dict[str, TargetContract]:
    """Every registered target's contract, by name, in registration order."""
    return {name: t.contract for name, t in targets().items()}


def contract(name: str) -> TargetContract:
    """The contract of target `name`; a ConfigError naming the known targets if there is none."""
    return target(name).contract


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
                          hint="set targets under [erpload] in .dlt/config.toml (or ERPLOAD__TARGETS) to some of: "
                               + ", ".join(known))
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
        profile=profile.name, entity=first, path=profile.path,
        hint=f"add an [entities.<name>] select for each (`erpload model --target <target>` lists what it reads); "
             f"for one your ERP does not have, select no rows, every column typed, e.g.\n"
             f'    [entities.{first}]\n    sql = "{empty_select(first)}"\n'
             f"  or leave the target out of [erpload] targets in .dlt/config.toml "
             f"(now: {', '.join(targets)})")


def require_canonical(con: duckdb.DuckDBPyConnection) -> None:
    """Fail (ConfigError, exit 2) when `map` has not written the canonical dataset yet."""
    if not con.execute("SELECT 1 FROM information_schema.tables WHERE table_catalog = current_database() "
                       "AND table_schema = 'erp' AND table_name = 'companies'").fetchone():
        raise _empty_canonical()


def _empty_canonical() -> ConfigError:
    return ConfigError("the canonical erp dataset is empty",
                       hint="run `erpload run --until map` (extract and map) first")


def check_mapped(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Fail (ConfigError, exit 2) when `erp` lacks a table target `name` reads: map it before transforming."""
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                       "AND table_schema = 'erp'").fetchall()
    present = {str(r[0]) for r in rows}
    missing = [e for e in contract(name).reads if e not in present]
    if not missing:
        return
    if not present:
        raise _empty_canonical()
    raise ConfigError(f"target {name} reads {', '.join(f'erp.{e}' for e in missing)}, which `erpload map` has not "
                      "written: the profile maps no SQL for " + ("it" if len(missing) == 1 else "them"),
                      hint=f"add [entities.{missing[0]}] to the profile (an empty select if the ERP has no such "
                           f"records: see the README, 'Connect your own ERP'), then run `erpload map`")
