"""The Maesn sender against the fake over loopback, with its receipts in a real DuckDB staging file: what it
reports for each way a proposal can end. The framework's Batch is stood in for by a recorder of its reports."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest

from erpload.destinations.maesn.config import MaesnSettings, SystemConnection, demo_settings, make_sender
from erpload.destinations.maesn.destination import MaesnSender, NotSendable
from erpload.fakes.faults import Faults
from erpload.fakes.maesn import TaskPlan, TaskRule
from erpload.fakes.maesn.served import API_KEY_ENV
from erpload.fakes.maesn.served import serve as serve_fake
from erpload.fakes.serving import serve_in_thread
from erpload.push.http import VendorError, VendorRefused
from erpload.push.pusher import Outgoing, Refusal, payload_sql
from tests.maesn.support import ACCOUNT_KEYS, API_KEY, COMPANY_IDS, EXAMPLES, PDF, Maesn

RECEIPT_SHA = hashlib.sha256(PDF).hexdigest()
FOLDER = {"category": "Rechnungsausgang", "folder": "2026", "register": "01"}


class RecordingBatch:
    """Stands in for the framework's Batch: keeps every report in order."""

    def __init__(self, records: list[Outgoing]) -> None:
        self.records = records
        self.events: list[tuple[Any, ...]] = []

    def sent(self, vendor_ref: str) -> None:
        self.events.append(("sent", vendor_ref))

    def acknowledged(self, response: str, warnings: tuple[str, ...] = ()) -> None:
        self.events.append(("acknowledged", response, tuple(warnings)))

    def failed(self, response: str) -> None:
        self.events.append(("failed", response))

    def refused(self, refusals: list[Refusal]) -> None:
        self.events.append(("refused", [(r.key, r.field, r.reason) for r in refusals]))

    def unknown(self, reason: str) -> None:
        self.events.append(("unknown", reason))

    def unconfirmed(self, reason: str) -> None:
        self.events.append(("unconfirmed", reason))

    @property
    def kinds(self) -> list[str]:
        return [e[0] for e in self.events]


