"""A Maesn push killed (SIGKILL, a real subprocess) after a random number of proposals arrived, then re-run: what
the kill left `unknown` is settled as a person would (looking in the accounting system, here the fake's inspection
API), and at the end each proposal is in the fake exactly once, none missing, none left without a decision."""

from __future__ import annotations

import os
import random
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


def _kill_and_settle(tmp_path: Path, transformed: Path, five_systems: tuple[MaesnFake, dict[str, str]], *, rounds: int,
                     seed: int) -> None:
    fake, env = five_systems
    rng = random.Random(seed)
    total = PER_SYSTEM * len(MAESN_SYSTEMS)
    for round_no in range(rounds):
        ws, ours = workspace(tmp_path / f"round{round_no}", transformed)
        assert len(ours) == total
        fake.reset()
        fake.set_faults(Faults(latency=0.02))  # a kill lands among requests in flight, 8 at once
        kill_after = rng.randint(1, total - 2)
        proc = subprocess.Popen([sys.executable, "-m", "erpload.cli", "push", "maesn", "--quiet", "--staging",
                                 str(ws.staging)], env={**os.environ, **env}, cwd=ws.root,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while (sum(c["arrivals"] for c in fake.counts().values()) < kill_after and proc.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        fake.set_faults(Faults())
        arrived = sum(arrivals(fake, ours).values())
        assert arrived >= kill_after, f"round {round_no}: the push ended before the kill"

        first = ws.cli("push", "maesn", "--quiet")
        assert first.exit_code in (ExitCode.OK, ExitCode.UNDECIDED), first.output
        unknown = ws.query("SELECT entity, record_key FROM ledger WHERE target = 'maesn' AND state = 'unknown'")
        if unknown:
            listed = ws.cli("ledger", "--staging", str(ws.staging), "--state", "unknown", "--limit", "100")
            assert all(str(k) in listed.stdout for _, k in unknown), listed.stdout
        for entity, key in unknown:  # a person looks in the accounting system
            there = (str(entity), str(key)) in arrivals(fake, ours)
            decided = ws.cli("ledger", "resolve", "maesn", str(key), "--entity", str(entity),
                             "--sent" if there else "--not-sent", "--staging", str(ws.staging))
            assert decided.exit_code == 0, decided.output
        last = ws.cli("push", "maesn", "--quiet")
        assert last.exit_code == ExitCode.OK, f"round {round_no}: {last.output}"
        held = arrivals(fake, ours)
        assert set(held) == set(ours.values()), f"round {round_no} (killed after {kill_after}): missing"
        assert set(held.values()) == {1}, f"round {round_no} (killed after {kill_after}): a duplicate"
        assert ws.query("SELECT state, count(*) FROM ledger WHERE target = 'maesn' GROUP BY ALL") == [
            ("acknowledged", total)], f"round {round_no}: a record without a decision"


def test_maesn_pushes_killed_at_random_leave_each_proposal_exactly_once(
        tmp_path: Path, transformed_staging: Path, five_systems: tuple[MaesnFake, dict[str, str]]) -> None:
    _kill_and_settle(tmp_path, transformed_staging, five_systems, rounds=2, seed=1507)


@pytest.mark.slow
def test_twenty_maesn_pushes_killed_at_random_leave_each_proposal_exactly_once(
        tmp_path: Path, transformed_staging: Path, five_systems: tuple[MaesnFake, dict[str, str]]) -> None:
    _kill_and_settle(tmp_path, transformed_staging, five_systems, rounds=20, seed=20261207)
