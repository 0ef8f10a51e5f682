"""Command lists in `--help` that show each command's first sentence whole.

click cuts a command's description in a group's list to what fits beside the longest name (45 characters or
so: "ERP → DuckDB dataset erp_raw: incremental on each table's..."); this group prints the first sentence and
lets the list wrap it instead. Every erpload group uses it (`typer.Typer(cls=WholeSentences)`).
"""

from __future__ import annotations

import re
from typing import Any

from typer.core import TyperGroup


def first_sentence(text: str) -> str:
    """The text up to its first sentence end (a full stop before a blank or the end), blanks folded.

    >>> first_sentence("ERP → erp_raw: incremental, merged.  More here.")
    'ERP → erp_raw: incremental, merged.'
    >>> first_sentence("no full stop")
    'no full stop'
    """
    folded = " ".join(text.split())
    match = re.search(r"\.(\s|$)", folded)
    return folded[: match.start() + 1] if match else folded


class WholeSentences(TyperGroup):
    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, first_sentence(command.short_help or command.help or "")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


#: the option every command takes, wherever it stands on the line (see ErploadGroup)
TENANT_OPTION = "--tenant"


def lift_option(args: list[str], option: str) -> list[str]:
    """`args` with `option` and its value moved to the front, so the root group reads it after any command name.

    >>> lift_option(["push", "dvelop", "--tenant", "acme", "-q"], "--tenant")
    ['--tenant', 'acme', 'push', 'dvelop', '-q']
    >>> lift_option(["run", "--tenant=acme"], "--tenant")
    ['--tenant=acme', 'run']
    >>> lift_option(["datev", "check", "--", "--tenant"], "--tenant")
    ['datev', 'check', '--', '--tenant']
    """
    lifted: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == option and i + 1 < len(args):
            lifted += args[i:i + 2]
            i += 2
            continue
        if arg.startswith(option + "="):
            lifted.append(arg)
        else:
            rest.append(arg)
        i += 1
    return lifted + rest


class ErploadGroup(WholeSentences):
    """The root group: `--tenant NAME` may follow any command (`erpload run --tenant acme`), as users type it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, lift_option(list(args), TENANT_OPTION))
