"""`erpload transform|export|push <target>`, `erpload targets` and each target's own commands, made from the
target declarations (`erpload.targets`): a new target is a new package and one registration line.

A command is a function whose signature typer reads; a target's options (`CliOption`) become keyword
parameters of a signature built here, so `--help` shows them like any other option.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from erpload.cli.help_format import WholeSentences
from erpload.cli.running import (
    EXIT_VENDOR,
    QuietOpt,
    StagingOpt,
    command_settings,
    err,
    execute,
    guard,
    out,
    require_staging,
)
from erpload.errors import ConfigError
from erpload.exit_codes import ExitCode
from erpload.runs import Run
from erpload.settings import Settings
from erpload.targets import Call, CliOption, Target, load, targets
from erpload.wording import plural


def say(line: str) -> None:
    """One line for the user, printed as it is (no markup)."""
    out.print(escape(line), highlight=False)


# --- what the commands do ---

def transform_target(settings: Settings, target: Target, *, quiet: bool = False) -> None:
    """erp → the target's dataset, after checking `erp` holds everything the target reads."""
    from erpload.staging import connect
    from erpload.targets import check_mapped

    transform: Callable[[Path, Run], None] = load(target.transform)

    def body(run: Run) -> None:
        if settings.staging_path.exists():
            with connect(settings.staging_path) as con:
                check_mapped(con, target.name)
        transform(settings.staging_path, run)

    require_staging(settings)  # before the run: a failed run is recorded in the file it would create
    execute(f"transform {target.name}", settings, None, body, steps=not quiet)


def export_target(settings: Settings, target: Target, options: Mapping[str, Any], dry_run: bool, *,
                  quiet: bool = False) -> None:
    """The target's dataset → its files; the exporter checks its settings before the run starts."""
    assert target.export is not None
    call = Call(settings.staging_path, settings.pipelines_dir, dry_run, options, say)
    body: Callable[[Run], None] = load(target.export)(call)
    require_staging(settings)
    execute(f"export {target.name}" + (" (dry run)" if dry_run else ""), settings, None, body, steps=not quiet)


def not_configured(target: Target, missing: list[str]) -> ConfigError:
    """What a push says when keys it needs are not set: their names and where they go, never a value."""
    secret = {s.key for s in target.settings if s.secret}
    # an entry may say more than its key ("...account_key for at least one of ..."): its env name is the key's
    env = ", ".join(k.split(" ", 1)[0].upper().replace(".", "__") for k in missing)
    places = ".dlt/config.toml" + (" and the secrets in .dlt/secrets.toml" if secret & set(missing) else "")
    return ConfigError(f"{target.title} is not configured: {', '.join(missing)} not set",
                       hint=f"set them in {places} (or as {env})"
                            + ("; `erpload fakes serve` prints the values for the local fake" if target.fake else ""))


def push_target(settings: Settings, target: Target, *, entity: str | None = None, company: list[str] | None = None,
                single: tuple[str, str] | None = None, dry_run: bool = False, quiet: bool = False,
                options: Mapping[str, Any] | None = None) -> None:
    """The target's dataset → its vendor. A dry run sends nothing, so it needs no secret; without the settings
    that say where records go it cannot know that destination's ledger, and says so."""
    from erpload.push.pusher import PushOptions, push_one, run_push

    assert target.sender is not None
    if target.kind == "trigger":
        _trigger(settings, target, company=company, dry_run=dry_run, options=options or {})
        return
    missing = target.missing(dry_run=dry_run)
    if missing and not dry_run:
        raise not_configured(target, missing)
    require_staging(settings)  # before the run: a failed run is recorded in the file it would create
    sender_of: Callable[[Call], Any] = load(target.sender)
    call = Call(settings.staging_path, settings.pipelines_dir, dry_run, dict(options or {}), say)
    sender = sender_of(call)  # reads and checks its settings before the run starts; the run's body closes it

    waiting = 0

    def body(run: Run) -> None:
        nonlocal waiting
        if missing:
            run.note(f"{', '.join(missing)} not set, so this dry run cannot tell which {target.title} it would "
                     f"send to: it counts against the ledger's records for {target.name} as they are keyed without "
                     "them; set them to see what that destination still needs")
        try:
            if single:
                say(push_one(settings.staging_path, sender, run, single[0], single[1], dry_run=dry_run))
                return
            plan = run_push(settings.staging_path, settings.pipelines_dir, sender, run,
                            PushOptions(entity=entity, company=company, dry_run=dry_run, progress=not quiet))
            waiting = int(plan.get("waiting", 0))
        finally:
            sender.close()
        if dry_run:
            for name, (total, to_send) in plan["planned"].items():
                sample = ", ".join(plan["samples"][name])
                say(f"would send {to_send:,} of {total:,} {name}" + (f" (e.g. {sample})" if sample else ""))

    run = execute(f"push {target.name}" + (" (dry run)" if dry_run else ""), settings, None, body)
    if run.totals.failed:
        err.print(f"[bold red]erpload push {target.name}:[/] {plural(run.totals.failed, 'record')} failed at "
                  f"{escape(target.title)} (the vendor said so after taking them)\n  fix: run the push again; it "
                  f"sends only what {escape(target.title)} has not acknowledged", highlight=False)
        raise typer.Exit(EXIT_VENDOR)
    if waiting:
        err.print(f"exit {int(ExitCode.UNDECIDED)}: {plural(waiting, 'record', verb=('waits', 'wait'))} for a "
                  f"decision: `erpload ledger --target {target.name} --state unknown`", highlight=False)
        raise typer.Exit(ExitCode.UNDECIDED)


