"""Does a profile's SQL for an entity return what the canonical model says? Fail naming the column if not."""

from __future__ import annotations

import re

import duckdb

from erpload.canonical import Entity
from erpload.errors import ProfileError
from erpload.profiles import Profile
from erpload.raw_names import raw_name
from erpload.staging import quote_ident as quote
from erpload.wording import plural

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                  "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
_NUMERIC_TYPES = _INTEGER_TYPES | {"FLOAT", "DOUBLE", "REAL"}
_TIMESTAMP_TYPES = {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"}


def _family_ok(canonical_type: str, actual: str) -> bool:
    """Whether a profile column of type `actual` may feed a canonical column (values checked separately)."""
    if canonical_type.startswith("DECIMAL"):
        return actual.startswith("DECIMAL") or actual in _NUMERIC_TYPES
    if canonical_type in ("INTEGER", "BIGINT"):
        return actual in _INTEGER_TYPES or actual.startswith("DECIMAL")
    if canonical_type == "TIMESTAMP":
        return actual in _TIMESTAMP_TYPES
    return actual == canonical_type


def _is_numeric(type_: str) -> bool:
    return type_.startswith("DECIMAL") or type_ in _NUMERIC_TYPES


_MISSING_TABLE = re.compile(r"Table with name (.+?) does not exist")
_MISSING_COLUMN = re.compile(r'Referenced column "(.+?)" not found|does not have a column named "(.+?)"')


def _raw_tables(con: duckdb.DuckDBPyConnection | None) -> set[str] | None:
    if con is None:
        return None
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                       "AND table_schema = 'erp_raw'").fetchall()
    return {str(r[0]) for r in rows}


def _missing_table_fix(profile: Profile, name: str, raw: set[str] | None) -> str:
    """Why a table is not in erp_raw, and what to write or run instead."""
    table = name.split(".")[-1].strip('"')
    normalised = raw_name(table)
    listed = {raw_name(t.name): t.name for t in profile.tables}
    if raw is not None and normalised in raw:
        if normalised != table:
            return (f"erp_raw holds it as erp_raw.{normalised}: dlt names tables and columns in snake_case "
                    f"('{table}' -> {normalised}); write erp_raw.{normalised}")
        return f"write erp_raw.{normalised}: extracted tables live in the schema erp_raw"
    if raw is not None and not raw:
        return "erp_raw is empty: run `erpload extract` first"
    if normalised in listed:
        return (f"the profile lists [tables.\"{listed[normalised]}\"], but erp_raw has no {normalised} yet: run "
                "`erpload extract` (it loads every table of [tables])")
    return (f"no [tables] entry extracts '{table}': add [tables.\"<its name in the ERP>\"] with primary_key (and "
            f"cursor) to the profile, run `erpload extract`, then read it as erp_raw.<that name in snake_case>")


def sql_failure(profile: Profile, ent: Entity, exc: duckdb.Error,
                con: duckdb.DuckDBPyConnection | None = None) -> ProfileError:
    """The profile error for an entity's failing SQL: DuckDB's message with its own hint, and the fix.

    With `con`, a missing table is looked up in erp_raw: under its snake_case name, not extracted yet, or
    not in the profile's [tables] at all.
    """
    lines = [line.strip() for line in str(exc).strip().splitlines()]
    # DuckDB's own hint ("Did you mean ...", "Candidate bindings: ...") follows the message, before the SQL
    after = [line for line in lines[1:] if line]
    duckdb_hint = after[0].replace(": :", ":") if after and not after[0].startswith("LINE") else ""
    message = f"its SQL fails: {lines[0]}" + (f" {duckdb_hint}" if duckdb_hint else "")
    fix = ""
    if table := _MISSING_TABLE.search(lines[0]):
        fix = _missing_table_fix(profile, table.group(1), _raw_tables(con))
    elif column := _MISSING_COLUMN.search(lines[0]):
        name = (column.group(1) or column.group(2)).split(".")[-1]
        if raw_name(name) != name:
            fix = f"erp_raw column names are snake_case (dlt normalises them): write {raw_name(name)}, not {name}"
        else:
            fix = "`DESCRIBE erp_raw.<table>` lists a table's columns"
    debug = "run the select in `duckdb <staging file>` to debug it"
    return ProfileError(message, profile=profile.name, entity=ent.name, path=profile.path,
                        hint=f"{fix}; {debug}" if fix else debug)


def check_output_shape(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity, sql: str) -> set[str]:
    """Names and types of the SQL's columns against the model (the SQL is described, not run); returns the names.

    Beside the canonical columns, the SQL may return the `<column>__erp_id` of a reference (see
    `canonical.Reference`)."""
    try:
        actual = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE {sql}").fetchall()}
    except duckdb.Error as exc:
        raise sql_failure(profile, ent, exc, con) from exc
    missing = [c for c in ent.column_names if c not in actual]
    # (beside each cast to a canonical type, map's `conversions` adds <column>__unconverted)
    companions = {r.erp_id_column for r in ent.references} | {f"{c}__unconverted" for c in ent.column_names}
    extra = [c for c in actual if c not in ent.column_names and c not in companions]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if extra:
            parts.append("column(s) not in the canonical model " + ", ".join(extra))
        raise ProfileError("; ".join(parts), profile=profile.name, entity=ent.name, column=(missing or extra)[0],
                           path=profile.path,
                           hint=f"the sql of [entities.{ent.name}] must return exactly: {', '.join(ent.column_names)} "
                                "(`erpload model` lists them with types)")
    for col in ent.columns:
        got = actual[col.name]
        if not _family_ok(col.type, got):
            raise ProfileError(f"is {got}, the canonical type is {col.type}", profile=profile.name,
                               entity=ent.name, column=col.name, path=profile.path,
                               hint=f"cast it in the sql of [entities.{ent.name}]: "
                                    f"CAST(<expr> AS {col.type}) AS {col.name}")
        if _is_numeric(got) and got != col.type:
            _check_lossless(con, profile, ent, sql, col.name, col.type, got)
    return set(actual)


def _check_lossless(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity, sql: str, col: str,
                    target: str, actual: str) -> None:
    """A numeric column that needs a cast must survive it unchanged (no rounding, no overflow)."""
    qc = quote(col)
    bad = con.execute(
        f"SELECT count(*), any_value(CAST({qc} AS VARCHAR)) FROM ({sql}) q WHERE {qc} IS NOT NULL AND "
        f"(TRY_CAST({qc} AS {target}) IS NULL OR CAST(TRY_CAST({qc} AS {target}) AS {actual}) <> {qc})"
    ).fetchone()
    if bad and bad[0]:
        raise ProfileError(f"{plural(bad[0], 'value', verb=('does', 'do'))} not fit {target} without loss "
                           f"(e.g. {bad[1]})",
                           profile=profile.name, entity=ent.name, column=col, path=profile.path,
                           hint=f"round or convert them in the sql of [entities.{ent.name}] so they fit {target}")
