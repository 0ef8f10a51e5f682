"""The `erpload` command line. Every command prints a summary and exits with a code scripts can trust
(`erpload.exit_codes`): 0 success · 1 the run failed · 2 bad configuration or profile, or a step to run first ·
3 ERP database unreachable · 4 staging file unusable · 5 finished, with records set aside in erpload.rejects ·
6 a vendor refused or failed · 7 records wait for a decision (`erpload ledger --state unknown`) ·
130 interrupted (Ctrl-C) · 143 terminated (SIGTERM).
"""

from __future__ import annotations

import erpload.startup  # noqa: F401  (first: a signal while the rest loads ends quietly)

# isort: split
import contextlib
import dataclasses
import os
import shlex
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from erpload import interrupts
from erpload.cli.datev import datev_app
from erpload.cli.fakes import fakes_app
from erpload.cli.ledger import ledger_app
from erpload.errors import ConfigError, ErploadError, SourceError, StagingError
from erpload.exit_codes import ExitCode
from erpload.interrupts import Interrupted
from erpload.profiles import load_profile
from erpload.redact import redact, redact_warnings
from erpload.runs import Run, TableResult
from erpload.settings import DEMO_ERP, Settings, load_settings
from erpload.staging import FRAMEWORK_SCHEMA, sql_literal

if TYPE_CHECKING:  # target packages are imported when their command runs: every command starts faster
    from transforms.datev.reconcile import Reconciliation

app = typer.Typer(
    help="Move ERP data into DATEV files and accounting APIs, staged in DuckDB. "
    "Start with `erpload demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # help texts show config keys in [brackets]: plain text, not rich markup that would swallow them
    rich_markup_mode=None,
)
demo_erp_app = typer.Typer(help="The embedded demo ERP (SQLite).", no_args_is_help=True)
app.add_typer(demo_erp_app, name="demo-erp")
app.add_typer(datev_app, name="datev", help="Check DATEV EXTF files before they go to the tax adviser.")
transform_app = typer.Typer(help="canonical erp → one target's dataset, validated; bad records to rejects.",
                            no_args_is_help=True)
app.add_typer(transform_app, name="transform")
export_app = typer.Typer(help="A target's dataset → files (DATEV EXTF).", no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(fakes_app, name="fakes")
app.add_typer(ledger_app, name="ledger")

redact_warnings()  # a library's warning may quote a URL

# Wide enough for the summary table when output goes to a file or a CI log.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

EXIT_FAILED, EXIT_CONFIG, EXIT_SOURCE, EXIT_STAGING = ExitCode.FAILED, ExitCode.CONFIG, ExitCode.SOURCE, \
    ExitCode.STAGING
EXIT_DATA, EXIT_VENDOR = ExitCode.DATA, ExitCode.VENDOR



@dataclass
class _Command:
    """What the runs of the command in progress did: how `_guard` ends it and what it says when stopped."""

    #: runs that set records aside; the command then ends with EXIT_DATA
    set_aside: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    #: the run a signal stopped, as recorded
    stopped: list[str] = field(default_factory=list)
    #: where its runs are recorded
    settings: Settings | None = None


_command = _Command()

StagingOpt = Annotated[Path | None, typer.Option("--staging", help="DuckDB staging file [erpload.staging; "
                                                  "default erpload.duckdb]")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", "-p", help="ERP profile name or .toml path "
                                                 "[erpload.profile; default demo]")]