def _trigger(settings: Settings, target: Target, *, company: list[str] | None, dry_run: bool,
             options: Mapping[str, Any]) -> None:
    """A trigger target's calls (see erpload.push.trigger); `force` is the target's own option when it has one."""
    from erpload.push.trigger import TriggerOptions, run_trigger

    assert target.sender is not None
    missing = target.missing(dry_run=dry_run)
    if missing and not dry_run:
        raise not_configured(target, missing)
    require_staging(settings)
    call = Call(settings.staging_path, settings.pipelines_dir, dry_run, dict(options), say)
    trigger = load(target.sender)(call)
    outcome: dict[str, Any] = {}

    def body(run: Run) -> None:
        try:
            outcome.update(run_trigger(settings.staging_path, trigger, run,
                                       TriggerOptions(company=company, dry_run=dry_run,
                                                      force=bool(options.get("force"))), say))
        finally:
            trigger.close()

    execute(f"push {target.name}" + (" (dry run)" if dry_run else ""), settings, None, body)
    if outcome.get("failed"):
        err.print(f"[bold red]erpload push {target.name}:[/] {plural(int(outcome.get('failed', 0)), 'call')} failed at "
                  f"{escape(target.title)}; what it refused is in erpload.rejects\n  fix: correct what each names, "
                  "then push again: a failed call is made again, leaving out what the vendor already holds",
                  highlight=False)
        raise typer.Exit(EXIT_VENDOR)
    if waiting := int(outcome.get("waiting", 0)):
        err.print(f"exit {int(ExitCode.UNDECIDED)}: {plural(waiting, 'record', verb=('waits', 'wait'))} for a "
                  f"decision: `erpload ledger --target {target.name} --state unknown`", highlight=False)
        raise typer.Exit(ExitCode.UNDECIDED)


# --- building the commands from the declarations ---

def _option(option: CliOption) -> inspect.Parameter:
    """A keyword parameter typer reads as `option`."""
    kind: Any = option.type
    if option.choices:
        kind = _choices(option)
    if option.multiple:
        kind = list[kind] | None
    elif option.type is not bool and option.default is None:
        kind = kind | None
    metavar = f"<{getattr(option.type, '__name__', 'value')}>" if option.multiple else None
    annotation = Annotated[kind, typer.Option(option.flag, help=option.help, metavar=metavar)]
    default = False if option.type is bool and option.default is None else option.default
    return inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _choices(option: CliOption) -> type[enum.Enum]:
    """The option's allowed values as the enum typer offers them as choices."""
    choices: type[enum.Enum] = enum.Enum(f"{option.name}_choices", {c: c for c in option.choices}, type=str)  # type: ignore[misc]
    return choices


def _plain(value: Any) -> Any:
    """An option's value as the target gets it: an enum choice as its text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _command(fn: Callable[..., None], fixed: list[inspect.Parameter], extra: tuple[CliOption, ...],
             doc: str) -> Callable[..., None]:
    """`fn(**values)` as a command: its parameters are `fixed` then the target's `extra` options."""
    parameters = fixed + [_option(o) for o in extra]
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise ValueError(f"a target option repeats a common one: {', '.join(names)}")

    def command(**values: Any) -> None:
        fn(**{name: _plain(value) for name, value in values.items()})

    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    command.__doc__ = doc
    return command


