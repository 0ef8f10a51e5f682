"""Many tenants in one project: each with its own ERP, profile, staging file and folders, chosen with --tenant
anywhere on the line; what a tenant leaves out falls back to the top level, except its ERP and its files."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from erpload.cli.main import app
from erpload.exit_codes import ExitCode
from tests.utils import CliResult, Workspace, reread_dlt_folder

SECRET_KEY = "tenant-b-secret-api-key-4711"


def _cli(*args: str) -> CliResult:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


def _rows(staging: Path, sql: str) -> object:
    with duckdb.connect(str(staging), read_only=True) as con:
        row = con.execute(sql).fetchone()
        return row[0] if row else None


@pytest.fixture
def two_tenants(workspace: Workspace, dlt_settings: None) -> Workspace:
    """Tenants `a` (its own ERP file) and `b` (another copy, in a folder of its own choosing, and a vendor key)."""
    root = workspace.root
    for name in ("a", "b"):
        shutil.copyfile(workspace.erp_path, root / f"erp_{name}.sqlite")
    # tenant b's ERP differs: one customer fewer
    with sqlite3.connect(root / "erp_b.sqlite") as erp:
        erp.execute("DELETE FROM customer WHERE customer_id = (SELECT max(customer_id) FROM customer "
                    "WHERE customer_id NOT IN (SELECT customer_id FROM sales_invoice))")
    (root / ".dlt").mkdir()
    (root / ".dlt" / "config.toml").write_text(
        '[tenants.a.erpload]\nprofile = "demo"\ntargets = ["datev"]\n\n'
        '[tenants.b]\nfolder = "clients/b"\n[tenants.b.erpload]\ntargets = ["datev", "dvelop"]\n')
    (root / ".dlt" / "secrets.toml").write_text(
        f'[tenants.a.sources.erp]\ncredentials = "sqlite:///{root / "erp_a.sqlite"}"\n\n'
        f'[tenants.b.sources.erp]\ncredentials = "sqlite:///{root / "erp_b.sqlite"}"\n'
        f'[tenants.b.destination.dvelop]\napi_key = "{SECRET_KEY}"\n')
    reread_dlt_folder()
    return workspace


def test_each_tenant_extracts_its_own_erp_into_its_own_folder(two_tenants: Workspace) -> None:
    root = two_tenants.root
    assert _cli("extract", "--tenant", "a", "-q").exit_code == ExitCode.OK  # after the command
    assert _cli("--tenant", "b", "extract", "-q").exit_code == ExitCode.OK  # before it

    staged_a, staged_b = root / "tenants" / "a" / "erpload.duckdb", root / "clients" / "b" / "erpload.duckdb"
    count = "select count(*) from erp_raw.customer"
    assert _rows(staged_a, count) == _rows(staged_b, count) + 1  # type: ignore[operator]
    assert not (root / "erpload.duckdb").exists()  # the top level's staging file is nobody's
    # each one's dlt state lies beside its own staging file
    assert (root / "tenants" / "a" / ".erpload").is_dir()
    assert (root / "clients" / "b" / ".erpload").is_dir()
    # and the top level is as before once the command ends (same process)
    assert os.environ.get("ERPLOAD__STAGING") is None


def test_a_tenant_can_be_chosen_by_environment_and_is_the_default_when_alone(two_tenants: Workspace,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = two_tenants.root
    monkeypatch.setenv("ERPLOAD_TENANT", "b")
    assert _cli("extract", "-q").exit_code == ExitCode.OK
    assert (root / "clients" / "b" / "erpload.duckdb").exists()
    monkeypatch.delenv("ERPLOAD_TENANT")

    # two tenants and no top-level ERP: a command without --tenant does not guess, it names them
    result = _cli("extract", "-q")
    assert result.exit_code == ExitCode.CONFIG
    message = " ".join(result.stderr.split())
    assert "no ERP configured" in message
    assert "tenants are configured (a, b): give --tenant NAME" in message

    config = root / ".dlt" / "config.toml"
    config.write_text(config.read_text().split("[tenants.b]")[0])
    secrets = root / ".dlt" / "secrets.toml"
    secrets.write_text(secrets.read_text().split("[tenants.b.sources.erp]")[0])
    # a new process, as dlt reads .dlt/ once per process
    env = {k: v for k, v in os.environ.items() if k != "ERPLOAD__DEMO_ERP"}
    result = subprocess.run([sys.executable, "-m", "erpload.cli", "extract", "-q"], cwd=root, env=env,
                            capture_output=True, text=True)
    assert result.returncode == ExitCode.OK, result.stderr  # the only tenant
    assert (root / "tenants" / "a" / "erpload.duckdb").exists()


def test_an_unknown_tenant_or_one_without_its_own_erp_stops_with_the_fix(two_tenants: Workspace,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    result = _cli("status", "--tenant", "c")
    assert result.exit_code == ExitCode.CONFIG
    message = " ".join(result.stderr.split())
    assert "there is no tenant 'c' (tenants: a, b)" in message
    assert "[tenants.c]" in message

    # the top level names an ERP: a tenant without one must not read it
    monkeypatch.setenv("SOURCES__ERP__CREDENTIALS", two_tenants.erp_url)
    monkeypatch.setenv("TENANTS__C__ERPLOAD__PROFILE", "demo")
    result = _cli("extract", "--tenant", "c", "-q")
    assert result.exit_code == ExitCode.CONFIG
    message = " ".join(result.stderr.split())
    assert "tenant 'c' names no ERP" in message
    assert "TENANTS__C__SOURCES__ERP__CREDENTIALS" in message
    assert not (two_tenants.root / "tenants" / "c").exists()


def test_a_broken_tenant_stops_its_own_commands_only(two_tenants: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANTS__C__ERPLOAD__PROFILE", "demo")  # tenant c names no ERP
    assert _cli("extract", "--tenant", "a", "-q").exit_code == ExitCode.OK  # a is fine: c is not a's business
    assert (two_tenants.root / "tenants" / "a" / "erpload.duckdb").exists()
    result = _cli("extract", "--tenant", "c", "-q")
    assert result.exit_code == ExitCode.CONFIG
    assert "tenant 'c' names no ERP" in " ".join(result.stderr.split())
    listed = _cli("tenants")  # the list is about every tenant: it names the one that cannot work
    assert listed.exit_code == ExitCode.CONFIG
    assert "tenant 'c' names no ERP" in " ".join(listed.stderr.split())


def test_tenants_lists_each_without_its_secrets(two_tenants: Workspace) -> None:
    root = two_tenants.root
    (root / ".dlt" / "secrets.toml").write_text(
        (root / ".dlt" / "secrets.toml").read_text().replace(f"sqlite:///{root / 'erp_a.sqlite'}",
                                                             "postgresql://erp_reader:pa55word-a@db:5432/erp_a"))
    reread_dlt_folder()
    result = _cli("tenants")
    assert result.exit_code == ExitCode.OK, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    assert set(lines) == {"a", "b"}
    assert "postgresql://erp_reader:***@db:5432/erp_a" in lines["a"]
    assert "tenants/a/erpload.duckdb" in lines["a"]
    assert "clients/b/erpload.duckdb" in lines["b"]
    assert "datev, dvelop" in lines["b"]
    assert "pa55word-a" not in result.output
    assert SECRET_KEY not in result.output


def test_a_tenant_s_vendor_key_is_its_own_and_the_top_level_s_is_the_fallback(two_tenants: Workspace,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESTINATION__DVELOP__API_KEY", "top-level-key-0815")
    code = ("import dlt\nfrom erpload.tenants import choose, working_on\n"
            "for name in ('a', 'b'):\n"
            "    with working_on(choose(name)):\n"
            "        print(name, dlt.secrets.get('destination.dvelop.api_key'), dlt.config.get('erpload.staging'),\n"
            "              dlt.config.get('erpload.datev.out'))\n"
            "print('top', dlt.secrets.get('destination.dvelop.api_key'), dlt.config.get('erpload.staging'))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=two_tenants.root,
                            env={**os.environ, "ERPLOAD__STAGING": "mine.duckdb"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["a top-level-key-0815 tenants/a/erpload.duckdb tenants/a/out/datev",
                                          f"b {SECRET_KEY} clients/b/erpload.duckdb clients/b/out/datev",
                                          "top top-level-key-0815 mine.duckdb"]


def test_two_tenants_run_side_by_side(two_tenants: Workspace) -> None:
    """Separate processes at the same time, as an orchestrator runs them: they share no file, so neither waits."""
    root = two_tenants.root
    env = {k: v for k, v in os.environ.items() if k != "ERPLOAD__DEMO_ERP"}
    runs = [subprocess.Popen([sys.executable, "-m", "erpload.cli", "run", "--until", "map", "--tenant", name, "-q"],
                             cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("a", "b")]
    for proc in runs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode in (ExitCode.OK, ExitCode.DATA), stderr  # the demo ERP's faults are rejects
    for staging in (root / "tenants" / "a" / "erpload.duckdb", root / "clients" / "b" / "erpload.duckdb"):
        assert _rows(staging, "select count(*) from erp.customers") > 0  # type: ignore[operator]
        assert _rows(staging, "select count(distinct command) from erpload.runs") == 2  # extract, map