ErpUrlOpt = Annotated[str | None, typer.Option("--erp-url", help="SQLAlchemy URL of the ERP database, or "
                                               f"'{DEMO_ERP}' for the embedded demo ERP [sources.erp.credentials; "
                                               "required]")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


def _exit_code(exc: ErploadError) -> int:
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


def _record(run: Run, settings: Settings) -> None:
    try:
        run.record_in(settings.staging_path)
    except StagingError as exc:
        err.print(f"[yellow]note:[/] this run could not be recorded in erpload.runs: {exc.message}")


def _execute(command: str, settings: Settings, profile: str | None, body: Callable[[Run], None]) -> Run:
    """Run `body`, then record and print the run; failures exit with a code and one clear message, a signal
    records the run as interrupted and ends the command (see `_guard`)."""
    run = Run(command=command, profile=profile)
    _command.settings = settings
    try:
        with interrupts.handling():
            body(run)
    except Interrupted as stop:
        _stopped(command, run, settings, stop)
        raise
    except ErploadError as exc:
        run.fail(str(exc))
        if not isinstance(exc, StagingError):
            _record(run, settings)
        err.print(f"[bold red]erpload {command} failed:[/] {escape(exc.render())}", highlight=False)
        raise typer.Exit(_exit_code(exc)) from None
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
        _record(run, settings)
    except Interrupted:  # a second signal while recording: stop harder, the run row is left out
        err.print("note: this run was not recorded in erpload.runs (stopped again)")
        return
    _command.stopped.append(f"erpload {command} is recorded in erpload.runs as run {run.run_id}, status interrupted")
    if run.results or run.notes:
        print_summary(run)
    kept = _KEPT.get(command.split()[0], "nothing it wrote is half done")
    err.print(f"[bold yellow]erpload {command} {run.message}[/], at a safe point: {kept}", highlight=False,
              soft_wrap=True)


def print_summary(run: Run) -> None:
    table = Table(title=f"erpload {run.command} · run {run.run_id}" + (f" · profile {run.profile}"
                                                                        if run.profile else ""),
                  title_justify="left")
    table.add_column("table")
    # a push sends and fails; the other commands load and delete
    counts = ("sent", "unchanged", "rejected", "failed") if run.command.startswith("push") \
        else ("loaded", "unchanged", "rejected", "deleted")
    for name in counts:
        table.add_column(name, justify="right")
    table.add_column("cursor")
    table.add_column("s", justify="right")
    for r in run.results:
        table.add_row(r.table, *(f"{getattr(r, c):,}" for c in counts), r.cursor or "",
                      "" if r.duration_s is None else f"{r.duration_s:.1f}")
    t = run.totals
    table.add_row("[bold]total[/]", *(f"{getattr(t, c):,}" for c in counts), "", f"{run.duration_s:.1f}")
    out.print(table)
    for note in run.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


def _ensure_demo_erp(settings: Settings, quiet: bool) -> None:
    """The demo ERP, asked for by name (`erpload demo`, or sources.erp.credentials = "demo"), is written when
    missing; any other ERP must exist."""
    settings.require_erp()
    if settings.uses_demo_erp and not settings.demo_erp_path.exists():
        from sources.demo_erp import create_demo_erp

        if not quiet:
            err.print(f"creating the demo ERP at {settings.demo_erp_path}")
        create_demo_erp(settings.demo_erp_path)


def _extract(settings: Settings, quiet: bool, reload: list[str] | None = None) -> None:
    from erpload.steps.extract import run_extract

    profile = load_profile(settings.profile)
    _ensure_demo_erp(settings, quiet)
    _execute("extract", settings, profile.name, lambda run: run_extract(settings, profile, run,
                                                                        show_progress=not quiet, reload=reload))


def _map(settings: Settings, full: bool = False) -> None:
    from erpload.steps.mapping import run_map
    from erpload.targets import check_profile_covers, configured_targets

    profile = load_profile(settings.profile)

    def body(run: Run) -> None:
        if settings.staging_path.exists():  # (without it run_map says to extract first, creating nothing)
            check_profile_covers(profile, configured_targets())  # before any work: a missing entity is a profile error
        unmapped = run_map(settings.staging_path, profile, run, full=full)
        if unmapped:
            err.print(f"note: profile '{profile.name}' does not map: {', '.join(unmapped)}")

    _execute("map", settings, profile.name, body)


STAGES = ("extract", "map", "transform", "export", "push")
#: an export writing more files than this lists them in one line (all of them are in manifest.json)
FILES_LISTED = 12
#: differences `datev reconcile` prints; the rest are counted
RECONCILE_LISTED = 40


def _all_stages(settings: Settings, quiet: bool, until: str = STAGES[-1]) -> None:
    """What `run` and `demo` do: every stage that exists, in order, up to and including `until`."""
    from erpload.staging import held_open
    from erpload.targets import configured_targets, contracts

    last = STAGES.index(until)
    targets = configured_targets()  # [erpload] targets: what this ERP feeds
    skipped = [t for t in contracts() if t not in targets]
    if skipped and last >= STAGES.index("transform"):
        err.print(f"note: {', '.join(skipped)} skipped: not in [erpload] targets ({', '.join(targets)})", markup=False)
    with held_open(settings.staging_path):
        _extract(settings, quiet)
        if last >= STAGES.index("map"):
            _map(settings)
        if last >= STAGES.index("transform"):
            if "datev" in targets:
                _transform_datev(settings)
            if "dvelop" in targets:
                _transform_dvelop(settings)
        if last >= STAGES.index("export") and "datev" in targets:
            _export_datev(settings, None, None, None, None, dry_run=False)
        if last >= STAGES.index("push") and "dvelop" in targets:
            _push_configured(settings, quiet)


def _push_configured(settings: Settings, quiet: bool) -> None:
    """Push to every vendor that is configured; say which are not."""
    from destinations.dvelop.config import dvelop_configured

    if dvelop_configured():
        _push_dvelop(settings, None, None, None, dry_run=False, quiet=quiet)
    else:
        err.print("note: push dvelop skipped: [destination.dvelop] base_url, bucket_id and api_key are not set "
                  "(`erpload demo` pushes to a local fake)")


@contextmanager
def _demo_fakes() -> Iterator[str]:
    """The vendor fakes on loopback for the demo, and this process's configuration pointed at them."""
    from fakes.dvelop import DEMO_API_KEY, DvelopFake
    from fakes.serving import serve_in_thread

    with serve_in_thread(DvelopFake(DEMO_API_KEY).app) as base_url:
        demo_env = {"DESTINATION__DVELOP__BASE_URL": base_url, "DESTINATION__DVELOP__BUCKET_ID": "demo",
                    "DESTINATION__DVELOP__API_KEY": DEMO_API_KEY, "DESTINATION__DVELOP__POLL_INTERVAL_S": "0.05"}
        saved = {name: os.environ.get(name) for name in demo_env}
        os.environ.update(demo_env)
        try:
            yield base_url
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _settings(*, require_erp: bool = False, **kwargs: object) -> Settings:
    """Settings for a command; one that reads the ERP (`require_erp`) stops here, creating nothing, when none
    is configured."""
    try:
        settings = load_settings(**kwargs)  # type: ignore[arg-type]
        if require_erp:
            settings.require_erp()
        return settings
    except ErploadError as exc:
        err.print(f"[bold red]erpload: bad configuration:[/] {escape(exc.render())}", highlight=False)
        raise typer.Exit(_exit_code(exc)) from None


def _guard(fn: Callable[[], None], *, data_exit: bool = True) -> None:
    """Run a command: configuration errors raised before a run starts (e.g. an unknown profile) exit with their
    code; a command whose runs set records aside ends with EXIT_DATA (unless `data_exit` is off); Ctrl-C or
    SIGTERM (erpload.interrupts) end it with 130 / 143 after saying what was done and how to go on."""
    global _command
    _command = _Command()
    try:
        with interrupts.handling():
            fn()
    except Interrupted as stop:
        _interrupted(stop)
        raise typer.Exit(stop.exit_code) from None
    except ErploadError as exc:
        err.print(f"[bold red]erpload:[/] {escape(exc.render())}", highlight=False)
        raise typer.Exit(_exit_code(exc)) from None
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
            _record(run, _command.settings)
            _command.stopped.append(f"{command} is recorded in erpload.runs as run {run.run_id}, status interrupted")
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


@app.command()
def extract(staging: StagingOpt = None, profile: ProfileOpt = None, erp_url: ErpUrlOpt = None,
            backend: Annotated[str | None, typer.Option(help="dlt sql backend: pyarrow (fast) or sqlalchemy")]
            = None, quiet: QuietOpt = False,
            reload: Annotated[list[str] | None, typer.Option(
                "--reload", metavar="TABLE", help="Drop this ERP table (as the profile names it, or its erp_raw "
                "name) and its cursor in the staging file and load it in full, so rows deleted in the ERP "
                "vanish; repeatable, or `all`. The next `erpload map` removes them from erp.")] = None) -> None:
    """ERP → DuckDB dataset erp_raw: incremental on each table's cursor, merged on its primary key."""
    settings = _settings(staging=staging, profile=profile, erp_url=erp_url, backend=backend, require_erp=True)
    _guard(lambda: _extract(settings, quiet, reload))


@app.command("map")
def map_(staging: StagingOpt = None, profile: ProfileOpt = None,
         full: Annotated[bool, typer.Option("--full", help="Recompute every entity in full (also finds rows "
                                                           "that vanished from the ERP) instead of only "
                                                           "the rows whose ERP inputs changed.")] = False) -> None:
    """erp_raw → canonical dataset erp, per the ERP's declarative profile; only changed rows move."""
    settings = _settings(staging=staging, profile=profile)
    _guard(lambda: _map(settings, full))


@app.command()
def run(staging: StagingOpt = None, profile: ProfileOpt = None, erp_url: ErpUrlOpt = None,
        quiet: QuietOpt = False,
        until: Annotated[str, typer.Option(help=f"Stop after this stage: {', '.join(STAGES)}.")] = STAGES[-1]) -> None:
    """Every stage in order: extract, map, transform (datev, dvelop), export datev, push (configured vendors)."""
    if until not in STAGES:
        err.print(f"erpload run: --until {until} is not a stage; use one of {', '.join(STAGES)}")
        raise typer.Exit(EXIT_CONFIG)
    settings = _settings(staging=staging, profile=profile, erp_url=erp_url, require_erp=True)
    _guard(lambda: _all_stages(settings, quiet, until))


@app.command()
def demo(staging: StagingOpt = None, quiet: QuietOpt = False) -> None:
    """Run every stage on the embedded demo ERP, pushing to the vendor fakes on loopback; then show where to look."""
    settings = _settings(staging=staging, profile="demo")
    if settings.erp_credentials not in (None, DEMO_ERP):
        err.print("note: `erpload demo` always reads the embedded demo ERP, not sources.erp.credentials")
    settings = dataclasses.replace(settings, erp_credentials=DEMO_ERP)

    def stages() -> None:
        from erpload.steps.demo_staging import refuse_foreign_staging

        refuse_foreign_staging(settings.staging_path)  # before anything opens (or creates) the file
        with _demo_fakes():
            _all_stages(settings, quiet)

    _guard(stages, data_exit=False)  # the demo ERP's faults are there on purpose: its rejects are the lesson
    if _command.set_aside:
        out.print(f"\n[yellow]note:[/] {'; '.join(_command.set_aside)} (the demo ERP has faults on purpose); "
                  f"`erpload run` on your ERP would end with exit {int(EXIT_DATA)}", highlight=False)
    db = settings.staging_path
    rel = db.relative_to(Path.cwd()) if db.is_relative_to(Path.cwd()) else db
    out.print("\n[bold]Look at the result with SQL[/] (close the shell before the next run):")
    for sql in (
        "select company_code, count(*) as lines, sum(debit_lc) as debit from erp.journal_lines group by all",
        "select table_name, loaded, unchanged, rejected from erpload.runs order by finished_at desc limit 30",
        "select target, entity, reason, count(*) from erpload.rejects group by all order by 4 desc",
        "select file_name, rows, debit_total, credit_total from erpload.exports order by file_name",
        "select entity, state, count(*) from erpload.ledger where target = 'dvelop' group by all order by 1",
    ):
        out.print(f'  duckdb {rel} "{sql}"', highlight=False, soft_wrap=True)
    out.print("\n[bold]The DATEV files[/] for the tax accountant, and their check:")
    out.print(f"  ls {load_datev_out()}\n  erpload datev check {load_datev_out()}/*.csv", highlight=False)


def load_datev_out() -> Path:
    from transforms.datev.config import load_datev_settings

    return load_datev_settings().out_dir


def _transform_datev(settings: Settings) -> None:
    from erpload.staging import connect, ensure_framework_tables
    from erpload.targets import check_mapped
    from transforms.datev.config import load_datev_settings
    from transforms.datev.transform import run_transform

    datev = load_datev_settings()

    def body(run: Run) -> None:
        with connect(settings.staging_path) as con:
            check_mapped(con, "datev")
            ensure_framework_tables(con)
            run_transform(con, run, datev.period)  # commits its outcome in one transaction

    _require_staging(settings)  # before the run: a failed run is recorded in the file it would create
    _execute("transform datev", settings, None, body)


def _export_datev(settings: Settings, out_dir: Path | None, companies: list[str] | None, period: str | None,
                  reexport: str | None, dry_run: bool) -> None:
    from erpload.staging import connect, ensure_framework_tables
    from transforms.datev.config import load_datev_settings
    from transforms.datev.export import publish, run_export
    from transforms.datev.export_folder import folder_lock

    datev = load_datev_settings(out_dir)

    def body(run: Run) -> None:
        # the folder's lock from the first file written to the manifest: exports into one folder take turns
        with connect(settings.staging_path) as con, \
                (nullcontext() if dry_run else folder_lock(datev.out_dir, run)):
            ensure_framework_tables(con)
            con.begin()
            plan = run_export(con, run, datev.out_dir, companies=companies, period=period, reexport=reexport,
                              dry_run=dry_run, corrections=datev.corrections)
            with interrupts.deferred():  # a signal waits until the files the commit records are published
                con.commit()
                if not dry_run:
                    publish(con, datev.out_dir)
        if not dry_run:
            _note_reconciliation(settings, run, [f.file for f in plan.files if f.debit_total is not None])
        verb = "would write" if dry_run else "wrote"
        shown = plan.files if len(plan.files) <= FILES_LISTED or dry_run else []
        for f in shown:
            totals = f" · Soll {f.debit_total} · Haben {f.credit_total}" if f.debit_total is not None else ""
            out.print(f"{verb} {datev.out_dir / f.file}: {f.rows:,} rows{totals}", highlight=False)
        if plan.files and not shown:
            out.print(f"{verb} {len(plan.files)} files to {datev.out_dir} (each with rows, sha256 and totals in "
                      f"{datev.out_dir / 'manifest.json'} and erpload.exports)", highlight=False)
        if not plan.files:
            out.print("nothing new to export", highlight=False)

    _require_staging(settings)  # before the run: a failed run is recorded in the file it would create
    _execute("export datev" + (" (dry run)" if dry_run else ""), settings, None, body)


def _note_reconciliation(settings: Settings, run: Run, written: list[str]) -> None:
    """Every export ends with the reconciliation of the periods it wrote files for, in the summary."""
    from erpload.staging import connect
    from transforms.datev.reconcile import run_reconcile

    if not written:
        run.note("no Buchungsstapel written, so nothing to reconcile: `erpload datev reconcile` checks every file "
                 "on record")
        return
    with connect(settings.staging_path) as con:
        result = run_reconcile(con, periods_of=written)
    if result.ok:
        run.note(f"reconciled: the {result.files:,} Buchungsstapel files of the periods written agree with the ERP's "
                 f"posted ledger in all {result.cells:,} account x month x currency balances"
                 + (f" ({result.held_documents:,} documents held back in erpload.rejects)"
                    if result.held_documents else ""))
    else:
        run.note(f"NOT reconciled: {len(result.differences):,} account x month balances differ from the ERP's posted "
                 f"ledger, {len(result.problems)} files missing or changed; `erpload datev reconcile` names them")


def _require_staging(settings: Settings) -> None:
    """Commands that only read what earlier runs wrote: no staging file is a mistake, not an empty one to create."""
    if not settings.staging_path.exists():
        raise ConfigError(f"there is no staging file at {settings.staging_path}",
                          hint="run this in the project's folder, give --staging, or run `erpload run` first")


def _reconcile_datev(settings: Settings, companies: list[str] | None, month: str | None) -> None:
    from erpload.staging import connect, ensure_framework_tables, table_exists
    from transforms.datev.export_folder import repair_folders
    from transforms.datev.reconcile import run_reconcile

    failed = False

    _require_staging(settings)  # before the run: a failed run is recorded in the staging file it would create

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

    _execute("datev reconcile", settings, None, body)
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
    settings = _settings(staging=staging)
    if period:
        try:
            datetime.strptime(period, "%Y-%m")
        except ValueError:
            err.print(f"[bold red]error:[/] period '{escape(period)}' is not a month\n  fix: give it as YYYY-MM")
            raise typer.Exit(EXIT_CONFIG) from None
    _guard(lambda: _reconcile_datev(settings, company, period))


@datev_app.command("corrections")
def datev_corrections(
    staging: StagingOpt = None,
    company: Annotated[list[str] | None, typer.Option(help="Only this company code (repeatable).")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many, newest first.")] = 50,
) -> None:
    """Per document: what export datev reversed, rebooked or reported after the ERP changed or cancelled it
    (erpload.datev_corrections)."""
    settings = _settings(staging=staging)

    def show() -> None:
        from erpload.staging import connect, table_exists

        _require_staging(settings)
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

    _guard(show)


def _transform_dvelop(settings: Settings) -> None:
    from erpload.staging import connect
    from erpload.targets import check_mapped
    from transforms.dvelop.transform import run_transform

    def body(run: Run) -> None:
        if settings.staging_path.exists():
            with connect(settings.staging_path) as con:
                check_mapped(con, "dvelop")
        run_transform(settings.staging_path, run)

    _require_staging(settings)  # before the run: a failed run is recorded in the file it would create
    _execute("transform dvelop", settings, None, body)


@transform_app.command("dvelop")
def transform_dvelop(staging: StagingOpt = None) -> None:
    """erp → dataset dvelop: d.velop smart invoice master data (companies, vendors and their bank accounts, tax
    codes, G/L accounts, cost centers, purchase orders, goods receipts, ...), one table per entity, checked against
    the API's rules; every record that fails goes to erpload.rejects with the reason and the fix."""
    settings = _settings(staging=staging)
    _guard(lambda: _transform_dvelop(settings))


@transform_app.command("datev")
def transform_datev(staging: StagingOpt = None) -> None:
    """erp → dataset datev: Buchungsstapel, Zahlungsbedingungen, Debitoren/Kreditoren and Kontenbeschriftungen
    rows, checked against DATEV's rules; every record that fails goes to erpload.rejects with the reason and
    the fix."""
    settings = _settings(staging=staging)
    _guard(lambda: _transform_datev(settings))


@export_app.command("datev")
def export_datev(
    staging: StagingOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Directory for the EXTF files and manifest.json "
                                                 "[erpload.datev.out; default out/datev]")] = None,
    company: Annotated[list[str] | None, typer.Option(help="Only this company code (repeatable).")] = None,
    period: Annotated[str | None, typer.Option(help="Only the period containing this month, YYYY-MM.")] = None,
    reexport: Annotated[str | None, typer.Option(help="Write one replacement file for the period containing this "
                                                 "month (YYYY-MM), marked _reexport, to import INSTEAD of the "
                                                 "period's files (lost or deleted in DATEV); refused where batches "
                                                 "are festgeschrieben.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be written; write and mark "
                                          "nothing.")] = False,
) -> None:
    """dataset datev → EXTF files, one Buchungsstapel per company and period; each booking exported once.

    New bookings in a period exported before go into a new file for it. A document changed or cancelled in the ERP
    after its export is corrected with new bookings: Generalumkehr of what was exported, then the document as it is
    now ([erpload.datev] corrections = "reverse", the default), or reported in erpload.rejects ("report").
    `erpload datev corrections` lists every correction; `erpload datev reconcile` proves the files against the ERP."""
    settings = _settings(staging=staging)
    _guard(lambda: _export_datev(settings, out_dir, company, period, reexport, dry_run))


