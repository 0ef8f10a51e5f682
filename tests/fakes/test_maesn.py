"""The Maesn fake against the contract it models (fakes/maesn/app.py), over real HTTP on loopback."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
import pytest

from erpload.fakes.faults import Faults
from erpload.fakes.maesn import ACCOUNTING, SYSTEMS, TaskPlan, TaskRule
from tests.maesn.support import ACCOUNT_KEYS, API_KEY, EXAMPLES, PDF, Maesn, example, maesn_fake, serve_maesn


def errors(response: httpx.Response, status: int = 400) -> list[str]:
    """The fields a 400 names (asserting the documented error shape on the way)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status
    return [e["field"] for e in error.get("validationErrors", [])]


@pytest.mark.parametrize("system", list(SYSTEMS))
def test_example_proposal_arrives_once_and_its_task_advances_per_poll(maesn: Maesn, system: str) -> None:
    maesn.fake.set_task_plan(TaskPlan(default=TaskRule(pending_polls=3)))
    response = maesn.post(system)
    task_id = maesn.task_id(response)

    assert re.fullmatch(r"[0-9A-F]{32}", task_id)
    assert [maesn.poll(system, task_id)["status"] for _ in range(5)] == (
        ["OPEN", "IN_PROGRESS", "IN_PROGRESS", "SUCCESS", "SUCCESS"])
    [proposal] = maesn.fake.proposals()
    assert proposal["system"] == system
    assert proposal["arrivals"] == 1
    assert proposal["number"] == EXAMPLES[system][1]["number"]
    assert proposal["files"] == [{"name": "RE-2026-0001.pdf", "sha256": hashlib.sha256(PDF).hexdigest(),
                                  "size": len(PDF), "contentType": "application/pdf"}]
    assert proposal["bookingProposal"] == EXAMPLES[system][1]
    assert maesn.fake.counts() == {system: {"proposals": 1, "arrivals": 1, "created": 1}}


def test_async_answer_holds_the_task_id_only_the_plain_one_echoes_the_proposal(maesn: Maesn) -> None:
    assert set(maesn.post("datev_uo").json()["data"]) == {"taskId"}
    data = maesn.post("xero").json()["data"]
    assert data["number"] == "INV-0042"
    assert data["files"] == ["RE-2026-0001.pdf"]


def test_api_key_is_checked_first_with_403_then_the_account_key_with_401(maesn: Maesn) -> None:
    task_id = maesn.task_id(maesn.post("sevdesk"))
    for api_key in (None, "wrong-api-key"):
        headers = {"X-ACCOUNT-KEY": ACCOUNT_KEYS["sevdesk"]} | ({"X-API-KEY": api_key} if api_key else {})
        answers = [httpx.post(f"{maesn.url}{ACCOUNTING}/bookingProposals", headers=headers, files={"x": b"y"}),
                   httpx.get(f"{maesn.url}{ACCOUNTING}/asyncTask/{task_id}", headers=headers)]
        assert [a.status_code for a in answers] == [403, 403]
    for account_key in (None, "wrong-account-key"):
        headers = {"X-API-KEY": API_KEY} | ({"X-ACCOUNT-KEY": account_key} if account_key else {})
        answer = httpx.get(f"{maesn.url}{ACCOUNTING}/asyncTask/{task_id}", headers=headers)
        assert answer.status_code == 401
        assert API_KEY not in answer.text
    assert maesn.post("sevdesk", account_key="wrong-account-key").status_code == 401
    assert maesn.fake.counts()["sevdesk"]["arrivals"] == 1


def test_lower_case_header_names_are_the_same_headers(maesn: Maesn) -> None:
    response = httpx.get(f"{maesn.url}{ACCOUNTING}/asyncTask/{'0' * 32}",
                         headers={"x-api-key": API_KEY, "x-account-key": ACCOUNT_KEYS["xero"]})
    assert response.status_code == 404  # authenticated: the task is what is unknown


def test_a_task_is_found_only_with_the_account_key_that_created_it(maesn: Maesn) -> None:
    task_id = maesn.task_id(maesn.post("xero"))
    response = maesn.client.get(f"{ACCOUNTING}/asyncTask/{task_id}", headers={"X-ACCOUNT-KEY": ACCOUNT_KEYS["exact"]})
    assert response.status_code == 404


@pytest.mark.parametrize("system", ["datev_uo", "exact"])
def test_company_id_is_required_where_the_seed_says_and_must_exist(maesn: Maesn, system: str) -> None:
    assert errors(maesn.post(system, company_id=None)) == ["companyId"]
    assert maesn.post(system, company_id="no-such-company").status_code == 404
    assert maesn.post("sevdesk", company_id=None).status_code == 200
    assert maesn.fake.counts() == {"sevdesk": {"proposals": 1, "arrivals": 1, "created": 1}}


