"""The Maesn client against the fake over loopback: multipart with real files, retries that are safe, none that are
not, auth errors that say which key, and a rate limit that holds across threads."""

from __future__ import annotations

import hashlib
import json
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from erpload.destinations.maesn.client import MaesnClient, ProposalUpload, encode_form, form_json
from erpload.destinations.maesn.config import MaesnSettings, SystemConnection
from erpload.fakes.faults import Faults
from erpload.fakes.maesn import TaskPlan, TaskRule
from erpload.fakes.maesn.multipart import parse_form_data
from erpload.interrupts import Interrupted
from erpload.push.http import OutcomeUnknown, VendorAuthError, VendorRefused
from erpload.push.pacing import Pacer
from tests.maesn.support import ACCOUNT_KEYS, API_KEY, COMPANY_IDS, EXAMPLES, PDF, Maesn, maesn_fake, serve_maesn
from tests.support.waits import RecordedWaits


def settings_for(maesn: Maesn, **changes: object) -> MaesnSettings:
    connections = {s: SystemConnection(s, key, COMPANY_IDS.get(s)) for s, key in ACCOUNT_KEYS.items()}
    settings = MaesnSettings(base_url=maesn.url, api_key=API_KEY, connections=connections, rate_limit_per_s=1000,
                             poll_interval_s=0.01, task_timeout_s=5)
    return replace(settings, **changes)  # type: ignore[arg-type]


@pytest.fixture
def client(maesn: Maesn) -> Iterator[MaesnClient]:
    with MaesnClient(settings_for(maesn)) as vendor_client:
        assert isinstance(vendor_client, MaesnClient)
        yield vendor_client


def upload(system: str, **proposal_changes: object) -> ProposalUpload:
    booking_type, proposal = EXAMPLES[system]
    return ProposalUpload(booking_type, form_json({**proposal, **proposal_changes}),
                          (("RE-2026-0001.pdf", PDF, "application/pdf"),))


def connection(client: MaesnClient, system: str) -> SystemConnection:
    return client.settings.connection(system)


def test_encoded_form_parses_back_to_the_parts_sent() -> None:
    folder = '{"category":"Belege"}'
    body, content_type = encode_form(replace(upload("datev_uo"), folder_management=folder))
    parts = parse_form_data(body, content_type)
    assert [(p.name, p.filename) for p in parts] == [("bookingProposal", None), ("bookingType", None),
                                                     ("folderManagement", None), ("files", "RE-2026-0001.pdf")]
    assert json.loads(parts[0].data) == EXAMPLES["datev_uo"][1]
    assert parts[2].data == folder.encode()
    assert parts[3].data == PDF


def test_a_proposal_without_files_is_still_multipart() -> None:
    body, content_type = encode_form(replace(upload("sevdesk"), files=()))
    assert content_type.startswith("multipart/form-data; boundary=")
    assert [p.name for p in parse_form_data(body, content_type)] == ["bookingProposal", "bookingType"]