push_app = typer.Typer(help="A target's dataset → the vendor's API; the ledger makes sure nothing is sent twice.",
                       no_args_is_help=True)
app.add_typer(push_app, name="push")


def _push_dvelop(settings: Settings, entity: str | None, company: str | None, single: list[str] | None,
                 dry_run: bool, quiet: bool) -> None:
    from destinations.dvelop.config import load_dvelop_settings
    from destinations.dvelop.destination import DvelopSender
    from erpload.push.pusher import PushOptions, push_one, run_push

    dvelop = load_dvelop_settings()
    waiting = 0

    def body(run: Run) -> None:
        nonlocal waiting
        sender = DvelopSender(dvelop)
        try:
            if single:
                out.print(escape(push_one(settings.staging_path, sender, run, single[0], single[1],
                                          dry_run=dry_run)), highlight=False)
                return
            plan = run_push(settings.staging_path, settings.pipelines_dir, sender, run,
                            PushOptions(entity=entity, company=company, dry_run=dry_run, progress=not quiet))
            waiting = plan["waiting"]
        finally:
            sender.close()
        if dry_run:
            for name, (total, to_send) in plan["planned"].items():
                sample = ", ".join(plan["samples"][name])
                out.print(f"would send {to_send:,} of {total:,} {name}" + (f" (e.g. {sample})" if sample else ""),
                          highlight=False)

    _require_staging(settings)  # before the run: a failed run is recorded in the file it would create
    run = _execute("push dvelop" + (" (dry run)" if dry_run else ""), settings, None, body)
    if run.totals.failed:
        err.print(f"[bold red]erpload push dvelop:[/] {run.totals.failed:,} record(s) failed at d.velop (their "
                  "import jobs failed)\n  fix: run the push again; it sends only what d.velop has not "
                  "acknowledged", highlight=False)
        raise typer.Exit(EXIT_VENDOR)
    if waiting:
        err.print(f"exit {int(ExitCode.UNDECIDED)}: {waiting:,} record(s) wait for a decision: "
                  "`erpload ledger --state unknown`", highlight=False)
        raise typer.Exit(ExitCode.UNDECIDED)


