"""`--help` shows every command's first sentence whole, at every level (click cuts it at ~45 characters)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from erpload.cli.main import app


@pytest.mark.parametrize("group", [(), ("push",), ("transform",), ("export",), ("ledger",), ("datev",), ("fakes",)])
def test_command_lists_show_whole_sentences(group: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*group, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    listing = result.output.split("Commands:", 1)[1]
    assert listing.strip()
    assert "..." not in listing
