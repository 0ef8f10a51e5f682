"""The Pulse client against the Papershift fake: the token from the response header, renewed once on 401, the
content type on every request, paging, and a sign-in refused with what to fix."""

from __future__ import annotations

import pytest

from erpload.destinations.papershift.client import PulseClient
from erpload.destinations.papershift.config import PapershiftSettings
from erpload.fakes.papershift import ALPENBLICK, DEMO_EMAIL, Integration, PapershiftFake, PulsePlan, User
from erpload.fakes.serving import serve_in_thread
from erpload.push.http import RetryPolicy, VendorAuthError, VendorRefused
from erpload.push.pacing import Pacer
from tests.papershift.conftest import PASSWORD

FAST = RetryPolicy(min_backoff_s=0.02, max_backoff_s=0.05, max_wait_s=5)


@pytest.fixture
def fake(pulse_served: tuple[PapershiftFake, str]) -> PapershiftFake:
    served, _ = pulse_served
    served.reset()
    served.put_integration(Integration(id=ALPENBLICK, name="Alpenblick", employee_numbers=list(range(1, 31))))
    return served


def _client(pulse_served: tuple[PapershiftFake, str], password: str = PASSWORD) -> PulseClient:
    return PulseClient(PapershiftSettings(base_url=pulse_served[1], email=DEMO_EMAIL, password=password),
                       policy=FAST)


def test_an_expired_token_is_renewed_once_and_the_request_sent_again(
        fake: PapershiftFake, pulse_served: tuple[PapershiftFake, str]) -> None:
    client = _client(pulse_served)
    try:
        created = client.create_initial_sync(ALPENBLICK, 1)
        assert created.sync is not None
        fake.store.expire_tokens()
        syncs = client.document_syncs(ALPENBLICK)
    finally:
        client.close()
    assert [s.id for s in syncs] == [created.sync.id]
    assert client.sign_ins == 2
    statuses = [(r.method, r.status) for r in fake.log.records(path_prefix="/api/")]
    assert statuses == [("POST", 200), ("POST", 201), ("GET", 401), ("POST", 200), ("GET", 200)]


def test_a_second_initial_sync_comes_back_as_the_documented_refusal(
        fake: PapershiftFake, pulse_served: tuple[PapershiftFake, str]) -> None:
    client = _client(pulse_served)
    try:
        assert client.create_initial_sync(ALPENBLICK, 6).sync is not None
        again = client.create_initial_sync(ALPENBLICK, 6)
        with pytest.raises(VendorRefused, match="range_in_months"):  # another 422: not "it exists"
            client.create_initial_sync(ALPENBLICK, 13)
    finally:
        client.close()
    assert again.sync is None
    assert again.exists is not None
    assert again.exists.pointer == "/data"
    assert sum(s["initial"] for s in fake.syncs(ALPENBLICK)) == 1


def test_every_page_of_a_list_is_read(fake: PapershiftFake, pulse_served: tuple[PapershiftFake, str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("erpload.destinations.papershift.client.PAGE_SIZE", 7)
    fake.set_plan(PulsePlan(running_polls=0))
    client = _client(pulse_served)
    try:
        created = client.create_initial_sync(ALPENBLICK, 2)
        assert created.sync is not None
        items = client.document_sync_items(created.sync.id)
    finally:
        client.close()
    assert len(items) == 60
    assert len({i.id for i in items}) == 60
    pages = [r.query for r in fake.log.records(path_prefix="/api/v1/datev_document_syncs/")]
    assert len(pages) == 9  # 60 items, 7 a page


def test_every_request_declares_the_json_api_content_type(
        fake: PapershiftFake, pulse_served: tuple[PapershiftFake, str]) -> None:
    # the fake answers 415 to a request without it, GETs included
    client = _client(pulse_served)
    try:
        client.create_initial_sync(ALPENBLICK, 1)
        client.document_syncs(ALPENBLICK)
        client.schedules(ALPENBLICK)
    finally:
        client.close()
    sent = [(r.method, r.status) for r in fake.log.records(path_prefix="/api/")]
    assert [m for m, _ in sent] == ["POST", "POST", "GET", "GET"]
    assert all(status < 400 for _, status in sent)


def test_a_wrong_password_is_refused_with_what_to_fix(
        fake: PapershiftFake, pulse_served: tuple[PapershiftFake, str]) -> None:
    client = _client(pulse_served, password="not-the-password-at-all")
    try:
        with pytest.raises(VendorAuthError, match="refused the sign-in") as refused:
            client.schedules(ALPENBLICK)
    finally:
        client.close()
    assert "destination.papershift.password" in refused.value.render()
    assert "not-the-password-at-all" not in refused.value.render()


class _Clock:
    """One clock for the fake's rate-limit window and the client's waits: a wait moves it, nothing sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("paced", [True, False], ids=["paced", "unpaced"])
def test_the_client_keeps_under_the_documented_rate_instead_of_meeting_429s(paced: bool) -> None:
    clock = _Clock()
    limited = PapershiftFake(users=[User(email=DEMO_EMAIL, password=PASSWORD)], clock=clock,
                             integrations=[Integration(id=ALPENBLICK, name="Alpenblick", employee_numbers=[1, 2])])
    limited.set_plan(PulsePlan(rate_limit_per_minute=4))
    with serve_in_thread(limited.app) as url:
        # back-offs of up to 30 s on the shared clock: the unpaced client rides its 429s out too
        policy = RetryPolicy(min_backoff_s=1, max_backoff_s=30, max_wait_s=600)
        client = PulseClient(PapershiftSettings(base_url=url, email=DEMO_EMAIL, password=PASSWORD), policy=policy,
                             sleep=clock.sleep, pacer=Pacer(4 if paced else 1000, 60.0, clock=clock))
        try:
            for _ in range(9):
                assert client.document_syncs(ALPENBLICK) == []
            traffic = client.traffic()
        finally:
            client.close()
    statuses = [r.status for r in limited.log.records(path_prefix="/api/", method="GET")]
    if paced:
        assert statuses == [200] * 9  # never turned away
        assert sum(clock.waits) >= 120  # 10 requests with the sign-in, 4 a minute: two full windows waited
        assert "pacing to stay under its rate limit" in traffic
    else:
        assert 429 in statuses  # the same requests, unpaced, meet the limit
        assert statuses.count(200) == 9
