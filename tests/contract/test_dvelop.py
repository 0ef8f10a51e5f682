"""d.velop beyond the contract (`test_contract.py`): batches of the configured size, the single PUT, a killed
upsert push, the demo ERP's master data whole.

Real HTTP against the fake on an ephemeral port, the real CLI, a real DuckDB staging file (the d.velop fixtures of
`tests/push/conftest.py`).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

import duckdb

from tests.push.conftest import DvelopCase
from tests.utils import Workspace

ENTITIES = ("vendors", "vendor_bank_accounts")


def _expected(ws: Workspace, entity: str) -> dict[str, dict[str, Any]]:
    """Our records as the vendor should hold them: key → payload (nulls left out)."""
    with duckdb.connect(str(ws.staging), read_only=True) as con:
        rows = con.execute(f"SELECT * FROM dvelop.{entity}").fetchall()
        names = [d[0] for d in con.description]  # type: ignore[union-attr]
    out = {}
    for row in rows:
        record = dict(zip(names, row, strict=True))
        out[str(record["_key"])] = {k: v for k, v in record.items() if not k.startswith("_") and v is not None}
    return out


def _held(case: DvelopCase, entity: str) -> dict[str, dict[str, Any]]:
    key_fields = {"vendors": ("company_id", "id"), "vendor_bank_accounts": ("company_id", "vendor_id", "id")}[entity]
    return {"/".join(r[f] for f in key_fields): r for r in case.state(entity)["records"]}


def _ledger(ws: Workspace, where: str = "true") -> dict[str, int]:
    rows = ws.query(f"select state, count(*) from ledger where target = 'dvelop' and {where} group by all")
    return {str(s): int(n) for s, n in rows}  # type: ignore[call-overload]


def _totals(ws: Workspace) -> dict[str, int]:
    row = ws.query("""select sum(sent), sum(unchanged), sum(rejected), sum(failed) from runs
                      where run_id = (select run_id from runs where command = 'push dvelop'
                                      order by finished_at desc limit 1)""")[0]
    return dict(zip(("sent", "unchanged", "rejected", "failed"), (int(v or 0) for v in row), strict=True))  # type: ignore[call-overload]


def test_batches_have_the_configured_size_and_each_job_is_polled_to_its_end(
        vendors_workspace: Workspace, dvelop: DvelopCase) -> None:
    result = vendors_workspace.cli("push", "dvelop", "--quiet")
    assert result.exit_code == 0, result.output
    for entity in ENTITIES:
        assert _held(dvelop, entity) == _expected(vendors_workspace, entity), entity
    assert _ledger(vendors_workspace) == {"acknowledged": 60}
    assert _totals(vendors_workspace) == {"sent": 60, "unchanged": 0, "rejected": 0, "failed": 0}
    # batches of at most the configured size (8), each job polled to its end
    jobs = [j.summary() for j in dvelop.fake.store.jobs()]
    assert sum(j["records"] for j in jobs) == 60
    assert max(j["records"] for j in jobs) == 8
    assert len(dvelop.batches()) == len(jobs) <= 60 // 8 + 2
    assert {j["last_status"] for j in jobs} == {"successful"}


def test_single_put_sends_one_record_and_rides_out_the_rate_limit(
        vendors_workspace: Workspace, dvelop: DvelopCase) -> None:
    # the rate limit answers the 2nd and 3rd PUT with 429 (Retry-After: 1); the client waits and goes on
    dvelop.set_faults(throttle_after=1, throttle_count=2, retry_after=1, match_method="PUT")
    keys = [f"1000/{70000 + 2 * i}" for i in range(4)]
    for key in keys:
        result = vendors_workspace.cli("push", "dvelop", "--single", "vendors", key)
        assert result.exit_code == 0, result.output
        assert f"sent vendors {key}" in result.stdout
    puts = dvelop.requests(method="PUT")
    assert len([r for r in puts if r["status"] == 201]) == 4
    assert len([r for r in puts if r["status"] == 429]) == 2
    held = _held(dvelop, "vendors")
    expected = _expected(vendors_workspace, "vendors")
    assert {k: held[k] for k in keys} == {k: expected[k] for k in keys}
    # the same record again: acknowledged already, nothing sent
    result = vendors_workspace.cli("push", "dvelop", "--single", "vendors", keys[0])
    assert "unchanged" in result.stdout
    assert len(dvelop.requests(method="PUT")) == len(puts)
    # and the batch push skips the ones the PUT delivered
    assert vendors_workspace.cli("push", "dvelop", "--quiet", "--entity", "vendors").exit_code == 0
    assert _totals(vendors_workspace)["unchanged"] == 4
    assert dvelop.state("vendors")["applied"][keys[0]] == 1


def test_single_put_of_an_unknown_key_names_examples(vendors_workspace: Workspace, dvelop: DvelopCase) -> None:
    result = vendors_workspace.cli("push", "dvelop", "--single", "vendors", "9999/1")
    assert result.exit_code != 0
    assert "has no record '9999/1'" in result.output
    assert "1000/70000" in result.output
    assert dvelop.requests() == []


def _push_process(ws: Workspace, case: DvelopCase) -> subprocess.Popen[bytes]:
    env = {**os.environ, **case.env, "RUNTIME__LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "erpload.cli", "push", "dvelop", "--quiet", "--staging",
                             str(ws.staging)], env=env, cwd=ws.root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def test_killed_push_rerun_delivers_everything_and_resends_no_acknowledged_batch(
        vendors_workspace: Workspace, dvelop: DvelopCase) -> None:
    """SIGKILL at random points during a push (a real subprocess), then re-run to the end."""
    rng = random.Random(20261122)
    # slow enough that a kill lands mid-push: every job stays queued for 2 polls, 40 ms per request
    dvelop.set_faults(latency=0.04, job_queued_polls=2)
    acknowledged_before: dict[str, int] = {}
    for _attempt in range(3):
        started = time.monotonic()
        proc = _push_process(vendors_workspace, dvelop)
        # wait until the first request arrived, then kill at a random moment
        while not dvelop.requests() and proc.poll() is None and time.monotonic() - started < 60:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.1, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
        # what the ledger holds as acknowledged must never arrive again
        for entity in ENTITIES:
            applied = dvelop.state(entity)["applied"]
            for (key,) in vendors_workspace.query(
                    "select record_key from ledger where state = 'acknowledged' and entity = ?", [entity]):
                acknowledged_before[f"{entity}:{key}"] = applied[str(key)]

    dvelop.set_faults()
    # a job left queued is asked about once per push, without waiting: the push after settles what it leaves
    for _ in range(4):
        result = subprocess.run([sys.executable, "-m", "erpload.cli", "push", "dvelop", "--quiet", "--staging",
                                 str(vendors_workspace.staging)], env={**os.environ, **dvelop.env},
                                cwd=vendors_workspace.root, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        if "sent" not in _ledger(vendors_workspace):
            break
    for entity in ENTITIES:
        assert _held(dvelop, entity) == _expected(vendors_workspace, entity)
        applied = dvelop.state(entity)["applied"]
        for key, count in applied.items():
            if f"{entity}:{key}" in acknowledged_before:
                assert count == acknowledged_before[f"{entity}:{key}"], f"{entity} {key} was sent again"
    assert _ledger(vendors_workspace) == {"acknowledged": 60}


def test_the_demo_erps_master_data_arrives_whole(workspace: Workspace, dvelop: DvelopCase) -> None:
    """extract → map → transform dvelop → push dvelop on the demo ERP: the fake holds exactly the payloads."""
    for command in (("extract",), ("map",), ("transform", "dvelop")):
        result = workspace.cli(*command)
        assert result.finished, result.output
    result = workspace.cli("push", "dvelop", "--quiet")
    assert result.exit_code == 0, result.output
    from erpload.push.pusher import payload_sql

    with duckdb.connect(str(workspace.staging), read_only=True) as con:
        tables = [str(r[0]) for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'dvelop'").fetchall()]
        ours = {t: sorted(str(r[0]) for r in con.execute(
            f"select payload from ({payload_sql(con, 'dvelop', t)})").fetchall()) for t in tables}
    assert {"companies", "vendors", "vendor_bank_accounts", "purchase_orders", "goods_receipts"} <= set(tables)
    for table in tables:
        held = sorted(json.dumps(r, sort_keys=True) for r in dvelop.state(table)["records"])
        assert held == sorted(json.dumps(json.loads(o), sort_keys=True) for o in ours[table]), table
    assert _ledger(workspace, "state <> 'acknowledged'") == {}
