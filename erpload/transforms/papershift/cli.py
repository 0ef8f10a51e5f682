"""`erpload papershift schedules`: the DATEV document sync schedules of each company's Papershift integration.

    erpload papershift schedules [--company 1000]            list them
    erpload papershift schedules [--company 1000] --set-day 15   create one on day 15, or move the one there is
    erpload papershift schedules --company 1000 --delete     delete the company's schedules

Companies and their integrations come from `papershift.integrations` (`erpload transform papershift`). `--set-day`
is checked (1 to 31) before anything is sent. Papershift allows one schedule per day and integration: what it
refuses (422, e.g. a day that has a schedule already, or 403 without the right) is shown with its reason and the
command ends with exit 6.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from erpload.cli.help_format import WholeSentences
from erpload.cli.running import EXIT_VENDOR, StagingOpt, command_settings, err, guard, out, require_staging
from erpload.errors import ConfigError
from erpload.staging import connect, sql_literal, table_exists
from erpload.transforms.papershift.tables import INTEGRATIONS, TARGET

if TYPE_CHECKING:  # the client is imported when the command runs: `erpload --help` loads no vendor code
    from erpload.destinations.papershift.schedules import ScheduleCommands

#: Pulse: `day` is an integer between 1 and 31
DAYS = (1, 31)

papershift_app = typer.Typer(cls=WholeSentences, help="Papershift's DATEV document sync schedules per company.",
                             no_args_is_help=True)


def _integrations(staging: Path, company: str | None) -> list[tuple[str, str, str]]:
    """(company code, name, integration id) of the companies ready in the papershift plan."""
    with connect(staging, read_only=True) as con:
        if not table_exists(con, TARGET, INTEGRATIONS):
            raise ConfigError("the papershift plan does not exist yet",
                              hint="run `erpload transform papershift` first")
        where = "" if company is None else f" AND company_code = {sql_literal(company)}"
        rows = con.execute(f"SELECT company_code, company_name, integration_id FROM {TARGET}.{INTEGRATIONS} "
                           f"WHERE state = 'ready'{where} ORDER BY company_code").fetchall()
    if not rows:
        raise ConfigError(f"company {company} has no usable Papershift DATEV integration id" if company
                          else "no company has a Papershift DATEV integration id",
                          hint="set companies.papershift_integration_id in the ERP, then run extract, map and "
                               "`erpload transform papershift`")
    return [(str(c), str(n or c), str(i)) for c, n, i in rows]


def check_day(day: int) -> int:
    low, high = DAYS
    if not low <= day <= high:
        raise ConfigError(f"--set-day {day}: a schedule's day is {low} to {high} (the day of the month Papershift "
                          "syncs)", hint="e.g. --set-day 15")
    return day


@papershift_app.command("schedules")
def schedules(
    company: Annotated[str | None, typer.Option(help="Only this company code.")] = None,
    set_day: Annotated[int | None, typer.Option("--set-day", help="Sync on this day of each month (1-31): "
                                                "creates the schedule, or moves the company's existing one.")]
    = None,
    delete: Annotated[bool, typer.Option("--delete", help="Delete the company's schedules (needs --company).")]
    = False,
    staging: StagingOpt = None,
) -> None:
    """List, create, change or delete the DATEV document sync schedules of each company's integration."""
    settings = command_settings(staging=staging)
    refused: list[str] = []

    def body() -> None:
        if set_day is not None and delete:
            raise ConfigError("--set-day and --delete exclude each other", hint="give one of them")
        if set_day is not None:
            check_day(set_day)
        if delete and company is None:
            raise ConfigError("--delete deletes a company's schedules: say which", hint="add --company CODE")
        from erpload.cli.target_commands import not_configured
        from erpload.targets import target

        declared = target(TARGET)
        if missing := declared.missing():
            raise not_configured(declared, missing)
        require_staging(settings)
        companies = _integrations(settings.staging_path, company)
        from erpload.destinations.papershift.config import load_settings
        from erpload.destinations.papershift.schedules import ScheduleCommands

        commands = ScheduleCommands(load_settings(), say=lambda line: out.print(escape(line), highlight=False))
        try:
            for code, name, integration_id in companies:
                label = f"{name} ({code})"
                if set_day is not None:
                    refused.extend(commands.set_day(label, integration_id, set_day))
                elif delete:
                    refused.extend(commands.delete(label, integration_id))
            out.print(_table(commands, companies))
        finally:
            commands.close()

    guard(body)
    if refused:
        for line in refused:
            err.print(f"[bold red]refused:[/] {escape(line)}", highlight=False)
        raise typer.Exit(EXIT_VENDOR)


def _table(commands: ScheduleCommands, companies: list[tuple[str, str, str]]) -> Table:
    """Each company's schedules as Papershift lists them now."""
    table = Table(title="Papershift DATEV document sync schedules", title_justify="left")
    for name in ("company", "integration", "schedule", "day", "you may"):
        table.add_column(name, overflow="fold")
    for code, name, integration_id in companies:
        found = commands.client.schedules(integration_id)
        if not found:
            table.add_row(escape(f"{name} ({code})"), integration_id, "none", "", "")
        for schedule in sorted(found, key=lambda s: s.day or 0):
            table.add_row(escape(f"{name} ({code})"), integration_id, schedule.id, str(schedule.day or ""),
                          ", ".join(schedule.actions))
    return table
