"""erpload reads only the ERP it is told to, the demo fills only its own staging file, dlt's telemetry stays off."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import duckdb
import pytest
from typer.testing import CliRunner

from erpload.cli.main import app
from erpload.exit_codes import ExitCode
from erpload.runs import Run
from tests.utils import CliResult, Workspace

REPO = Path(__file__).resolve().parent.parent


def _bare_cli(*args: str) -> CliResult:
    """The CLI as typed, without the ERP `Workspace.cli` passes along."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize("command", [("extract",), ("run", "--quiet")], ids=["extract", "run"])
def test_no_erp_configured_stops_with_the_fix_and_creates_nothing(workspace: Workspace, command: tuple[str, ...]
                                                                   ) -> None:
    # a secrets file in another folder (the misplaced one) is not the current folder's
    elsewhere = workspace.root / "elsewhere" / ".dlt"
    elsewhere.mkdir(parents=True)
    (elsewhere / "secrets.toml").write_text('[sources.erp]\ncredentials = "sqlite:///erp.sqlite"\n')
    before = sorted(p.relative_to(workspace.root) for p in workspace.root.rglob("*"))

    result = _bare_cli(*command)

    assert result.exit_code == ExitCode.CONFIG, result.output
    message = " ".join(result.stderr.split())  # rich wraps long lines
    assert "no ERP configured" in message
    assert f"{workspace.root / '.dlt' / 'secrets.toml'} (looked up in the current folder; there is no such file)" \
        in message
    assert "SOURCES__ERP__CREDENTIALS" in message
    assert 'credentials = "demo"' in message
    assert "`erpload demo`" in message
    assert "Traceback" not in result.output
    # no staging file, no dlt state, no DATEV folder: the demo ERP beside it was not read either
    assert sorted(p.relative_to(workspace.root) for p in workspace.root.rglob("*")) == before


def test_a_secrets_file_without_the_erp_is_named(workspace: Workspace) -> None:
    (workspace.root / ".dlt").mkdir()
    (workspace.root / ".dlt" / "secrets.toml").write_text('[destination.dvelop]\napi_key = "k"\n')
    result = _bare_cli("extract")
    assert result.exit_code == ExitCode.CONFIG
    assert "it has no [sources.erp] credentials" in " ".join(result.stderr.split())
    assert not workspace.staging.exists()


@pytest.mark.parametrize("how", ["setting", "option"])
def test_the_demo_erp_is_read_when_asked_for_by_name(workspace: Workspace, monkeypatch: pytest.MonkeyPatch,
                                                     how: str) -> None:
    if how == "setting":
        monkeypatch.setenv("SOURCES__ERP__CREDENTIALS", "demo")
        result = _bare_cli("extract", "-q")
    else:
        result = _bare_cli("extract", "-q", "--erp-url", "demo")
    assert result.finished, result.output
    # ERPLOAD__DEMO_ERP (the fixture's copy) is the demo ERP read
    assert workspace.scalar("select count(*) from erp_raw.vendor") == workspace.erp("select count(*) from vendor")[0][0]
    # commands that only read the staging file need no ERP
    monkeypatch.delenv("SOURCES__ERP__CREDENTIALS", raising=False)
    assert _bare_cli("map").finished


def test_demo_refuses_a_staging_file_of_another_profile(workspace: Workspace) -> None:
    Run(command="extract", profile="odoo").record_in(workspace.staging)  # what an Odoo project's extract leaves

    result = workspace.cli("demo", "--quiet")

    assert result.exit_code == ExitCode.CONFIG, result.output
    message = " ".join(result.stderr.split())
    assert f"the staging file {workspace.staging} belongs to profile 'odoo'" in message
    assert "erpload demo --staging" in message
    # nothing of the demo went in
    assert workspace.query("select profile from runs") == [("odoo",)]
    assert workspace.scalar("select count(*) from duckdb_tables() where schema_name <> 'main'") == 0


def test_demo_refuses_a_staging_file_with_another_erps_tables(workspace: Workspace) -> None:
    with duckdb.connect(str(workspace.staging)) as con:  # extracted from another ERP, no runs recorded
        con.execute("CREATE SCHEMA erp_raw")
        con.execute("CREATE TABLE erp_raw.res_partner (id INTEGER)")
        con.execute("CREATE TABLE erp_raw.vendor (vendor_id INTEGER)")  # one the demo ERP has too

    result = workspace.cli("demo", "--quiet")

    assert result.exit_code == ExitCode.CONFIG, result.output
    message = " ".join(result.stderr.split())
    assert "holds ERP tables the demo ERP does not have (erp_raw.res_partner)" in message
    assert workspace.scalar("select count(*) from duckdb_tables() where schema_name = 'erp_raw'") == 2


class _TelemetrySink(http.server.BaseHTTPRequestHandler):
    events: ClassVar[list[bytes]] = []  # each served sink gets its own list

    def do_POST(self) -> None:
        self.events.append(self.rfile.read(int(self.headers.get("content-length", 0))))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def telemetry_sink() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback stand-in for dltHub's telemetry endpoint: the events it receives."""
    events: list[bytes] = []
    handler = type("Sink", (_TelemetrySink,), {"events": events})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", events
    finally:
        server.shutdown()
        server.server_close()


PLAIN_DLT = """import dlt
dlt.pipeline("probe", destination="duckdb", pipelines_dir="probe_state").run([{"a": 1}], table_name="t")"""
# dlt imported and its runtime started before erpload is imported, as in a host process (an orchestrator)
DLT_FIRST = """import dlt
pipeline = dlt.pipeline("probe", destination="duckdb", pipelines_dir="probe_state")
import erpload
pipeline.run([{"a": 1}], table_name="t")"""


def test_telemetry_is_off_outside_the_repository(tmp_path: Path, demo_erp_template: Path,
                                                 telemetry_sink: tuple[str, list[bytes]]) -> None:
    endpoint, events = telemetry_sink
    work = tmp_path / "project"  # no .dlt folder here: nothing in a config file turns telemetry off
    work.mkdir()
    assert not work.is_relative_to(REPO)
    shutil.copyfile(demo_erp_template, work / "erp.sqlite")
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY_ENDPOINT": endpoint, "HOME": str(tmp_path / "home"),
           "PYTHONPATH": str(REPO)}
    env.pop("RUNTIME__DLTHUB_TELEMETRY", None)

    def python(*args: str) -> None:
        subprocess.run([sys.executable, *args], cwd=work, env=env, check=True, capture_output=True, timeout=120)

    python("-c", PLAIN_DLT)  # the control: dlt on its own, here, does send
    assert events, "dlt sent no telemetry on its own: this test would prove nothing"
    events.clear()

    python("-m", "erpload.cli", "extract", "--erp-url", "sqlite:///erp.sqlite", "--staging", "erpload.duckdb", "-q")
    python("-c", DLT_FIRST)

    assert events == []
    assert (work / "erpload.duckdb").exists()  # the extract ran
