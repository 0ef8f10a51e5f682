"""`rejects` (every run's verdicts, the history) and `current_rejects` (what is set aside now).

Every step that sets a record aside appends rows to `rejects`: run_id, target, entity, record_key, field, value,
reason (for a person, with the value), fix (what to do), record, created_at, and reason_code (the rule, without
the value: `datev.tax.no_key_for_taxed_line`, `dvelop.vendors.max_length.name`, `push.refused`), so
`group by reason_code` counts the rules that fire. Rows written before reason_code existed have none (NULL).

`current_rejects` holds the latest verdict on each (target, entity, record_key); which run's verdict that is
depends on who wrote it: see the comment on `_VIEW`, the view's SQL.
"""

from __future__ import annotations

import duckdb

from erpload.staging import FRAMEWORK_SCHEMA, existing_views, scalar_int, sql_literal

REJECTS = f"{FRAMEWORK_SCHEMA}.rejects"
CURRENT_REJECTS = f"{FRAMEWORK_SCHEMA}.current_rejects"
#: records a record-by-record writer (map) set aside before and judged fine since: their rejects are history
REJECTS_CLEARED = f"{FRAMEWORK_SCHEMA}.rejects_cleared"
#: the push ledger's record log (erpload.push.ledger.RECORDS): a record queued again after a push reject clears it
_LEDGER_RECORDS = "ledger_records"

#: how many reason codes a summary names, the most frequent first (run summary, status, orchestrator metadata)
TOP_REASONS = 5

#: reason codes of the push framework (the vendor's field, when it names one, is in `field`)
PUSH_REFUSED = "push.refused"
PUSH_GONE = "push.gone"
PUSH_CHANGED_AFTER_SENT = "push.changed_after_sent"

# A transform rebuilds its target's whole dataset: its run judged every record of every entity it owns, so the
# latest transform of a target that finished ('ok' in runs) holds the verdicts of all its transform rejects,
# and a record it did not reject has left the view. Every other writer judges record by record: extract and map
# judge the rows they read (both are incremental), a push or an export reports a record once per change.
# For those the latest run that wrote about a (target, entity, record_key) holds its verdict, unless a later
# run judged the record fine: map, extract and the DATEV export note each record they set aside before and
# judge fine now in `rejects_cleared`, as does a trigger whose call for the record succeeds. A push reject
# (reason_code push.*) is cleared when the ledger queues the record again afterwards (a later push sent it: if
# the vendor refused it again, that push wrote the newer verdict).
_VIEW = """CREATE OR REPLACE VIEW {current} AS
WITH run_commands AS (
    SELECT run_id, any_value(command) AS command, min(started_at) AS started_at, bool_and(status = 'ok') AS ok
    FROM {runs} GROUP BY run_id),
latest_transform AS (
    SELECT substr(command, length('transform ') + 1) AS target, arg_max(run_id, started_at) AS run_id
    FROM run_commands WHERE starts_with(command, 'transform ') AND ok GROUP BY ALL),
tagged AS (
    SELECT r.*, coalesce(c.command = 'transform ' || r.target, false) AS by_transform
    FROM {rejects} r LEFT JOIN run_commands c USING (run_id)),
latest_per_record AS (
    SELECT target, entity, record_key, arg_max(run_id, created_at) AS run_id
    FROM tagged WHERE NOT by_transform GROUP BY ALL)
SELECT t.* EXCLUDE (by_transform) FROM tagged t JOIN latest_transform l USING (target, run_id)
WHERE t.by_transform
UNION ALL
SELECT t.* EXCLUDE (by_transform) FROM tagged t JOIN latest_per_record p
    ON p.target = t.target AND p.entity = t.entity AND p.record_key IS NOT DISTINCT FROM t.record_key
   AND p.run_id = t.run_id
WHERE NOT t.by_transform
  AND NOT EXISTS (SELECT 1 FROM {rejects_cleared} c
                  WHERE c.target = t.target AND c.entity = t.entity AND c.record_key = t.record_key
                    AND c.run_id <> t.run_id AND c.cleared_at > t.created_at){cleared}"""

_CLEARED_BY_LEDGER = """
  AND NOT (starts_with(coalesce(t.reason_code, ''), 'push.') AND EXISTS (
      SELECT 1 FROM {records} q WHERE q.target = t.target AND q.entity = t.entity AND q.record_key = t.record_key
                                  AND q.logged_at > t.created_at))"""


