"""What `erpload extract` sets aside: ERP values that do not convert, and cursor values it cannot trust.

Neither stops the extract, and neither is silent: each is a row in `erpload.rejects` (target
`erp_raw`, entity the ERP table, the row's primary key, the ERP column and value, reason and fix) and
counts in the table's `rejected` in the run summary.

- A value that does not convert to its column's type (SQLite only: other databases enforce types;
  see `erpload.sources.erp.conformance`) is loaded as NULL.
- A cursor value beyond now plus `sources.erp.cursor_tolerance_hours` (a typo: 2062 for 2026) is
  loaded, but never becomes the table's stored cursor: dlt's `last_value` is set back to the latest
  trustworthy value in staging, so later changes still arrive, and the row is read (and reported)
  again on every run until the ERP corrects it.
- A row without a cursor value is loaded and read again on every run (dlt cannot tell when it changes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
import duckdb
import sqlalchemy as sa

from erpload.profiles import TableSpec
from erpload.raw_names import RAW_DATASET, raw_name
from erpload.rejects import clear_judged_fine, rejects_sql
from erpload.runs import Run
from erpload.sources.erp import cursor_filter
from erpload.sources.erp.conformance import checked_columns, expected, nonconforming_query
from erpload.sources.erp.settings import SOURCE_NAME
from erpload.staging import FRAMEWORK_SCHEMA, ensure_framework_tables, existing_tables, sql_literal
from erpload.staging import quote_ident as quote
from erpload.wording import plural

TARGET = "erp_raw"
#: dlt's copy of erp_raw that merge loads go through first: its columns take NULL too
_DLT_STAGING = f"{RAW_DATASET}_staging"


def cursor_state(state: Mapping[str, Any], spec: TableSpec) -> dict[str, Any] | None:
    """dlt's incremental state of a table's cursor in the extract pipeline's `state` (the dict itself, so a caller
    in `managed_state` may change it); None when there is none yet."""
    found = (state.get("sources", {}).get(SOURCE_NAME, {}).get("resources", {}).get(spec.name, {})
             .get("incremental", {}).get(spec.cursor or ""))
    return found if isinstance(found, dict) else None


def incremental_state(pipeline: dlt.Pipeline, spec: TableSpec) -> dict[str, Any]:
    """dlt's incremental state of a table's cursor ({} when there is none yet)."""
    return cursor_state(pipeline.state, spec) or {}


def latest_trusted(sample: Any, tolerance_hours: float) -> datetime | date | None:
    """The latest cursor value trusted for a cursor like `sample`: now plus the tolerance (None: not a time).

    >>> latest_trusted(7, 24) is None
    True
    """
    limit = datetime.now(UTC) + timedelta(hours=tolerance_hours)
    if isinstance(sample, datetime):
        return limit if sample.tzinfo else limit.replace(tzinfo=None)
    if isinstance(sample, date):
        return limit.date()
    return None


def _literal(value: datetime | date) -> str:
    if isinstance(value, datetime) and value.tzinfo:
        return f"TIMESTAMPTZ '{value.astimezone(UTC).isoformat(sep=' ')}'"
    return sql_literal(value)


@dataclass(frozen=True)
class Clamp:
    """A stored cursor set back from an untrusted value."""

    table: str
    untrusted: Any
    kept: Any


def clamp_cursors(pipeline: dlt.Pipeline, con: duckdb.DuckDBPyConnection, specs: Iterable[TableSpec],
                  tolerance_hours: float) -> list[Clamp]:
    """Set every stored cursor beyond now + tolerance back to the largest staged value within it.

    The boundary-row hashes dlt keeps belong to the untrusted value: cleared, so rows at the kept
    value are read again (merge keeps them single). No trusted value staged: the cursor is dropped
    and the table is read in full.
    """
    clamps: list[Clamp] = []
    staged = existing_tables(con, RAW_DATASET)
    with pipeline.managed_state() as state:
        for spec in specs:
            inc = cursor_state(state, spec)
            last = inc.get("last_value") if inc else None
            limit = latest_trusted(last, tolerance_hours)
            if not spec.cursor or inc is None or limit is None or last is None \
                    or _as_comparable(last, limit) <= limit:
                continue
            kept = None
            table = raw_name(spec.name)
            if table in staged:
                column = quote(raw_name(spec.cursor))
                value = f"timezone('UTC', {column})" if isinstance(limit, datetime) and limit.tzinfo else column
                row = con.execute(f"SELECT max({value}) FROM {RAW_DATASET}.{quote(table)} "
                                  f"WHERE {column} <= {_literal(limit)}").fetchone()
                kept = row[0] if row else None
                if isinstance(kept, datetime) and isinstance(limit, datetime) and limit.tzinfo:
                    kept = kept.replace(tzinfo=UTC)
            inc["last_value"] = kept
            inc["unique_hashes"] = []
            clamps.append(Clamp(spec.name, last, kept))
    return clamps


def _as_comparable(value: Any, limit: datetime | date) -> Any:
    # a date cursor stored beside a datetime limit, or the reverse, compares as dates
    if isinstance(value, datetime) != isinstance(limit, datetime):
        return value.date() if isinstance(value, datetime) else value
    return value


def relax_staged_columns(con: duckdb.DuckDBPyConnection, relaxed: dict[str, list[str]]) -> None:
    """Let the staged columns take the NULL a non-converting value is read as (staging files made
    before erpload read such values as NULL declare them NOT NULL, in erp_raw and in dlt's merge copy)."""
    if not relaxed:
        return
    rows = con.execute(f"""SELECT schema_name, table_name, column_name FROM duckdb_columns()
                           WHERE schema_name IN ('{RAW_DATASET}', '{_DLT_STAGING}') AND NOT is_nullable""").fetchall()
    not_null = {(str(s), str(t), str(c)) for s, t, c in rows}
    for table, columns in relaxed.items():
        for schema in (RAW_DATASET, _DLT_STAGING):
            for column in columns:
                key = (schema, raw_name(table), raw_name(column))
                if key in not_null:
                    con.execute(f"ALTER TABLE {schema}.{quote(key[1])} ALTER COLUMN {quote(key[2])} DROP NOT NULL")


@dataclass
class Probe:
    """Values of one table's extract window that do not convert (read before dlt reads the table)."""

    spec: TableSpec
    columns: dict[str, str]  # ERP column -> what its values must be, in words
    rows: list[tuple[Any, ...]]  # (record key, then per column its bad value as text or None)


def probe_values(engine: sa.Engine, metadata: sa.MetaData, pipeline: dlt.Pipeline,
                 specs: Sequence[TableSpec]) -> list[Probe]:
    """The values each table's extract window holds that do not convert, read in one query per table.

    Only SQLite stores such values. The window is the one `erpload.sources.erp.adapt_query` reads: rows at or
    after the stored cursor, and rows without one.
    """
    if engine.dialect.name != "sqlite":
        return []
    probes = []
    with engine.connect() as erp_con:
        for spec in specs:
            table = metadata.tables[spec.name]
            last = incremental_state(pipeline, spec).get("last_value") if spec.cursor else None
            window = cursor_filter(table, spec.cursor, last, "sqlite") if spec.cursor and last is not None else None
            query = nonconforming_query(table, spec.primary_key, window)
            if query is None:
                continue
            rows = [tuple(r) for r in erp_con.execute(query).fetchall()]
            if rows:
                columns = {c.name: expected(c) for c in checked_columns(table, frozenset(spec.primary_key))}
                probes.append(Probe(spec, columns, rows))
    return probes


def _key_json(spec: TableSpec, key_text: str) -> str:
    """The reject's record: the row's key as JSON (a composite key is in record_key only)."""
    return "CAST(NULL AS JSON)" if len(spec.primary_key) > 1 else \
        f"json_object({sql_literal(spec.primary_key[0])}, {key_text})"


def record_value_rejects(con: duckdb.DuckDBPyConnection, run_id: str, probes: Sequence[Probe]) -> None:
    """One reject per value that did not convert, unpivoted in DuckDB from each probe's rows."""
    import pyarrow as pa

    ensure_framework_tables(con)
    for probe in probes:
        names = list(probe.columns)
        arrow = pa.table({"record_key": pa.array([r[0] for r in probe.rows], pa.string()),
                          **{f"c{i}": pa.array([r[i + 1] for r in probe.rows], pa.string())
                             for i in range(len(names))}})
        con.register("_probe", arrow)
        try:
            table = probe.spec.name
            branches = " UNION ALL ".join(
                f"""SELECT record_key, {sql_literal(name)} AS field, c{i} AS value,
                           {sql_literal(f"{name} holds '")} || c{i} || {sql_literal(f"', not {what}")} AS reason,
                           {sql_literal(f"correct {name} of this {table} row in the ERP: it must be {what}; until "
                                        f"then erpload loads the row with {name} empty")} AS fix
                    FROM _probe WHERE c{i} IS NOT NULL"""
                for i, (name, what) in enumerate(probe.columns.items()))
            con.execute(rejects_sql(run_id, TARGET, table, record_key="record_key", field="field", value="value",
                                    reason="reason", fix="fix", record=_key_json(probe.spec, "record_key"),
                                    code=sql_literal(f"{TARGET}.value_not_converted"), source=f"FROM ({branches})"))
        finally:
            con.unregister("_probe")


def record_cursor_rejects(con: duckdb.DuckDBPyConnection, run_id: str, load_id: str, specs: Iterable[TableSpec],
                          tolerance_hours: float, clamps: Sequence[Clamp]) -> None:
    """Rows this load wrote whose cursor is beyond now + tolerance, or empty: one reject each.

    An empty cursor that is empty because its value did not convert is reported once, as that value."""
    ensure_framework_tables(con)
    kept = {c.table: c.kept for c in clamps}
    staged = existing_tables(con, RAW_DATASET)
    for spec in specs:
        table = raw_name(spec.name)
        if not spec.cursor or table not in staged:
            continue
        cursor = quote(raw_name(spec.cursor))
        key = staged_key(spec, "t")
        limit = _cursor_limit(con, table, cursor, tolerance_hours)
        stays = f"the table's cursor stays at {kept[spec.name]}" if kept.get(spec.name) is not None \
            else "the table is read in full"
        branches = [f"""SELECT {key} AS record_key, CAST(NULL AS VARCHAR) AS value,
                               {sql_literal(f"the row has no {spec.cursor} (the cursor column): erpload cannot "
                                            "tell when it changes and reads it again on every run")} AS reason,
                               {sql_literal(f"fill {spec.cursor} of this {spec.name} row in the ERP")} AS fix,
                               {sql_literal(f"{TARGET}.cursor.empty")} AS code
                        FROM {RAW_DATASET}.{quote(table)} t
                        WHERE t._dlt_load_id = {sql_literal(load_id)} AND t.{cursor} IS NULL"""]
        if limit is not None:
            branches.append(
                f"""SELECT {key}, CAST(t.{cursor} AS VARCHAR),
                           {sql_literal(f"{spec.cursor} ")} || CAST(t.{cursor} AS VARCHAR) ||
                           {sql_literal(f" lies more than {tolerance_hours:g} hours in the future (a typo in the "
                                        f"year?): the row is loaded, but {stays}, so that later changes still "
                                        "arrive, and the row is read again on every run")},
                           {sql_literal(f"correct {spec.cursor} of this {spec.name} row in the ERP "
                                        "(the time it last changed)")},
                           {sql_literal(f"{TARGET}.cursor.in_future")}
                    FROM {RAW_DATASET}.{quote(table)} t
                    WHERE t._dlt_load_id = {sql_literal(load_id)} AND t.{cursor} > {limit}""")
        con.execute(rejects_sql(
            run_id, TARGET, spec.name, record_key="b.record_key", field=sql_literal(spec.cursor), value="b.value",
            reason="b.reason", fix="b.fix", record=_key_json(spec, "b.record_key"), code="b.code",
            source=f"""FROM ({" UNION ALL ".join(branches)}) b
                        WHERE NOT EXISTS (SELECT 1 FROM {FRAMEWORK_SCHEMA}.rejects r
                                          WHERE r.run_id = {sql_literal(run_id)} AND r.target = {sql_literal(TARGET)}
                                            AND r.entity = {sql_literal(spec.name)} AND r.record_key = b.record_key
                                            AND r.field = {sql_literal(spec.cursor)})"""))


def clear_fixed_rows(con: duckdb.DuckDBPyConnection, run_id: str, load_id: str, specs: Iterable[TableSpec]) -> None:
    """Rows this load read again that an earlier extract set aside leave `current_rejects`: the ERP changed them
    (their cursor moved), and this run judged them anew. A row still wrong has this run's reject, which stays."""
    staged = existing_tables(con, RAW_DATASET)
    for spec in specs:
        table = raw_name(spec.name)
        if table not in staged:
            continue
        clear_judged_fine(con, f"(SELECT * FROM {RAW_DATASET}.{quote(table)} WHERE _dlt_load_id = "
                               f"{sql_literal(load_id)})", staged_key(spec, "v"), run_id=run_id, target=TARGET,
                          entity=spec.name)


def staged_key(spec: TableSpec, alias: str) -> str:
    """The record_key of an erp_raw row of `spec` over `alias`: its primary key's values, '/'-joined."""
    return " || '/' || ".join(f"coalesce(CAST({alias}.{quote(raw_name(k))} AS VARCHAR), '')" for k in spec.primary_key)


def _cursor_limit(con: duckdb.DuckDBPyConnection, table: str, cursor: str, tolerance_hours: float) -> str | None:
    """The SQL literal of now + tolerance in the cursor column's type; None for a cursor that is no time."""
    row = con.execute(f"SELECT typeof({cursor}) FROM {RAW_DATASET}.{quote(table)} LIMIT 1").fetchone()
    type_ = str(row[0]) if row else ""
    limit = datetime.now(UTC) + timedelta(hours=tolerance_hours)
    if type_ == "TIMESTAMP WITH TIME ZONE":
        return _literal(limit)
    if type_.startswith("TIMESTAMP"):
        return _literal(limit.replace(tzinfo=None))
    if type_ == "DATE":
        return _literal(limit.date())
    return None


def rejected_per_table(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """ERP table -> its rows this run set aside (a row with two bad values is one row, with two rejects)."""
    rows = con.execute("SELECT entity, count(DISTINCT record_key) + count(*) FILTER (WHERE record_key IS NULL) "
                       f"FROM {FRAMEWORK_SCHEMA}.rejects WHERE run_id = {sql_literal(run_id)} "
                       f"AND target = {sql_literal(TARGET)} GROUP BY entity").fetchall()
    return {str(e): int(n) for e, n in rows}


def note_rejects(run: Run, con: duckdb.DuckDBPyConnection, clamps: Sequence[Clamp]) -> None:
    """One note per table and kind of reject, so the summary says what was set aside and where to look."""
    rows = con.execute(
        f"""SELECT entity, field, reason LIKE '% holds %' AS bad_value, count(*)
            FROM {FRAMEWORK_SCHEMA}.rejects WHERE run_id = {sql_literal(run.run_id)} AND target = {sql_literal(TARGET)}
            GROUP BY ALL ORDER BY ALL""").fetchall()
    for entity, field, bad_value, count in rows:
        where = f"{RAW_DATASET}.{raw_name(str(entity))}.{raw_name(str(field))}"
        n = int(count)
        what = (f"{plural(n, 'value')} that {'does' if n == 1 else 'do'} not convert, loaded as NULL" if bad_value
                else f"{plural(n, 'row')} with an untrusted cursor")
        run.note(f"{where}: {what}; see erpload.rejects (target '{TARGET}')")
    for clamp in clamps:
        kept = clamp.kept if clamp.kept is not None else "nothing (the table is read in full)"
        run.note(f"{RAW_DATASET}.{raw_name(clamp.table)}: cursor {clamp.untrusted} lies in the future; "
                 f"the stored cursor was set back to {kept}")
