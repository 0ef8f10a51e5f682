"""manifest.json derives from the export ledger: real `erpload export datev` processes, killed with SIGKILL at
each step (the ERPLOAD_TEST_KILL_AT hook in transforms/datev/export_folder.py) or racing into one folder."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from erpload.cli.main import app
from erpload.sources.demo_erp import create_demo_erp
from erpload.transforms.datev.export_folder import KILL_STEPS
from tests.conftest import TEST_SEED
from tests.utils import shared_workspace


@pytest.fixture(scope="module")
def transformed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A staging file transformed for DATEV and not exported yet (a small ERP); each test exports copies of it."""
    root = tmp_path_factory.mktemp("manifest")
    create_demo_erp(root / "erp.sqlite", seed=TEST_SEED, scale=0.1)
    with shared_workspace(root, root / "erp.sqlite", ("extract",), ("map",), ("transform", "datev")) as ws:
        yield ws.staging


def _copy(template: Path, to: Path) -> Path:
    shutil.copyfile(template, to)
    return to


def _export(cwd: Path, staging: Path, *extra: str, kill_at: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"}
    env.pop("SOURCES__ERP__CREDENTIALS", None)
    env.pop("ERPLOAD_TEST_KILL_AT", None)
    if kill_at:
        env["ERPLOAD_TEST_KILL_AT"] = kill_at
    return subprocess.Popen([sys.executable, "-m", "erpload.cli", "export", "datev", "--staging", str(staging),
                             "--out", "out", *extra], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _export_here(staging: Path, out: Path, *extra: str) -> str:
    """An export in this process: cheaper than a subprocess where nothing is killed or raced."""
    result = CliRunner().invoke(app, ["export", "datev", "--staging", str(staging), "--out", str(out), *extra],
                                catch_exceptions=False)
    assert result.exit_code in (0, 5), result.stdout + result.stderr
    return result.stdout + result.stderr


def _reconciled(staging: Path) -> str:
    result = CliRunner().invoke(app, ["datev", "reconcile", "--staging", str(staging)], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def _finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode in (0, 5), out + err  # 5: the demo ERP's faults are set aside on purpose
    return out + err


def _killed(process: subprocess.Popen[str]) -> None:
    out, err = process.communicate(timeout=300)
    assert process.returncode == -signal.SIGKILL, out + err


def _on_record(stagings: list[Path], out: Path) -> dict[str, tuple[str, int]]:
    """Every file the staging files' ledgers hold for `out`: name -> (sha256, rows); a name in two ledgers fails."""
    recorded: dict[str, tuple[str, int]] = {}
    prefix = str(out.resolve() / "x")[:-1]
    for staging in stagings:
        with duckdb.connect(str(staging), read_only=True) as con:
            rows = con.execute("SELECT file_name, sha256, rows FROM exports WHERE path = ? || file_name",
                               [prefix]).fetchall()
        for name, sha, count in rows:
            assert name not in recorded, f"{name} is on record in two staging files"
            recorded[name] = (sha, count)
    return recorded


def assert_manifest_is_the_ledger(out: Path, stagings: list[Path]) -> None:
    """The manifest lists exactly the files on record, each once, as they are on disk; nothing else is visible,
    nothing waits unpublished."""
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    names = [e["file"] for e in entries]
    assert len(names) == len(set(names)), "a file is listed twice"
    recorded = _on_record(stagings, out)
    assert recorded
    assert {e["file"]: (e["sha256"], e["rows"]) for e in entries} == recorded
    for name, (sha, _) in recorded.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha, name
    assert {p.name for p in out.glob("*.csv")} == set(recorded)
    assert not list(out.glob("*.part"))
    assert not list((out / ".erpload" / "pending").glob("*/*"))


def _booked_once(staging: Path, out: Path) -> None:
    """Every booking is in exactly one visible file: the files' rows add up to the dataset's."""
    with duckdb.connect(str(staging), read_only=True) as con:
        bookings = con.execute("SELECT count(*) FROM datev.bookings").fetchone()
        in_files = con.execute("SELECT sum(rows) FROM exports WHERE category = 21").fetchone()
    assert bookings == in_files


@pytest.mark.parametrize("step", KILL_STEPS)
def test_a_kill_at_any_step_is_set_right_by_the_next_export(transformed: Path, tmp_path: Path, step: str) -> None:
    staging = _copy(transformed, tmp_path / "a.duckdb")
    out = tmp_path / "out"
    _export_here(staging, out, "--company", "1000")  # a manifest exists before the kill
    before = json.loads((out / "manifest.json").read_text())["files"]
    _killed(_export(tmp_path, staging, kill_at=step))
    manifest = json.loads((out / "manifest.json").read_text())["files"]
    assert manifest == before  # the kill left the manifest behind the files (or their ledger)
    output = _export_here(staging, out)
    assert_manifest_is_the_ledger(out, [staging])
    _booked_once(staging, out)
    expected = {"written": "never recorded", "committed": "published", "renamed": "missing from",
                "manifest": "missing from"}[step]
    assert expected in output.replace("\n", " "), output


def test_two_exports_racing_into_one_folder(transformed: Path, tmp_path: Path) -> None:
    """Two staging files (the same ERP: the same companies, periods and file names) export at once."""
    a, b = _copy(transformed, tmp_path / "a.duckdb"), _copy(transformed, tmp_path / "b.duckdb")
    racing = [_export(tmp_path, a), _export(tmp_path, b)]
    for process in racing:
        _finish(process)
    out = tmp_path / "out"
    assert_manifest_is_the_ledger(out, [a, b])
    # the second took the next sequence numbers instead of overwriting the first one's files
    assert any(p.name.endswith("_02.csv") for p in out.glob("EXTF_Buchungsstapel_*.csv"))
    for staging in (a, b):  # each ledger's files are on disk as it wrote them
        _booked_once(staging, out)
        _reconciled(staging)


def test_race_of_two_companies_and_a_kill_in_between(transformed: Path, tmp_path: Path) -> None:
    """A is killed after its commit; B (another staging file, another company) exports meanwhile, leaves A's
    files alone and says so; A's next export publishes them."""
    a, b = _copy(transformed, tmp_path / "a.duckdb"), _copy(transformed, tmp_path / "b.duckdb")
    _killed(_export(tmp_path, a, "--company", "1000", kill_at="committed"))
    output = _export_here(b, tmp_path / "out", "--company", "2000")
    assert "wait unpublished" in output.replace("\n", " "), output
    assert "a.duckdb" in output
    output = _export_here(a, tmp_path / "out", "--company", "1000")
    assert "published" in output
    assert_manifest_is_the_ledger(tmp_path / "out", [a, b])


def test_reconcile_rebuilds_a_lost_or_doubled_manifest(transformed: Path, tmp_path: Path) -> None:
    staging = _copy(transformed, tmp_path / "a.duckdb")
    out = tmp_path / "out"
    _export_here(staging, out)
    manifest = out / "manifest.json"
    entries = json.loads(manifest.read_text())["files"]
    manifest.write_text(json.dumps({"files": entries + entries[:3]}))  # what two racing exports used to write
    assert "listed 3 files twice" in _reconciled(staging).replace("\n", " ")
    assert_manifest_is_the_ledger(out, [staging])
    manifest.unlink()
    assert "missing from" in _reconciled(staging).replace("\n", " ")
    assert_manifest_is_the_ledger(out, [staging])
    manifest.write_text("{not json")
    assert "could not be read" in _reconciled(staging).replace("\n", " ")
    assert_manifest_is_the_ledger(out, [staging])


def test_files_of_a_staging_file_moved_after_a_kill_are_published(transformed: Path, tmp_path: Path) -> None:
    staging = _copy(transformed, tmp_path / "a.duckdb")
    _killed(_export(tmp_path, staging, kill_at="committed"))
    moved = staging.rename(tmp_path / "moved.duckdb")
    wal = staging.with_name(staging.name + ".wal")  # the killed export's commit may sit in the log yet
    if wal.exists():
        wal.rename(moved.with_name(moved.name + ".wal"))
    output = _export_here(moved, tmp_path / "out")
    assert "published" in output
    assert_manifest_is_the_ledger(tmp_path / "out", [moved])
    _booked_once(moved, tmp_path / "out")
