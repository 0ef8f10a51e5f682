"""The push framework beyond one vendor: ledger scope, jobs that never finish, create-only senders (exactly once,
unknown outcomes held for a decision), `erpload ledger` and sending again on purpose.

Real HTTP against the d.velop fake, the real CLI, real DuckDB. A create-only sender is the d.velop sender with
`create_only = True` (its batch POST then counts as a create: a lost answer is not retried).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

import erpload.destinations.dvelop.destination as dvelop_destination
from erpload.destinations.dvelop.destination import DvelopSender
from erpload.exit_codes import ExitCode
from erpload.fakes.dvelop.models import ENTITIES
from erpload.push.ledger import BATCHES, RECORDS, ensure_ledger
from tests.push.conftest import BUCKET, DvelopCase
from tests.support.dvelop_records import write_vendors
from tests.utils import Workspace


class CreateOnlyDvelop(DvelopSender):
    """d.velop's API treated as create-only: what a booking-proposal API needs from the framework."""

    create_only = True


@pytest.fixture
def create_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """`erpload push dvelop` (and `erpload ledger`) use the create-only sender."""
    monkeypatch.setattr(dvelop_destination, "DvelopSender", CreateOnlyDvelop)


def _states(ws: Workspace, where: str = "true") -> dict[str, int]:
    rows = ws.query(f"select state, count(*) from ledger where target = 'dvelop' and {where} group by all")
    return {str(s): int(n) for s, n in rows}  # type: ignore[call-overload]


