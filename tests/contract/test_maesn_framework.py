"""The push framework with Maesn's five systems at once: a task that never finishes blocks no other system, and
Ctrl-C stops after the proposals in flight (real HTTP against the fake, the real CLI, a real subprocess for the
signal)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from erpload.exit_codes import ExitCode
from erpload.fakes.faults import Faults
from erpload.fakes.maesn import MaesnFake
from tests.contract.cases import MAESN_SYSTEMS
from tests.contract.maesn_systems import PER_SYSTEM, arrivals, workspace
from tests.utils import Workspace

TOTAL = PER_SYSTEM * len(MAESN_SYSTEMS)


def _states(ws: Workspace, where: str = "true") -> dict[str, int]:
    rows = ws.query(f"SELECT state, count(*) FROM ledger WHERE target = 'maesn' AND {where} GROUP BY ALL")
    return {str(s): int(n) for s, n in rows}  # type: ignore[call-overload]


def test_a_task_that_never_finishes_blocks_no_other_system_and_a_later_push_settles_it(
        tmp_path: Path, transformed_staging: Path, five_systems: tuple[MaesnFake, dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake, _ = five_systems
    ws, ours = workspace(tmp_path / "p", transformed_staging)
    monkeypatch.setenv("DESTINATION__MAESN__TASK_TIMEOUT_S", "0.3")
    fake.set_faults(Faults(stuck_jobs=[1]))  # the push's first task (a DATEV UO proposal) stays IN_PROGRESS
    result = ws.cli("push", "maesn", "--quiet")
    assert result.exit_code == ExitCode.OK, result.output
    assert "1 batch(es) sent but not yet confirmed by maesn" in " ".join(result.output.split())
    assert _states(ws) == {"acknowledged": TOTAL - 1, "sent": 1}
    assert _states(ws, "entity <> 'datev_uo'") == {"acknowledged": TOTAL - PER_SYSTEM}  # the next systems went on

    posts = sum(c["arrivals"] for c in fake.counts().values())
    result = ws.cli("push", "maesn", "--quiet")  # still running: asked once, not waited for, not sent again
    assert result.exit_code == ExitCode.OK, result.output
    assert sum(c["arrivals"] for c in fake.counts().values()) == posts
    assert _states(ws) == {"acknowledged": TOTAL - 1, "sent": 1}

    fake.set_faults(Faults())  # the task ends
    result = ws.cli("push", "maesn", "--quiet")
    assert result.exit_code == ExitCode.OK, result.output
    assert _states(ws) == {"acknowledged": TOTAL}
    assert arrivals(fake, ours) == dict.fromkeys(ours.values(), 1)


def test_ctrl_c_lets_the_proposals_in_flight_finish_and_starts_no_other(
        tmp_path: Path, transformed_staging: Path, five_systems: tuple[MaesnFake, dict[str, str]]) -> None:
    fake, env = five_systems
    ws, ours = workspace(tmp_path / "p", transformed_staging)
    fake.set_faults(Faults(latency=0.05, job_queued_polls=3))  # each proposal is with Maesn for ~0.25 s
    proc = subprocess.Popen([sys.executable, "-m", "erpload.cli", "push", "maesn", "--quiet", "--staging",
                             str(ws.staging)], env={**os.environ, **env}, cwd=ws.root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while sum(c["arrivals"] for c in fake.counts().values()) < 3 and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    arrived = arrivals(fake, ours)
    assert 3 <= len(arrived) < TOTAL, "the push went on after Ctrl-C"
    # every proposal that reached Maesn is on record with its task, none is left to a decision
    on_record = {(str(e), str(k)) for e, k in ws.query(
        "SELECT entity, record_key FROM ledger WHERE state IN ('sent', 'acknowledged')")}
    assert on_record == set(arrived)
    assert "unknown" not in _states(ws)

    fake.set_faults(Faults())
    for _ in range(3):  # a push asks about a task left running once, without waiting
        assert ws.cli("push", "maesn", "--quiet").exit_code == ExitCode.OK
        if "sent" not in _states(ws):
            break
    assert _states(ws) == {"acknowledged": TOTAL}
    assert arrivals(fake, ours) == dict.fromkeys(ours.values(), 1)
