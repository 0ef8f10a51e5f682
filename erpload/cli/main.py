"""The `erpload` command line. Every command prints a summary and exits with a code scripts can trust
(`erpload.exit_codes`): 0 success · 1 the run failed · 2 bad configuration or profile, or a step to run first ·
3 ERP database unreachable · 4 staging file unusable · 5 finished, with records set aside in erpload.rejects ·
6 a vendor refused or failed · 7 records wait for a decision (`erpload ledger --state unknown`) ·
130 interrupted (Ctrl-C) · 143 terminated (SIGTERM).

The commands per target (`transform X`, `export X`, `push X`, `erpload <target> ...`) are made from the target
declarations (`erpload.cli.target_commands`); how a command runs and ends is `erpload.cli.running`.
"""

from __future__ import annotations

import erpload.startup  # noqa: F401  (first: a signal while the rest loads ends quietly)

# isort: split
import dataclasses
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from erpload.cli import running
from erpload.cli.fakes import fakes_app
from erpload.cli.help_format import ErploadGroup, WholeSentences
from erpload.cli.ledger import ledger_app
from erpload.cli.running import (
    EXIT_CONFIG,
    EXIT_DATA,
    ErpUrlOpt,
    ProfileOpt,
    QuietOpt,
    StagingOpt,
    command_settings,
    err,
    execute,
    guard,
    out,
)
from erpload.cli.target_commands import add_target_commands, export_target, push_target, targets_table, transform_target
from erpload.profiles import load_profile
from erpload.runs import Run
from erpload.settings import DEMO_ERP, Settings, in_environment, load_settings
from erpload.targets import Target, load, targets
from erpload.tenants import Tenant, choose, configured_tenants, working_on

app = typer.Typer(cls=ErploadGroup,
    help="Move ERP data into DATEV files and accounting APIs, staged in DuckDB. "
    "Start with `erpload demo`.\n\nTargets: " + ", ".join(f"{t.name} ({t.kind}: {t.title})" for t in targets().values())
    + "; `erpload targets` says what each needs. Every command takes --tenant NAME for one of many tenants "
    "(`erpload tenants`).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # help texts show config keys in [brackets]: plain text, not rich markup that would swallow them
    rich_markup_mode=None,
)
demo_erp_app = typer.Typer(cls=WholeSentences, help="The embedded demo ERP (SQLite).", no_args_is_help=True)


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        out.print(f"erpload {version('erpload')} (dlt {version('dlt')}, duckdb {version('duckdb')})", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(ctx: typer.Context,
             version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                   help="Show erpload's version (and dlt's and DuckDB's), then "
                                                        "exit.")] = False,
             tenant: Annotated[str | None, typer.Option(
                 "--tenant", envvar="ERPLOAD_TENANT", help="Work on this tenant: its ERP, profile, staging file, "
                 "folders, targets and secrets from [tenants.<name>] in .dlt/ (`erpload tenants` lists them). "
                 "Every command takes it, before or after the command name.")] = None) -> None:
    """Options before any command."""
    chosen: list[Tenant | None] = []
    guard(lambda: chosen.append(choose(tenant)))
    stack = ExitStack()
    stack.enter_context(working_on(chosen[0]))
    ctx.call_on_close(stack.close)  # a test's next command (same process) starts from the top level again
app.add_typer(demo_erp_app, name="demo-erp")
add_target_commands(app)
app.add_typer(fakes_app, name="fakes")
app.add_typer(ledger_app, name="ledger")

def _ensure_demo_erp(settings: Settings, quiet: bool) -> None:
    """The demo ERP, asked for by name (`erpload demo`, or sources.erp.credentials = "demo"), is written when
    missing; any other ERP must exist."""
    settings.require_erp()
    if settings.uses_demo_erp and not settings.demo_erp_path.exists():
        from erpload.sources.demo_erp import create_demo_erp

        if not quiet:
            err.print(f"creating the demo ERP at {settings.demo_erp_path}")
        create_demo_erp(settings.demo_erp_path)


def _extract(settings: Settings, quiet: bool, reload: list[str] | None = None) -> None:
    from erpload.steps.extract import run_extract

    profile = load_profile(settings.profile)
    _ensure_demo_erp(settings, quiet)
    execute("extract", settings, profile.name, lambda run: run_extract(settings, profile, run,
                                                                        show_progress=not quiet, reload=reload))


def _map(settings: Settings, full: bool = False, quiet: bool = False) -> None:
    from erpload.steps.mapping import run_map
    from erpload.targets import check_profile_covers, configured_targets

    profile = load_profile(settings.profile)

    def body(run: Run) -> None:
        if settings.staging_path.exists():  # (without it run_map says to extract first, creating nothing)
            check_profile_covers(profile, configured_targets())  # before any work: a missing entity is a profile error
        unmapped = run_map(settings.staging_path, profile, run, full=full)
        if unmapped:
            err.print(f"note: profile '{profile.name}' does not map: {', '.join(unmapped)}")

    execute("map", settings, profile.name, body, steps=not quiet)