def _applied(case: DvelopCase, entity: str, bucket: str = BUCKET) -> dict[str, int]:
    """Record key → how often the fake applied it."""
    return case.fake.store.applied(bucket, ENTITIES[entity])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_new_destination_gets_everything_once_and_the_old_one_keeps_its_ledger(
        vendors_workspace: Workspace, dvelop: DvelopCase, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = vendors_workspace
    assert ws.cli("push", "dvelop", "--quiet").exit_code == 0
    monkeypatch.setenv("DESTINATION__DVELOP__BUCKET_ID", "bucket-two")
    result = ws.cli("push", "dvelop", "--quiet")
    assert result.exit_code == 0, result.output
    text = _one_line(result.output)
    assert f"first push to {dvelop.base_url} bucket=bucket-two" in text
    assert f"60 records acknowledged at {dvelop.base_url} bucket={BUCKET} are sent here too" in text
    for entity in ("vendors", "vendor_bank_accounts"):
        assert set(_applied(dvelop, entity, "bucket-two").values()) == {1}
        assert len(_applied(dvelop, entity, "bucket-two")) == 30
        assert set(_applied(dvelop, entity).values()) == {1}  # the first bucket got nothing again
    scopes = dict(ws.query("select scope, count(*) from ledger where state = 'acknowledged' group by all"))
    assert scopes == {f"{dvelop.base_url} bucket={BUCKET}": 60, f"{dvelop.base_url} bucket=bucket-two": 60}

    # each destination is settled on its own: neither gets anything again
    before = len(dvelop.batches())
    assert "first push" not in ws.cli("push", "dvelop", "--quiet").output
    monkeypatch.setenv("DESTINATION__DVELOP__BUCKET_ID", BUCKET)
    assert ws.cli("push", "dvelop", "--quiet").exit_code == 0
    assert len(dvelop.batches()) == before


def test_rows_from_before_scopes_count_as_another_destination(vendors_workspace: Workspace,
                                                              dvelop: DvelopCase) -> None:
    ws = vendors_workspace
    with duckdb.connect(str(ws.staging)) as con:  # the ledger tables as they were before scopes
        con.execute("CREATE SEQUENCE ledger_seq")
        con.execute("""CREATE TABLE ledger_records (target VARCHAR NOT NULL, entity VARCHAR NOT NULL,
                       record_key VARCHAR NOT NULL, payload_hash VARCHAR NOT NULL, batch_id VARCHAR NOT NULL,
                       run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, logged_at TIMESTAMP NOT NULL)""")
        con.execute("""CREATE TABLE ledger_batches (batch_id VARCHAR NOT NULL, target VARCHAR NOT NULL,
                       entity VARCHAR NOT NULL, state VARCHAR NOT NULL, retry BOOLEAN NOT NULL, vendor_ref VARCHAR,
                       response VARCHAR, run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, logged_at TIMESTAMP NOT NULL)""")
        con.execute("""INSERT INTO ledger_records SELECT 'dvelop', 'vendors', _key, 'old-hash', 'old-batch', 'old-run',
                       nextval('ledger_seq'), now()::TIMESTAMP FROM dvelop.vendors""")
        con.execute("""INSERT INTO ledger_batches VALUES ('old-batch', 'dvelop', 'vendors', 'acknowledged', true, NULL,
                       'ok', 'old-run', nextval('ledger_seq'), now()::TIMESTAMP)""")
    result = ws.cli("push", "dvelop", "--quiet")
    assert result.exit_code == 0, result.output
    said = "30 records acknowledged at an earlier destination (recorded before erpload kept scopes)"
    assert said in _one_line(result.output)
    assert len(_applied(dvelop, "vendors")) == 30
    assert ws.query("select count(*) from ledger where scope is null and state = 'acknowledged'") == [(30,)]


def test_a_job_that_stays_queued_blocks_nothing_and_a_later_push_settles_it(
        vendors_workspace: Workspace, dvelop: DvelopCase, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = vendors_workspace
    monkeypatch.setenv("DESTINATION__DVELOP__JOB_TIMEOUT_S", "0.3")
    dvelop.set_faults(stuck_jobs=[1])  # the first batch of vendors: 8 records
    result = ws.cli("push", "dvelop", "--quiet")
    assert result.exit_code == 0, result.output
    assert "1 batch(es) sent but not yet confirmed by dvelop" in _one_line(result.output)
    assert _states(ws) == {"acknowledged": 52, "sent": 8}
    assert _states(ws, "entity = 'vendor_bank_accounts'") == {"acknowledged": 30}  # the next entity went on

    # still queued: asked once, not waited for, its records not sent again
    before = len(dvelop.batches())
    result = ws.cli("push", "dvelop", "--quiet")
    assert result.exit_code == 0, result.output
    assert "1 batch(es) sent but not yet confirmed" in _one_line(result.output)
    assert len(dvelop.batches()) == before
    assert _states(ws) == {"acknowledged": 52, "sent": 8}

    dvelop.set_faults()  # the job finishes
    result = ws.cli("push", "dvelop", "--quiet")
    assert result.exit_code == 0, result.output
    assert "1 batch(es) an earlier push left unconfirmed were settled" in _one_line(result.output)
    assert len(dvelop.batches()) == before
    assert _states(ws) == {"acknowledged": 60}
    assert set(_applied(dvelop, "vendors").values()) == {1}


@pytest.mark.usefixtures("create_only")
def test_a_dropped_connection_leaves_create_only_records_unknown_until_someone_decides(
        vendors_workspace: Workspace, dvelop: DvelopCase) -> None:
    ws = vendors_workspace
    dvelop.set_faults(match_method="POST", drop_on_calls=[2])  # the vendor applies the 2nd batch, the answer is lost
    result = ws.cli("push", "dvelop", "--quiet", "--entity", "vendors")
    assert result.exit_code == ExitCode.UNDECIDED, result.output
    assert "8 records wait for a decision" in _one_line(result.output)
    assert _states(ws) == {"acknowledged": 22, "unknown": 8}
    unknown = sorted(str(k) for (k,) in ws.query("select record_key from ledger where state = 'unknown'"))
    assert all(_applied(dvelop, "vendors")[k] == 1 for k in unknown)  # they did arrive

    # never sent again blindly
    dvelop.set_faults()
    before = len(dvelop.batches())
    result = ws.cli("push", "dvelop", "--quiet", "--entity", "vendors")
    assert result.exit_code == ExitCode.UNDECIDED
    assert len(dvelop.batches()) == before

    listed = ws.cli("ledger", "--staging", str(ws.staging), "--state", "unknown", "--limit", "100")
    assert listed.exit_code == 0, listed.output
    assert all(k in listed.stdout for k in unknown)
    assert "the connection broke" in listed.stdout

    # a person looked one up: it arrived, and so did the 7 sent with it in the same request
    decided = ws.cli("ledger", "resolve", "dvelop", unknown[0], "--sent", "--staging", str(ws.staging))
    assert decided.exit_code == 0, decided.output
    assert "counts as acknowledged" in decided.stdout
    assert "so do the 7 records sent with it in the same request" in _one_line(decided.output)
    assert _states(ws) == {"acknowledged": 30}
    again = ws.cli("ledger", "resolve", "dvelop", unknown[1], "--sent", "--staging", str(ws.staging))
    assert again.exit_code == ExitCode.CONFIG
    assert "waits for a decision (vendors: acknowledged)" in _one_line(again.output)
    result = ws.cli("push", "dvelop", "--quiet", "--entity", "vendors")
    assert result.exit_code == 0, result.output
    assert len(dvelop.batches()) == before

    # later the vendor lost that batch after all: --not-sent also settles what it once acknowledged
    lost = ws.cli("ledger", "resolve", "dvelop", unknown[-1], "--not-sent", "--staging", str(ws.staging))
    assert lost.exit_code == 0, lost.output
    result = ws.cli("push", "dvelop", "--quiet", "--entity", "vendors")
    assert result.exit_code == 0, result.output
    assert len(dvelop.batches()) == before + 1  # the request decided "not sent", once
    assert all(_applied(dvelop, "vendors")[k] == 2 for k in unknown)
    assert _states(ws) == {"acknowledged": 30}
    who = ws.query("select distinct decided_by from ledger_decisions")
    assert len(who) == 1
    assert "@" in str(who[0][0])


@pytest.mark.usefixtures("create_only")
def test_create_only_records_changed_after_they_arrived_are_rejected_once(vendors_workspace: Workspace,
                                                                         dvelop: DvelopCase) -> None:
    ws = vendors_workspace
    assert ws.cli("push", "dvelop", "--quiet").exit_code == 0
    with duckdb.connect(str(ws.staging)) as con:
        con.execute("update dvelop.vendors set city = 'Tønder' where _key = '2000/70001'")
    before = len(dvelop.batches())
    result = ws.cli("push", "dvelop", "--quiet")
    assert result.exit_code == ExitCode.DATA, result.output
    assert len(dvelop.batches()) == before  # the vendor cannot change it: nothing sent
    rejects = ws.query("select record_key, reason, fix from rejects where target = 'dvelop'")
    assert len(rejects) == 1
    assert rejects[0][0] == "2000/70001"
    assert "changed in the ERP after dvelop received it" in str(rejects[0][1])
    assert "correct it in the accounting system" in str(rejects[0][2])
    assert ws.query("select reason_code from current_rejects where target = 'dvelop'") == [("push.changed_after_sent",)]
    assert ws.cli("push", "dvelop", "--quiet").exit_code == 0  # reported once
    assert ws.query("select count(*) from rejects") == [(1,)]


def test_resend_sends_again_once_and_is_recorded(vendors_workspace: Workspace, dvelop: DvelopCase) -> None:
    ws = vendors_workspace
    assert ws.cli("push", "dvelop", "--quiet").exit_code == 0
    marked = ws.cli("ledger", "resend", "dvelop", "--entity", "vendors", "--staging", str(ws.staging))
    assert marked.exit_code == 0, marked.output
    assert f"marked 30 dvelop records at {dvelop.base_url} bucket={BUCKET}" in _one_line(marked.stdout)
    assert _states(ws, "entity = 'vendors'") == {"pending": 30}
    shown = ws.cli("ledger", "--staging", str(ws.staging), "--state", "pending")
    assert "to be sent again on purpose" in _one_line(shown.stdout)

    assert ws.cli("push", "dvelop", "--quiet").exit_code == 0
    assert set(_applied(dvelop, "vendors").values()) == {2}
    assert set(_applied(dvelop, "vendor_bank_accounts").values()) == {1}
    assert ws.cli("push", "dvelop", "--quiet").exit_code == 0  # once
    assert set(_applied(dvelop, "vendors").values()) == {2}
    assert ws.query("select count(*), count(distinct decided_by) from ledger_decisions "
                    "where decision = 'resend'") == [(30, 1)]


@pytest.mark.usefixtures("create_only")
def test_resend_to_a_create_only_target_asks_for_the_duplicate_on_purpose(vendors_workspace: Workspace,
                                                                          dvelop: DvelopCase) -> None:
    ws = vendors_workspace
    assert ws.cli("push", "dvelop", "--quiet", "--entity", "vendors").exit_code == 0
    refused = ws.cli("ledger", "resend", "dvelop", "--key", "1000/70000", "--staging", str(ws.staging))
    assert refused.exit_code == ExitCode.CONFIG
    assert "--yes-duplicate" in refused.output
    marked = ws.cli("ledger", "resend", "dvelop", "--key", "1000/70000", "--yes-duplicate", "--staging",
                    str(ws.staging))
    assert marked.exit_code == 0, marked.output
    assert "duplicate" in marked.stdout
    assert ws.cli("push", "dvelop", "--quiet", "--entity", "vendors").exit_code == 0
    assert _applied(dvelop, "vendors")["1000/70000"] == 2


def test_the_ledger_command_counts_per_destination_and_state(vendors_workspace: Workspace,
                                                             dvelop: DvelopCase) -> None:
    ws = vendors_workspace
    dvelop.set_faults(fail_jobs=[1])
    ws.cli("push", "dvelop", "--quiet")
    result = ws.cli("ledger", "--staging", str(ws.staging), "--target", "dvelop")
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert any("vendors" in line and "failed" in line and line.endswith("8 │") for line in lines), result.stdout
    assert any("vendor_bank_accounts" in line and "acknowledged" in line and line.endswith("30 │") for line in lines)
    assert f"bucket={BUCKET}" in result.stdout
    empty = ws.cli("ledger", "--staging", str(ws.staging), "--target", "nothing-here")
    assert "no records that match" in empty.stdout


def test_create_only_pushes_write_sending_before_each_request(vendors_workspace: Workspace, dvelop: DvelopCase,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dvelop_destination, "DvelopSender", CreateOnlyDvelop)
    assert vendors_workspace.cli("push", "dvelop", "--quiet").exit_code == 0
    with duckdb.connect(str(vendors_workspace.staging), read_only=True) as con:
        order = con.execute(f"""SELECT batch_id, list(state ORDER BY seq) FROM {BATCHES} GROUP BY ALL""").fetchall()
        queued_first = con.execute(f"""SELECT max(r.seq) < min(b.seq) FROM {RECORDS} r, {BATCHES} b""").fetchone()
    assert {tuple(states) for _, states in order} == {("sending", "sent", "acknowledged")}
    assert queued_first == (True,)  # every pending row was committed before the first batch event


def test_ensure_ledger_migrates_twice_without_harm(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    ensure_ledger(con)
    ensure_ledger(con)
    columns = [str(r[0]) for r in con.execute(f"DESCRIBE {RECORDS}").fetchall()]
    assert columns.count("scope") == 1


def _push_process(ws: Workspace, case: DvelopCase) -> subprocess.Popen[bytes]:
    env = {**os.environ, **case.env, "RUNTIME__LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "erpload.cli", "push", "dvelop", "--quiet", "--staging",
                             str(ws.staging)], env=env, cwd=ws.root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _acknowledged_jobs(case: DvelopCase) -> list[dict[str, Any]]:
    """Jobs the fake has answered `successful` to a poll: the vendor acknowledged them to the client."""
    return [j.summary() for j in case.fake.store.jobs() if j.last_status == "successful"]


def _kill_right_after_acknowledgements(tmp_path: Path, case: DvelopCase, kills: int, seed: int) -> None:
    """Per round: a fresh staging file, a push in a subprocess killed (SIGKILL) right after the vendor
    acknowledged its n-th batch (n at random), then the push run again to the end. No batch the vendor
    acknowledged may arrive again; every record arrives."""
    rng = random.Random(seed)
    for round_no in range(kills):
        root = tmp_path / f"round{round_no}"
        root.mkdir()
        ws = Workspace(root=root, erp_path=root / "unused.sqlite")
        with duckdb.connect(str(ws.staging)) as con:
            write_vendors(con, 30)  # 4 batches of vendors, 4 of bank accounts
        case.fake.reset()
        case.set_faults(latency=0.01)
        kill_after = rng.randint(1, 7)
        proc = _push_process(ws, case)
        deadline = time.monotonic() + 60
        while len(_acknowledged_jobs(case)) < kill_after and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.02))  # somewhere between the answer and the next request
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        acknowledged = _acknowledged_jobs(case)
        assert len(acknowledged) >= kill_after, f"round {round_no}: the push ended before the kill"
        before = {(j["entity"], k): _applied(case, j["entity"])[k] for j in acknowledged for k in j["keys"]}

        result = ws.cli("push", "dvelop", "--quiet")
        assert result.exit_code == 0, result.output
        after = {(e, k): _applied(case, e)[k] for e, k in before}
        assert after == before, f"round {round_no} (killed after {kill_after} acknowledged): sent again"
        for entity in ("vendors", "vendor_bank_accounts"):
            assert len(_applied(case, entity)) == 30, f"round {round_no}: {entity} missing"
        assert _states(ws) == {"acknowledged": 60}


def test_a_push_killed_right_after_an_acknowledgement_never_sends_that_batch_again(
        tmp_path: Path, dvelop: DvelopCase) -> None:
    _kill_right_after_acknowledgements(tmp_path, dvelop, kills=2, seed=15)


@pytest.mark.slow
def test_ten_pushes_killed_right_after_an_acknowledgement_never_send_a_batch_again(
        tmp_path: Path, dvelop: DvelopCase) -> None:
    _kill_right_after_acknowledgements(tmp_path, dvelop, kills=10, seed=20261207)


class ConcurrentDvelop(DvelopSender):
    """The d.velop sender with four import jobs in flight at once."""

    concurrency = 4


def test_concurrent_batches_are_in_flight_together_and_an_entity_waits_for_the_one_before(
        vendors_workspace: Workspace, dvelop: DvelopCase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dvelop_destination, "DvelopSender", ConcurrentDvelop)
    dvelop.set_faults(latency=0.05)
    result = vendors_workspace.cli("push", "dvelop", "--quiet")
    assert result.exit_code == 0, result.output
    assert _states(vendors_workspace) == {"acknowledged": 60}
    events = vendors_workspace.query(f"SELECT entity, state FROM {BATCHES} ORDER BY seq")
    vendors = [s for e, s in events if e == "vendors"]
    assert vendors.index("acknowledged") >= 2  # a second batch went out before the first was answered
    last_vendor_event = max(i for i, (e, _) in enumerate(events) if e == "vendors")
    first_bank_event = min(i for i, (e, _) in enumerate(events) if e == "vendor_bank_accounts")
    assert last_vendor_event < first_bank_event  # the referenced vendors were all answered first
    assert set(_applied(dvelop, "vendors").values()) == {1}


#: `erpload push dvelop` with the create-only d.velop sender, in a process of its own
_CREATE_ONLY_PUSH = """
import sys
import erpload.destinations.dvelop.destination as destination
from erpload.cli.main import main

class CreateOnlyDvelop(destination.DvelopSender):
    create_only = True

destination.DvelopSender = CreateOnlyDvelop
sys.argv = ["erpload", *sys.argv[1:]]
main()
"""


@pytest.mark.usefixtures("create_only")
def test_create_only_pushes_killed_anywhere_leave_each_record_exactly_once_after_the_decisions(
        tmp_path: Path, dvelop: DvelopCase) -> None:
    """SIGKILL at random moments of a create-only push (a real subprocess), then: a re-run holds what may have
    arrived (`unknown`), a person settles each by looking at the vendor, and the next push sends the rest. Each
    record is at the vendor exactly once, and none is left without a decision."""
    rng = random.Random(715)  # these 3 rounds leave 8 records unknown, 8 sent (job queued when asked), none
    for round_no in range(3):
        root = tmp_path / f"round{round_no}"
        root.mkdir()
        ws = Workspace(root=root, erp_path=root / "unused.sqlite")
        with duckdb.connect(str(ws.staging)) as con:
            write_vendors(con, 30)
        dvelop.fake.reset()
        dvelop.set_faults(latency=0.02)
        kill_after = rng.randint(1, 7)
        env = {**os.environ, **dvelop.env, "RUNTIME__LOG_LEVEL": "WARNING"}
        proc = subprocess.Popen([sys.executable, "-c", _CREATE_ONLY_PUSH, "push", "dvelop", "--quiet", "--staging",
                                 str(ws.staging)], env=env, cwd=root, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(dvelop.batches()) < kill_after and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.04))
        proc.send_signal(signal.SIGKILL)
        proc.wait()

        first = ws.cli("push", "dvelop", "--quiet")
        assert first.exit_code in (ExitCode.OK, ExitCode.UNDECIDED), first.output
        # one decision settles the record's whole batch (sent in one request), so ask again after each
        while unknown := ws.query("select entity, record_key from ledger where state = 'unknown' limit 1"):
            [(entity, key)] = unknown
            arrived = str(key) in _applied(dvelop, str(entity))  # what a person would look up at the vendor
            decided = ws.cli("ledger", "resolve", "dvelop", str(key), "--entity", str(entity),
                             "--sent" if arrived else "--not-sent", "--staging", str(ws.staging))
            assert decided.exit_code == 0, decided.output
        last = ws.cli("push", "dvelop", "--quiet")
        assert last.exit_code == 0, last.output
        for entity in ("vendors", "vendor_bank_accounts"):
            applied = _applied(dvelop, entity)
            assert len(applied) == 30, f"round {round_no}: {entity} missing"
            assert set(applied.values()) == {1}, f"round {round_no} (killed after POST {kill_after}): a duplicate"
        assert _states(ws) == {"acknowledged": 60}


