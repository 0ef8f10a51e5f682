"""`erpload datev …`: commands that work on DATEV EXTF files themselves, whoever wrote them.

`erpload datev check FILES…` reads each file the way DATEV's import would and says, per line and
column, what DATEV would refuse or misread (errors) and what it tolerates (warnings).
Exit codes: 0 no file has errors (warnings allowed) · 1 at least one file has errors ·
2 a path does not exist or holds no .csv file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:  # the checker is imported when a check runs: every other command starts faster
    from transforms.datev.findings import Finding, Report

EXIT_OK, EXIT_ERRORS, EXIT_MISSING = 0, 1, 2
#: Findings printed per file unless --all is given; the rest are counted.
SHOWN_PER_FILE = 50

datev_app = typer.Typer(
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


def _verdict(report: Report) -> str:
    what = report.format_name or "not an EXTF file"
    if report.version is not None:
        what += f" v{report.version}"
    errors, warnings = len(report.errors), len(report.warnings)
    counts = (f"{report.rows} rows, {errors} error{'s' if errors != 1 else ''}, "
              f"{warnings} warning{'s' if warnings != 1 else ''}")
    mark = "[green]✓ ok[/]" if report.ok else "[red]✗ DATEV would reject or misread it[/]"
    return f"{mark}  {escape(report.name)} ({escape(what)}): {counts}"


def _print_report(report: Report, show_all: bool) -> None:
    out.print(f"[bold]{escape(report.name)}[/]")
    # Errors before warnings (so the cap never hides an error), each in line order; file-level first.
    findings = sorted(report.findings, key=lambda f: (f.severity != "error", f.line or 0))
    entries = [(f, []) for f in findings] if show_all else _grouped(findings)
    shown = entries if show_all else entries[:SHOWN_PER_FILE]
    for finding, also in shown:
        _print_finding(finding, also)
    rest = len(entries) - len(shown)
    if rest:
        out.print(f"  … {rest} more kind{'s' if rest != 1 else ''} of finding (use --all to see every finding)")
    out.print(_verdict(report))


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
    from transforms.datev.check import check_file

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
        out.print(f"\n{len(paths)} files checked, {failed} with errors.")
    for problem in problems:
        err.print(f"[bold red]error:[/] {escape(problem)}")
    if problems:
        raise typer.Exit(EXIT_MISSING)
    raise typer.Exit(EXIT_ERRORS if failed else EXIT_OK)
