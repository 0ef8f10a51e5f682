"""`erpload datev …`: the DATEV target's own commands (declared in `target.py`, served by erpload's CLI).

`erpload datev check FILES…` reads each file the way DATEV's import would and says, per line and
column, what DATEV would refuse or misread (errors) and what it tolerates (warnings).
Exit codes: 0 no file has errors (warnings allowed) · 1 at least one file has errors ·
2 a path does not exist or holds no .csv file.

`erpload datev reconcile` proves the exported files against the ERP; `erpload datev corrections` lists
what export reversed or rebooked after the ERP changed a document.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from erpload.cli.help_format import WholeSentences
from erpload.cli.running import (
    EXIT_CONFIG,
    EXIT_FAILED,
    StagingOpt,
    command_settings,
    execute,
    guard,
    require_staging,
)
from erpload.errors import ConfigError
from erpload.runs import Run, TableResult
from erpload.settings import Settings
from erpload.staging import FRAMEWORK_SCHEMA, sql_literal
from erpload.wording import plural

if TYPE_CHECKING:  # the checker and reconcile are imported when they run: every other command starts faster
    from erpload.transforms.datev.findings import Finding, Report
    from erpload.transforms.datev.reconcile import Reconciliation

EXIT_OK, EXIT_ERRORS, EXIT_MISSING = 0, 1, 2
#: Findings printed per file unless --all is given; the rest are counted.
SHOWN_PER_FILE = 50
#: differences `datev reconcile` prints; the rest are counted
RECONCILE_LISTED = 40

datev_app = typer.Typer(cls=WholeSentences,
    help="Work with DATEV EXTF files (Buchungsstapel, Debitoren/Kreditoren, Kontenbeschriftungen, …).",
    no_args_is_help=True,
)

out = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160, highlight=False)


def _expand(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Files to check (a directory stands for its *.csv files) and the problems with the paths."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
            if not found:
                problems.append(f"{path}: the directory holds no .csv file")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: no such file")
    return files, problems


def _print_finding(finding: Finding, also: list[int] | None = None) -> None:
    colour = "red" if finding.severity == "error" else "yellow"
    value = f" [dim]{escape(repr(finding.value))}[/]" if finding.value else ""
    repeat = ""
    if also:
        listed = ", ".join(map(str, also[:5])) + (f" and {len(also) - 5} more" if len(also) > 5 else "")
        repeat = f" [dim](the same on line{'s' if len(also) > 1 else ''} {listed})[/]"
    out.print(f"  [{colour}]{finding.severity:<7}[/] {escape(finding.where)}{value}: {escape(finding.message)}{repeat}")


def _grouped(findings: list[Finding]) -> list[tuple[Finding, list[int]]]:
    """One entry per kind of problem (severity, rule, column) with the other lines it occurs on.

    A systematic fault (every line's Kurs, a wrong Sachkontenlänge) is then one line of output.
    """
    groups: dict[tuple[str, str, int | None, str | None], tuple[Finding, list[int]]] = {}
    for finding in findings:
        if finding.line is None or finding.line <= 2:
            key: tuple[str, str, int | None, str | None] = (finding.severity, finding.rule, finding.column,
                                                             f"{finding.line}:{finding.message}")
        else:
            key = (finding.severity, finding.rule, finding.column, None)
        if key in groups:
            groups[key][1].append(finding.line or 0)
        else:
            groups[key] = (finding, [])
    return list(groups.values())


def _what(report: Report) -> str:
    what = report.format_name or "not an EXTF file"
    return what + (f" v{report.version}" if report.version is not None else "")


def _verdict(report: Report, *, named: bool) -> str:
    """The file's verdict; `named` puts the path in it (a file with findings has it in the heading above)."""
    counts = (f"{plural(report.rows, 'row')}, {plural(len(report.errors), 'error')}, "
              f"{plural(len(report.warnings), 'warning')}")
    mark = "[green]✓ ok[/]" if report.ok else "[red]✗ DATEV would reject or misread it[/]"
    if named:
        return f"{mark}  {escape(report.name)} ({escape(_what(report))}): {counts}"
    return f"{mark}: {counts}"


def _print_report(report: Report, show_all: bool) -> None:
    """A file without findings in one line; otherwise its path once, as the heading of its findings."""
    if not report.findings:
        out.print(_verdict(report, named=True))
        return
    out.print(f"[bold]{escape(report.name)}[/] ({escape(_what(report))})")
    # Errors before warnings (so the cap never hides an error), each in line order; file-level first.
    findings = sorted(report.findings, key=lambda f: (f.severity != "error", f.line or 0))
    entries = [(f, []) for f in findings] if show_all else _grouped(findings)
    shown = entries if show_all else entries[:SHOWN_PER_FILE]
    for finding, also in shown:
        _print_finding(finding, also)
    rest = len(entries) - len(shown)
    if rest:
        out.print(f"  … {plural(rest, 'more kind')} of finding (use --all to see every finding)")
    out.print(_verdict(report, named=False))


@datev_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(
        help="EXTF files to check, e.g. out/datev/*.csv; a directory means every .csv file in it.",
        metavar="FILES...", show_default=False)],
    show_all: Annotated[bool, typer.Option("--all", help=f"Print every finding, not only the first "
                                           f"{SHOWN_PER_FILE} per file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per file (a list) instead of "
                                          "text: file, format, rows, errors, warnings and every finding.")] = False,
) -> None:
    """Check DATEV EXTF files before they go to the tax adviser: will DATEV import them as meant?

    Checked: file name, Windows-1252 encoding, CR LF line ends, the 31 header fields and the heading line.

    Then every data line: field count, each field's type, length and pattern, and the rules tying fields together.

    Errors: DATEV would refuse or misread the file. Warnings: DATEV tolerates it (its own samples have some).

    Exit code 0 when no file has errors, 1 when at least one has, 2 when a path does not exist.
    """
    paths, problems = _expand(files)
    from erpload.transforms.datev.check import check_file

    # one file at a time, each report printed and dropped: checking a year of files keeps one in memory
    failed = 0
    as_dicts = []
    for number, path in enumerate(paths):
        report = check_file(path)
        failed += not report.ok
        if as_json:
            as_dicts.append(report.to_dict())
            continue
        if number:
            out.print()
        _print_report(report, show_all)
    if as_json:
        typer.echo(json.dumps(as_dicts, ensure_ascii=False, indent=2))
    elif len(paths) > 1:
        out.print(f"\n{plural(len(paths), 'file')} checked, {failed:,} with errors.")
    for problem in problems:
        err.print(f"[bold red]error:[/] {escape(problem)}")
    if problems:
        raise typer.Exit(EXIT_MISSING)
    raise typer.Exit(EXIT_ERRORS if failed else EXIT_OK)