STAGES = ("extract", "map", "transform", "export", "push")


def _all_stages(settings: Settings, quiet: bool, until: str = STAGES[-1]) -> None:
    """What `run` and `demo` do: every stage that exists, in order, up to and including `until`, for every
    target in [erpload] targets: transforms, then exports of files targets, then pushes to configured vendors."""
    from erpload.staging import held_open
    from erpload.targets import configured_targets

    last = STAGES.index(until)
    declared = targets()
    chosen = [declared[name] for name in configured_targets()]  # [erpload] targets: what this ERP feeds
    skipped = [name for name in declared if declared[name] not in chosen]
    if skipped and last >= STAGES.index("transform"):
        err.print(f"note: {', '.join(skipped)} skipped: not in [erpload] targets "
                  f"({', '.join(t.name for t in chosen)})", markup=False)
    unconfigured = {t.name: missing for t in chosen
                    if t.transform_needs_settings and (missing := t.missing(dry_run=True))}
    for name, missing in unconfigured.items():
        err.print(f"note: {name} skipped: {', '.join(missing)} not set (`erpload targets` lists what each target "
                  "needs)", markup=False)
    chosen = [t for t in chosen if t.name not in unconfigured]
    with held_open(settings.staging_path):
        _extract(settings, quiet)
        if last >= STAGES.index("map"):
            _map(settings, quiet=quiet)
        if last >= STAGES.index("transform"):
            for target in chosen:
                transform_target(settings, target, quiet=quiet)
        if last >= STAGES.index("export"):
            for target in chosen:
                if target.export is not None:
                    export_target(settings, target, {o.name: o.default for o in target.export_options},
                                  dry_run=False, quiet=quiet)
        if last >= STAGES.index("push"):
            for target in chosen:
                if target.pushes:
                    _push_configured(settings, target, quiet)


def _push_configured(settings: Settings, target: Target, quiet: bool) -> None:
    """Push to the target's vendor if it is configured; say what is missing if not."""
    missing = target.missing()
    if missing:
        err.print(f"note: push {target.name} skipped: {', '.join(missing)} not set (`erpload targets` lists what "
                  "each target needs; `erpload demo` pushes to a local fake)", markup=False)
        return
    push_target(settings, target, quiet=quiet)


@contextmanager
def _demo_fakes() -> Iterator[None]:
    """The fake of every target with a demo configuration on loopback, each target pointed at its fake by that
    configuration (a target without one is not in the demo)."""
    from erpload.fakes.serving import serve_in_thread

    with ExitStack() as stack:
        settings: dict[str, str] = {}
        for target in targets().values():
            if target.demo is None:
                continue
            url = None
            if target.fake is not None:
                server = load(target.fake.factory)()
                url = stack.enter_context(serve_in_thread(server.app))
                settings.update(server.env(url))
            settings.update(load(target.demo)(url))
        stack.enter_context(in_environment(settings))
        yield


@app.command()
def extract(staging: StagingOpt = None, profile: ProfileOpt = None, erp_url: ErpUrlOpt = None,
            backend: Annotated[str | None, typer.Option(
                help="How extract reads the ERP: auto (default: duckdb for SQLite and PostgreSQL, else pyarrow), "
                     "duckdb, pyarrow or sqlalchemy [sources.erp.backend].")]
            = None, quiet: QuietOpt = False,
            reload: Annotated[list[str] | None, typer.Option(
                "--reload", metavar="TABLE", help="Drop this ERP table (as the profile names it, or its erp_raw "
                "name) and its cursor in the staging file and load it in full, so rows deleted in the ERP "
                "vanish; repeatable, or `all`. The next `erpload map` removes them from erp.")] = None) -> None:
    """ERP → DuckDB dataset erp_raw: incremental on each table's cursor, merged on its primary key."""
    settings = command_settings(staging=staging, profile=profile, erp_url=erp_url, backend=backend, require_erp=True)
    guard(lambda: _extract(settings, quiet, reload))


@app.command("map")
def map_(staging: StagingOpt = None, profile: ProfileOpt = None,
         full: Annotated[bool, typer.Option("--full", help="Recompute every entity in full (also finds rows "
                                                           "that vanished from the ERP) instead of only "
                                                           "the rows whose ERP inputs changed.")] = False,
         quiet: QuietOpt = False) -> None:
    """erp_raw → canonical dataset erp, per the ERP's declarative profile; only changed rows move."""
    settings = command_settings(staging=staging, profile=profile)
    guard(lambda: _map(settings, full, quiet))


