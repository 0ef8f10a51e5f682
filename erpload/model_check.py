"""Does a profile's SQL for an entity return what the canonical model says? Fail naming the column if not."""

from __future__ import annotations

import duckdb

from erpload.canonical import Entity
from erpload.errors import ProfileError
from erpload.profiles import Profile

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                  "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
_NUMERIC_TYPES = _INTEGER_TYPES | {"FLOAT", "DOUBLE", "REAL"}
_TIMESTAMP_TYPES = {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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


def sql_failure(profile: Profile, ent: Entity, exc: duckdb.Error) -> ProfileError:
    first = str(exc).strip().splitlines()[0]
    hint = "run that SQL in `duckdb <staging file>` to debug it"
    if "does not exist" in first:
        hint = "run `erpload extract` first, or add the missing ERP table to the profile's [tables]; " + hint
    return ProfileError(f"its SQL fails: {first}", profile=profile.name, entity=ent.name, hint=hint)


def check_output_shape(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity, sql: str) -> set[str]:
    """Names and types of the SQL's columns against the model (the SQL is described, not run); returns the names.

    Beside the canonical columns, the SQL may return the `<column>__erp_id` of a reference (see
    `canonical.Reference`)."""
    try:
        actual = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE {sql}").fetchall()}
    except duckdb.Error as exc:
        raise sql_failure(profile, ent, exc) from exc
    missing = [c for c in ent.column_names if c not in actual]
    companions = {r.erp_id_column for r in ent.references}
    extra = [c for c in actual if c not in ent.column_names and c not in companions]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if extra:
            parts.append("column(s) not in the canonical model " + ", ".join(extra))
        raise ProfileError("; ".join(parts), profile=profile.name, entity=ent.name, column=(missing or extra)[0],
                           hint=f"the SQL must return exactly: {', '.join(ent.column_names)} "
                                "(`erpload model` lists them with types)")
    for col in ent.columns:
        got = actual[col.name]
        if not _family_ok(col.type, got):
            raise ProfileError(f"is {got}, the canonical type is {col.type}", profile=profile.name,
                               entity=ent.name, column=col.name,
                               hint=f"cast it in the SQL: CAST(<expr> AS {col.type}) AS {col.name}")
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
        raise ProfileError(f"{bad[0]} value(s) do not fit {target} without loss (e.g. {bad[1]})",
                           profile=profile.name, entity=ent.name, column=col,
                           hint=f"round or convert them in the SQL so they fit {target}")