def _reconcile_datev(settings: Settings, companies: list[str] | None, month: str | None) -> None:
    from erpload.staging import connect, ensure_framework_tables, table_exists
    from erpload.transforms.datev.export_folder import repair_folders
    from erpload.transforms.datev.reconcile import run_reconcile

    failed = False

    require_staging(settings)  # before the run: a failed run is recorded in the staging file it would create

    def body(run: Run) -> None:
        nonlocal failed
        with connect(settings.staging_path) as con:
            ensure_framework_tables(con)
            if not table_exists(con, FRAMEWORK_SCHEMA, "exports"):
                raise ConfigError("nothing was exported yet", hint="run `erpload export datev` first")
            repair_folders(con, run)  # a killed export's files and a stale manifest, set right first
            result = run_reconcile(con, companies, month)
        failed = not result.ok
        _print_reconciliation(result)
        run.add(TableResult(table="datev reconcile", loaded=result.cells, rejected=len(result.differences)))
        if not result.ok:
            run.fail(f"{len(result.differences)} differences, {len(result.problems)} file problems")

    execute("datev reconcile", settings, None, body)
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _print_reconciliation(result: Reconciliation) -> None:
    for problem in result.problems:
        out.print(f"[red]file:[/] {escape(problem)}", highlight=False)
    if result.differences:
        table = Table(title="differences: the files against the ERP's posted ledger (document currency)",
                      title_justify="left")
        for name in ("company", "month", "account", "currency", "in files", "in ERP", "documents (files - ERP)"):
            table.add_column(name, justify="right" if name.startswith("in ") else "left")
        for d in result.differences[:RECONCILE_LISTED]:
            shown = ", ".join(d.documents[:5]) + (f" and {len(d.documents) - 5} more" if len(d.documents) > 5 else "")
            table.add_row(d.company, d.month, d.account, d.currency, d.in_files, d.in_erp, shown)
        out.print(table)
        if len(result.differences) > RECONCILE_LISTED:
            out.print(f"... and {len(result.differences) - RECONCILE_LISTED:,} more differences")
    verdict = "[green]reconciled[/]" if result.ok else "[red]NOT reconciled[/]"
    out.print(f"{verdict}: {result.files:,} files ({result.rows:,} rows) against the ERP's posted ledger, "
              f"{result.cells:,} account x month x currency balances, {len(result.differences):,} differ",
              highlight=False)
    if result.held_documents:
        out.print(f"[yellow]note:[/] {result.held_documents:,} documents (gross {result.held_total}) are held back by "
                  "the last `erpload transform datev` and compared on neither side: their reasons are in "
                  "erpload.rejects", highlight=False)