@pytest.mark.parametrize("system", list(EXAMPLES))
def test_create_sends_multipart_with_the_real_file_and_returns_the_task(
    maesn: Maesn, client: MaesnClient, system: str
) -> None:
    started = client.create_booking_proposal(connection(client, system), upload(system))

    [proposal] = maesn.fake.proposals()
    assert proposal["bookingProposal"] == EXAMPLES[system][1]
    assert proposal["files"][0]["name"] == "RE-2026-0001.pdf"
    assert proposal["files"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert proposal["companyId"] == COMPANY_IDS.get(system)
    assert proposal["taskIds"] == [started.task_id]
    [post] = maesn.fake.log.records(method="POST")
    assert post.path.endswith("/async") == (system == "datev_uo")


def test_warnings_of_the_create_call_are_returned(maesn: Maesn, client: MaesnClient) -> None:
    started = client.create_booking_proposal(connection(client, "datev_uo"), upload("datev_uo", contactId="c-1"))
    assert started.warnings == ("Field not used by target system: contactId",)


def test_wait_for_task_polls_until_it_is_finished(maesn: Maesn, client: MaesnClient) -> None:
    maesn.fake.set_task_plan(TaskPlan(default=TaskRule(pending_polls=3)))
    started = client.create_booking_proposal(connection(client, "xero"), upload("xero"))
    state = client.wait_for_task(connection(client, "xero"), started.task_id)

    assert (state.status, state.messages) == ("SUCCESS", ("The document has been received.",))
    assert len(maesn.fake.log.records(method="GET")) == 4


def test_wait_for_task_gives_up_after_the_timeout_with_the_pending_state(maesn: Maesn) -> None:
    maesn.fake.set_task_plan(TaskPlan(default=TaskRule(never_finishes=True)))
    waits = RecordedWaits()
    with MaesnClient(settings_for(maesn, task_timeout_s=0.3, poll_interval_s=0.05), sleep=waits) as client:
        assert isinstance(client, MaesnClient)
        started = client.create_booking_proposal(connection(client, "xero"), upload("xero"))
        state = client.wait_for_task(connection(client, "xero"), started.task_id)
    assert state.status == "IN_PROGRESS"
    assert not state.finished
    # it polled until the timeout, pausing the poll interval at most, and planned no wait past it
    assert waits.asked
    assert max(waits.asked) <= 0.05
    assert waits.total <= 0.3
    assert len(maesn.fake.log.records(method="GET")) == len(waits.asked)  # one poll after each pause


def test_429_with_retry_after_is_ridden_out_and_the_proposal_arrives_once(maesn: Maesn, client: MaesnClient) -> None:
    maesn.fake.set_faults(Faults(throttle_after=0, throttle_count=2, retry_after=1))
    waits = RecordedWaits()
    with MaesnClient(client.settings, sleep=waits) as client:
        client.create_booking_proposal(connection(client, "sevdesk"), upload("sevdesk"))

    assert waits.asked == [1.0, 1.0]  # Retry-After followed as asked, before each retry
    assert [r.status for r in maesn.fake.log.records(method="POST")] == [429, 429, 200]
    assert maesn.fake.counts()["sevdesk"]["arrivals"] == 1
    assert client.throttled == 2


def test_connection_dropped_after_apply_raises_outcome_unknown_and_is_not_retried(
    maesn: Maesn, client: MaesnClient
) -> None:
    maesn.fake.set_faults(Faults(match_method="POST", drop_on_calls=[1]))
    with pytest.raises(OutcomeUnknown, match=r"Maesn \(127\.0\.0\.1:\d+\)"):
        client.create_booking_proposal(connection(client, "sevdesk"), upload("sevdesk"))
    assert len(maesn.fake.log.records(method="POST")) == 1
    assert maesn.fake.counts()["sevdesk"]["arrivals"] == 1


def test_a_5xx_on_create_is_outcome_unknown_without_a_retry(maesn: Maesn, client: MaesnClient) -> None:
    maesn.fake.set_faults(Faults(match_method="POST", error_on_calls=[1], error_status=500))
    with pytest.raises(OutcomeUnknown):
        client.create_booking_proposal(connection(client, "xero"), upload("xero"))
    assert len(maesn.fake.log.records(method="POST")) == 1


def test_reading_a_task_is_retried_after_a_5xx_and_a_dropped_connection(maesn: Maesn, client: MaesnClient) -> None:
    started = client.create_booking_proposal(connection(client, "xero"), upload("xero"))
    maesn.fake.set_faults(Faults(match_method="GET", error_on_calls=[1], drop_on_calls=[2]))
    backoffs: list[float] = []
    with MaesnClient(settings_for(maesn), sleep=backoffs.append) as reader:  # back-offs noted, not slept
        assert isinstance(reader, MaesnClient)
        state = reader.get_async_task(connection(reader, "xero"), started.task_id)

    # the dropped answer (OPEN) was a poll too: the task advanced on it, so the retry sees the outcome
    assert state.status == "SUCCESS"
    assert [r.status for r in maesn.fake.log.records(method="GET")] == [503, 200, 200]
    assert reader.retried == 2
    assert len(backoffs) == 2


def test_a_400_is_refused_with_the_vendor_answer(maesn: Maesn, client: MaesnClient) -> None:
    with pytest.raises(VendorRefused) as refused:
        client.create_booking_proposal(connection(client, "xero"), upload("xero", bankAccountId=None))
    assert refused.value.status == 400
    assert refused.value.body["error"]["validationErrors"][0]["field"] == "bookingProposal.bankAccountId"


def test_auth_errors_name_the_key_to_fix_and_never_the_key(maesn: Maesn) -> None:
    bad_account = SystemConnection("exact", "expired-account-key-0001", COMPANY_IDS["exact"])
    with MaesnClient(settings_for(maesn)) as client:
        assert isinstance(client, MaesnClient)
        with pytest.raises(VendorAuthError) as expired:
            client.create_booking_proposal(bad_account, upload("exact"))
    with MaesnClient(settings_for(maesn, api_key="wrong-api-key-0002")) as client:
        assert isinstance(client, MaesnClient)
        with pytest.raises(VendorAuthError) as forbidden:
            client.get_async_task(connection(client, "exact"), "0" * 32)
    assert "401" in str(expired.value)
    assert "destination.maesn.exact.account_key" in str(expired.value)
    assert "403" in str(forbidden.value)
    assert "destination.maesn.api_key" in str(forbidden.value)
    for error in (expired.value, forbidden.value):
        assert "expired-account-key-0001" not in str(error)
        assert API_KEY not in str(error)


def test_rate_limit_is_never_exceeded_by_eight_threads() -> None:
    limit, proposals = 10, 30
    with serve_maesn(maesn_fake(rate_limit_per_s=limit, faults=Faults(latency=0.05))) as maesn:
        with MaesnClient(settings_for(maesn, rate_limit_per_s=limit)) as client:
            assert isinstance(client, MaesnClient)
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda i: client.create_booking_proposal(
                    connection(client, "sevdesk"), upload("sevdesk", number=f"RE-{i}")), range(proposals)))
        assert maesn.fake.busiest_window(1.0) <= limit
        assert maesn.fake.throttled == 0
        assert client.throttled == 0
        assert maesn.fake.counts()["sevdesk"] == {"proposals": proposals, "arrivals": proposals, "created": proposals}
    # (how long 30 requests at 10 per second take is bench.maesn_push's to measure; here: never more than 10 in
    # any second at the fake, none refused, each arrived once)
    assert "rate limit of 10 per second" in client.traffic()


