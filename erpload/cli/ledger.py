"""`erpload ledger`: what was sent where, the records that wait for a decision, and sending again on purpose.

    erpload ledger [--target T] [--state S] [--scope TEXT] [--entity E] [--limit N]
    erpload ledger resolve <target> <key> --sent|--not-sent [--entity E] [--scope TEXT]
    erpload ledger resend <target> [--entity E] [--key K] [--scope TEXT] [--yes-duplicate]
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.markup import escape
from rich.table import Table

from erpload.cli.help_format import WholeSentences
from erpload.errors import ConfigError
from erpload.push.ledger import BATCHES, LEDGER, ensure_ledger, scope_label
from erpload.staging import connect, sql_literal
from erpload.wording import plural

ledger_app = typer.Typer(cls=WholeSentences,
                         help="What was sent to which vendor and destination; settle records that wait for a "
                              "decision; send records again on purpose.", invoke_without_command=True)

StagingOpt = Annotated[Path | None, typer.Option("--staging", help="DuckDB staging file [erpload.staging; "
                                                  "default erpload.duckdb]")]
EntityOpt = Annotated[str | None, typer.Option("--entity", help="Only this entity, e.g. vendors.")]
ScopeOpt = Annotated[str | None, typer.Option("--scope", help="Only this destination, as the ledger shows it.")]

#: the longest vendor answer shown per record
_RESPONSE_CHARS = 100


def _staging(staging: Path | None) -> Path:
    from erpload.cli.running import command_settings

    path = command_settings(staging=staging).staging_path
    if not path.exists():
        raise ConfigError(f"there is no staging file at {path}", hint="run `erpload push <target>` first, or give "
                                                                       "--staging")
    return path


def _run(fn: Callable[[], None]) -> None:
    from erpload.cli.running import guard

    guard(fn)


@ledger_app.callback()
def show(
    ctx: typer.Context,
    staging: StagingOpt = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target, e.g. dvelop.")] = None,
    state: Annotated[str | None, typer.Option("--state", help="Only records in this state (pending, sent, "
                                              "acknowledged, failed, unknown); lists them.")] = None,
    scope: ScopeOpt = None,
    entity: EntityOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Records listed with --state.")] = 50,
) -> None:
    """Records per target, destination (scope), entity and state; with --state, the records themselves."""
    if ctx.invoked_subcommand is not None:
        return
    from erpload.cli.running import out

    def body() -> None:
        where = " AND ".join(f"{column} = {sql_literal(value)}" for column, value in
                             (("target", target), ("state", state), ("scope", scope), ("entity", entity))
                             if value is not None) or "true"
        with connect(_staging(staging)) as con:
            ensure_ledger(con)
            counts = con.execute(f"SELECT target, scope, entity, state, count(*) FROM {LEDGER} WHERE {where} "
                                 "GROUP BY ALL ORDER BY target, scope NULLS FIRST, entity, state").fetchall()
            records = con.execute(f"SELECT target, scope, entity, record_key, state, vendor_ref, response, updated_at "
                                  f"FROM {LEDGER} WHERE {where} ORDER BY target, entity, record_key "
                                  f"LIMIT {int(limit) + 1}").fetchall() if state else []
        if not counts:
            out.print("the ledger holds no records" + ("" if where == "true" else " that match"), highlight=False)
            return
        table = Table(title="erpload.ledger: records per destination and state", title_justify="left")
        for name in ("target", "scope (destination)", "entity", "state"):
            table.add_column(name)
        table.add_column("records", justify="right")
        for t, s, e, st, n in counts:
            table.add_row(str(t), escape(scope_label(s)), str(e), str(st), f"{n:,}")
        out.print(table)
        if records:
            listed = Table(title=f"records in state {state}", title_justify="left")
            for name in ("target", "entity", "key", "vendor ref", "updated", "why / answer"):
                listed.add_column(name)
            for t, _s, e, k, _st, ref, response, at in records[:limit]:
                text = str(response or "")
                listed.add_row(str(t), str(e), escape(str(k)), str(ref or ""), f"{at:%Y-%m-%d %H:%M:%S}",
                               escape(text if len(text) <= _RESPONSE_CHARS else text[:_RESPONSE_CHARS] + "…"))
            out.print(listed)
            if len(records) > limit:
                out.print(f"(more than {limit}; --limit shows more)", highlight=False)
        if state == "unknown" and records:
            out.print("settle each: `erpload ledger resolve <target> <key> --sent` when the vendor has it, "
                      "`--not-sent` when it does not (the next push sends it)", highlight=False)

    _run(body)


@ledger_app.command("resolve")
def resolve_cmd(
    target: Annotated[str, typer.Argument(help="The target, e.g. dvelop.")],
    key: Annotated[str, typer.Argument(help="The record's key as the ledger shows it.")],
    sent: Annotated[bool | None, typer.Option("--sent/--not-sent", help="--sent: the vendor has it (it counts as "
                                              "acknowledged); --not-sent: it does not, also if the vendor once "
                                              "acknowledged it (the next push sends it). Records sent in the same "
                                              "request go with it.",
                                              show_default=False)] = None,
    entity: EntityOpt = None,
    scope: ScopeOpt = None,
    staging: StagingOpt = None,
) -> None:
    """Record a decision for a record whose outcome is unknown (or whose job never finished); kept with who and
    when."""
    from erpload.cli.running import out
    from erpload.push.decisions import resolve

    def body() -> None:
        if sent is None:
            raise ConfigError("say what happened: --sent (the vendor has it) or --not-sent (it does not)",
                              hint="look it up at the vendor first (e.g. in the accounting system)")
        with connect(_staging(staging)) as con:
            decided = resolve(con, target, key, sent=sent, entity=entity, scope=scope)
        outcome = "counts as acknowledged: no push sends it again" if sent else "is pending: the next push sends it"
        out.print(f"recorded: {target} {decided.entity} {key} at {scope_label(decided.scope)} {outcome}"
                  + (f"; so {'does' if decided.with_it == 1 else 'do'} the {plural(decided.with_it, 'record')} "
                     "sent with it in the same request" if decided.with_it else ""), highlight=False, markup=False)

    _run(body)


def _create_only(con: duckdb.DuckDBPyConnection, target: str) -> bool:
    """Whether `target` is create-only: its declaration says so, or the ledger does (create-only pushes record
    `sending` events; a sender may be create-only for a destination its declaration does not know)."""
    from erpload.targets import targets

    declared = targets().get(target)
    if declared is not None and declared.create_only:
        return True
    row = con.execute(f"SELECT count(*) FROM {BATCHES} WHERE target = {sql_literal(target)} "
                      "AND state = 'sending'").fetchone()
    return bool(row and row[0])


@ledger_app.command("resend")
def resend_cmd(
    target: Annotated[str, typer.Argument(help="The target, e.g. dvelop.")],
    entity: EntityOpt = None,
    key: Annotated[str | None, typer.Option("--key", help="Only this record.")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="The destination; default: where the target's last "
                                              "push went.")] = None,
    yes_duplicate: Annotated[bool, typer.Option("--yes-duplicate", help="For a create-only target: send again "
                                                "although the vendor then holds the record twice.")] = False,
    staging: StagingOpt = None,
) -> None:
    """Send acknowledged records again on purpose: the next push sends them; the decision is kept with who and
    when."""
    from erpload.cli.running import out
    from erpload.push.decisions import latest_scope, resend

    def body() -> None:
        with connect(_staging(staging)) as con:
            ensure_ledger(con)
            where = scope or latest_scope(con, target, entity)
            if where is None:
                raise ConfigError(f"the ledger has no records of {target}" + (f" {entity}" if entity else ""),
                                  hint=f"nothing was sent yet: `erpload push {target}` sends everything")
            if _create_only(con, target) and not yes_duplicate:
                raise ConfigError(f"{target} creates a new record for every request and cannot change one: sending "
                                  "again creates duplicates (e.g. a second booking proposal)",
                                  hint="if that is what you want, add --yes-duplicate")
            n = resend(con, target, where, entity=entity, key=key)
        if not n:
            out.print(f"nothing to send again: no acknowledged {target} record matches at {where}", highlight=False,
                      markup=False)
            return
        out.print(f"marked {plural(n, target + ' record')} at {where} to be sent again: run `erpload push {target}`"
                  + (" (each becomes a duplicate at the vendor)" if yes_duplicate else ""), highlight=False,
                  markup=False)

    _run(body)
