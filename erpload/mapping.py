"""`erpload map`: erp_raw → the canonical dataset `erp`, per the profile's SQL, merged by business key.

Each entity's SQL is evaluated in full inside DuckDB, checked against the canonical model, and
diffed with what `erp` already holds by a hash of the row: only new and changed rows are written,
rows gone from the profile's output are deleted, unchanged rows are left alone. All entities are
computed and checked before anything is written, and the writes happen in one transaction, so a
profile error leaves `erp` exactly as it was.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from erpload import canonical
from erpload.canonical import Entity
from erpload.errors import ProfileError
from erpload.incremental_sql import restrict_to_changes
from erpload.profiles import Profile
from erpload.runs import Run, TableResult
from erpload.staging import FRAMEWORK_SCHEMA, connect, ensure_framework_tables, table_exists

CANONICAL_DATASET = "erp"
RAW_DATASET = "erp_raw"
TARGET = "erp"

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                  "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
_NUMERIC_TYPES = _INTEGER_TYPES | {"FLOAT", "DOUBLE", "REAL"}
_TIMESTAMP_TYPES = {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"}


def _q(name: str) -> str:
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


def _is_numeric(t: str) -> bool:
    return t.startswith("DECIMAL") or t in _NUMERIC_TYPES


@dataclass
class _Staged:
    entity: Entity
    typed: str  # temp table with canonical column types
    incremental: bool  # only rows whose inputs changed; nothing can be found deleted


def _stage_entity(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity, sql: str,
                  incremental: bool) -> _Staged:
    """Evaluate the profile's SQL for one entity and cast it to the canonical types, or fail clearly."""
    raw = f"_raw_{ent.name}"
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {raw} AS {sql}")
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        hint = "run that SQL in `duckdb <staging file>` to debug it"
        if "does not exist" in first and "erp_raw" in profile.entity_sql[ent.name]:
            hint = ("run `erpload extract` first, or add the missing ERP table to the profile's [tables]; "
                    + hint)
        raise ProfileError(f"its SQL fails: {first}", profile=profile.name, entity=ent.name, hint=hint) from exc

    actual = {r[0]: str(r[1]) for r in con.execute(f"DESCRIBE {raw}").fetchall()}
    missing = [c for c in ent.column_names if c not in actual]
    extra = [c for c in actual if c not in ent.column_names]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if extra:
            parts.append("column(s) not in the canonical model " + ", ".join(extra))
        raise ProfileError("; ".join(parts), profile=profile.name, entity=ent.name,
                           column=(missing or extra)[0],
                           hint=f"the SQL must return exactly: {', '.join(ent.column_names)} "
                                "(`erpload model` lists them with types)")

    for col in ent.columns:
        got = actual[col.name]
        if not _family_ok(col.type, got):
            raise ProfileError(f"is {got}, the canonical type is {col.type}", profile=profile.name,
                               entity=ent.name, column=col.name,
                               hint=f"cast it in the SQL: CAST(<expr> AS {col.type}) AS {col.name}")
        if _is_numeric(got) and got != col.type:
            _check_lossless(con, profile, ent, raw, col.name, col.type, got)

    typed = f"_typed_{ent.name}"
    select = ", ".join(f"CAST({_q(c.name)} AS {c.type}) AS {_q(c.name)}" for c in ent.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {typed} AS SELECT {select} FROM {raw}")
    con.execute(f"DROP TABLE {raw}")
    return _Staged(ent, typed, incremental)


def _check_lossless(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity, raw: str, col: str,
                    target: str, actual: str) -> None:
    qc = _q(col)
    bad = con.execute(
        f"SELECT count(*), any_value(CAST({qc} AS VARCHAR)) FROM {raw} WHERE {qc} IS NOT NULL AND "
        f"(TRY_CAST({qc} AS {target}) IS NULL OR CAST(TRY_CAST({qc} AS {target}) AS {actual}) <> {qc})"
    ).fetchone()
    if bad and bad[0]:
        raise ProfileError(f"{bad[0]} value(s) do not fit {target} without loss (e.g. {bad[1]})",
                           profile=profile.name, entity=ent.name, column=col,
                           hint=f"round or convert them in the SQL so they fit {target}")


def _reject_invalid_rows(con: duckdb.DuckDBPyConnection, staged: _Staged, run_id: str) -> int:
    """Move rows with an empty key or required field, or a duplicate key, into erpload.rejects."""
    ent, typed = staged.entity, staged.typed
    key_expr = " || '/' || ".join(f"coalesce(CAST({_q(k)} AS VARCHAR), '')" for k in ent.key)
    record_cols = [c.name for c in ent.columns if c.type != canonical.BYTES]
    record_expr = "to_json({" + ", ".join(f"{_q(c)}: {_q(c)}" for c in record_cols) + "})"
    checks = []
    for col in ent.columns:
        if col.nullable:
            continue
        is_key = col.name in ent.key
        checks.append((
            f"{_q(col.name)} IS NULL",
            f"'{col.name}'",
            f"'{'key' if is_key else 'required'} column {col.name} is empty'",
            f"'fill {col.name} in the ERP, or map it in the profile''s SQL for {ent.name}'",
        ))
    dup_keys = ", ".join(_q(k) for k in ent.key)
    checks.append((
        f"count(*) OVER (PARTITION BY {dup_keys}) > 1",
        "'" + "/".join(ent.key) + "'",
        f"'duplicate key: ' || count(*) OVER (PARTITION BY {dup_keys}) || ' rows share this {'/'.join(ent.key)}'",
        "'make the key unique in the ERP (e.g. a renumbered document), or fix the profile''s join'",
    ))
    if staged.incremental:
        # only changed rows are here: a key clash with a row already mapped must be caught too
        target = f"{CANONICAL_DATASET}.{_q(ent.name)}"
        key_match = " AND ".join(f"t.{_q(k)} = v.{_q(k)}" for k in ent.key)
        checks.append((
            f"EXISTS (SELECT 1 FROM {target} t WHERE {key_match} AND t.erp_id <> v.erp_id)",
            "'" + "/".join(ent.key) + "'",
            f"'duplicate key: another ERP record already holds this {'/'.join(ent.key)}'",
            "'make the key unique in the ERP (e.g. a renumbered document), or fix the profile''s join'",
        ))
    con.execute("CREATE OR REPLACE TEMP TABLE _bad_rows (rid BIGINT)")
    for cond, field, reason, hint in checks:
        # window functions cannot sit in WHERE; evaluate each condition in a subquery first
        hits = f"SELECT v.rowid AS rid, {key_expr} AS k, {reason} AS reason, ({cond}) AS hit FROM {typed} v"
        con.execute(
            f"""INSERT INTO {FRAMEWORK_SCHEMA}.rejects
                SELECT ?, ?, ?, h.k, {field}, NULL, h.reason, {hint}, {record_expr}, now()::TIMESTAMP
                FROM ({hits}) h JOIN {typed} ON {typed}.rowid = h.rid WHERE h.hit""",
            [run_id, TARGET, ent.name],
        )
        con.execute(f"INSERT INTO _bad_rows SELECT rid FROM ({hits}) WHERE hit")
    row = con.execute("SELECT count(DISTINCT rid) FROM _bad_rows").fetchone()
    return int(row[0]) if row else 0


def _merge(con: duckdb.DuckDBPyConnection, staged: _Staged, run_id: str) -> tuple[int, int, int]:
    """Write new and changed rows, delete vanished ones; returns (loaded, unchanged, deleted)."""
    ent, typed = staged.entity, staged.typed
    target = f"{CANONICAL_DATASET}.{_q(ent.name)}"
    con.execute(canonical.create_table_sql(ent, CANONICAL_DATASET))
    cols = ", ".join(_q(c) for c in ent.column_names)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _valid AS SELECT *, hash({cols}) AS _row_hash FROM {typed} "
                "WHERE rowid NOT IN (SELECT rid FROM _bad_rows)")
    key_match = " AND ".join(f"t.{_q(k)} = v.{_q(k)}" for k in ent.key)
    if staged.incremental:
        return _upsert_changes(con, staged, target, key_match, run_id)
    row = con.execute(
        f"""SELECT
              (SELECT count(*) FROM _valid v WHERE NOT EXISTS
                 (SELECT 1 FROM {target} t WHERE {key_match} AND t._row_hash = v._row_hash)),
              (SELECT count(*) FROM _valid v WHERE EXISTS
                 (SELECT 1 FROM {target} t WHERE {key_match} AND t._row_hash = v._row_hash)),
              (SELECT count(*) FROM {target} t WHERE NOT EXISTS (SELECT 1 FROM _valid v WHERE {key_match}))"""
    ).fetchone()
    loaded, unchanged, deleted = (int(x) for x in row) if row else (0, 0, 0)
    if loaded or deleted:
        con.execute(f"DELETE FROM {target} t WHERE NOT EXISTS "
                    f"(SELECT 1 FROM _valid v WHERE {key_match} AND t._row_hash = v._row_hash)")
        con.execute(f"INSERT INTO {target} SELECT v.*, ? FROM _valid v WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {target} t WHERE {key_match})", [run_id])
    con.execute(f"DROP TABLE {typed}")
    con.execute("DROP TABLE _valid")
    return loaded, unchanged, deleted


