"""How every erpload command runs: its settings, its runs recorded and summarised, its exit code, its signals.

`guard` runs a command; `execute` runs one step of it as a run recorded in erpload.runs. The target packages'
own commands (`erpload datev reconcile`, ...) use the same, so every command ends the same way.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.markup import escape

from erpload import interrupts, progress
from erpload.cli import summary
from erpload.errors import ConfigError, ErploadError, SourceError, StagingError
from erpload.exit_codes import ExitCode
from erpload.interrupts import Interrupted
from erpload.redact import redact, redact_warnings
from erpload.runs import Run
from erpload.settings import DEMO_ERP, Settings, load_settings

redact_warnings()  # a library's warning may quote a URL

# Wide enough for the summary table when output goes to a file or a CI log.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

EXIT_FAILED, EXIT_CONFIG, EXIT_SOURCE, EXIT_STAGING = ExitCode.FAILED, ExitCode.CONFIG, ExitCode.SOURCE, \
    ExitCode.STAGING
EXIT_DATA, EXIT_VENDOR = ExitCode.DATA, ExitCode.VENDOR


@dataclass
class CommandState:
    """What the runs of the command in progress did: how `guard` ends it and what it says when stopped."""

    #: runs that set records aside; the command then ends with EXIT_DATA
    set_aside: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    #: the run a signal stopped, as recorded
    stopped: list[str] = field(default_factory=list)
    #: where its runs are recorded
    settings: Settings | None = None


_command = CommandState()


def current() -> CommandState:
    """What the runs of the command in progress did so far."""
    return _command

StagingOpt = Annotated[Path | None, typer.Option("--staging", help="DuckDB staging file [erpload.staging; "
                                                  "default erpload.duckdb]")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", "-p", help="ERP profile name or .toml path "
                                                 "[erpload.profile; default demo]")]
ErpUrlOpt = Annotated[str | None, typer.Option("--erp-url", help="SQLAlchemy URL of the ERP database, or "
                                               f"'{DEMO_ERP}' for the embedded demo ERP [sources.erp.credentials; "
                                               "required]")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr (it shows only on a "
                                                           "terminal anyway).")]


def exit_code_of(exc: ErploadError) -> int:
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    if isinstance(exc, SourceError):
        return EXIT_SOURCE
    if isinstance(exc, StagingError):
        return EXIT_STAGING
    from erpload.push.http import VendorError

    if isinstance(exc, VendorError):
        return EXIT_VENDOR
    return EXIT_FAILED


def _record(run: Run, settings: Settings) -> bool:
    """Record the run in erpload.runs; False (having said why) when it could not be."""
    try:
        run.record_in(settings.staging_path)
    except StagingError as exc:
        err.print(f"[yellow]note:[/] this run could not be recorded in erpload.runs: {exc.message}")
        return False
    except duckdb.Error as exc:  # a file erpload did not make (its own `runs` table): say so, no traceback
        err.print(f"[yellow]note:[/] this run could not be recorded in {settings.staging_path}: "
                  f"{escape(redact(str(exc)).splitlines()[0])}; is it erpload's staging file? (--staging, "
                  "erpload.staging)", highlight=False)
        return False
    return True


def execute(command: str, settings: Settings, profile: str | None, body: Callable[[Run], None], *,
            steps: bool = False) -> Run:
    """Run `body`, then record and print the run; failures exit with a code and one clear message, a signal
    records the run as interrupted and ends the command (see `guard`). `steps`: a progress line on stderr
    counts the tables the run finishes (see erpload.progress)."""
    run = Run(command=command, profile=profile)
    _command.settings = settings
    try:
        with interrupts.handling(), progress.Steps(command, enabled=steps) as line:
            run.watchers.append(lambda result: line.finished(result.table))
            body(run)
    except Interrupted as stop:
        _stopped(command, run, settings, stop)
        raise
    except ErploadError as exc:
        run.fail(str(exc))
        if not isinstance(exc, StagingError):
            _record(run, settings)
        err.print(f"[bold red]erpload {command} failed:[/] {escape(exc.render())}", highlight=False)
        raise typer.Exit(exit_code_of(exc)) from None
    except Exception as exc:
        run.fail(f"{type(exc).__name__}: {exc}")
        _record(run, settings)
        err.print(redact(traceback.format_exc()), highlight=False, markup=False)
        err.print(f"[bold red]erpload {command} failed unexpectedly:[/] {escape(redact(str(exc)))}\n"
                  "  fix: this is a bug in erpload; please report it with the traceback above", highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    _record(run, settings)
    _command.finished.append(f"erpload {command}")
    print_summary(run)
    if run.totals.rejected:
        _command.set_aside.append(f"erpload {command}: {run.totals.rejected:,} records set aside")
    return run


#: what a command interrupted at its safe point leaves, by its first word
_KEPT = {
    "extract": "erp_raw keeps every load dlt completed; the next extract drops a load this run left unfinished "
               "and reads its rows again",
    "map": "map commits every entity in one transaction, so erp holds all of this run's changes or none",
    "transform": "the target's dataset and its rejects are committed in one transaction: all of this run's or none",
    "export": "a file appears only with its record in erpload.exports (the commit and the files go together)",
    "push": "every batch the vendor answered is in erpload.ledger; the next push settles batches left unconfirmed "
            "with the vendor first and sends only what it has not acknowledged",
}


def _stopped(command: str, run: Run, settings: Settings, stop: Interrupted) -> None:
    """A signal stopped `command` at a safe point: record the run as interrupted, show what it did."""
    run.interrupt(stop.name)
    try:
        recorded = _record(run, settings)
    except Interrupted:  # a second signal while recording: stop harder, the run row is left out
        err.print("note: this run was not recorded in erpload.runs (stopped again)")
        return
    if recorded:
        _command.stopped.append(f"erpload {command} is recorded in erpload.runs as run {run.run_id}, "
                                "status interrupted")
    if run.results or run.notes:
        print_summary(run)
    kept = _KEPT.get(command.split()[0], "nothing it wrote is half done")
    err.print(f"[bold yellow]erpload {command} {run.message}[/], at a safe point: {kept}", highlight=False,
              soft_wrap=True)


def print_summary(run: Run) -> None:
    """The run's summary on stdout; after one that set records aside, its top reasons."""
    summary.print_summary(run, out)
    settings = _command.settings
    if (run.totals.rejected or run.totals.failed) and settings is not None and settings.staging_path.exists():
        summary.print_top_reasons(run, settings.staging_path, out)


