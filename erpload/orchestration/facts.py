"""What a stage left in the staging file, read read-only for an orchestrator's metadata: the run's rows in
erpload.runs, what is set aside now (current_rejects) and the push ledger's states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from erpload.push.ledger import LEDGER
from erpload.rejects import TOP_REASONS, current_reason_codes
from erpload.runs import TableResult, recorded_tables
from erpload.staging import FRAMEWORK_SCHEMA, existing_tables, existing_views, sql_literal


@dataclass(frozen=True)
class RunSummary:
    """One run as erpload.runs holds it."""

    run_id: str
    status: str
    message: str | None
    seconds: float
    tables: tuple[TableResult, ...]

    def total(self, column: str) -> int:
        return sum(int(getattr(row, column)) for row in self.tables)


@dataclass(frozen=True)
class Rejects:
    """What current_rejects holds for one target: the count and the most frequent reason codes."""

    count: int
    top_reasons: tuple[tuple[str, int], ...]


def latest_run(con: duckdb.DuckDBPyConnection, command: str, since: datetime) -> RunSummary | None:
    """The newest run of `command` started at or after `since`; None if there is none."""
    if "runs" not in existing_tables(con, FRAMEWORK_SCHEMA):
        return None
    found = con.execute(f"""SELECT run_id FROM {FRAMEWORK_SCHEMA}.runs
                            WHERE command = {sql_literal(command)} AND started_at >= {sql_literal(since)}
                            ORDER BY started_at DESC, run_id DESC LIMIT 1""").fetchone()
    if found is None:
        return None
    run_id = str(found[0])
    first = con.execute(f"""SELECT status, message, epoch(finished_at) - epoch(started_at)
                             FROM {FRAMEWORK_SCHEMA}.runs WHERE run_id = {sql_literal(run_id)}
                             ORDER BY table_name LIMIT 1""").fetchone()
    assert first is not None  # the run was found above
    tables = tuple(recorded_tables(con, [run_id]).get(run_id, []))
    return RunSummary(run_id=run_id, status=str(first[0]), message=first[1], seconds=float(first[2]), tables=tables)


def current_rejects(con: duckdb.DuckDBPyConnection, target: str) -> Rejects:
    """What is set aside now under `target` (erp_raw for extract, erp for map, a target's name)."""
    counts = current_reason_codes(con, target)
    return Rejects(sum(n for _, n in counts), tuple(counts[:TOP_REASONS]))


def ledger_states(con: duckdb.DuckDBPyConnection, target: str) -> dict[str, int]:
    """Records per ledger state (pending, sent, acknowledged, failed, unknown) for one target."""
    if LEDGER.split(".")[-1] not in existing_views(con, FRAMEWORK_SCHEMA):
        return {}
    rows = con.execute(f"""SELECT state, count(*) FROM {LEDGER}
                           WHERE target = {sql_literal(target)} GROUP BY ALL ORDER BY 1""").fetchall()
    return {str(state): int(n) for state, n in rows}


def companies(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """The company codes in the canonical erp.companies; None before `map` wrote it."""
    if "companies" not in existing_tables(con, "erp"):
        return None
    return [str(r[0]) for r in con.execute("SELECT company_code FROM erp.companies ORDER BY 1").fetchall()]


def has_rows_of(con: duckdb.DuckDBPyConnection, dataset: str, company: str) -> bool | None:
    """Whether a table of `dataset` (a target's) holds rows of `company`; None if none has a company_code."""
    tables = [str(r[0]) for r in con.execute(
        f"SELECT DISTINCT table_name FROM duckdb_columns() WHERE schema_name = {sql_literal(dataset)} "
        "AND column_name = 'company_code' AND database_name = current_database() ORDER BY 1").fetchall()]
    if not tables:
        return None
    found = " UNION ALL ".join(f'SELECT 1 FROM {dataset}."{t}" WHERE company_code = {sql_literal(company)}'
                               for t in tables)
    return con.execute(f"SELECT EXISTS ({found})").fetchone() == (True,)


def exported_periods(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """Files an export run wrote, per period start (`exports`, kept by a files target's export)."""
    if "exports" not in existing_tables(con, FRAMEWORK_SCHEMA):
        return {}
    rows = con.execute(f"""SELECT coalesce(strftime(period_start, '%Y-%m'), '(master data)'), count(*)
                           FROM {FRAMEWORK_SCHEMA}.exports WHERE run_id = {sql_literal(run_id)}
                           GROUP BY ALL ORDER BY 1""").fetchall()
    return {str(period): int(n) for period, n in rows}