@app.command()
def run(staging: StagingOpt = None, profile: ProfileOpt = None, erp_url: ErpUrlOpt = None,
        quiet: QuietOpt = False,
        until: Annotated[str, typer.Option(help=f"Stop after this stage: {', '.join(STAGES)}.")] = STAGES[-1]) -> None:
    """Every stage in order: extract, map, then for each target in [erpload] targets its transform, its export
    (files targets) and its push (configured vendors): `erpload targets` lists them."""
    if until not in STAGES:
        err.print(f"erpload run: --until {until} is not a stage; use one of {', '.join(STAGES)}")
        raise typer.Exit(EXIT_CONFIG)
    settings = command_settings(staging=staging, profile=profile, erp_url=erp_url, require_erp=True)
    guard(lambda: _all_stages(settings, quiet, until))


@app.command()
def demo(staging: StagingOpt = None, quiet: QuietOpt = False) -> None:
    """Run every stage on the embedded demo ERP, pushing to the vendor fakes on loopback; then show where to look."""
    settings = command_settings(staging=staging, profile="demo")
    if settings.erp_credentials not in (None, DEMO_ERP):
        err.print("note: `erpload demo` always reads the embedded demo ERP, not sources.erp.credentials")
    settings = dataclasses.replace(settings, erp_credentials=DEMO_ERP)

    def stages() -> None:
        from erpload.steps.demo_staging import refuse_foreign_staging

        refuse_foreign_staging(settings.staging_path)  # before anything opens (or creates) the file
        _ensure_demo_erp(settings, quiet)  # a fake's demo world may come from it (Telecom X's invoices)
        with _demo_fakes():
            _all_stages(settings, quiet)

    guard(stages, data_exit=False)  # the demo ERP's faults are there on purpose: its rejects are the lesson
    set_aside = running.current().set_aside
    if set_aside:
        out.print(f"\n[yellow]note:[/] {'; '.join(set_aside)} (the demo ERP has faults on purpose); "
                  f"`erpload run` on your ERP would end with exit {int(EXIT_DATA)}", highlight=False)
    db = settings.staging_path
    rel = db.relative_to(Path.cwd()) if db.is_relative_to(Path.cwd()) else db
    out.print("\n[bold]Look at the result with SQL[/] (close the shell before the next run):")
    for sql in (
        "select company_code, count(*) as lines, sum(debit_lc) as debit from erp.journal_lines group by all",
        # erpload's own tables are in the file's main schema: unqualified, this works whatever the file is called
        "select table_name, loaded, unchanged, rejected from runs order by finished_at desc limit 30",
        # what is set aside now (a rerun's rejects once); `rejects` keeps every run's
        "select target, entity, reason_code, count(*) from current_rejects group by all order by 4 desc",
        "select file_name, rows, debit_total, credit_total from exports order by file_name",
        "select target, entity, state, count(*) from ledger group by all order by 1, 2",
    ):
        out.print(f'  duckdb {rel} "{sql}"', highlight=False, soft_wrap=True)
    for target in targets().values():
        if target.demo_notes is not None:
            out.print()
            for line in load(target.demo_notes)(rel):
                out.print(escape(line), highlight=False, soft_wrap=True)



@app.command("targets")
def targets_command() -> None:
    """Every target: its kind, what it makes, whether it is configured (or exactly which settings are missing,
    by name) and its loopback fake."""
    out.print(targets_table())
    out.print("A push needs every setting of its target; a dry run only those saying where records go. "
              "`erpload fakes serve` prints settings that point at the fakes.", highlight=False)


@app.command("tenants")
def tenants_command() -> None:
    """The tenants configured: each one's ERP, profile, staging file, output folder and targets."""
    from rich.table import Table

    from erpload.redact import redact
    from erpload.targets import configured_targets

    def show() -> None:
        found = configured_tenants()
        if not found:
            out.print("no tenants configured: erpload works on the one project .dlt/ describes. For many, give each "
                      "a section [tenants.<name>] (see the README, Many tenants)", highlight=False)
            return
        table = Table("tenant", "ERP", "profile", "staging file", "folder", "targets", box=None)
        for tenant in found.values():
            with working_on(tenant):  # its targets as every command reads them: a list, or names with commas
                chosen = configured_targets()
            values = tenant.values
            table.add_row(tenant.name, redact(tenant.erp_url or ""), str(values.get("erpload.profile", "(top level)")),
                          str(values["erpload.staging"]), str(tenant.folder), ", ".join(chosen))
        out.print(table)

    guard(show)


@app.command()
def status(staging: StagingOpt = None,
           runs: Annotated[int, typer.Option(help="How many recent runs to show.", min=1)] = 10,
           detail: Annotated[bool, typer.Option("--detail", help="Each run's tables too: loaded (a push: sent), "
                                                "unchanged, rejected (refused), deleted (failed), cursor, "
                                                "seconds.")] = False) -> None:
    """The last runs, one line each: what ran, when, how long, loaded / sent / rejected / failed, and the outcome
    (ok, set aside, failed, interrupted); a failed run's message under its line."""
    from erpload.cli.status import print_status

    settings = command_settings(staging=staging)
    guard(lambda: print_status(settings.staging_path, runs, out, detail=detail))


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

    guard(show)


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
    from erpload.sources.demo_erp import create_demo_erp

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
