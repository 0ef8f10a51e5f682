"""The push framework drives the Maesn sender (create-only, one proposal per request, 8 at once) end to end:
real HTTP against the Maesn fake, a real staging file, `run_push` as the CLI calls it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from erpload.destinations.maesn.config import MaesnSettings, SystemConnection
from erpload.destinations.maesn.destination import MaesnSender
from erpload.push.pusher import PushOptions, run_push
from erpload.runs import Run
from tests.maesn.support import ACCOUNT_KEYS, API_KEY, COMPANY_IDS, EXAMPLES, PDF, Maesn, maesn_fake, serve_maesn

SYSTEMS = ("exact", "sevdesk")
PER_SYSTEM = 20


@pytest.fixture
def maesn() -> Iterator[Maesn]:
    with serve_maesn(maesn_fake()) as served:
        yield served


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    """`PER_SYSTEM` proposals for each of `SYSTEMS`, each with the same receipt in erp.documents."""
    path = tmp_path / "erpload.duckdb"
    sha = hashlib.sha256(PDF).hexdigest()
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA erp; CREATE SCHEMA maesn")
        con.execute("CREATE TABLE erp.documents (company_code VARCHAR, sha256 VARCHAR, file_name VARCHAR, "
                    "mime_type VARCHAR, size_bytes BIGINT, content BLOB)")
        con.execute("INSERT INTO erp.documents VALUES ('1000', ?, 'RE-1.pdf', 'application/pdf', ?, ?)",
                    [sha, len(PDF), PDF])
        for system in SYSTEMS:
            con.execute(f"CREATE TABLE maesn.{system} (_key VARCHAR, _company_code VARCHAR, booking_type VARCHAR, "
                        "booking_proposal JSON, files STRUCT(name VARCHAR, sha256 VARCHAR, mime_type VARCHAR)[], "
                        "folder_management STRUCT(category VARCHAR, folder VARCHAR, register VARCHAR))")
            booking_type, proposal = EXAMPLES[system]
            for n in range(PER_SYSTEM):
                number = f"{system.upper()}-{n:04d}"
                con.execute(f"INSERT INTO maesn.{system} VALUES (?, '1000', ?, ?, ?, NULL)", [
                    f"1000/{booking_type}/{number}", booking_type, json.dumps({**proposal, "number": number}),
                    [{"name": f"{number}.pdf", "sha256": sha, "mime_type": "application/pdf"}]])
    return path


def _sender(maesn: Maesn) -> MaesnSender:
    connections = {s: SystemConnection(s, ACCOUNT_KEYS[s], COMPANY_IDS.get(s)) for s in SYSTEMS}
    return MaesnSender(MaesnSettings(base_url=maesn.url, api_key=API_KEY, connections=connections,
                                     rate_limit_per_s=1000, poll_interval_s=0.01, task_timeout_s=2))


def _push(maesn: Maesn, staging: Path) -> tuple[dict[str, Any], Run]:
    sender = _sender(maesn)
    run = Run(command="push maesn", profile=None)
    try:
        plan = run_push(staging, staging.parent / "pipelines", sender, run, PushOptions(progress=False))
    finally:
        sender.close()
    return plan, run


def _ledger(staging: Path) -> dict[str, int]:
    with duckdb.connect(str(staging), read_only=True) as con:
        return dict(con.execute("SELECT state, count(*) FROM ledger GROUP BY ALL").fetchall())


def test_every_proposal_arrives_once_with_eight_in_flight_and_a_rerun_sends_nothing(
        maesn: Maesn, staging: Path) -> None:
    plan, run = _push(maesn, staging)
    assert plan["waiting"] == 0
    assert run.totals.sent == 2 * PER_SYSTEM
    counts = maesn.fake.counts()
    assert {s: (c["proposals"], c["arrivals"]) for s, c in counts.items()} == {
        s: (PER_SYSTEM, PER_SYSTEM) for s in SYSTEMS}
    assert _ledger(staging) == {"acknowledged": 2 * PER_SYSTEM}

    plan, run = _push(maesn, staging)
    assert run.totals.sent == 0
    assert {s: c["arrivals"] for s, c in maesn.fake.counts().items()} == {s: PER_SYSTEM for s in SYSTEMS}


def test_a_dropped_connection_holds_its_proposal_for_a_decision(maesn: Maesn, staging: Path) -> None:
    maesn.fake.set_faults(maesn.fake.faults.model_copy(update={"match_method": "POST", "drop_on_calls": [3]}))
    plan, run = _push(maesn, staging)
    assert plan["waiting"] == 1
    assert any("1 record waits for a decision" in note for note in run.notes)
    assert _ledger(staging) == {"acknowledged": 2 * PER_SYSTEM - 1, "unknown": 1}
    arrivals = sum(c["arrivals"] for c in maesn.fake.counts().values())
    assert arrivals == 2 * PER_SYSTEM  # the dropped one did arrive

    maesn.fake.set_faults(maesn.fake.faults.model_copy(update={"drop_on_calls": []}))
    plan, _ = _push(maesn, staging)
    assert plan["waiting"] == 1  # held: never sent again blindly
    assert sum(c["arrivals"] for c in maesn.fake.counts().values()) == arrivals


def test_a_proposal_whose_document_left_the_dataset_is_reported_once_as_not_withdrawable(
        maesn: Maesn, staging: Path) -> None:
    """A document cancelled after its proposal was acknowledged leaves the dataset (the transform proposes posted
    documents only): Maesn cannot withdraw a proposal, so the bookkeeper is told to delete it in the system."""
    _push(maesn, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute("DELETE FROM maesn.sevdesk WHERE _key = '1000/INVOICE/SEVDESK-0003'")
    _, run = _push(maesn, staging)
    assert any("maesn cannot withdraw them" in note for note in run.notes)
    with duckdb.connect(str(staging), read_only=True) as con:
        rejects = con.execute("SELECT entity, record_key, reason, fix FROM rejects").fetchall()
    assert len(rejects) == 1
    entity, key, reason, fix = rejects[0]
    assert (entity, key) == ("sevdesk", "1000/INVOICE/SEVDESK-0003")
    assert "cannot withdraw" in reason
    assert "delete it there before it is booked" in fix
    _, run = _push(maesn, staging)  # reported once
    assert not any("withdraw" in note for note in run.notes)
    assert sum(c["arrivals"] for c in maesn.fake.counts().values()) == 2 * PER_SYSTEM


def test_a_system_with_proposals_but_no_connection_is_named_not_skipped_quietly(maesn: Maesn, staging: Path) -> None:
    with duckdb.connect(str(staging)) as con:
        con.execute("CREATE TABLE maesn.xero AS SELECT * FROM maesn.exact")
    _, run = _push(maesn, staging)
    assert run.totals.sent == 2 * PER_SYSTEM
    assert any(note.startswith(f"maesn.xero: {PER_SYSTEM} records not sent: no maesn destination is configured")
               for note in run.notes)