def test_datev_uo_on_the_deprecated_plain_endpoint_is_refused_and_async_is_datev_only(maesn: Maesn) -> None:
    deprecated = maesn.post("datev_uo", via_async=False)
    assert deprecated.status_code == 404
    assert "/accounting/bookingProposals/async" in deprecated.json()["error"]["message"]
    assert maesn.post("exact", via_async=True).status_code == 404
    assert maesn.fake.proposals() == []


@pytest.mark.parametrize(
    ("system", "changes", "booking_type", "field"),
    [
        ("datev_uo", {"addresses": [{"city": "C" * 31}]}, None, "bookingProposal.addresses[0].city"),
        ("datev_uo", {"id": "BP-12345"}, None, "bookingProposal.id"),
        ("datev_uo", {"ledgerName": None}, None, "bookingProposal.ledgerName"),
        ("exact", {}, "INVOICE", "bookingType"),
        ("exact", {"contactId": None}, None, "bookingProposal.contactId"),
        ("exact", {"lineItems": [{"totalNetAmount": "1.00"}]}, None, "bookingProposal.lineItems[0].accountId"),
        ("lexware_office", {"contactId": None}, None, "bookingProposal.contactId"),
        ("lexware_office", {"lineItems": [{"totalNetAmount": "1.00"}]}, None,
         "bookingProposal.lineItems[0].accountId"),
        ("sevdesk", {}, "BILL", "bookingType"),
        ("sevdesk", {"debitCreditIndicator": "SOLL"}, None, "bookingProposal.debitCreditIndicator"),
        ("sevdesk", {"debitCreditIndicator": None}, None, "bookingProposal.debitCreditIndicator"),
        ("sevdesk", {"lineItems": [{"description": "no amount"}]}, None,
         "bookingProposal.lineItems[0].totalGrossAmount"),
        ("xero", {"bankAccountId": None}, None, "bookingProposal.bankAccountId"),
        ("xero", {"contactId": None}, None, "bookingProposal.contactId"),
        ("xero", {"number": None}, None, "bookingProposal.number"),
        ("xero", {"currency": "EURO"}, None, "bookingProposal.currency"),
        ("lexware_office", {"totalGrossAmount": 595.0}, None, "bookingProposal.totalGrossAmount"),
        ("sevdesk", {"dueDate": "31.01.2026"}, None, "bookingProposal.dueDate"),
        ("exact", {"amount": "1.00"}, None, "bookingProposal.amount"),
        ("datev_uo", {}, "CREDIT_NOTE", "bookingType"),
    ],
)
def test_a_proposal_the_system_cannot_take_is_answered_400_naming_the_field(
    maesn: Maesn, system: str, changes: dict[str, Any], booking_type: str | None, field: str
) -> None:
    response = maesn.post(system, example(system, **changes), booking_type=booking_type)

    assert field in errors(response)
    assert maesn.fake.proposals() == []


def test_every_problem_of_a_proposal_is_listed_at_once(maesn: Maesn) -> None:
    proposal = example("xero", bankAccountId=None, number=None, currency="XXX")
    assert sorted(errors(maesn.post("xero", proposal, booking_type="BILL"))) == [
        "bookingProposal.currency"]  # field types first: the system's rules run on a well-formed proposal
    assert sorted(errors(maesn.post("xero", example("xero", bankAccountId=None, number=None)))) == [
        "bookingProposal.bankAccountId", "bookingProposal.number"]


@pytest.mark.parametrize(
    ("files", "field"),
    [
        ([("RE-2026-0001", PDF, "application/pdf")], "files[0].name"),
        ([("ok.pdf", PDF, "application/pdf"), ("x" * 252 + ".pdf", PDF, "application/pdf")], "files[1].name"),
    ],
)
def test_file_names_need_an_extension_and_at_most_255_characters(
    maesn: Maesn, files: list[tuple[str, bytes, str]], field: str
) -> None:
    assert errors(maesn.post("sevdesk", files=files)) == [field]


def test_files_keep_their_exact_bytes_and_names(maesn: Maesn) -> None:
    name = 'Rechnung Müller "A".pdf'
    second = b"\r\n" + PDF[::-1]
    maesn.task_id(maesn.post("lexware_office", files=[(name, PDF, "application/pdf"), ("beleg.png", second,
                                                                                       "image/png")]))
    [proposal] = maesn.fake.proposals()
    assert [(f["name"], f["sha256"]) for f in proposal["files"]] == [
        (name, hashlib.sha256(PDF).hexdigest()), ("beleg.png", hashlib.sha256(second).hexdigest())]


