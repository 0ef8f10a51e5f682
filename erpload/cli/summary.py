"""The summary at the end of a run: a table whose columns fit the command, its unit named, and the top reasons
when the run set records aside.

`erpload.runs` keeps every count of every run (a table users query); the summary shows the counts that mean
something for the kind of command, under names that say what they count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from erpload.errors import StagingError
from erpload.rejects import TOP_REASONS
from erpload.runs import Run, TableResult
from erpload.staging import FRAMEWORK_SCHEMA, connect, scalar_int, sql_literal


@dataclass(frozen=True)
class Column:
    """One column of a summary: a `TableResult` field under a header saying what it counts."""

    field: str
    header: str
    #: shown even when every table holds 0 or nothing for it
    always: bool = True


@dataclass(frozen=True)
class Kind:
    """The summary of one kind of command: its columns in order, and the unit its counts are in."""

    columns: tuple[Column, ...]
    unit: str


_SECONDS = Column("duration_s", "s")
_DELETED = Column("deleted", "deleted", always=False)
_REJECTED = Column("rejected", "rejected")

#: by the command's first word; a command not listed shows every count that is not 0 everywhere
KINDS: dict[str, Kind] = {
    "extract": Kind((Column("loaded", "loaded"), Column("unchanged", "unchanged"), _REJECTED, _DELETED,
                     Column("cursor", "cursor", always=False), _SECONDS),
                    "counts are rows of each ERP table (loaded: new or changed since the last extract)"),
    "map": Kind((Column("loaded", "new or changed"), Column("unchanged", "unchanged"), _REJECTED, _DELETED,
                 _SECONDS),
                "counts are records of each canonical entity"),
    "transform": Kind((Column("loaded", "new or changed"), Column("unchanged", "unchanged"), _REJECTED, _DELETED,
                       _SECONDS),
                      "counts are records of each table of the target's dataset (a document with its lines is one "
                      "record)"),
    "export": Kind((Column("loaded", "written"), Column("unchanged", "unchanged"),
                    Column("rejected", "reported", always=False), _SECONDS),
                   "counts are records: a document counts once however many lines its file holds (erpload.exports "
                   "lists each file with its lines)"),
    "push": Kind((Column("sent", "sent"), Column("unchanged", "unchanged"), Column("rejected", "refused"),
                  Column("failed", "failed"), _SECONDS),
                 "counts are records (of a target that asks the vendor to do work: its calls)"),
}

_COUNTS = ("loaded", "sent", "unchanged", "rejected", "deleted", "failed")


def kind_of(run: Run) -> Kind:
    """The summary kind of `run`'s command; an unlisted command's columns are the counts its tables hold."""
    kind = KINDS.get(run.command.split()[0])
    if kind is not None:
        return kind
    return Kind((*(Column(c, c, always=False) for c in _COUNTS), _SECONDS), "")


def columns(run: Run) -> list[Column]:
    """The columns `run`'s summary shows: its kind's, less those no table holds a value for."""
    return [c for c in kind_of(run).columns if c.always or any(_held(r, c.field) for r in run.results)]


def _held(result: TableResult, name: str) -> bool:
    value = getattr(result, name)
    return value is not None and value != 0


def _cell(result: TableResult, column: Column) -> str:
    value = getattr(result, column.field)
    if value is None:
        return ""
    if column.field == "duration_s":
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_summary(run: Run, out: Console) -> None:
    """The run's tables under the columns that fit its command, then its total and its notes."""
    shown = columns(run)
    table = Table(title=f"erpload {run.command} · run {run.run_id}" + (f" · profile {run.profile}"
                                                                        if run.profile else ""),
                  title_justify="left")
    table.add_column("table")
    for column in shown:
        table.add_column(column.header, justify="left" if column.field == "cursor" else "right")
    for r in run.results:
        table.add_row(escape(r.table), *(_cell(r, c) for c in shown))
    total = run.totals
    total.duration_s = run.duration_s
    table.add_row("[bold]total[/]", *("" if c.field == "cursor" else _cell(total, c) for c in shown))
    out.print(table)
    if unit := kind_of(run).unit:
        out.print(f"[dim]{escape(unit)}[/]", highlight=False)
    for note in run.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


