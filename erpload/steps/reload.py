"""`erpload extract --reload TABLE|all`: drop ERP tables and their cursors in the staging file and load them in full.

A cursor never sees a row deleted in the ERP. A reload drops the table in erp_raw and its dlt state
(the incremental cursor) with dlt's own drop, the one `dlt pipeline ... drop` runs, but against the
open staging file; the extract that follows then reads the table in full. (`pipeline.run(...,
refresh="drop_resources")` would drop every table of the run, not only the reloaded ones.)

Each reload is a row in `erpload.extract_reloads`, written before the drop and finished when the
extract is: an extract stopped in between reloads the table again on its next run, because the
cursor restored after a crash may be older than the drop. `map` reads the finished rows: an entity
that reads a table reloaded since its last map is recomputed in full, which deletes the rows that
vanished from the ERP (see `reloaded_since`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb

from erpload.errors import ConfigError, StagingError
from erpload.profiles import Profile, TableSpec
from erpload.raw_names import RAW_DATASET, quoted_raw_name, raw_name
from erpload.runs import Run
from erpload.staging import FRAMEWORK_SCHEMA, existing_tables, scalar_int, sql_literal

if TYPE_CHECKING:  # `map` reads `reloaded_since` and need not import dlt's pipeline
    import dlt

RELOADS = f"{FRAMEWORK_SCHEMA}.extract_reloads"
ALL = "all"

_DDL = f"""CREATE TABLE IF NOT EXISTS {RELOADS} (
    run_id VARCHAR NOT NULL, erp_table VARCHAR NOT NULL, table_name VARCHAR NOT NULL, rows_before BIGINT,
    rows_after BIGINT, rows_vanished BIGINT, load_id VARCHAR, started_at TIMESTAMP NOT NULL, done_at TIMESTAMP)"""

def resolve(profile: Profile, names: list[str]) -> list[TableSpec]:
    """The profile tables `--reload` names (ERP or erp_raw names, or `all`); an unknown name is a config error."""
    if any(n.strip().lower() == ALL for n in names):
        return list(profile.tables)
    by_name = {t.name: t for t in profile.tables} | {raw_name(t.name): t for t in profile.tables}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ConfigError(f"--reload {', '.join(unknown)}: profile '{profile.name}' extracts no such table",
                          hint=f"give --reload {ALL} or a table of the profile: "
                               + ", ".join(t.name for t in profile.tables))
    chosen: list[TableSpec] = []
    for name in names:
        if by_name[name] not in chosen:
            chosen.append(by_name[name])
    return chosen


@dataclass
class Reload:
    """The tables one extract reloads, and what their staged tables held before."""

    run_id: str
    tables: list[TableSpec]
    #: tables a stopped extract had begun to reload, reloaded again by this one
    resumed: list[str]
    #: erp_raw tables not staged when the reload began (dropped by a stopped reload): nothing to count against
    uncounted: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tables)


def start(con: duckdb.DuckDBPyConnection, pipeline: dlt.Pipeline, profile: Profile, requested: list[TableSpec],
          run: Run) -> Reload:
    """Record the reload, keep the staged keys, and drop the tables and their state (before the extract reads)."""
    con.execute(_DDL)
    unfinished = [str(r[0]) for r in con.execute(
        f"SELECT DISTINCT erp_table FROM {RELOADS} WHERE done_at IS NULL ORDER BY 1").fetchall()]
    by_name = {t.name: t for t in profile.tables}
    resumed = [by_name[n] for n in unfinished if n in by_name and by_name[n] not in requested]
    reload = Reload(run.run_id, [*requested, *resumed], [t.name for t in resumed])
    # a table the profile no longer lists has nothing to reload
    con.execute(f"UPDATE {RELOADS} SET done_at = now()::TIMESTAMP WHERE done_at IS NULL")
    if not reload:
        return reload
    staged = existing_tables(con, RAW_DATASET)
    for spec in reload.tables:
        name = raw_name(spec.name)
        before = None
        if name in staged:
            keys = ", ".join(quoted_raw_name(c) for c in spec.primary_key)
            # the keys staged now: rows missing after the reload vanished from the ERP
            con.execute(f'CREATE OR REPLACE TEMP TABLE "_reload_{name}" AS SELECT DISTINCT {keys} '
                        f'FROM {RAW_DATASET}."{name}"')
            before = scalar_int(con, f'SELECT count(*) FROM "_reload_{name}"')
        else:
            reload.uncounted.append(name)
        con.execute(f"INSERT INTO {RELOADS} (run_id, erp_table, table_name, rows_before, started_at) VALUES "
                    f"({sql_literal(run.run_id)}, {sql_literal(spec.name)}, {sql_literal(name)}, "
                    f"{sql_literal(before)}, now()::TIMESTAMP)")
    _drop(pipeline, reload.tables)
    return reload


def _drop(pipeline: dlt.Pipeline, tables: list[TableSpec]) -> None:
    from dlt.pipeline.exceptions import PipelineNeverRan, PipelineStepFailed
    from dlt.pipeline.helpers import pipeline_drop

    try:
        if not pipeline.default_schema_name:
            # no local state (first run, or a leftover package was dropped with it): the cursors to drop
            # are the ones dlt would restore from the staging file on its run
            pipeline.sync_destination()
        drop = pipeline_drop(pipeline, resources=[t.name for t in tables])
    except PipelineNeverRan:
        return  # nothing staged yet: the extract loads every table in full anyway
    if drop.is_empty:
        return
    try:
        drop()
    except PipelineStepFailed as exc:
        raise StagingError(f"dropping {', '.join(t.name for t in tables)} in the staging file failed in dlt's "
                           f"{exc.step} step: {exc.exception}",
                           hint="run the extract again: the reload is recorded and is done by the next extract") \
            from exc


def finish(con: duckdb.DuckDBPyConnection, reload: Reload, run: Run) -> dict[str, int]:
    """Count what vanished, mark the reload done and say so in the summary; returns erp_raw table → rows vanished."""
    if not reload:
        return {}
    row = con.execute(f"SELECT max(load_id) FROM {RAW_DATASET}._dlt_loads WHERE status = 0").fetchone() \
        if "_dlt_loads" in existing_tables(con, RAW_DATASET) else None
    load_id = str(row[0]) if row and row[0] is not None else None
    vanished: dict[str, int] = {}
    for spec in reload.tables:
        name = raw_name(spec.name)
        after = scalar_int(con, f'SELECT count(*) FROM {RAW_DATASET}."{name}"')
        gone = 0
        if f"_reload_{name}" in _temp_tables(con):
            # an equality anti join is a hash join: a million keys take a fraction of a second
            match = " AND ".join(f"r.{quoted_raw_name(c)} = b.{quoted_raw_name(c)}" for c in spec.primary_key)
            gone = scalar_int(con, f'SELECT count(*) FROM "_reload_{name}" b '
                                   f'ANTI JOIN {RAW_DATASET}."{name}" r ON {match}')
            con.execute(f'DROP TABLE "_reload_{name}"')
        vanished[name] = gone
        con.execute(f"UPDATE {RELOADS} SET rows_after = {after}, rows_vanished = {gone}, load_id = "
                    f"{sql_literal(load_id)}, done_at = now()::TIMESTAMP "
                    f"WHERE run_id = {sql_literal(reload.run_id)} AND erp_table = {sql_literal(spec.name)}")
    shown = ", ".join(f"{RAW_DATASET}.{name} ({vanished[name]:,} vanished)" for name in vanished)
    run.note(f"reloaded in full: {shown}; rows gone from the ERP are gone from {RAW_DATASET}, "
             "and the next `erpload map` removes them from erp")
    if reload.resumed:
        run.note(f"{', '.join(reload.resumed)}: reloaded again, because the extract that began reloading "
                 "was stopped before it finished")
    if uncounted := [n for n in reload.uncounted if n in vanished]:
        run.note(f"{', '.join(f'{RAW_DATASET}.{n}' for n in uncounted)} held nothing when the reload began, so no "
                 "vanished rows could be counted there; `erpload map` still removes from erp what is gone")
    return vanished


def _temp_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {str(r[0]) for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}


def reloaded_since(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """erp_raw table → the load of its newest finished reload (for `map`: rows may have vanished since)."""
    if "extract_reloads" not in existing_tables(con, FRAMEWORK_SCHEMA):
        return {}
    rows = con.execute(f"SELECT table_name, max(load_id) FROM {RELOADS} WHERE done_at IS NOT NULL "
                       "AND load_id IS NOT NULL GROUP BY ALL").fetchall()
    return {str(t): str(load) for t, load in rows}