def test_a_request_that_overslept_its_turn_is_counted_from_when_it_went() -> None:
    """A waiting thread woken late (a loaded machine) must not let the requests after it keep earlier places:
    the vendor counts arrivals, so any window of arrivals must hold no more than the limit."""
    now = [0.0]
    pacer = Pacer(2, 1.0, margin_s=0.0, clock=lambda: now[0])

    def oversleep(seconds: float) -> None:
        now[0] += seconds + 0.5

    went = []
    for _ in range(6):
        pacer.pass_gate(oversleep)
        went.append(now[0])
    assert went == [0.0, 0.0, 1.5, 1.5, 3.0, 3.0]
    assert all(sum(start <= t < start + 1.0 for t in went) <= 2 for start in went)
    assert pacer.waited_s == 2.0


def test_a_signal_while_waiting_for_a_task_takes_one_last_look_then_stops(maesn: Maesn) -> None:
    def interrupted(seconds: float) -> None:
        raise Interrupted(signal.SIGINT)

    maesn.fake.set_task_plan(TaskPlan(numbers={"RE-DONE": TaskRule(pending_polls=0)},
                                      default=TaskRule(never_finishes=True)))
    with MaesnClient(settings_for(maesn), sleep=interrupted) as client:
        assert isinstance(client, MaesnClient)
        done = client.create_booking_proposal(connection(client, "sevdesk"), upload("sevdesk", number="RE-DONE"))
        pending = client.create_booking_proposal(connection(client, "sevdesk"), upload("sevdesk", number="RE-LATE"))
        assert client.wait_for_task(connection(client, "sevdesk"), done.task_id).status == "SUCCESS"
        with pytest.raises(Interrupted):
            client.wait_for_task(connection(client, "sevdesk"), pending.task_id)
    assert len(maesn.fake.log.records(method="GET")) == 2
