"""A Maesn push killed (SIGKILL, a real subprocess) after a random number of proposals arrived, then re-run: what
the kill left `unknown` is settled as a person would (looking in the accounting system, here the fake's inspection
API), and at the end each proposal is in the fake exactly once, none missing, none left without a decision."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from erpload.exit_codes import ExitCode
from erpload.push.pusher import payload_sql
from fakes.faults import Faults
from fakes.maesn import MaesnFake
from fakes.serving import serve_in_thread
from tests.contract.cases import MAESN_ACCOUNTS, MAESN_COMPANIES, MAESN_KEY, MAESN_SYSTEMS, canonical
from tests.utils import Workspace

PER_SYSTEM = 6


@pytest.fixture
def maesn(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MaesnFake, dict[str, str]]]:
    """The Maesn fake with all five systems connected, and the environment pointing erpload at it."""
    fake = MaesnFake(MAESN_KEY, account_keys=MAESN_ACCOUNTS, companies={s: {c} for s, c in MAESN_COMPANIES.items()})
    with serve_in_thread(fake.app) as url:
        env = {"DESTINATION__MAESN__BASE_URL": url, "DESTINATION__MAESN__API_KEY": MAESN_KEY,
               "DESTINATION__MAESN__POLL_INTERVAL_S": "0.01", "DESTINATION__MAESN__RATE_LIMIT_PER_S": "1000",
               "RUNTIME__LOG_LEVEL": "WARNING"}
        for system in MAESN_SYSTEMS:
            env[f"DESTINATION__MAESN__{system.upper()}__ACCOUNT_KEY"] = MAESN_ACCOUNTS[system]
            if system in MAESN_COMPANIES:
                env[f"DESTINATION__MAESN__{system.upper()}__COMPANY_ID"] = MAESN_COMPANIES[system]
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield fake, env


def _workspace(root: Path, transformed: Path) -> tuple[Workspace, dict[str, tuple[str, str]]]:
    """A project with `PER_SYSTEM` proposals of each system; canonical bookingProposal → (system, key)."""
    root.mkdir()
    ws = Workspace(root=root, erp_path=root / "unused.sqlite")
    shutil.copyfile(transformed, ws.staging)
    ours = {}
    with duckdb.connect(str(ws.staging)) as con:
        for system in MAESN_SYSTEMS:
            con.execute(f"""DELETE FROM maesn.{system} WHERE _key NOT IN (
                                SELECT _key FROM maesn.{system} ORDER BY _key LIMIT {PER_SYSTEM})""")
            for key, payload in con.execute(f"SELECT _key, payload FROM ({payload_sql(con, 'maesn', system)})"
                                            ).fetchall():
                ours[canonical(json.loads(payload)["booking_proposal"])] = (system, str(key))
    return ws, ours


def _arrivals(fake: MaesnFake, ours: dict[str, tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(system, key) → how often the proposal arrived, by what the fake's inspection lists."""
    return {ours[canonical(p["bookingProposal"])]: p["arrivals"] for p in fake.proposals()}


def _kill_and_settle(tmp_path: Path, transformed: Path, maesn: tuple[MaesnFake, dict[str, str]], *, rounds: int,
                     seed: int) -> None:
    fake, env = maesn
    rng = random.Random(seed)
    total = PER_SYSTEM * len(MAESN_SYSTEMS)
    for round_no in range(rounds):
        ws, ours = _workspace(tmp_path / f"round{round_no}", transformed)
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
        arrived = sum(_arrivals(fake, ours).values())
        assert arrived >= kill_after, f"round {round_no}: the push ended before the kill"

        first = ws.cli("push", "maesn", "--quiet")
        assert first.exit_code in (ExitCode.OK, ExitCode.UNDECIDED), first.output
        unknown = ws.query("SELECT entity, record_key FROM ledger WHERE target = 'maesn' AND state = 'unknown'")
        if unknown:
            listed = ws.cli("ledger", "--staging", str(ws.staging), "--state", "unknown", "--limit", "100")
            assert all(str(k) in listed.stdout for _, k in unknown), listed.stdout
        for entity, key in unknown:  # a person looks in the accounting system
            there = (str(entity), str(key)) in _arrivals(fake, ours)
            decided = ws.cli("ledger", "resolve", "maesn", str(key), "--entity", str(entity),
                             "--sent" if there else "--not-sent", "--staging", str(ws.staging))
            assert decided.exit_code == 0, decided.output
        last = ws.cli("push", "maesn", "--quiet")
        assert last.exit_code == ExitCode.OK, f"round {round_no}: {last.output}"
        held = _arrivals(fake, ours)
        assert set(held) == set(ours.values()), f"round {round_no} (killed after {kill_after}): missing"
        assert set(held.values()) == {1}, f"round {round_no} (killed after {kill_after}): a duplicate"
        assert ws.query("SELECT state, count(*) FROM ledger WHERE target = 'maesn' GROUP BY ALL") == [
            ("acknowledged", total)], f"round {round_no}: a record without a decision"


def test_maesn_pushes_killed_at_random_leave_each_proposal_exactly_once(
        tmp_path: Path, transformed_staging: Path, maesn: tuple[MaesnFake, dict[str, str]]) -> None:
    _kill_and_settle(tmp_path, transformed_staging, maesn, rounds=3, seed=1507)


@pytest.mark.slow
def test_twenty_maesn_pushes_killed_at_random_leave_each_proposal_exactly_once(
        tmp_path: Path, transformed_staging: Path, maesn: tuple[MaesnFake, dict[str, str]]) -> None:
    _kill_and_settle(tmp_path, transformed_staging, maesn, rounds=20, seed=20261207)
