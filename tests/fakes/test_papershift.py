"""The Papershift fake against the contract it models (fakes/papershift/app.py), over real HTTP on loopback."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from erpload.fakes.faults import Faults
from erpload.fakes.journal import payload_sha256
from erpload.fakes.papershift import (
    ALPENBLICK,
    BERGWERK,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DOCUMENT_SYNCS,
    INTEGRATIONS,
    JSON_API,
    SIGN_IN,
    PapershiftFake,
    PulsePlan,
    SyncStatus,
)
from erpload.fakes.papershift.store import months_before
from erpload.fakes.serving import serve_in_thread

ALPENBLICK_EMPLOYEES = [101, 102, 103]


class ManualClock:
    """The fake's clock, moved by the test: rate-limit windows and token lifetimes without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sign_in_body(email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> dict[str, Any]:
    return {"data": {"type": "user", "attributes": {"email": email, "password": password}}}


def sync_body(months: Any = 6, type_: str = "datev_document_sync") -> dict[str, Any]:
    return {"data": {"type": type_, "attributes": {"range_in_months": months}}}


def schedule_body(day: Any) -> dict[str, Any]:
    return {"data": {"type": "datev_document_sync_schedule", "attributes": {"day": day}}}


@dataclass
class Pulse:
    fake: PapershiftFake
    client: httpx.Client
    clock: ManualClock
    tokens: list[str] = field(default_factory=list)

    def sign_in(self, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD, **headers: str) -> httpx.Response:
        return self.client.post(SIGN_IN, content=json.dumps(sign_in_body(email, password)), headers=headers)

    def token(self) -> str:
        response = self.sign_in()
        assert response.status_code == 200, response.text
        scheme, _, token = response.headers["authorization"].partition(" ")
        assert scheme == "Bearer"
        self.tokens.append(token)
        return token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *, token: str | None = None,
             params: dict[str, Any] | None = None, **headers: str) -> httpx.Response:
        token = token or (self.tokens[-1] if self.tokens else self.token())
        return self.client.request(method, path, content=None if body is None else json.dumps(body), params=params,
                                   headers={"Authorization": f"Bearer {token}", **headers})

    def create_sync(self, iid: str = ALPENBLICK, months: Any = 6, **kwargs: Any) -> httpx.Response:
        return self.call("POST", f"{INTEGRATIONS}/{iid}/datev_document_syncs", sync_body(months), **kwargs)

    def list_syncs(self, iid: str = ALPENBLICK) -> list[dict[str, Any]]:
        response = self.call("GET", f"{INTEGRATIONS}/{iid}/datev_document_syncs")
        assert response.status_code == 200, response.text
        return list(response.json()["data"])

    def items(self, sid: str, **params: Any) -> httpx.Response:
        return self.call("GET", f"{DOCUMENT_SYNCS}/{sid}/datev_document_sync_items", params=params)

    def schedules(self, iid: str = ALPENBLICK, sid: str | None = None) -> str:
        return f"{INTEGRATIONS}/{iid}/datev_document_sync_schedules" + (f"/{sid}" if sid else "")

    def inspect(self, path: str, **params: str) -> Any:
        response = self.client.get(f"/_fake/{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def pulse() -> Iterator[Pulse]:
    clock = ManualClock()
    fake = PapershiftFake(clock=clock)
    with (serve_in_thread(fake.app) as url,
          httpx.Client(base_url=url, headers={"Content-Type": JSON_API}, timeout=10) as client):
        yield Pulse(fake, client, clock)


def error(response: httpx.Response) -> tuple[int, str | None]:
    """Status and the JSON:API error's pointer (None when no field is to blame)."""
    assert response.headers["content-type"] == JSON_API
    [only] = response.json()["errors"]
    assert only["status"] == str(response.status_code)
    assert only["title"]
    assert only["detail"]
    return response.status_code, only.get("source", {}).get("pointer")


def test_sign_in_returns_the_token_in_the_authorization_response_header(pulse: Pulse) -> None:
    response = pulse.sign_in()
    assert response.status_code == 200
    scheme, _, token = response.headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    assert len(token) >= 32
    assert token not in response.text
    assert response.json()["data"]["attributes"] == {"email": DEMO_EMAIL}
    assert pulse.call("GET", f"{INTEGRATIONS}/{ALPENBLICK}/datev_document_syncs", token=token).status_code == 200
    assert error(pulse.sign_in(password="wrong")) == (401, None)
    assert error(pulse.sign_in(email="nobody@example.org")) == (401, None)
    assert pulse.client.post(SIGN_IN, content=json.dumps({"data": {}})).status_code == 401


def test_a_missing_unknown_or_expired_token_is_401(pulse: Pulse) -> None:
    path = f"{INTEGRATIONS}/{ALPENBLICK}/datev_document_syncs"
    assert error(pulse.client.get(path)) == (401, None)
    assert pulse.call("GET", path, token="made-up").status_code == 401
    token = pulse.token()
    assert pulse.client.get(path, headers={"Authorization": f"Basic {token}"}).status_code == 401
    assert pulse.client.post("/_fake/tokens/expire").json() == {"expired": 1}
    assert pulse.call("GET", path, token=token).status_code == 401
    pulse.fake.set_plan(PulsePlan(token_seconds=30))
    short = pulse.token()
    assert pulse.call("GET", path, token=short).status_code == 200
    pulse.clock.now += 30
    assert pulse.call("GET", path, token=short).status_code == 401
    assert pulse.fake.syncs() == []


@pytest.mark.parametrize("content_type", [None, "application/json", f"{JSON_API}; charset=utf-8", "text/plain"])
def test_every_request_must_declare_the_json_api_content_type(pulse: Pulse, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    token = pulse.token()
    with httpx.Client(base_url=str(pulse.client.base_url), timeout=10) as bare:
        assert error(bare.post(SIGN_IN, content=json.dumps(sign_in_body()), headers=headers)) == (415, None)
        auth = {"Authorization": f"Bearer {token}", **headers}
        created = bare.post(f"{INTEGRATIONS}/{ALPENBLICK}/datev_document_syncs", content=json.dumps(sync_body()),
                            headers=auth)
        assert error(created) == (415, None)
        assert bare.get(f"{INTEGRATIONS}/{ALPENBLICK}/datev_document_syncs", headers=auth).status_code == 415
    assert pulse.fake.syncs() == []


def test_the_initial_sync_is_created_once_and_a_second_create_is_422(pulse: Pulse) -> None:
    response = pulse.create_sync(months=6)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == JSON_API
    data = response.json()["data"]
    assert data["type"] == "datev_document_sync"
    assert uuid.UUID(data["id"])
    attributes = data["attributes"]
    assert datetime.fromisoformat(attributes.pop("created_at")).tzinfo is not None
    assert attributes == {"document_types": [], "notice": None, "range_in_months": 6, "status": "running"}
    assert error(pulse.create_sync(months=3)) == (422, "/data")
    assert pulse.create_sync(BERGWERK).status_code == 201  # one initial sync per integration
    assert [s["id"] for s in pulse.fake.syncs(ALPENBLICK)] == [data["id"]]
    posts = pulse.inspect("requests", method="POST", path_prefix=INTEGRATIONS)["requests"]
    assert [r["status"] for r in posts] == [201, 422, 201]


@pytest.mark.parametrize("months", [0, 13, -1, "6", 6.5, True, None])
def test_range_in_months_outside_1_to_12_or_not_an_integer_is_422(pulse: Pulse, months: Any) -> None:
    assert error(pulse.create_sync(months=months)) == (422, "/data/attributes/range_in_months")
    assert pulse.fake.syncs() == []


def test_malformed_create_bodies_and_unknown_integrations_are_refused(pulse: Pulse) -> None:
    path = f"{INTEGRATIONS}/{ALPENBLICK}/datev_document_syncs"
    assert error(pulse.call("POST", path, sync_body(type_="datev_document_syncs"))) == (422, "/data/type")
    assert error(pulse.call("POST", path, {"range_in_months": 6})) == (422, "/data")
    broken = pulse.client.post(path, content=b"{not json", headers={"Authorization": f"Bearer {pulse.tokens[-1]}"})
    assert error(broken) == (400, None)
    assert error(pulse.create_sync(str(uuid.uuid4()))) == (404, None)
    assert error(pulse.create_sync("not-a-uuid")) == (404, None)
    assert error(pulse.call("GET", f"{INTEGRATIONS}/{uuid.uuid4()}/datev_document_syncs")) == (404, None)
    assert error(pulse.call("GET", "/api/v1/nothing-here")) == (404, None)
    assert pulse.fake.syncs() == []
    assert pulse.create_sync().status_code == 201  # none of the refusals counted as the initial sync


def _expected_failures(outcome: SyncStatus) -> set[int]:
    return {SyncStatus.SUCCEEDED: set(), SyncStatus.SUCCEEDED_PARTIALLY: {102},
            SyncStatus.FAILED: set(ALPENBLICK_EMPLOYEES)}[outcome]


@pytest.mark.parametrize("outcome", [SyncStatus.SUCCEEDED, SyncStatus.SUCCEEDED_PARTIALLY, SyncStatus.FAILED])
def test_polling_advances_the_sync_to_its_planned_end_with_items_consistent_with_it(
        pulse: Pulse, outcome: SyncStatus) -> None:
    pulse.fake.set_plan(PulsePlan(outcome=outcome, running_polls=2, failing_employees=[102, 999]))
    sid = pulse.create_sync(months=3).json()["data"]["id"]
    seen = []
    for _ in range(3):
        [sync] = pulse.list_syncs()
        seen.append(sync["attributes"]["status"])
        if sync["attributes"]["status"] == "running":
            statuses = {i["attributes"]["status"] for i in pulse.items(sid).json()["data"]}
            assert "running" in statuses  # a running sync has unfinished items
    assert seen == ["running", "running", outcome.value]
    attributes = sync["attributes"]
    assert attributes["document_types"] == ([] if outcome is SyncStatus.FAILED else ["LOBN", "LSTB"])
    assert (attributes["notice"] is None) == (outcome is SyncStatus.SUCCEEDED)
    items = [i["attributes"] for i in pulse.items(sid).json()["data"]]
    periods = [d.isoformat() for d in months_before(datetime.now(UTC).date(), 3)]
    assert sorted((i["employee_number"], i["period"]) for i in items) == sorted(
        (n, p) for n in ALPENBLICK_EMPLOYEES for p in periods)
    failed = {i["employee_number"] for i in items if i["status"] == "failed"}
    assert failed == _expected_failures(outcome)
    assert {i["status"] for i in items} <= {"succeeded", "failed"}
    assert all((i["notice"] is None) == (i["status"] == "succeeded") for i in items)
    assert pulse.list_syncs()[0]["attributes"]["status"] == outcome.value  # an ended sync stays ended


def test_a_partial_sync_whose_every_employee_would_fail_ends_failed_and_says_why(pulse: Pulse) -> None:
    pulse.fake.set_plan(PulsePlan(outcome=SyncStatus.SUCCEEDED_PARTIALLY, running_polls=0,
                                  failing_employees=ALPENBLICK_EMPLOYEES))
    pulse.create_sync(months=1)
    [sync] = pulse.list_syncs()
    assert sync["attributes"]["status"] == "failed"
    assert "fake: planned succeeded_partially" in sync["attributes"]["notice"]
    [inspected] = pulse.fake.syncs()
    assert inspected["planned_outcome"] == "succeeded_partially"
    assert {i["status"] for i in inspected["items"]} == {"failed"}


def test_items_are_paged_with_links_next_until_there_is_none(pulse: Pulse) -> None:
    pulse.fake.set_plan(PulsePlan(running_polls=0))
    sid = pulse.create_sync(BERGWERK, months=12).json()["data"]["id"]
    pulse.list_syncs(BERGWERK)
    page = pulse.items(sid, **{"page[size]": 20}).json()
    assert page["links"]["prev"] is None
    ids: list[str] = []
    pages = 0
    while True:
        pages += 1
        ids += [i["id"] for i in page["data"]]
        assert page["meta"] == {"record_count": 48, "page_count": 3}
        if page["links"]["next"] is None:
            break
        page = pulse.call("GET", page["links"]["next"]).json()
    assert (pages, len(ids), len(set(ids))) == (3, 48, 48)
    assert page["links"]["prev"] is not None
    assert page["links"]["self"] == page["links"]["last"]
    assert len(pulse.items(sid).json()["data"]) == 25  # the default page size
    assert error(pulse.items(sid, **{"page[size]": 101})) == (400, None)
    assert error(pulse.items(sid, **{"page[number]": 0})) == (400, None)
    assert error(pulse.items(sid, **{"page[number]": "x"})) == (400, None)
    assert error(pulse.items(str(uuid.uuid4()))) == (404, None)


def test_schedules_round_trip_with_day_unique_per_integration(pulse: Pulse) -> None:
    created = pulse.call("POST", pulse.schedules(), schedule_body(15))
    assert created.status_code == 201, created.text
    first = created.json()["data"]
    assert (first["type"], first["attributes"]["day"]) == ("datev_document_sync_schedule", 15)
    assert first["meta"] == {"permissions": {"actions": ["update", "destroy"]}}
    assert error(pulse.call("POST", pulse.schedules(), schedule_body(15))) == (422, "/data/attributes/day")
    for day in (0, 32, "15", None):
        assert error(pulse.call("POST", pulse.schedules(), schedule_body(day))) == (422, "/data/attributes/day")
    assert pulse.call("POST", pulse.schedules(BERGWERK), schedule_body(15)).status_code == 201
    listed = pulse.call("GET", pulse.schedules()).json()["data"]
    assert [s["id"] for s in listed] == [first["id"]]
    assert pulse.call("GET", pulse.schedules(sid=first["id"])).json()["data"] == first
    changed = pulse.call("PATCH", pulse.schedules(sid=first["id"]), schedule_body(20))
    assert (changed.status_code, changed.json()["data"]["attributes"]["day"]) == (200, 20)
    second = pulse.call("POST", pulse.schedules(), schedule_body(15)).json()["data"]  # 15 is free again
    clash = pulse.call("PATCH", pulse.schedules(sid=second["id"]), schedule_body(20))
    assert error(clash) == (422, "/data/attributes/day")
    same = pulse.call("PATCH", pulse.schedules(sid=first["id"]), schedule_body(20))
    assert same.status_code == 200  # a schedule does not clash with itself
    left_out = {"data": {"type": "datev_document_sync_schedule", "attributes": {}}}
    assert pulse.call("PATCH", pulse.schedules(sid=second["id"]), left_out).json()["data"]["attributes"]["day"] == 15
    deleted = pulse.call("DELETE", pulse.schedules(sid=first["id"]))
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert error(pulse.call("GET", pulse.schedules(sid=first["id"]))) == (404, None)
    assert error(pulse.call("GET", pulse.schedules(BERGWERK, sid=second["id"]))) == (404, None)
    assert sorted((s["integration_id"], s["day"]) for s in pulse.inspect("schedules")["schedules"]) == [
        (ALPENBLICK, 15), (BERGWERK, 15)]


def test_schedule_permissions_knob_forbids_changes_and_says_so_in_meta(pulse: Pulse) -> None:
    sid = pulse.call("POST", pulse.schedules(), schedule_body(1)).json()["data"]["id"]
    pulse.fake.set_plan(PulsePlan(schedule_actions=[]))
    shown = pulse.call("GET", pulse.schedules(sid=sid)).json()["data"]
    assert shown["meta"]["permissions"]["actions"] == []
    assert error(pulse.call("PATCH", pulse.schedules(sid=sid), schedule_body(2))) == (403, None)
    assert error(pulse.call("DELETE", pulse.schedules(sid=sid))) == (403, None)
    assert [s["day"] for s in pulse.fake.schedules()] == [1]


def test_the_general_rate_limit_answers_429_until_the_minute_has_passed(pulse: Pulse) -> None:
    pulse.fake.set_plan(PulsePlan(rate_limit_per_minute=3))
    pulse.token()  # 1
    assert len(pulse.list_syncs()) == 0  # 2
    pulse.clock.now += 30
    assert pulse.create_sync().status_code == 201  # 3
    throttled = pulse.create_sync(BERGWERK)
    assert error(throttled) == (429, None)
    assert "retry-after" not in throttled.headers  # Pulse documents none
    pulse.clock.now += 30  # the first two fall out of the window
    assert len(pulse.list_syncs()) == 1
    pulse.fake.set_plan(PulsePlan(rate_limit_per_minute=1, send_retry_after=True))
    assert pulse.call("GET", pulse.schedules()).status_code == 200
    pulse.clock.now += 15
    throttled = pulse.call("GET", pulse.schedules())
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "45")
    assert len(pulse.fake.syncs()) == 1


def test_sign_in_is_limited_to_5_per_20_seconds_per_client(pulse: Pulse) -> None:
    pulse.token()
    for _ in range(4):
        assert pulse.sign_in().status_code == 200
    pulse.clock.now += 19
    assert error(pulse.sign_in()) == (429, None)
    assert len(pulse.list_syncs()) == 0  # other calls are not held back by the sign-in limit
    assert len(pulse.fake.sessions()) == 5
    pulse.clock.now += 1
    assert pulse.sign_in().status_code == 200


def test_the_journal_and_inspection_never_hold_the_token_or_password(pulse: Pulse) -> None:
    token = pulse.token()
    sid = pulse.create_sync().json()["data"]["id"]
    pulse.list_syncs()
    pulse.items(sid)
    pulse.call("POST", pulse.schedules(), schedule_body(3))
    inspected = "".join(json.dumps(pulse.inspect(p)) for p in
                        ("requests", "syncs", "schedules", "integrations", "plan", "sessions"))
    assert token not in inspected
    assert DEMO_PASSWORD not in inspected
    digest = "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    assert pulse.fake.sessions() == [{"email": DEMO_EMAIL, "token": digest, "expired": False}]
    assert pulse.fake.syncs()[0]["created_by"] == pulse.fake.schedules()[0]["created_by"] == digest
    [sign_in] = pulse.inspect("requests", path_prefix=SIGN_IN)["requests"]
    assert sign_in["body_sha256"] == payload_sha256(sign_in_body(password="[not logged]"))


def test_integrations_and_employees_are_set_through_the_fake_endpoints(pulse: Pulse) -> None:
    iid = str(uuid.uuid4())
    put = pulse.client.put(f"/_fake/integrations/{iid}", json={"name": "Neu GmbH", "employee_numbers": [7, 5]})
    assert put.json() == {"id": iid, "name": "Neu GmbH", "employee_numbers": [5, 7]}
    assert pulse.client.put("/_fake/integrations/not-a-uuid", json={"employee_numbers": []}).status_code == 422
    assert pulse.client.put(f"/_fake/integrations/{iid}", json={"employee_numbers": [0]}).status_code == 422
    pulse.fake.set_plan(PulsePlan(running_polls=0))
    sid = pulse.create_sync(iid, months=2).json()["data"]["id"]
    pulse.list_syncs(iid)
    items = [i["attributes"] for i in pulse.items(sid).json()["data"]]
    assert sorted({i["employee_number"] for i in items}) == [5, 7]
    assert len(items) == 4
    assert pulse.client.post("/_fake/reset").json() == {"status": "reset"}
    assert {i["id"] for i in pulse.inspect("integrations")["integrations"]} == {ALPENBLICK, BERGWERK}
    assert pulse.fake.syncs() == []


def test_a_scheduled_sync_is_listed_but_is_not_the_initial_one(pulse: Pulse) -> None:
    pulse.fake.set_plan(PulsePlan(running_polls=0))
    scheduled = pulse.client.post(f"/_fake/integrations/{ALPENBLICK}/scheduled_syncs").json()
    assert (scheduled["initial"], scheduled["range_in_months"], scheduled["created_by"]) == (False, 1, "schedule")
    assert pulse.create_sync().status_code == 201
    assert [s["attributes"]["status"] for s in pulse.list_syncs()] == ["succeeded", "succeeded"]
    assert pulse.client.post(f"/_fake/integrations/{uuid.uuid4()}/scheduled_syncs").status_code == 404


def test_a_dropped_create_was_applied_so_the_retry_meets_the_documented_422(pulse: Pulse) -> None:
    pulse.token()
    pulse.fake.set_faults(Faults(match_method="POST", match_path=INTEGRATIONS, drop_on_calls=[1]))
    with pytest.raises(httpx.RemoteProtocolError):
        pulse.create_sync()
    assert error(pulse.create_sync()) == (422, "/data")
    assert len(pulse.fake.syncs()) == 1


def test_the_served_fake_signs_in_the_demo_user_and_hides_a_chosen_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from erpload.fakes.papershift.served import PASSWORD_ENV, serve

    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    served = serve()
    with serve_in_thread(served.app) as url:
        env = served.env(url)
        answer = httpx.post(f"{env['DESTINATION__PAPERSHIFT__BASE_URL']}{SIGN_IN}", headers={"Content-Type": JSON_API},
                            content=json.dumps(sign_in_body(env["DESTINATION__PAPERSHIFT__EMAIL"],
                                                            env["DESTINATION__PAPERSHIFT__PASSWORD"])))
        assert answer.status_code == 200
        assert answer.headers["authorization"].startswith("Bearer ")
    assert any(ALPENBLICK in line for line in served.accepts())
    monkeypatch.setenv(PASSWORD_ENV, "my-own-secret")
    chosen = serve()
    assert chosen.env("http://x", printable=True)["DESTINATION__PAPERSHIFT__PASSWORD"] == f"${PASSWORD_ENV}"
    assert chosen.env("http://x")["DESTINATION__PAPERSHIFT__PASSWORD"] == "my-own-secret"
    assert "my-own-secret" not in " ".join(chosen.accepts())


def test_months_before_crosses_the_year_boundary() -> None:
    assert months_before(date(2026, 1, 31), 2) == [date(2025, 11, 1), date(2025, 12, 1)]
    assert months_before(date(2026, 12, 1), 12)[0] == date(2025, 12, 1)