@push_app.command("dvelop")
def push_dvelop(
    staging: StagingOpt = None,
    entity: Annotated[str | None, typer.Option(help="Only this entity, e.g. vendors.")] = None,
    company: Annotated[str | None, typer.Option(help="Only this company code.")] = None,
    single: Annotated[tuple[str, str] | None, typer.Option(
        help="Send one record with the synchronous PUT, e.g. --single vendors 1000/50001 (entity, key).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent; send and mark nothing.")]
    = False,
    quiet: QuietOpt = False,
) -> None:
    """dataset dvelop → d.velop smart invoice master data: batch import jobs polled to the end, one ledger row
    per record. Unchanged records are not sent again; a record d.velop refuses goes to erpload.rejects.

    Configure [destination.dvelop] base_url and bucket_id in .dlt/config.toml and api_key in .dlt/secrets.toml
    (or DESTINATION__DVELOP__API_KEY)."""
    settings = _settings(staging=staging)
    _guard(lambda: _push_dvelop(settings, entity, company, list(single) if single else None, dry_run, quiet))


@app.command()
def status(staging: StagingOpt = None,
           runs: Annotated[int, typer.Option(help="How many recent runs to show.", min=1)] = 10,
           detail: Annotated[bool, typer.Option("--detail", help="Each run's tables too: loaded (a push: sent), "
                                                "unchanged, rejected (refused), deleted (failed), cursor, "
                                                "seconds.")] = False) -> None:
    """The last runs, one line each: what ran, when, how long, loaded / sent / rejected / failed, and the outcome
    (ok, set aside, failed, interrupted); a failed run's message under its line."""
    from erpload.cli.status import print_status

    settings = _settings(staging=staging)
    _guard(lambda: print_status(settings.staging_path, runs, out, detail=detail))


