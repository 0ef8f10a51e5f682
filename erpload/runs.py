"""The run framework: one row per run and table in `erpload.runs`, a summary at the end of every command."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from erpload.redact import might_hold_secret_sql, redact, redact_sql
from erpload.staging import FRAMEWORK_SCHEMA, connect, ensure_framework_tables, sql_literal


def new_run_id() -> str:
    """Sortable and unique: UTC time plus a random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


@dataclass
class TableResult:
    """What one command did to one table."""

    table: str
    loaded: int = 0
    unchanged: int = 0
    rejected: int = 0
    deleted: int = 0
    sent: int = 0
    failed: int = 0
    cursor: str | None = None
    duration_s: float | None = None  # None where the step does not time tables one by one
    load_id: str | None = None  # the dlt load that wrote this table's rows (extract)


@dataclass
class Run:
    """One command's run: collects per-table results and records them in staging."""

    command: str
    profile: str | None
    run_id: str = field(default_factory=new_run_id)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    results: list[TableResult] = field(default_factory=list)
    status: str = "ok"
    message: str | None = None
    #: warnings for the summary (text cut to fit, characters transliterated, ...)
    notes: list[str] = field(default_factory=list)
    #: told of each result as it is added (a progress line counts the steps done)
    watchers: list[Callable[[TableResult], None]] = field(default_factory=list, repr=False)
    _t0: float = field(default_factory=time.perf_counter)

    @property
    def duration_s(self) -> float:
        return time.perf_counter() - self._t0

    def add(self, result: TableResult) -> None:
        self.results.append(result)
        for watcher in self.watchers:
            watcher(result)

    def add_timed(self, step: Callable[[], TableResult]) -> TableResult:
        """Run the step that works on one table, and add its result with the seconds it took."""
        started = time.perf_counter()
        result = step()
        if result.duration_s is None:
            result.duration_s = time.perf_counter() - started
        self.add(result)
        return result

    def note(self, message: str) -> None:
        self.notes.append(redact(message))

    def fail(self, message: str) -> None:
        self.status = "failed"
        self.message = redact(message)

    def interrupt(self, signal_name: str) -> None:
        """A signal stopped the run at a safe point (its results are what it did until then)."""
        self.status = "interrupted"
        self.message = f"stopped by {signal_name} after {self.duration_s:.1f} s"

    def record(self, con: duckdb.DuckDBPyConnection) -> None:
        """Write this run's rows into erpload.runs (a failed run writes a row too)."""
        ensure_framework_tables(con)
        finished = datetime.now(UTC).replace(tzinfo=None)
        rows = self.results or [TableResult(table="*")]
        values = (
            (self.run_id, self.command, self.profile, r.table, self.status, r.loaded, r.unchanged, r.rejected,
             r.deleted, r.sent, r.failed, r.cursor, self.started_at, finished, r.duration_s,
             redact(self.message) if self.message else None,
             r.load_id)
            for r in rows
        )
        con.execute(f"INSERT INTO {FRAMEWORK_SCHEMA}.runs VALUES "
                    + ", ".join("(" + ", ".join(map(sql_literal, row)) + ")" for row in values))
        redact_rejects(con, self.run_id)

    def record_in(self, staging_path: Path) -> None:
        with connect(staging_path) as con:
            _end_unfinished_transaction(con)
            self.record(con)

    @property
    def totals(self) -> TableResult:
        total = TableResult(table="total")
        for r in self.results:
            total.loaded += r.loaded
            total.unchanged += r.unchanged
            total.rejected += r.rejected
            total.deleted += r.deleted
            total.sent += r.sent
            total.failed += r.failed
        return total


def recorded_tables(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> dict[str, list[TableResult]]:
    """The table rows `record` wrote for each of `run_ids` (not the run's '*' row), by table name."""
    if not run_ids:
        return {}
    tables: dict[str, list[TableResult]] = {}
    for run_id, *row in con.execute(f"""
            SELECT run_id, table_name, coalesce(loaded, 0), coalesce(unchanged, 0), coalesce(rejected, 0),
                   coalesce(deleted, 0), coalesce(sent, 0), coalesce(failed, 0), nullif(cursor, ''), duration_s
            FROM {FRAMEWORK_SCHEMA}.runs
            WHERE run_id IN ({', '.join(map(sql_literal, run_ids))}) AND table_name <> '*'
            ORDER BY table_name""").fetchall():
        tables.setdefault(str(run_id), []).append(TableResult(*row))
    return tables


#: the text columns of erpload.rejects a message can show in (`record` is the ERP's data as it is)
_REJECT_TEXT = ("value", "reason", "fix")


def redact_rejects(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Mask secrets in the rejects a run wrote, in bulk: every writer's reasons go through one redaction."""
    where = " OR ".join(might_hold_secret_sql(c) for c in _REJECT_TEXT)
    sets = ", ".join(f"{c} = {redact_sql(c)}" for c in _REJECT_TEXT)
    con.execute(f"UPDATE {FRAMEWORK_SCHEMA}.rejects SET {sets} WHERE run_id = {sql_literal(run_id)} AND ({where})")


def _end_unfinished_transaction(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back a transaction a failed or interrupted step left open on a connection `erpload run` holds: its
    work is unfinished, and the run's row written inside it would vanish with it when the connection closes."""
    with contextlib.suppress(duckdb.TransactionException):  # one is open: what it holds is not to be kept
        con.execute("BEGIN TRANSACTION")
    con.execute("ROLLBACK")
