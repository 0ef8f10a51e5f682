"""A Uniconta push killed (SIGKILL, a real subprocess) after a random number of export calls arrived, then re-run:
the call the kill left `unknown` is settled as a person would (looking in Uniconta, here the fake's inspection API),
and at the end every invoice the plan exports is in Uniconta exactly once, and no omitted one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from erpload.exit_codes import ExitCode
from erpload.fakes.faults import Faults
from erpload.fakes.telecomx.app import EXPORT
from erpload.transforms.uniconta.demo import UNKNOWN_TO_ERP
from tests.uniconta.support import Telecom
from tests.utils import Workspace


def _kill_and_settle(ws: Workspace, telecom: Telecom, monkeypatch: pytest.MonkeyPatch, *, rounds: int,
                     seed: int) -> None:
    rng = random.Random(seed)
    unknown_month = telecom.unknown_month()
    to_export = {str(k) for (k,) in ws.query("select _key from uniconta.invoices where verdict = 'export'")}
    months = [str(m) for (m,) in ws.query("select month from uniconta.months where state = 'ready'")]
    for round_no in range(rounds):
        telecom.fake.set_faults(Faults(latency=0.05, match_path=EXPORT))  # the kill lands while a call is out
        kill_after = rng.randint(1, len(months) - 1)
        proc = subprocess.Popen([sys.executable, "-m", "erpload.cli", "push", "uniconta", "--quiet", "--staging",
                                 str(ws.staging)], env=dict(os.environ), cwd=ws.root,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while (len(telecom.fake.log.records(path_prefix=EXPORT)) < kill_after and proc.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        telecom.fake.set_faults(Faults())
        telecom.fake.wait_for_exports()

        again = ws.cli("push", "uniconta", "--quiet")
        assert again.exit_code in (ExitCode.OK, ExitCode.UNDECIDED), again.output
        for (month,) in ws.query("select record_key from erpload.ledger where target = 'uniconta' "
                                 "and entity = 'months' and state = 'unknown'"):
            done = any(c["outcome"] == "completed" for c in telecom.calls(str(month)))  # a person looks in Uniconta
            decided = ws.cli("ledger", "resolve", "uniconta", str(month), "--sent" if done else "--not-sent",
                             "--staging", str(ws.staging))
            assert decided.exit_code == 0, decided.output
        last = ws.cli("push", "uniconta", "--quiet")
        assert last.exit_code == ExitCode.OK, f"round {round_no}: {last.output}"
        held = telecom.in_uniconta()
        held.pop(UNKNOWN_TO_ERP, None)
        assert set(held) == to_export, f"round {round_no} (killed after {kill_after} calls): missing or extra"
        assert set(held.values()) == {1}, f"round {round_no} (killed after {kill_after} calls): exported twice"
        states = ws.query("select entity, state, count(*) from erpload.ledger where target = 'uniconta' "
                          "group by all order by all")
        assert {str(s) for _, s, _ in states} == {"acknowledged"}, f"round {round_no}: {states}"
        # the next round starts again from nothing at Telecom X and in the ledger
        telecom.seed(ws, monkeypatch, unknown_month=unknown_month)
        with duckdb.connect(str(ws.staging)) as con:
            con.execute("delete from erpload.ledger_records where target = 'uniconta'")
            con.execute("delete from erpload.ledger_batches where target = 'uniconta'")
            con.execute("delete from erpload.ledger_decisions where target = 'uniconta'")


def test_uniconta_pushes_killed_at_random_export_each_invoice_exactly_once(
        ws: Workspace, telecom: Telecom, monkeypatch: pytest.MonkeyPatch) -> None:
    _kill_and_settle(ws, telecom, monkeypatch, rounds=2, seed=1612)


@pytest.mark.slow
def test_ten_uniconta_pushes_killed_at_random_export_each_invoice_exactly_once(
        ws: Workspace, telecom: Telecom, monkeypatch: pytest.MonkeyPatch) -> None:
    _kill_and_settle(ws, telecom, monkeypatch, rounds=10, seed=20261207)
