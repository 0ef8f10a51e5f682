"""The declaration expresses a target with several systems side by side (Maesn's shape): `--system` picks one,
its own options reach the sender factory, each system's missing settings are named."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from erpload.cli.target_commands import add_target_commands
from erpload.exit_codes import ExitCode
from tests.targets import several_systems


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    add_target_commands(app, {"several": several_systems.TARGET})
    several_systems.calls.clear()
    return app


def test_the_system_option_replaces_entity_and_offers_the_systems(cli: typer.Typer) -> None:
    shown = " ".join(CliRunner().invoke(cli, ["push", "several", "--help"]).stdout.split())
    assert "--system [alpha|beta]" in shown or "--system <alpha|beta>" in shown
    assert "--entity" not in shown
    assert "--month" in shown
    assert "--force" in shown
    assert "--single" not in shown  # not declared
    wrong = CliRunner().invoke(cli, ["push", "several", "--system", "gamma"])
    assert wrong.exit_code == ExitCode.CONFIG


def test_each_systems_missing_settings_are_named(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESTINATION__SEVERAL__BETA__COMPANY_ID", "c-7")
    result = CliRunner().invoke(cli, ["push", "several", "--system", "beta"])
    assert result.exit_code == ExitCode.CONFIG
    message = " ".join(result.stderr.split())
    assert "destination.several.api_key, destination.several.beta.account_key not set" in message
    assert "DESTINATION__SEVERAL__BETA__ACCOUNT_KEY" in message
    assert several_systems.calls == []  # stopped before the sender was made


def test_a_dry_run_gets_the_targets_own_options_without_any_key(cli: typer.Typer, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESTINATION__SEVERAL__ALPHA__COMPANY_ID", "c-1")
    staging = tmp_path / "erpload.duckdb"
    staging.touch()  # the push looks for it before it makes the sender
    result = CliRunner().invoke(cli, ["push", "several", "--dry-run", "--month", "2026-03", "--force",
                                      "--staging", str(staging)])
    assert "the factory saw the call" in " ".join(result.stderr.split())
    [call] = several_systems.calls
    assert call.dry_run
    assert dict(call.options) == {"month": "2026-03", "force": True}
