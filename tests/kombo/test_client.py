"""The Kombo client against answers the fake does not give: Kombo's minimal error envelope (every field but
the message null, judged by its status), a 5xx without an envelope, and a 200 whose body is not what the
contract says. A tiny app on loopback answers them, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from erpload.destinations.kombo.client import GENERAL, KomboAuthError, KomboClient, KomboRefused, PushAnswer
from erpload.destinations.kombo.config import KomboSettings
from erpload.fakes.serving import serve_in_thread
from erpload.push.http import OutcomeUnknown, RetryPolicy
from tests.support.waits import RecordedWaits

KEY = "test-kombo-client-key-19af"
MINIMAL = {"status": "error", "error": {"code": None, "title": None, "message": "The message is always in the "
                                                                                 "response.", "log_url": None}}


class Answers:
    """What the app answers next, and the requests it saw."""

    def __init__(self) -> None:
        self.next: list[Response] = []
        self.seen: list[dict[str, Any]] = []


@pytest.fixture(scope="module")
def app_url() -> Iterator[tuple[Answers, str]]:
    answers = Answers()
    app = FastAPI()

    @app.post("/v1" + GENERAL)
    async def push(request: Request) -> Response:
        answers.seen.append({"headers": dict(request.headers), "body": await request.body()})
        return answers.next.pop(0)

    with serve_in_thread(app) as url:
        yield answers, url


def push(url: str, integration_id: str = "datev:abc", waits: RecordedWaits | None = None) -> PushAnswer:
    """One push through a new client, closed after."""
    settings = KomboSettings(base_url=url + "/v1", api_key=KEY, timeout_s=5)
    client = KomboClient(settings, policy=RetryPolicy(attempts=3, min_backoff_s=0.01, max_wait_s=5),
                         sleep=waits or RecordedWaits())
    try:
        return client.push_general(integration_id)
    finally:
        client.close()


@pytest.mark.parametrize(("status", "raised"), [(401, KomboAuthError), (403, KomboAuthError),
                                                (404, KomboRefused), (400, KomboRefused), (500, OutcomeUnknown),
                                                (504, OutcomeUnknown)])
def test_the_minimal_envelope_is_judged_by_its_status(app_url: tuple[Answers, str], status: int,
                                                      raised: type[Exception]) -> None:
    answers, url = app_url
    answers.next = [JSONResponse(MINIMAL, status_code=status)]
    with pytest.raises(raised, match="The message is always in the response"):
        push(url)
    assert answers.next == []  # asked once, never again


def test_a_429_without_an_envelope_is_a_limit_and_sent_again(app_url: tuple[Answers, str]) -> None:
    answers, url = app_url
    answers.next = [PlainTextResponse("slow down", status_code=429, headers={"Retry-After": "0"}),
                    JSONResponse({"status": "success", "data": {"files": []}, "warnings": []})]
    waits = RecordedWaits()
    answer = push(url, waits=waits)
    assert (answer.files, answer.warnings, answer.problem) == ([], [], None)
    assert waits.asked[0] >= 0.01  # Retry-After 0 is no hot loop


def test_a_bad_gateway_without_an_envelope_is_unknown(app_url: tuple[Answers, str]) -> None:
    answers, url = app_url
    answers.next = [PlainTextResponse("<html>bad gateway</html>", status_code=502)]
    with pytest.raises(OutcomeUnknown, match="502"):
        push(url)


def test_the_request_carries_the_key_the_integration_and_an_empty_object(app_url: tuple[Answers, str]) -> None:
    answers, url = app_url
    answers.seen.clear()
    answers.next = [JSONResponse({"status": "success", "data": {"files": [{"name": "a.csv", "content": "x"}]},
                                  "warnings": [{"message": "careful"}]})]
    answer = push(url, "datev:HWUTwvyx2wLoSUHphiWVrp28")
    assert [(f.name, f.content) for f in answer.files] == [("a.csv", "x")]
    assert answer.warnings == ["careful"]
    headers = answers.seen[0]["headers"]
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["x-integration-id"] == "datev:HWUTwvyx2wLoSUHphiWVrp28"
    assert answers.seen[0]["body"] == b"{}"


@pytest.mark.parametrize(("body", "problem"), [
    ("not json", "the answer is not JSON"),
    ({"status": "success", "data": {}, "warnings": []}, "no data.files list"),
    ({"status": "success", "data": {"files": [{"name": "a.csv"}, {"name": "b.csv", "content": "y"}]},
      "warnings": []}, "file 1 has no name and content strings"),
])
def test_an_unreadable_success_is_said_not_dropped(app_url: tuple[Answers, str], body: Any, problem: str) -> None:
    answers, url = app_url
    answers.next = [PlainTextResponse(body) if isinstance(body, str) else JSONResponse(body)]
    answer = push(url)
    assert answer.problem is not None
    assert problem in answer.problem