def _upsert_changes(con: duckdb.DuckDBPyConnection, staged: _Staged, target: str, key_match: str,
                    run_id: str) -> tuple[int, int, int]:
    """Incremental mode: write the changed rows; rows not in the delta are unchanged by construction.

    A record whose business key changed in the ERP arrives under its new key; its row under the
    old key (same erp_id) is deleted.
    """
    row = con.execute(f"""SELECT
            (SELECT count(*) FROM _valid v WHERE NOT EXISTS
               (SELECT 1 FROM {target} t WHERE {key_match} AND t._row_hash = v._row_hash)),
            (SELECT count(*) FROM {target} t WHERE EXISTS
               (SELECT 1 FROM _valid v WHERE v.erp_id = t.erp_id AND NOT ({key_match})))""").fetchone()
    loaded, rekeyed = (int(row[0]), int(row[1])) if row else (0, 0)
    if loaded or rekeyed:
        con.execute(f"DELETE FROM {target} t WHERE EXISTS (SELECT 1 FROM _valid v WHERE "
                    f"({key_match} AND t._row_hash <> v._row_hash) OR (v.erp_id = t.erp_id AND NOT ({key_match})))")
        con.execute(f"INSERT INTO {target} SELECT v.*, ? FROM _valid v WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {target} t WHERE {key_match})", [run_id])
    total = con.execute(f"SELECT count(*) FROM {target}").fetchone()
    con.execute(f"DROP TABLE {staged.typed}")
    con.execute("DROP TABLE _valid")
    return loaded, (int(total[0]) if total else 0) - loaded, rekeyed