def migrate_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a staging file's rejects table from before reason codes and the `fix` column up to date."""
    columns = {str(r[0]) for r in con.execute(
        f"SELECT column_name FROM duckdb_columns() WHERE schema_name = {sql_literal(FRAMEWORK_SCHEMA)} "
        "AND table_name = 'rejects' AND database_name = current_database()").fetchall()}
    if "hint" in columns and "fix" not in columns:
        # the view reads the table: DuckDB refuses to rename a column a view depends on
        con.execute(f"DROP VIEW IF EXISTS {CURRENT_REJECTS}")
        con.execute(f"ALTER TABLE {REJECTS} RENAME COLUMN hint TO fix")
    if "reason_code" not in columns:
        con.execute(f"ALTER TABLE {REJECTS} ADD COLUMN IF NOT EXISTS reason_code VARCHAR")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {REJECTS_CLEARED} (run_id VARCHAR NOT NULL, target VARCHAR NOT NULL,
                    entity VARCHAR NOT NULL, record_key VARCHAR NOT NULL, cleared_at TIMESTAMP NOT NULL)""")


def create_current_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create `current_rejects`; with the push ledger present, a push reject it shows sent again is cleared."""
    has_ledger = scalar_int(con, "SELECT count(*) FROM duckdb_tables() "
                                 f"WHERE schema_name = {sql_literal(FRAMEWORK_SCHEMA)} "
                                 f"AND table_name = {sql_literal(_LEDGER_RECORDS)} "
                                 "AND database_name = current_database()")
    cleared = _CLEARED_BY_LEDGER.format(records=f"{FRAMEWORK_SCHEMA}.{_LEDGER_RECORDS}") if has_ledger else ""
    con.execute(_VIEW.format(current=CURRENT_REJECTS, runs=f"{FRAMEWORK_SCHEMA}.runs", rejects=REJECTS,
                             rejects_cleared=REJECTS_CLEARED, cleared=cleared))


def clear_judged_fine(con: duckdb.DuckDBPyConnection, rows: str, key_sql: str, *, run_id: str, target: str,
                      entity: str) -> None:
    """Note the records of `rows` (judged fine by this run; `key_sql` their record_key over alias `v`) that
    `target` set aside before: they leave `current_rejects`. Costs a scan of `rows` only when `entity` has
    rejects at all."""
    where = f"target = {sql_literal(target)} AND entity = {sql_literal(entity)}"
    if not scalar_int(con, f"SELECT count(*) FROM (SELECT 1 FROM {REJECTS} WHERE {where} LIMIT 1)"):
        return
    con.execute(f"""INSERT INTO {REJECTS_CLEARED}
                    SELECT DISTINCT {sql_literal(run_id)}, {sql_literal(target)}, {sql_literal(entity)}, k,
                           now()::TIMESTAMP
                    FROM (SELECT {key_sql} AS k FROM {rows} v)
                    WHERE k IN (SELECT record_key FROM {REJECTS} WHERE {where})""")


def cleared_sql(run_id: str, target: str, entity: str, record_key: str) -> str:
    """SQL noting one record set aside before as fine now (for a statement committed with the verdict)."""
    return (f"INSERT INTO {REJECTS_CLEARED} VALUES ({sql_literal(run_id)}, {sql_literal(target)}, "
            f"{sql_literal(entity)}, {sql_literal(record_key)}, now()::TIMESTAMP)")


def rejects_sql(run_id: str, target: str, entity: str, *, record_key: str, reason: str, fix: str, code: str,
                field: str = "NULL", value: str = "NULL", record: str = "NULL", source: str = "",
                into: str = REJECTS) -> str:
    """An INSERT of reject rows into `into` (erpload.rejects, or a pending table of its shape), columns by name.

    `run_id`, `target` and `entity` are values; every other argument is a SQL expression, evaluated over `source`
    (the FROM clause and what follows it; "" for one row of constants). Use `sql_literal` for a value."""
    return (f"INSERT INTO {into} BY NAME SELECT {sql_literal(run_id)} AS run_id, {sql_literal(target)} AS target, "
            f"{sql_literal(entity)} AS entity, {record_key} AS record_key, {field} AS field, {value} AS value, "
            f"{reason} AS reason, {fix} AS fix, {record} AS record, now()::TIMESTAMP AS created_at, "
            f"{code} AS reason_code {source}")


def current_reason_codes(con: duckdb.DuckDBPyConnection, target: str | None = None) -> list[tuple[str, int]]:
    """(reason code, rejects) in `current_rejects` (of one `target`, or all), most first; rows from before reason
    codes count as 'none'. Empty for a staging file no erpload with the view has opened yet (read-only readers)."""
    if CURRENT_REJECTS.split(".")[-1] not in existing_views(con, FRAMEWORK_SCHEMA):
        return []
    where = "" if target is None else f"WHERE target = {sql_literal(target)} "
    rows = con.execute(f"SELECT coalesce(reason_code, 'none'), count(*) FROM {CURRENT_REJECTS} {where}"
                       "GROUP BY ALL ORDER BY 2 DESC, 1").fetchall()
    return [(str(code), int(n)) for code, n in rows]