@pytest.fixture
def staging(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A staging file with one receipt in erp.documents and the target table maesn.<system> for each system."""
    con = duckdb.connect(str(tmp_path / "staging.duckdb"))
    con.execute("CREATE SCHEMA erp; CREATE SCHEMA maesn")
    con.execute("CREATE TABLE erp.documents (company_code VARCHAR, sha256 VARCHAR, file_name VARCHAR, "
                "mime_type VARCHAR, size_bytes BIGINT, content BLOB)")
    con.execute("INSERT INTO erp.documents VALUES ('1000', ?, 'RE-2026-0001.pdf', 'application/pdf', ?, ?)",
                [RECEIPT_SHA, len(PDF), PDF])
    for system in EXAMPLES:
        con.execute(f"CREATE TABLE maesn.{system} (_key VARCHAR, _company_code VARCHAR, booking_type VARCHAR, "
                    "booking_proposal JSON, files STRUCT(name VARCHAR, sha256 VARCHAR, mime_type VARCHAR)[], "
                    "folder_management STRUCT(category VARCHAR, folder VARCHAR, register VARCHAR))")
    yield con
    con.close()


def record(con: duckdb.DuckDBPyConnection, system: str, *, number: str | None = None,
           files: list[dict[str, str]] | None = None, folder: dict[str, str] | None = None,
           **changes: Any) -> Outgoing:
    """Put one row in maesn.<system> and read it back as the framework's payload SQL builds it."""
    booking_type, proposal = EXAMPLES[system]
    proposal = {**proposal, **changes, **({"number": number} if number else {})}
    key = f"1000/{booking_type}/{proposal['number']}"
    con.execute(f"INSERT INTO maesn.{system} VALUES (?, '1000', ?, ?, ?, ?)", [
        key, booking_type, json.dumps(proposal),
        files if files is not None else [{"name": "RE-2026-0001.pdf", "sha256": RECEIPT_SHA,
                                          "mime_type": "application/pdf"}], folder])
    row = con.execute(payload_sql(con, "maesn", system, f"t._key = '{key}'")).fetchone()
    assert row is not None
    return Outgoing(row[0], row[2], row[3])


def settings_for(maesn: Maesn, **changes: Any) -> MaesnSettings:
    connections = {s: SystemConnection(s, key, COMPANY_IDS.get(s)) for s, key in ACCOUNT_KEYS.items()}
    return replace(MaesnSettings(base_url=maesn.url, api_key=API_KEY, connections=connections, rate_limit_per_s=1000,
                                 poll_interval_s=0.01, task_timeout_s=2), **changes)


@pytest.fixture
def sender(maesn: Maesn, staging: duckdb.DuckDBPyConnection) -> Iterator[MaesnSender]:
    settings = settings_for(maesn)
    sender = MaesnSender(settings)
    sender.start(staging)
    yield sender
    sender.close()


def send(sender: MaesnSender, system: str, outgoing: Outgoing) -> RecordingBatch:
    batch = RecordingBatch([outgoing])
    sender.send(system, batch)
    return batch


def test_sender_declares_itself_create_only_one_proposal_per_request(sender: MaesnSender) -> None:
    assert (sender.target, sender.batch_size, sender.create_only, sender.concurrency) == ("maesn", 1, True, 8)
    assert sender.entities == ("datev_uo", "exact", "lexware_office", "sevdesk", "xero")


def test_scope_names_url_system_company_and_account_fingerprint_never_the_key(
    sender: MaesnSender, maesn: Maesn
) -> None:
    fingerprint = hashlib.sha256(ACCOUNT_KEYS["datev_uo"].encode()).hexdigest()[:8]
    assert sender.scope("datev_uo") == f"{maesn.url} system=datev_uo companyId=455148-10001 account={fingerprint}"
    assert sender.scope("xero").endswith(" companyId=- account=" + hashlib.sha256(
        ACCOUNT_KEYS["xero"].encode()).hexdigest()[:8])
    assert all(key not in sender.scope(s) for s, key in ACCOUNT_KEYS.items())


@pytest.mark.parametrize("system", list(EXAMPLES))
def test_a_proposal_is_sent_once_with_its_receipt_and_acknowledged(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection, system: str
) -> None:
    batch = send(sender, system, record(staging, system))

    assert batch.kinds == ["sent", "acknowledged"]
    [proposal] = maesn.fake.proposals()
    assert batch.events[0][1] == f"{system}:{proposal['taskIds'][0]}"
    assert proposal["arrivals"] == 1
    assert proposal["bookingProposal"] == EXAMPLES[system][1]
    assert proposal["files"][0] | {"size": None} == {"name": "RE-2026-0001.pdf", "sha256": RECEIPT_SHA,
                                                    "contentType": "application/pdf", "size": None}
    assert "SUCCESS" in batch.events[1][1]


def test_meta_warnings_and_folders_reach_the_acknowledgement(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    batch = send(sender, "datev_uo", record(staging, "datev_uo", contactId="c-1", folder=FOLDER))

    assert batch.events[-1][0] == "acknowledged"
    assert batch.events[-1][2] == ("Field not used by target system: contactId",)
    assert maesn.fake.proposals()[0]["folderManagement"] == FOLDER


def test_a_failed_task_marks_the_record_failed_with_the_fakes_message(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    maesn.fake.set_task_plan(TaskPlan(systems={"exact": TaskRule(outcome="FAILED", pending_polls=2,
                                                                 message="Supplier 70001 is blocked in Exact")}))
    batch = send(sender, "exact", record(staging, "exact"))

    assert batch.kinds == ["sent", "failed"]
    assert "FAILED: Supplier 70001 is blocked in Exact" in batch.events[1][1]


def test_a_partial_success_is_acknowledged_with_a_warning_never_failed(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    maesn.fake.set_task_plan(TaskPlan(default=TaskRule(outcome="PARTIAL_SUCCESS", message="file RE.pdf too large")))
    batch = send(sender, "xero", record(staging, "xero"))

    assert batch.kinds == ["sent", "acknowledged"]
    [note] = batch.events[1][2]
    assert "file RE.pdf too large" in note
    assert "do not send it again" in note


def test_a_task_that_does_not_finish_in_time_is_unconfirmed_and_resolved_later(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    maesn.fake.set_task_plan(TaskPlan(default=TaskRule(never_finishes=True)))
    sender.settings = replace(sender.settings, task_timeout_s=0.2)
    sender.client.settings = sender.settings
    batch = send(sender, "sevdesk", record(staging, "sevdesk"))

    assert batch.kinds == ["sent", "unconfirmed"]
    assert "still IN_PROGRESS after 0.2 s" in batch.events[1][1]
    assert sender.resolve(batch.events[0][1]) is None


def test_resolve_asks_once_and_maps_the_task_status(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    maesn.fake.set_task_plan(TaskPlan(numbers={"RE-FAIL": TaskRule(outcome="FAILED", pending_polls=0)},
                                      default=TaskRule(pending_polls=0)))
    ok = send(sender, "sevdesk", record(staging, "sevdesk", number="RE-OK")).events[0][1]
    failed = send(sender, "sevdesk", record(staging, "sevdesk", number="RE-FAIL")).events[0][1]
    gets = len(maesn.fake.log.records(method="GET"))

    assert sender.resolve(ok) is True
    assert sender.resolve(failed) is False
    assert sender.resolve("sevdesk:" + "F" * 32) is None  # Maesn does not know the task
    assert sender.resolve("xero:" + ok.partition(":")[2]) is None  # another connection's task is not found
    assert sender.resolve("bexio:ABC") is None  # not a configured system
    assert len(maesn.fake.log.records(method="GET")) == gets + 4


def test_a_dropped_answer_leaves_the_record_unknown_and_sends_nothing_again(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    maesn.fake.set_faults(Faults(match_method="POST", drop_on_calls=[1]))
    batch = send(sender, "xero", record(staging, "xero"))

    assert batch.kinds == ["unknown"]
    assert "may or may not have received it" in batch.events[0][1]
    assert maesn.fake.counts()["xero"]["arrivals"] == 1
    assert len(maesn.fake.log.records(method="POST")) == 1


def test_a_400_naming_a_field_of_the_record_is_refused_with_that_field(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    outgoing = record(staging, "datev_uo", addresses=[{"city": "Hohenschönhausen an der Spree-Oder"}])
    batch = send(sender, "datev_uo", outgoing)

    assert batch.kinds == ["refused"]
    [(key, field, reason)] = batch.events[0][1]
    assert (key, field) == (outgoing.key, "bookingProposal.addresses[0].city")
    assert "at most 30 characters" in reason
    assert "correct it in the ERP" in reason
    assert maesn.fake.proposals() == []


def test_a_400_about_our_configuration_is_raised_not_blamed_on_the_record(
    maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    settings = settings_for(maesn)
    no_company = {**settings.connections, "exact": SystemConnection("exact", ACCOUNT_KEYS["exact"], None)}
    sender = MaesnSender(replace(settings, connections=no_company))
    sender.start(staging)
    batch = RecordingBatch([record(staging, "exact")])
    with pytest.raises(VendorRefused, match="companyId"):
        sender.send("exact", batch)
    sender.close()
    assert batch.events == []


def test_a_receipt_missing_from_staging_is_refused_before_anything_is_sent(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    files = [{"name": "RE-2026-0009.pdf", "sha256": "ab" * 32, "mime_type": "application/pdf"},
             {"name": "scan", "sha256": RECEIPT_SHA, "mime_type": "image/png"}]
    batch = send(sender, "sevdesk", record(staging, "sevdesk", files=files))

    assert batch.kinds == ["refused"]
    assert [field for _, field, _ in batch.events[0][1]] == ["files[0]", "files[1].name"]
    assert "not in erp.documents" in batch.events[0][1][0][2]
    assert maesn.fake.log.records() == []


def test_eight_threads_send_sixteen_proposals_each_exactly_once(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    maesn.fake.set_faults(Faults(latency=0.02))
    records = [record(staging, "lexware_office", number=f"ER-{i:03}") for i in range(16)]
    with ThreadPoolExecutor(max_workers=sender.concurrency) as pool:
        batches = list(pool.map(lambda r: send(sender, "lexware_office", r), records))

    assert all(b.kinds == ["sent", "acknowledged"] for b in batches)
    assert maesn.fake.counts()["lexware_office"] == {"proposals": 16, "arrivals": 16, "created": 16}
    assert {p["number"] for p in maesn.fake.proposals()} == {f"ER-{i:03}" for i in range(16)}


def test_the_served_fake_and_demo_settings_point_a_sender_at_it(
    staging: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    served = serve_fake()
    with serve_in_thread(served.app) as url:
        for key, value in {**served.env(url), **demo_settings(url)}.items():
            monkeypatch.setenv(key, value)
        sender = make_sender(SimpleNamespace(dry_run=False, options={}))
        sender.start(staging)
        batches = [send(sender, system, record(staging, system)) for system in sender.entities]
        sender.close()
    assert sender.entities == ("datev_uo", "exact", "lexware_office", "sevdesk", "xero")
    assert [b.kinds for b in batches] == [["sent", "acknowledged"]] * 5
    assert served.app.state.fake.counts() == {s: {"proposals": 1, "arrivals": 1, "created": 1} for s in EXAMPLES}
    assert "$" + API_KEY_ENV not in served.env(url, printable=True).values()  # the demo key is fine to show


def test_a_proposal_stored_as_structs_arrives_without_its_null_members(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    # the transform stores each multipart part as a STRUCT (or a list of them); the payload drops null members
    staging.execute(f"""CREATE TABLE maesn.structs AS SELECT '1000/BILL/ER-1' AS _key, '1000' AS _company_code,
        'BILL' AS booking_type,
        {{'number': 'ER-1', 'contactId': 'c-9', 'currency': 'EUR', 'notes': NULL::VARCHAR,
          'lineItems': [{{'accountId': 'acc-1', 'description': 'Miete', 'totalNetAmount': '100.00',
                          'dimension1': NULL::VARCHAR}}]}} AS booking_proposal,
        [{{'name': 'RE-2026-0001.pdf', 'sha256': '{RECEIPT_SHA}', 'mime_type': 'application/pdf'}}] AS files""")
    row = staging.execute(payload_sql(staging, "maesn", "structs")).fetchone()
    assert row is not None
    batch = send(sender, "exact", Outgoing(row[0], row[2], row[3]))

    assert batch.kinds == ["sent", "acknowledged"]
    assert maesn.fake.proposals()[0]["bookingProposal"] == {
        "number": "ER-1", "contactId": "c-9", "currency": "EUR",
        "lineItems": [{"accountId": "acc-1", "description": "Miete", "totalNetAmount": "100.00"}]}


def test_send_one_answers_success_raises_on_failure_and_refuses_what_cannot_go(
    sender: MaesnSender, maesn: Maesn, staging: duckdb.DuckDBPyConnection
) -> None:
    maesn.fake.set_task_plan(TaskPlan(numbers={"RE-BAD": TaskRule(outcome="FAILED", message="Kunde gesperrt")}))
    answer = sender.send_one("datev_uo", record(staging, "datev_uo", contactId="c-1"))
    assert "SUCCESS" in answer
    assert "warning: Field not used by target system: contactId" in answer

    with pytest.raises(VendorError, match="FAILED: Kunde gesperrt") as failed:
        sender.send_one("sevdesk", record(staging, "sevdesk", number="RE-BAD"))
    assert "erpload ledger resolve maesn 1000/INVOICE/RE-BAD" in str(failed.value)

    missing = record(staging, "sevdesk", number="RE-NO-FILE",
                     files=[{"name": "x.pdf", "sha256": "cd" * 32, "mime_type": "application/pdf"}])
    with pytest.raises(NotSendable) as not_sendable:
        sender.send_one("sevdesk", missing)
    assert [(r.key, r.field) for r in sender.refusals(not_sendable.value, [missing])] == [
        ("1000/INVOICE/RE-NO-FILE", "files[0]")]
    assert maesn.fake.counts()["sevdesk"]["arrivals"] == 1