def _latest_load_id(con: duckdb.DuckDBPyConnection) -> str | None:
    if not table_exists(con, RAW_DATASET, "_dlt_loads"):
        return None
    row = con.execute(f"SELECT max(load_id) FROM {RAW_DATASET}._dlt_loads WHERE status = 0").fetchone()
    return str(row[0]) if row and row[0] is not None else None


def _plan(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity, full: bool) -> tuple[str, bool]:
    """The SQL to evaluate for `ent`: restricted to changed inputs when the last map allows it."""
    sql = profile.entity_sql[ent.name]
    if full or not table_exists(con, CANONICAL_DATASET, ent.name):
        return sql, False
    state = con.execute(f"SELECT sql_hash, last_load_id FROM {FRAMEWORK_SCHEMA}.map_state "
                        "WHERE profile = ? AND entity = ?", [profile.name, ent.name]).fetchone()
    if not state or state[0] != _sql_hash(sql) or state[1] is None:
        return sql, False
    restricted = restrict_to_changes(sql, str(state[1]), RAW_DATASET)
    return (restricted, True) if restricted else (sql, False)


def _sql_hash(sql: str) -> str:
    return hashlib.sha256(" ".join(sql.split()).encode()).hexdigest()


def run_map(staging_path: Path, profile: Profile, run: Run, *, full: bool = False) -> list[str]:
    """Map every entity the profile defines; returns the canonical entities it does not define.

    Each entity is mapped incrementally (only rows whose erp_raw inputs changed since the last map)
    when its SQL allows it and is unchanged since then; otherwise, or with `full`, in full, which
    also finds rows that vanished from the profile's output and deletes them.
    """
    with connect(staging_path) as con:
        con.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ → TIMESTAMP casts keep UTC wall time
        ensure_framework_tables(con)
        entities = [e for e in canonical.ENTITIES if e.name in profile.entity_sql]
        watermark = _latest_load_id(con)
        con.execute("BEGIN TRANSACTION")
        try:
            staged = []
            timings: dict[str, float] = {}
            for ent in entities:
                t0 = time.perf_counter()
                sql, incremental = _plan(con, profile, ent, full)
                staged.append(_stage_entity(con, profile, ent, sql, incremental))
                timings[ent.name] = time.perf_counter() - t0
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {CANONICAL_DATASET}")
            for st in staged:
                t0 = time.perf_counter()
                rejected = _reject_invalid_rows(con, st, run.run_id)
                loaded, unchanged, deleted = _merge(con, st, run.run_id)
                run.add(TableResult(table=f"{CANONICAL_DATASET}.{st.entity.name}", loaded=loaded,
                                    unchanged=unchanged, rejected=rejected, deleted=deleted,
                                    duration_s=timings[st.entity.name] + time.perf_counter() - t0))
                con.execute(
                    f"INSERT OR REPLACE INTO {FRAMEWORK_SCHEMA}.map_state VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
                    [profile.name, st.entity.name, _sql_hash(profile.entity_sql[st.entity.name]), watermark])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return [e.name for e in canonical.ENTITIES if e.name not in profile.entity_sql]