def command_settings(*, require_erp: bool = False, **kwargs: object) -> Settings:
    """Settings for a command; one that reads the ERP (`require_erp`) stops here, creating nothing, when none
    is configured."""
    try:
        settings = load_settings(**kwargs)  # type: ignore[arg-type]
        if require_erp:
            settings.require_erp()
        return settings
    except ErploadError as exc:
        err.print(f"[bold red]erpload: bad configuration:[/] {escape(exc.render())}", highlight=False)
        raise typer.Exit(exit_code_of(exc)) from None


def guard(fn: Callable[[], None], *, data_exit: bool = True) -> None:
    """Run a command: configuration errors raised before a run starts (e.g. an unknown profile) exit with their
    code; a command whose runs set records aside ends with EXIT_DATA (unless `data_exit` is off); Ctrl-C or
    SIGTERM (erpload.interrupts) end it with 130 / 143 after saying what was done and how to go on."""
    global _command
    _command = CommandState()
    try:
        with interrupts.handling():
            fn()
    except Interrupted as stop:
        _interrupted(stop)
        raise typer.Exit(stop.exit_code) from None
    except ErploadError as exc:
        err.print(f"[bold red]erpload:[/] {escape(exc.render())}", highlight=False)
        raise typer.Exit(exit_code_of(exc)) from None
    if _command.set_aside and data_exit:
        err.print(f"exit {int(EXIT_DATA)}: " + "; ".join(_command.set_aside)
                  + ": their reasons and fixes are in erpload.rejects", highlight=False)
        raise typer.Exit(EXIT_DATA)


def _interrupted(stop: Interrupted) -> None:
    """Say what a command a signal stopped did, and how to go on. Stopped between two steps (`run`, `demo`), it
    records a run of its own: every run leaves a row in erpload.runs."""
    command = _command_line()
    said = [f"finished before: {', '.join(_command.finished)}"] if _command.finished else []
    if not _command.stopped and _command.settings is not None:
        run = Run(command=command.removeprefix("erpload "), profile=None)
        run.interrupt(stop.name)
        run.message = f"stopped by {stop.name} between two steps"
        with contextlib.suppress(Interrupted):  # a second signal: stop harder, without the row
            if _record(run, _command.settings):
                _command.stopped.append(f"{command} is recorded in erpload.runs as run {run.run_id}, "
                                        "status interrupted")
    said += _command.stopped or ["nothing had started writing"]
    err.print(f"{command} stopped by {stop.name} (exit {stop.exit_code}); " + "; ".join(said)
              + f"\n  continue: run `{_as_typed(command)}` again; it picks up where this one stopped",
              highlight=False, markup=False, soft_wrap=True)


def _as_typed(command: str) -> str:
    """The command line as the user typed it, options included, when this process is erpload itself."""
    program = os.path.basename(sys.argv[0])
    if program in ("erpload", "__main__.py") and sys.argv[1:]:
        return shlex.join(["erpload", *sys.argv[1:]])
    return command


def _command_line() -> str:
    """The command being run as the user would type it, e.g. `erpload transform datev`."""
    from typer._click.globals import get_current_context  # typer 0.29 runs its own copy of click

    words: list[str] = []
    ctx = get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None:  # the root's name is the program's: erpload, python -m ...
        words.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["erpload", *words])



def require_staging(settings: Settings) -> None:
    """Commands that only read what earlier runs wrote: no staging file is a mistake, not an empty one to create."""
    if not settings.staging_path.exists():
        raise ConfigError(f"there is no staging file at {settings.staging_path}",
                          hint="run this in the project's folder, give --staging, or run `erpload run` first")