def _parameter(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


_STAGING = _parameter("staging", StagingOpt, None)
_QUIET = _parameter("quiet", QuietOpt, False)
_DRY_RUN = "--dry-run"


def _add_transform(transform_app: typer.Typer, target: Target) -> None:
    def run(staging: Path | None, quiet: bool) -> None:
        settings = command_settings(staging=staging)
        guard(lambda: transform_target(settings, target, quiet=quiet))

    doc = (f"erp → dataset {target.name}: {target.doc}; checked against the target's rules, every record that fails "
           "goes to erpload.rejects with the reason and the fix.")
    transform_app.command(target.name)(_command(run, [_STAGING, _QUIET], (), doc))


def _add_export(export_app: typer.Typer, target: Target) -> None:
    common = {"staging", "dry_run", "quiet"}

    def run(staging: Path | None, dry_run: bool, quiet: bool, **options: Any) -> None:
        settings = command_settings(staging=staging)
        guard(lambda: export_target(settings, target, options, dry_run, quiet=quiet))

    dry = _parameter("dry_run", Annotated[bool, typer.Option(_DRY_RUN, help="Show what would be written; write "
                                                             "and mark nothing.")], False)
    assert not common & {o.name for o in target.export_options}
    doc = f"dataset {target.name} → files: {target.doc}."
    export_app.command(target.name)(_command(run, [_STAGING, dry, _QUIET], target.export_options, doc))


def _add_push(push_app: typer.Typer, target: Target) -> None:
    word = target.entity_option

    def run(staging: Path | None, company: list[str] | None, dry_run: bool, quiet: bool,
            single: tuple[str, str] | None = None, **options: Any) -> None:
        entity = options.pop(word, None) if word else None
        settings = command_settings(staging=staging)
        guard(lambda: push_target(settings, target, entity=entity, company=company, single=single,
                                  dry_run=dry_run, quiet=quiet, options=options))

    fixed = [_STAGING]
    if word is not None:
        fixed.append(_option(CliOption(word, f"Only this {word}.", choices=target.entities)))
    fixed += [
        _parameter("company", Annotated[list[str] | None, typer.Option(
            help="Only this company code; repeatable.", metavar="CODE")], None),
        _parameter("dry_run", Annotated[bool, typer.Option(_DRY_RUN, help="Show what would be sent; send and "
                                                           "mark nothing. Needs no API key.")], False),
        _QUIET,
    ]
    if target.single_record:
        fixed.append(_parameter("single", Annotated[tuple[str, str] | None, typer.Option(
            help=f"Send one record on its own, e.g. --single {target.entities[0]} KEY (entity, key as "
                 "erpload shows it).")], None))
    doc = (f"dataset {target.name} → {target.doc}. One ledger row per record: unchanged records "
           "are not sent again; a record the vendor refuses goes to erpload.rejects.")
    if target.kind == "trigger":
        doc = (f"dataset {target.name} → {target.doc}. Each call is in the ledger before it is made and is made "
               f"once; one whose answer never came waits for `erpload ledger resolve` (exit 7).")
    elif target.create_only:
        doc += (f" {target.title} creates a record per request: each is sent once; one whose outcome a push could "
                "not learn waits for `erpload ledger resolve` (exit 7) and is never sent again blindly.")
    needs = ", ".join(s.key for s in target.settings if s.required)
    if needs:
        doc += f"\n\nSettings: {needs} (`erpload targets` says which are missing)."
    push_app.command(target.name)(_command(run, fixed, target.push_options, doc))


def add_target_commands(app: typer.Typer, declared: Mapping[str, Target] | None = None) -> None:
    """Every declared target's transform, export or push command, and its own command group (`declared`: the
    registered targets unless given)."""
    transform_app = typer.Typer(cls=WholeSentences, no_args_is_help=True,
                                help="canonical erp → one target's dataset, validated; bad records to rejects.")
    export_app = typer.Typer(cls=WholeSentences, help="A files target's dataset → files.", no_args_is_help=True)
    push_app = typer.Typer(cls=WholeSentences, no_args_is_help=True,
                           help="A target's dataset → the vendor's API; the ledger makes sure nothing is sent twice.")
    for target in (targets() if declared is None else declared).values():
        _add_transform(transform_app, target)
        if target.export is not None:
            _add_export(export_app, target)
        if target.pushes:
            _add_push(push_app, target)
        if target.cli is not None:
            app.add_typer(load(target.cli), name=target.name, help=target.cli_help or None)
    app.add_typer(transform_app, name="transform")
    app.add_typer(export_app, name="export")
    app.add_typer(push_app, name="push")


# --- erpload targets ---

def targets_table() -> Table:
    """Every target, its kind, whether it is configured (or exactly which keys are missing) and its fake."""
    table = Table(title="targets", title_justify="left")
    for name in ("target", "kind", "what it makes", "configured", "fake"):
        table.add_column(name, overflow="fold")
    for target in targets().values():
        missing = target.missing()
        if not any(s.required for s in target.settings) and target.missing_settings is None:
            state = "needs nothing"
        elif missing:
            state = "missing: " + ", ".join(missing)
        else:
            state = "yes"
        fake = f"{target.fake.title} (erpload fakes serve, port {target.fake.port})" if target.fake else ""
        table.add_row(target.name, target.kind, target.doc, state, fake)
    return table
