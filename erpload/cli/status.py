"""`erpload status`: the last runs from erpload.runs, one line each; `--detail` adds their tables.

A run's line says what ran, when, how long it took (finished minus started), its totals and its outcome: ok,
set aside (finished with records in erpload.rejects), failed or interrupted. A push counts what it sent, left
unchanged, had refused and had fail at the vendor; every other command what it loaded, left unchanged,
rejected and deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console

from erpload.errors import ConfigError
from erpload.rejects import TOP_REASONS, current_reason_codes
from erpload.runs import TableResult, recorded_tables
from erpload.staging import FRAMEWORK_SCHEMA, connect, table_exists
from erpload.wording import plural

#: a failure message on a run's line is cut to this many characters (`--detail` shows it whole)
MESSAGE_CHARS = 100
GAP = "  "


@dataclass(frozen=True)
class RunLine:
    run_id: str
    command: str
    profile: str
    started: datetime
    seconds: float
    loaded: int
    sent: int
    rejected: int
    failed: int
    status: str
    message: str

    @property
    def is_push(self) -> bool:
        return self.command.startswith("push")

    @property
    def outcome(self) -> str:
        if self.status == "interrupted" or (self.status == "failed" and self.message in ("interrupted",
                                                                                          "terminated")):
            return "interrupted"
        if self.status != "ok" or self.failed:
            return "failed"
        return "set aside" if self.rejected else "ok"


def print_status(staging_path: Path, last_runs: int, console: Console, *, detail: bool = False) -> None:
    if not staging_path.exists():
        raise ConfigError(f"there is no staging file at {staging_path}",
                          hint="run this in the project's folder, give --staging, or run `erpload run` "
                               "(or `erpload demo`) first")
    with connect(staging_path, read_only=True) as con:
        if not table_exists(con, FRAMEWORK_SCHEMA, "runs"):
            console.print("No runs recorded yet: run `erpload demo` or `erpload run`.")
            return
        runs = [RunLine(*row) for row in con.execute(f"""
            SELECT run_id, any_value(command), coalesce(any_value(profile), ''), min(started_at),
                   epoch(max(finished_at)) - epoch(min(started_at)),
                   sum(loaded), sum(sent), sum(rejected), sum(failed), any_value(status),
                   coalesce(any_value(message), '')
            FROM {FRAMEWORK_SCHEMA}.runs GROUP BY run_id
            ORDER BY max(finished_at) DESC, run_id DESC LIMIT {int(last_runs)}""").fetchall()]
        tables = recorded_tables(con, [r.run_id for r in runs]) if detail else {}
        set_aside_now = current_reason_codes(con)
    console.print(f"Last {len(runs)} runs in {staging_path.name}, newest first (started in UTC):", highlight=False)
    lines = run_lines(runs, detail=detail, tables=tables)
    console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)
    if set_aside_now:
        total = sum(n for _, n in set_aside_now)
        shown = ", ".join(f"{code} {n:,}" for code, n in set_aside_now[:TOP_REASONS])
        more = f" and {len(set_aside_now) - TOP_REASONS} more reasons" if len(set_aside_now) > TOP_REASONS else ""
        console.print(f"set aside now: {total:,} rejects in current_rejects, by reason code: {shown}{more}; each "
                      f"with its record, reason and fix, e.g.\n  duckdb {staging_path.name} \"select target, entity, "
                      "reason_code, count(*) from current_rejects group by all order by 4 desc\"",
                      highlight=False, markup=False, soft_wrap=True)
    set_aside = [r for r in runs if r.outcome == "set aside"]
    if set_aside:
        # rejects keeps every run's (a rerun writes its own): one run's are its verdicts then
        console.print(f"the records a run set aside, then: duckdb {staging_path.name} \"select entity, reason_code, "
                      f"count(*) from rejects where run_id = '{set_aside[0].run_id}' group by all\"",
                      highlight=False, markup=False, soft_wrap=True)




def run_lines(runs: list[RunLine], *, detail: bool, tables: dict[str, list[TableResult]]) -> list[str]:
    """One line per run (columns as wide as their widest value), its failure under it, its tables in detail."""
    header = ("run", "command", "profile", "started", "took", "loaded", "sent", "rejected", "failed", "outcome")
    rows = [(r.run_id, r.command, r.profile, r.started.strftime("%Y-%m-%d %H:%M"), _duration(r.seconds),
             "" if r.is_push else f"{r.loaded:,}", f"{r.sent:,}" if r.is_push else "", f"{r.rejected:,}",
             f"{r.failed:,}" if r.is_push else "", r.outcome) for r in runs]
    right = {"took", "loaded", "sent", "rejected", "failed"}
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = [_join(header, widths, header, right)]
    for run, row in zip(runs, rows, strict=True):
        lines.append(_join(row, widths, header, right))
        message = run.message or (f"{plural(run.failed, 'record')} failed at the vendor; push again to resend them"
                                  if run.failed else "")
        if message and run.outcome != "ok":
            text = message if detail else _shorten(message)
            lines.extend(" " * 4 + part for part in text.splitlines())
        if detail:
            lines.extend(" " * 4 + line for line in _table_lines(run, tables.get(run.run_id, [])))
            lines.append("")
    return lines


def _table_lines(run: RunLine, tables: list[TableResult]) -> list[str]:
    if not tables:
        return []
    counts = ("sent", "unchanged", "refused", "failed") if run.is_push else ("loaded", "unchanged", "rejected",
                                                                               "deleted")
    field = {"refused": "rejected"}
    timed = any(t.duration_s is not None for t in tables)  # extract and push time the run, not each table
    cursors = any(t.cursor for t in tables)
    header = ("table", *counts, *(("cursor",) if cursors else ()), *(("s",) if timed else ()))
    rows = [(t.table, *(f"{getattr(t, field.get(c, c)):,}" for c in counts), *((t.cursor or '',) if cursors else ()),
             *(("" if t.duration_s is None else f"{t.duration_s:.2f}",) if timed else ())) for t in tables]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    right = {*counts, "s"}
    return [_join(header, widths, header, right), *(_join(row, widths, header, right) for row in rows)]


def _join(row: tuple[str, ...], widths: list[int], header: tuple[str, ...], right: set[str]) -> str:
    cells = (c.rjust(w) if name in right else c.ljust(w) for c, w, name in zip(row, widths, header, strict=True))
    return GAP.join(cells).rstrip()


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def _shorten(message: str) -> str:
    """The first line of a failure message (its fix follows on the next), cut to fit one line."""
    first = message.splitlines()[0] if message.strip() else message
    return first if len(first) <= MESSAGE_CHARS else first[:MESSAGE_CHARS - 1].rstrip() + "…"