@datev_app.command("reconcile")
def datev_reconcile(
    staging: StagingOpt = None,
    company: Annotated[list[str] | None, typer.Option(help="Only this company code (repeatable).")] = None,
    period: Annotated[str | None, typer.Option(help="Only this month, YYYY-MM.")] = None,
) -> None:
    """Prove the exported Buchungsstapel files against the ERP: every file on record is read back and summed per
    company, month, account and currency (Generalumkehr rows as reversals), and compared to the ERP's posted
    ledger to the cent. Exit 0 when they agree, 1 naming each account and document that differs."""
    settings = command_settings(staging=staging)
    if period:
        try:
            datetime.strptime(period, "%Y-%m")
        except ValueError:
            err.print(f"[bold red]error:[/] period '{escape(period)}' is not a month\n  fix: give it as YYYY-MM")
            raise typer.Exit(EXIT_CONFIG) from None
    guard(lambda: _reconcile_datev(settings, company, period))


@datev_app.command("corrections")
def datev_corrections(
    staging: StagingOpt = None,
    company: Annotated[list[str] | None, typer.Option(help="Only this company code (repeatable).")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many, newest first.")] = 50,
) -> None:
    """Per document: what export datev reversed, rebooked or reported after the ERP changed or cancelled it
    (erpload.datev_corrections)."""
    settings = command_settings(staging=staging)

    def show() -> None:
        from erpload.staging import connect, table_exists

        require_staging(settings)
        with connect(settings.staging_path, read_only=True) as con:
            if not table_exists(con, FRAMEWORK_SCHEMA, "datev_corrections"):
                out.print("no corrections: nothing exported has changed in the ERP")
                return
            only = f"WHERE company_code IN ({', '.join(map(sql_literal, company))})" if company else ""
            rows = con.execute(f"""SELECT strftime(created_at, '%Y-%m-%d %H:%M'), company_code, record_key, action,
                                          concat_ws(' ', strftime(old_date, '%d.%m.%Y'), old_amount, old_accounts),
                                          coalesce(nullif(concat_ws(' ', strftime(new_date, '%d.%m.%Y'), new_amount,
                                                                    new_accounts), ''), 'not booked'),
                                          coalesce(file_name, '')
                                   FROM {FRAMEWORK_SCHEMA}.datev_corrections {only}
                                   ORDER BY created_at DESC, record_key LIMIT {int(limit)}""").fetchall()
        if not rows:
            out.print("no corrections: nothing exported has changed in the ERP")
            return
        table = Table(title="DATEV corrections, newest first (date, amount of Konto, Konto/Gegenkonto)",
                      title_justify="left")
        for name in ("when", "company", "document", "action", "exported", "ERP now", "file"):
            table.add_column(name, overflow="fold")
        for row in rows:
            table.add_row(*map(str, row))
        out.print(table)

    guard(show)