def test_a_destination_that_would_show_a_secret_stops_the_push(vendors_workspace: Workspace, dvelop: DvelopCase,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    host = dvelop.base_url.removeprefix("http://")
    monkeypatch.setenv("DESTINATION__DVELOP__BASE_URL", f"http://admin:Pa55-w0rd-x@{host}")
    result = vendors_workspace.cli("push", "dvelop", "--quiet")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "holds a secret" in result.output
    assert "Pa55-w0rd-x" not in result.output
    assert dvelop.requests() == []
    assert vendors_workspace.query("select count(*) from ledger") == [(0,)]


#: `erpload push dvelop` with four import jobs in flight at once, in a process of its own
_CONCURRENT_PUSH = _CREATE_ONLY_PUSH.replace("CreateOnlyDvelop", "ConcurrentDvelop").replace(
    "create_only = True", "concurrency = 4")


def test_ctrl_c_lets_the_batches_in_flight_finish_and_records_them(vendors_workspace: Workspace,
                                                                   dvelop: DvelopCase) -> None:
    ws = vendors_workspace
    dvelop.set_faults(latency=0.1, job_queued_polls=3)  # each batch is with the vendor for ~0.5 s
    env = {**os.environ, **dvelop.env, "RUNTIME__LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-c", _CONCURRENT_PUSH, "push", "dvelop", "--quiet", "--staging",
                             str(ws.staging)], env=env, cwd=ws.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while len(dvelop.batches()) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    posted = len(dvelop.batches())
    assert 2 <= posted <= 4, "the push went on after Ctrl-C"  # (vendors: 4 batches, the first entity)
    # every batch that reached the vendor is on record with its job (acknowledged, or `sent` when the job was still
    # queued at the last look); nothing else went out
    reached = {k for j in dvelop.fake.store.jobs() for k in j.keys}
    states = dict(ws.query("select record_key, state from ledger where entity = 'vendors'"))
    assert {k for k, s in states.items() if s in ("sent", "acknowledged")} == reached
    assert _states(ws, "entity = 'vendor_bank_accounts'") == {"pending": 30}
    dvelop.set_faults()
    for _ in range(4):  # a push asks for a job left queued once, without waiting
        assert ws.cli("push", "dvelop", "--quiet").exit_code == 0
        if "sent" not in _states(ws):
            break
    assert _states(ws) == {"acknowledged": 60}
    for entity in ("vendors", "vendor_bank_accounts"):
        assert set(_applied(dvelop, entity).values()) == {1}
        assert len(_applied(dvelop, entity)) == 30