def test_malformed_multipart_is_refused(maesn: Maesn) -> None:
    headers = {"X-ACCOUNT-KEY": ACCOUNT_KEYS["sevdesk"]}
    path = f"{ACCOUNTING}/bookingProposals"
    as_json = maesn.client.post(path, json={"bookingProposal": example("sevdesk")}, headers=headers)
    assert errors(as_json) == ["body"]
    request = maesn.client.build_request("POST", path, headers=headers, data={"bookingType": "INVOICE",
                                         "bookingProposal": "{}"}, files={"files": ("a.pdf", PDF)})
    cut = request.read()[:-10]
    truncated = maesn.client.post(path, content=cut, headers={**headers,
                                                               "Content-Type": request.headers["Content-Type"]})
    assert errors(truncated) == ["body"]
    not_json = maesn.client.post(path, data={"bookingType": "INVOICE", "bookingProposal": "{'number': 1}"},
                                 files={"files": ("a.pdf", PDF)}, headers=headers)
    assert errors(not_json) == ["bookingProposal"]
    unknown = maesn.client.post(path, data={"bookingType": "INVOICE", "bookingProposal": "{}", "note": "x"},
                                files={"files": ("a.pdf", PDF)}, headers=headers)
    assert errors(unknown) == ["note"]
    missing = maesn.client.post(path, data={"bookingProposal": "{}"}, files={"files": ("a.pdf", PDF)},
                                headers=headers)
    assert errors(missing) == ["bookingType"]
    assert maesn.fake.proposals() == []


def test_fields_a_system_does_not_use_come_back_as_warnings(maesn: Maesn) -> None:
    folder = {"category": "Rechnungseingang", "folder": "2026", "register": "Januar"}
    datev = maesn.post("datev_uo", example("datev_uo", contactId="c-1"), folder=folder).json()
    sevdesk = maesn.post("sevdesk", folder=folder).json()

    assert datev["meta"]["warnings"] == ["Field not used by target system: contactId"]
    assert sevdesk["meta"]["warnings"] == ["Field not used by target system: folderManagement"]
    assert maesn.fake.proposals("datev_uo")[0]["folderManagement"] == folder


def test_a_bad_folder_management_is_refused(maesn: Maesn) -> None:
    assert errors(maesn.post("datev_uo", folder={"category": "x", "shelf": "y"})) == ["folderManagement.shelf"]


def test_task_plan_ends_tasks_per_number_per_system_and_by_default(maesn: Maesn) -> None:
    maesn.fake.set_task_plan(TaskPlan(
        default=TaskRule(pending_polls=0),
        systems={"exact": TaskRule(outcome="FAILED", pending_polls=1, message="Supplier is blocked in Exact")},
        numbers={"INV-0042": TaskRule(outcome="PARTIAL_SUCCESS", pending_polls=0)},
    ))
    exact = maesn.task_id(maesn.post("exact"))
    xero = maesn.task_id(maesn.post("xero"))
    sevdesk = maesn.task_id(maesn.post("sevdesk"))

    assert maesn.poll("exact", exact)["status"] == "OPEN"
    failed = maesn.poll("exact", exact)
    assert failed["status"] == "FAILED"
    assert failed["information"][0]["message"] == "Supplier is blocked in Exact"
    partial = maesn.poll("xero", xero)
    assert partial["status"] == "PARTIAL_SUCCESS"
    assert [i["type"] for i in partial["information"]] == ["INFO", "ERROR"]
    assert maesn.poll("sevdesk", sevdesk)["status"] == "SUCCESS"
    assert {s: c["created"] for s, c in maesn.fake.counts().items()} == {"exact": 0, "xero": 1, "sevdesk": 1}


def test_a_task_that_never_finishes_stays_in_progress(maesn: Maesn) -> None:
    maesn.fake.set_task_plan(TaskPlan(default=TaskRule(never_finishes=True)))
    task_id = maesn.task_id(maesn.post("sevdesk"))
    assert {maesn.poll("sevdesk", task_id)["status"] for _ in range(20)} == {"OPEN", "IN_PROGRESS"}


def test_shared_fail_knobs_fail_tasks(maesn: Maesn) -> None:
    maesn.fake.set_faults(Faults(fail_jobs=[2], job_queued_polls=0))
    tasks = [maesn.task_id(maesn.post("sevdesk", example("sevdesk", number=f"RE-{i}"))) for i in range(3)]
    assert [maesn.poll("sevdesk", t)["status"] for t in tasks] == ["SUCCESS", "FAILED", "SUCCESS"]


def test_every_post_is_a_new_task_and_a_repeated_proposal_counts_as_a_second_arrival(maesn: Maesn) -> None:
    first, second = (maesn.task_id(maesn.post("xero")) for _ in range(2))

    assert first != second
    [proposal] = maesn.fake.proposals()
    assert proposal["arrivals"] == 2
    assert proposal["taskIds"] == [first, second]
    assert maesn.fake.counts()["xero"] == {"proposals": 1, "arrivals": 2, "created": 2}