# --- the top reasons a run set records aside for ---



def masked(column: str) -> str:
    """SQL: the text in `column` with what varies from record to record masked: quoted values (a quote after a
    letter is an apostrophe), then every word holding a digit (RE-2025-000022, 1843,07, U+2615)."""
    quoted = rf"""regexp_replace({column}, '(^|[^[:alpha:]])(''[^'']*''|"[^"]*")', '\1…', 'g')"""
    return rf"""regexp_replace({quoted}, '\S*[0-9]\S*', 'N', 'g')"""


#: a stable key for a reject without a `reason_code` (written before rejects had one): its fix, which names the
#: rule's remedy and rarely the value (reasons often name the record, its company or its value), else its reason;
#: both masked
STABLE_KEY = f"coalesce({masked('fix')}, {masked('reason')})"


@dataclass(frozen=True)
class Reason:
    """One group of a run's rejects: its rows, where, one example's reason and its fix."""

    rows: int
    where: str
    reason: str
    fix: str | None


def top_reasons(staging_path: Path, run_id: str, limit: int = TOP_REASONS) -> tuple[list[Reason], int]:
    """The run's most frequent reasons (grouped by `reason_code` where the rejects table has it, else by
    `STABLE_KEY`), and how many rows the run wrote to rejects.

    Counted in rows of rejects: one per check a record failed, for each line of a document that has lines
    (the summary's `rejected` counts records, a document with its lines once)."""
    with connect(staging_path, read_only=True) as con:
        has_code = scalar_int(con, "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
                              f"AND schema_name = {sql_literal(FRAMEWORK_SCHEMA)} AND table_name = 'rejects' "
                              "AND column_name = 'reason_code'") > 0
        key = f"coalesce(reason_code, {STABLE_KEY})" if has_code else STABLE_KEY
        this_run = f"FROM {FRAMEWORK_SCHEMA}.rejects WHERE run_id = {sql_literal(run_id)}"
        found = con.execute(f"""
            SELECT count(*), target || '.' || entity, first(reason ORDER BY record_key, reason),
                   first(fix ORDER BY record_key, reason)
            {this_run} GROUP BY target, entity, {key} ORDER BY 1 DESC, 2, 3 LIMIT {int(limit)}""").fetchall()
        rows = scalar_int(con, f"SELECT count(*) {this_run}")
    return [Reason(int(r[0]), str(r[1]), str(r[2]), None if r[3] is None else str(r[3])) for r in found], rows


def print_top_reasons(run: Run, staging_path: Path, out: Console) -> None:
    """After a run that set records aside: its top reasons, one example's fix each, and where the rest are."""
    try:
        reasons, rows = top_reasons(staging_path, run.run_id)
    except StagingError:
        return  # the summary said what the run did; the reasons are in the rejects table
    if not reasons:
        return
    records = run.totals.rejected
    what = f"the {_counted(records, 'record')} set aside" if records else "what the vendor refused"
    if rows != records:
        what += (f" (rejects has {_counted(rows, 'row')} for them: one per check failed, for each line of a "
                 "document)")
    table = Table(title=f"top reasons for {what}", title_justify="left", box=box.SIMPLE, show_edge=False)
    for name, justify in (("rows", "right"), ("where", "left"), ("reason (an example)", "left"), ("fix", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for reason in reasons:
        table.add_row(f"{reason.rows:,}", escape(reason.where), escape(reason.reason), escape(reason.fix or ""))
    out.print(table)
    out.print(f"  all of them: select * from rejects where run_id = '{run.run_id}'", highlight=False,
              soft_wrap=True)


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
