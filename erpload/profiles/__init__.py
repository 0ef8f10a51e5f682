"""ERP profiles: one TOML file per ERP schema, declaring what to extract and how to map it.

A profile has three parts:

    name = "demo"
    description = "..."

    [tables.customer]                       # an ERP table to extract into erp_raw
    primary_key = ["customer_id"]
    cursor = "updated_at"                   # incremental cursor column (omit for a full reload)

    [entities.customers]                    # a canonical entity, produced by SQL over erp_raw
    sql = "select ... from erp_raw.customer ..."

Profiles are looked up by name in `profiles/` or taken as a path to a `.toml` file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from erpload import canonical
from erpload.errors import ConfigError, ProfileError

#: the profiles that ship with erpload: `demo` and `odoo`
PROFILES_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class TableSpec:
    name: str
    primary_key: tuple[str, ...]
    cursor: str | None


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    path: Path
    tables: tuple[TableSpec, ...]
    entity_sql: dict[str, str]

    def table(self, name: str) -> TableSpec:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def resolve_profile_path(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise ConfigError(f"profile file {candidate} does not exist",
                              hint="give --profile (or erpload.profile in .dlt/config.toml) an existing .toml file or "
                                   "one of: " + ", ".join(available_profiles()))
        return candidate
    path = PROFILES_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise ConfigError(f"unknown profile '{name_or_path}'",
                          hint="give --profile (or erpload.profile in .dlt/config.toml) one of: "
                               + ", ".join(available_profiles()) + ", or a path to a .toml file")
    return path


def load_profile(name_or_path: str) -> Profile:
    """Read and structurally check a profile; database checks happen in extract and map."""
    path = resolve_profile_path(name_or_path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"profile {path} is not valid TOML: {exc}", hint=f"fix the syntax at that line of {path}") \
            from exc
    name = str(raw.get("name") or path.stem)

    tables = []
    for tname, spec in (raw.get("tables") or {}).items():
        pk = spec.get("primary_key")
        if isinstance(pk, str):
            pk = [pk]
        if not pk:
            raise ProfileError("has no primary_key", profile=name, table=tname, path=path,
                               hint=f"add primary_key = [\"<column>\"] under [tables.{tname}] so changed rows merge "
                                    "instead of duplicating")
        unknown = set(spec) - {"primary_key", "cursor"}
        if unknown:
            raise ProfileError(f"unknown setting(s) {sorted(unknown)}", profile=name, table=tname, path=path,
                               hint=f"under [tables.{tname}] only primary_key and cursor are allowed")
        tables.append(TableSpec(tname, tuple(pk), spec.get("cursor")))
    if not tables:
        raise ProfileError("lists no [tables.*] to extract", profile=name, path=path,
                           hint="add a [tables.<name>] section per ERP table")

    entity_sql: dict[str, str] = {}
    for ename, spec in (raw.get("entities") or {}).items():
        if ename not in canonical.BY_NAME:
            raise ProfileError("is not a canonical entity", profile=name, entity=ename, path=path,
                               hint=f"rename [entities.{ename}] to one of the canonical entities (`erpload model` "
                                    "lists them): " + ", ".join(canonical.BY_NAME))
        sql = spec.get("sql") if isinstance(spec, dict) else None
        if not sql or not str(sql).strip():
            raise ProfileError("has no sql", profile=name, entity=ename, path=path,
                               hint=f'add sql = """select ... from erp_raw.<table>""" under [entities.{ename}]')
        entity_sql[ename] = str(sql)
    return Profile(name, str(raw.get("description", "")), path, tuple(tables), entity_sql)