def test_a_changed_file_is_a_different_proposal(maesn: Maesn) -> None:
    maesn.post("xero")
    maesn.post("xero", files=[("RE-2026-0001.pdf", PDF + b"x", "application/pdf")])
    assert [p["arrivals"] for p in maesn.fake.proposals()] == [1, 1]
    assert len({p["fingerprint"] for p in maesn.fake.proposals()}) == 2


def test_connection_dropped_after_the_proposal_was_applied(maesn: Maesn) -> None:
    maesn.fake.set_faults(Faults(match_method="POST", drop_on_calls=[1]))
    with pytest.raises(httpx.RemoteProtocolError):
        maesn.post("sevdesk")
    assert maesn.fake.counts()["sevdesk"]["arrivals"] == 1
    [logged] = maesn.fake.log.records(method="POST")
    assert logged.dropped


def test_throttle_knob_answers_429_with_retry_after_and_nothing_arrives(maesn: Maesn) -> None:
    maesn.fake.set_faults(Faults(throttle_after=0, throttle_count=1, retry_after=3))
    throttled = maesn.post("sevdesk")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "3"
    assert maesn.fake.proposals() == []
    assert maesn.post("sevdesk").status_code == 200


def test_server_error_knob(maesn: Maesn) -> None:
    # (the latency knob is timing: bench.maesn_push serves the fake at 50 ms and reports the answers' times)
    maesn.fake.set_faults(Faults(error_on_calls=[1], error_status=502))
    assert maesn.post("sevdesk").status_code == 502
    assert maesn.fake.proposals() == []


def test_rate_limit_answers_429_with_retry_after_beyond_the_limit() -> None:
    with serve_maesn(maesn_fake(rate_limit_per_s=3)) as maesn:
        answers = [maesn.post("sevdesk").status_code for _ in range(5)]
        assert answers == [200, 200, 200, 429, 429]
        assert maesn.fake.throttled == 2
        assert maesn.fake.busiest_window(1.0) == 5  # arrivals are counted whatever was answered
        assert maesn.fake.counts()["sevdesk"]["arrivals"] == 3


def test_inspection_api_lists_proposals_with_counts_and_takes_a_task_plan(maesn: Maesn) -> None:
    maesn.post("xero")
    maesn.post("datev_uo")
    listed = maesn.client.get("/_fake/proposals").json()
    assert listed["proposals"] == maesn.fake.proposals()
    assert listed["counts"] == {"xero": {"proposals": 1, "arrivals": 1, "created": 1},
                                "datev_uo": {"proposals": 1, "arrivals": 1, "created": 1}}
    assert [p["system"] for p in maesn.client.get("/_fake/proposals", params={"system": "xero"}).json()[
        "proposals"]] == ["xero"]
    assert len(maesn.client.get("/_fake/tasks").json()["tasks"]) == 2

    plan = {"default": {"outcome": "FAILED", "pending_polls": 0}}
    assert maesn.client.put("/_fake/task-plan", json=plan).status_code == 200
    task_id = maesn.task_id(maesn.post("sevdesk"))
    assert maesn.poll("sevdesk", task_id)["status"] == "FAILED"

    assert maesn.client.post("/_fake/reset").status_code == 200
    assert maesn.client.get("/_fake/proposals").json() == {"proposals": [], "counts": {}}
    assert maesn.fake.task_plan == TaskPlan()


def test_arrivals_endpoint_reports_the_busiest_window(maesn: Maesn) -> None:
    for _ in range(3):
        maesn.post("sevdesk")
    assert maesn.client.get("/_fake/arrivals").json() == {"requests": 3, "window": 1.0, "busiest": 3,
                                                          "throttled": 0}
    assert maesn.client.get("/_fake/arrivals", params={"window": 0.0001}).json()["busiest"] == 1


@pytest.mark.skipif("stuck_jobs" not in Faults.model_fields, reason="the shared stuck_jobs knob is not in Faults yet")
def test_stuck_jobs_knob_keeps_tasks_in_progress_until_the_knobs_change(maesn: Maesn) -> None:
    maesn.fake.set_faults(Faults.model_validate({"stuck_jobs": [2], "job_queued_polls": 0}))
    first, second = (maesn.task_id(maesn.post("xero", example("xero", number=f"INV-{i}"))) for i in range(2))
    assert maesn.poll("xero", first)["status"] == "SUCCESS"
    assert {maesn.poll("xero", second)["status"] for _ in range(5)} == {"OPEN", "IN_PROGRESS"}

    maesn.fake.set_faults(Faults())
    assert maesn.poll("xero", second)["status"] == "SUCCESS"