@app.command()
def model(
    target: Annotated[str | None, typer.Option(help="Only what this target reads: the entities a profile must "
                                               "map for it, and their columns the target uses.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, markdown or json.")] = "text",
) -> None:
    """The canonical model a profile maps to: per column its type, required or not, allowed values and meaning."""
    from erpload.model_doc import FORMATS, render
    from erpload.targets import contract

    if fmt not in FORMATS:
        err.print(f"erpload model: --format {fmt} is not one of {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_CONFIG)

    def show() -> None:
        # plain print: rich would wrap the lines and read [..] in the text as markup
        print(render(fmt, contract(target) if target else None), end="")

    _guard(show)


@demo_erp_app.command("create")
def demo_erp_create(
    path: Annotated[Path | None, typer.Option(help="Where to write it [erpload.demo_erp; default "
                                                   "demo_erp.sqlite]")] = None,
    scale: Annotated[float, typer.Option(help="Volume multiplier: journal lines ~ 3,000 x scale "
                                              "(333 ≈ 1M).")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same data.")] = 42,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the embedded demo ERP (SQLite) if it is missing."""
    from sources.demo_erp import create_demo_erp

    target = (path or load_settings().demo_erp_path).resolve()
    existed = target.exists()
    counts = create_demo_erp(target, seed=seed, scale=scale, overwrite=force)
    verb = "kept the existing" if existed and not force else "wrote the"
    out.print(f"{verb} demo ERP at {target}: {sum(counts.values()):,} rows in {len(counts)} tables "
              f"({counts.get('journal_line', 0):,} journal lines)")
    if existed and not force:
        out.print("  (use --force to write it anew)")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
