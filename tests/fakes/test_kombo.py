"""The Kombo fake against the contract it models (fakes/kombo/app.py), over real HTTP on loopback."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from erpload.fakes.faults import Faults
from erpload.fakes.kombo import (
    CHECK_API_KEY,
    DEFAULT_STATUS,
    DEMO_INTEGRATION,
    DEMO_INTEGRATION_2,
    GENERAL,
    PAYROLL,
    Employee,
    ErrorCode,
    FileKnob,
    InjectedError,
    Integration,
    KomboFake,
    KomboFile,
    KomboPlan,
)
from erpload.fakes.kombo.served import API_KEY_ENV, serve
from erpload.fakes.serving import serve_in_thread
from erpload.transforms.datev.check import check_bytes

API_KEY = "test-kombo-key-5b0e9d3a"
NOVEMBER = date(2026, 11, 1)
HOSTILE_NAMES = ["../../x", "/etc/passwd", "C:\\x", "a\x00b", "CON", "dup.csv", "dup.csv", ""]


@dataclass
class Kombo:
    fake: KomboFake
    url: str
    client: httpx.Client

    def push(self, integration_id: str | None = DEMO_INTEGRATION, *, key: str | None = API_KEY,
             path: str = GENERAL, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if integration_id is not None:
            headers["X-Integration-Id"] = integration_id
        if "json" not in kwargs and "content" not in kwargs:
            kwargs["json"] = {}
        return self.client.post(path, headers=headers, **kwargs)

    def files(self, response: httpx.Response) -> dict[str, str]:
        assert response.status_code == 200, response.text
        return {f["name"]: f["content"] for f in response.json()["data"]["files"]}

    def calls(self) -> dict[str, Any]:
        answer = self.client.get("/_fake/calls")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture(scope="module")
def served_kombo() -> Iterator[Kombo]:
    fake = KomboFake(API_KEY)
    with serve_in_thread(fake.app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield Kombo(fake, url, client)


@pytest.fixture
def kombo(served_kombo: Kombo) -> Kombo:
    served_kombo.fake.reset()
    served_kombo.fake.set_plan(KomboPlan(month=NOVEMBER))
    return served_kombo


def assert_error(response: httpx.Response, code: ErrorCode, status: int | None = None) -> dict[str, Any]:
    """The response is Kombo's error envelope with `code`; returns `error`."""
    assert response.status_code == (status or DEFAULT_STATUS[code]), response.text
    body = response.json()
    assert body["status"] == "error"
    error = dict(body["error"])
    assert set(error) == {"code", "title", "message", "log_url"}
    assert error["code"] == code.value
    assert error["title"]
    assert error["message"]
    return error


def test_general_push_returns_extf_and_lodas_files_from_the_employees(kombo: Kombo) -> None:
    response = kombo.push()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success"
    assert set(body) == {"status", "data", "warnings"}
    assert body["warnings"] == []
    files = kombo.files(response)
    assert list(files) == ["EXTF_Stammdaten.csv", "LODAS_Stammdaten.txt"]
    for content in files.values():
        content.encode("cp1252")  # raises when a character is outside Windows-1252
        assert content.endswith("\r\n")
        assert "\n" not in content.replace("\r\n", "")
    extf = files["EXTF_Stammdaten.csv"].split("\r\n")
    header = extf[0].split(";")
    assert header[:5] == ['"EXTF"', "700", "21", '"Buchungsstapel"', "13"]
    assert len(header) == 31
    assert (header[10], header[11], header[14], header[15]) == ("29098", "55003", "20261101", "20261130")
    assert len(extf[1].split(";")) == 125
    assert [row.split(";")[0] for row in extf[2:-1]] == ["3450,00", "2980,50", "4100,00"]
    lodas = files["LODAS_Stammdaten.txt"].split("\r\n")
    assert lodas[0] == "[Allgemein]"
    assert "[Satzbeschreibung]" in lodas
    stammdaten = lodas[lodas.index("[Stammdaten]") + 1:-1]
    assert [line.split(";")[1] for line in stammdaten] == ["1001", "1002", "1003"]


def test_the_generated_extf_file_passes_our_datev_checker(kombo: Kombo) -> None:
    content = kombo.files(kombo.push())["EXTF_Stammdaten.csv"]
    report = check_bytes(content.encode("cp1252"), "EXTF_Stammdaten.csv")
    assert (report.category, report.rows, report.findings) == (21, 3, [])


def test_inactive_and_unpaid_employees_are_left_out_with_a_warning(kombo: Kombo) -> None:
    response = kombo.push(DEMO_INTEGRATION_2)
    files = kombo.files(response)
    lodas = files["LODAS_Stammdaten.txt"].split("\r\n")
    assert [line.split(";")[1] for line in lodas[lodas.index("[Stammdaten]") + 1:-1]] == ["2001", "2002"]
    assert len(files["EXTF_Stammdaten.csv"].split("\r\n")) == 4  # header, headings, 2001's salary, final CRLF
    warnings = [w["message"] for w in response.json()["warnings"]]
    assert len(warnings) == 2
    assert "2003" in warnings[0]
    assert "inactive" in warnings[0]
    assert "2002" in warnings[1]
    assert "compensation" in warnings[1]


def test_an_integration_may_return_only_one_kind_of_file(kombo: Kombo) -> None:
    put = kombo.client.put(f"/_fake/integrations/{DEMO_INTEGRATION}",
                           json={"formats": ["lodas"], "employees": [
                               {"personnel_no": "77", "first_name": "Ida", "last_name": "Roth"}]})
    assert put.status_code == 200, put.text
    response = kombo.push()
    files = kombo.files(response)
    assert list(files) == ["LODAS_Stammdaten.txt"]
    assert files["LODAS_Stammdaten.txt"].split("\r\n")[-2] == "1;77;Roth;Ida;"
    assert response.json()["warnings"] == []  # no salary, but no EXTF file to miss it in


def test_names_outside_windows_1252_are_replaced_with_a_warning(kombo: Kombo) -> None:
    kombo.fake.put_integration(Integration(id=DEMO_INTEGRATION, employees=[
        Employee(personnel_no="5", first_name="Zoë", last_name="Wałęsa", monthly_salary=Decimal("2000"))]))
    response = kombo.push()
    files = kombo.files(response)
    assert "1;5;Wa??sa;Zoë;" in files["LODAS_Stammdaten.txt"]
    assert '"Gehalt 5 Wa??sa, Zoë"' in files["EXTF_Stammdaten.csv"]
    [warning] = [w["message"] for w in response.json()["warnings"]]
    assert "Employee 5" in warning


def test_payroll_push_needs_a_payroll_month_and_returns_that_months_movement_data(kombo: Kombo) -> None:
    assert_error(kombo.push(path=PAYROLL), ErrorCode.INPUT_INVALID)
    assert_error(kombo.push(path=PAYROLL, json={"payroll_month": "October"}), ErrorCode.INPUT_INVALID)
    response = kombo.push(path=PAYROLL, json={"payroll_month": "2026-10-01T00:00:00Z"})
    files = kombo.files(response)
    assert list(files) == ["EXTF_Bewegungsdaten.csv", "LODAS_Bewegungsdaten.txt"]
    assert files["EXTF_Bewegungsdaten.csv"].split(";")[14:16] == ["20261001", "20261031"]
    assert "10;2026-10-01;1001;3450,00;" in files["LODAS_Bewegungsdaten.txt"].split("\r\n")
    [call] = kombo.calls()["calls"]
    assert (call["endpoint"], call["payroll_month"]) == ("payroll", "2026-10-01")


def test_an_absent_body_is_tolerated_and_a_body_that_is_no_object_is_input_invalid(kombo: Kombo) -> None:
    assert kombo.push(content=b"").status_code == 200
    assert_error(kombo.push(content=b"[]", headers={"Content-Type": "application/json"}), ErrorCode.INPUT_INVALID)
    assert_error(kombo.push(content=b"{not json"), ErrorCode.INPUT_INVALID)
    assert len(kombo.calls()["calls"]) == 1


def test_every_accepted_push_is_journaled_with_its_files_and_warnings(kombo: Kombo) -> None:
    first, second = kombo.push(DEMO_INTEGRATION_2), kombo.push(DEMO_INTEGRATION_2)
    assert first.status_code == second.status_code == 200  # no idempotency: the second push is a push too
    calls = kombo.calls()["calls"]
    assert [c["integration_id"] for c in calls] == [DEMO_INTEGRATION_2, DEMO_INTEGRATION_2]
    files = kombo.files(first)
    assert calls[0]["files"] == [{"name": name, "size": len(content.encode()),
                                  "sha256": hashlib.sha256(content.encode()).hexdigest()}
                                 for name, content in files.items()]
    assert calls[0]["warnings"] == [w["message"] for w in first.json()["warnings"]]
    assert calls[0]["log_id"] != calls[1]["log_id"]
    assert kombo.fake.calls(DEMO_INTEGRATION) == []


def test_a_missing_or_wrong_key_is_authentication_invalid_and_no_key_is_kept_in_clear(kombo: Kombo) -> None:
    wrong = "wrong-key-0f4c2e"
    assert_error(kombo.push(key=None), ErrorCode.AUTHENTICATION_INVALID)
    assert_error(kombo.push(key=wrong), ErrorCode.AUTHENTICATION_INVALID)
    assert_error(kombo.client.post(GENERAL, headers={"Authorization": API_KEY, "X-Integration-Id": DEMO_INTEGRATION},
                                   json={}), ErrorCode.AUTHENTICATION_INVALID)  # no "Bearer"
    assert kombo.push().status_code == 200
    calls = kombo.calls()
    assert len(calls["calls"]) == 1
    assert [r["code"] for r in calls["refused"]] == [ErrorCode.AUTHENTICATION_INVALID.value] * 3
    assert calls["calls"][0]["api_key"].startswith("sha256:")
    assert calls["refused"][1]["api_key"] != calls["calls"][0]["api_key"]
    everything = json.dumps(calls) + kombo.client.get("/_fake/requests").text
    everything += "".join(kombo.client.get(f"/_fake/logs/{r['log_id']}").text for r in calls["refused"])
    assert API_KEY not in everything
    assert wrong not in everything


def test_a_missing_or_unknown_integration_is_integration_not_found(kombo: Kombo) -> None:
    missing = assert_error(kombo.push(None), ErrorCode.INTEGRATION_NOT_FOUND)
    assert "X-Integration-Id" in missing["message"]
    unknown = assert_error(kombo.push("datev:NoSuchIntegration000000"), ErrorCode.INTEGRATION_NOT_FOUND)
    assert "datev:NoSuchIntegration000000" in unknown["message"]
    assert kombo.calls()["calls"] == []


@pytest.mark.parametrize("code", list(ErrorCode))
def test_each_error_code_answers_kombos_envelope_with_a_log_url_on_the_fake(kombo: Kombo, code: ErrorCode) -> None:
    kombo.fake.set_plan(KomboPlan(errors=[InjectedError(code=code)]))
    error = assert_error(kombo.push(), code)
    assert error["log_url"].startswith(f"{kombo.url}/_fake/logs/")
    log = httpx.get(error["log_url"], timeout=10).json()
    assert (log["code"], log["status"], log["integration_id"]) == (code.value, DEFAULT_STATUS[code],
                                                                    DEMO_INTEGRATION)
    assert kombo.calls()["calls"] == []
    assert kombo.push().status_code == 200  # times=1: the next push passes


def test_the_statuses_knob_answers_a_code_with_another_http_status(kombo: Kombo) -> None:
    kombo.fake.set_plan(KomboPlan(
        statuses={ErrorCode.INTEGRATION_NOT_FOUND: 400},
        errors=[InjectedError(code=ErrorCode.UNKNOWN_ERROR, status=429)]))
    assert_error(kombo.push(), ErrorCode.UNKNOWN_ERROR, status=429)  # a 429 that must not be retried as a limit
    assert_error(kombo.push("datev:NoSuchIntegration000000"), ErrorCode.INTEGRATION_NOT_FOUND, status=400)
    assert kombo.client.get("/_fake/logs/unknown-id").status_code == 404


def test_injected_errors_hit_only_their_integration_and_count_down(kombo: Kombo) -> None:
    kombo.fake.set_plan(KomboPlan(errors=[
        InjectedError(code=ErrorCode.TASK_TIMED_OUT, times=2, integration_id=DEMO_INTEGRATION_2)]))
    assert kombo.push(DEMO_INTEGRATION).status_code == 200
    assert_error(kombo.push(DEMO_INTEGRATION_2), ErrorCode.TASK_TIMED_OUT)
    assert_error(kombo.push(DEMO_INTEGRATION_2), ErrorCode.TASK_TIMED_OUT)
    assert kombo.push(DEMO_INTEGRATION_2).status_code == 200


def test_a_caller_outside_the_allowed_ips_is_not_whitelisted(kombo: Kombo) -> None:
    kombo.fake.set_plan(KomboPlan(allowed_ips=["192.0.2.10"]))
    assert_error(kombo.push(), ErrorCode.IP_NOT_WHITELISTED)
    assert_error(kombo.client.get(CHECK_API_KEY, headers={"Authorization": f"Bearer {API_KEY}"}),
                 ErrorCode.IP_NOT_WHITELISTED)
    kombo.fake.set_plan(KomboPlan(allowed_ips=["127.0.0.1"]))
    assert kombo.push().status_code == 200


@pytest.mark.parametrize(("retry_after", "header"), [(3, "3"), (None, None)])
def test_the_rate_limit_knob_answers_the_next_n_pushes(kombo: Kombo, retry_after: int | None,
                                                       header: str | None) -> None:
    put = kombo.client.put("/_fake/plan", json={"rate_limited_calls": 2, "rate_limit_retry_after": retry_after})
    assert put.status_code == 200, put.text
    for _ in range(2):
        response = kombo.push()
        assert_error(response, ErrorCode.RATE_LIMIT_EXCEEDED)
        assert response.headers.get("Retry-After") == header
    assert kombo.push().status_code == 200
    assert len(kombo.calls()["calls"]) == 1


def _wait_in_flight(fake: KomboFake, integration_id: str, count: int) -> None:
    """Until exactly `count` pushes of the integration are in flight (a slot is given back just after the answer's
    last byte left, so a client may read its answer a moment before)."""
    deadline = time.monotonic() + 10
    while fake.in_flight(integration_id) != count:
        assert time.monotonic() < deadline, f"never {count} pushes in flight, now {fake.in_flight(integration_id)}"
        time.sleep(0.01)


def test_the_concurrency_cap_per_integration_answers_429_with_its_headers(kombo: Kombo) -> None:
    kombo.fake.set_plan(KomboPlan(month=NOVEMBER, concurrency_limit=2, concurrency_retry_after=1))
    kombo.fake.set_faults(Faults(latency=1.5, match_path=GENERAL))  # holds every push open
    with ThreadPoolExecutor(max_workers=4) as pool:
        held = [pool.submit(kombo.push) for _ in range(2)]
        _wait_in_flight(kombo.fake, DEMO_INTEGRATION, 2)
        over = kombo.push()
        other = pool.submit(kombo.push, DEMO_INTEGRATION_2)
        answers = [f.result() for f in held]
    assert_error(over, ErrorCode.CONCURRENCY_LIMIT_EXCEEDED)
    assert (over.headers["Concurrency-Limit"], over.headers["Concurrency-Remaining"]) == ("2", "0")
    assert over.headers["Retry-After"] == "1"
    assert sorted(a.headers["Concurrency-Remaining"] for a in answers) == ["0", "1"]
    assert [a.status_code for a in answers] == [200, 200]
    assert other.result().status_code == 200  # another integration has its own cap
    _wait_in_flight(kombo.fake, DEMO_INTEGRATION, 0)
    kombo.fake.set_faults(Faults())
    after = kombo.push()
    assert (after.status_code, after.headers["Concurrency-Remaining"]) == (200, "1")
    assert len(kombo.fake.calls(DEMO_INTEGRATION)) == 3


def test_the_file_knob_returns_hostile_names_and_contents_verbatim(kombo: Kombo) -> None:
    hostile = [KomboFile(name=name, content=f"line {i}\r\nő\x00;\"quoted\"\n") for i, name in enumerate(HOSTILE_NAMES)]
    put = kombo.client.put("/_fake/files", json={"integration_id": DEMO_INTEGRATION,
                                                 "files": [f.model_dump() for f in hostile],
                                                 "warnings": ["first", "second"]})
    assert put.status_code == 200, put.text
    response = kombo.push()
    assert response.status_code == 200, response.text
    assert response.json()["data"]["files"] == [f.model_dump() for f in hostile]
    assert response.json()["warnings"] == [{"message": "first"}, {"message": "second"}]
    [call] = kombo.calls()["calls"]
    assert [f["name"] for f in call["files"]] == HOSTILE_NAMES
    assert call["files"][3]["sha256"] == hashlib.sha256(hostile[3].content.encode()).hexdigest()
    assert list(kombo.files(kombo.push(DEMO_INTEGRATION_2))) == ["EXTF_Stammdaten.csv", "LODAS_Stammdaten.txt"]
    assert kombo.client.get("/_fake/files").json()["knobs"][0]["integration_id"] == DEMO_INTEGRATION


def test_a_file_knob_for_every_integration_can_replace_only_the_warnings(kombo: Kombo) -> None:
    kombo.fake.set_files(FileKnob(warnings=[]))
    response = kombo.push(DEMO_INTEGRATION_2)
    assert response.json()["warnings"] == []
    assert list(kombo.files(response)) == ["EXTF_Stammdaten.csv", "LODAS_Stammdaten.txt"]
    kombo.fake.set_files(FileKnob(files=[]))  # replaces the knob for every integration: files now, not warnings
    response = kombo.push(DEMO_INTEGRATION_2)
    assert (response.json()["data"]["files"], len(response.json()["warnings"])) == ([], 2)
    kombo.fake.set_files(FileKnob())
    assert kombo.client.get("/_fake/files").json() == {"knobs": []}


def test_a_dropped_answer_leaves_the_push_in_the_journal(kombo: Kombo) -> None:
    kombo.fake.set_faults(Faults(match_path=GENERAL, drop_on_calls=[1]))
    with pytest.raises(httpx.RemoteProtocolError):
        kombo.push()
    [call] = kombo.calls()["calls"]
    assert call["integration_id"] == DEMO_INTEGRATION
    [logged] = kombo.client.get("/_fake/requests", params={"path_prefix": GENERAL}).json()["requests"]
    assert (logged["dropped"], logged["status"]) == (True, 200)
    _wait_in_flight(kombo.fake, DEMO_INTEGRATION, 0)


def test_integrations_are_put_one_per_company_with_their_employees(kombo: Kombo) -> None:
    company = "datev:Zx9ErpCompany1000AbCdEfGh"
    put = kombo.client.put(f"/_fake/integrations/{company}", json={
        "name": "Demo GmbH", "client_no": 1000,
        "employees": [{"personnel_no": "00042", "first_name": "Eva", "last_name": "Lang", "monthly_salary": "3000"},
                      {"personnel_no": "00043", "first_name": "Tom", "last_name": "Kurz", "active": False}]})
    assert put.status_code == 200, put.text
    listed = {i["id"]: i for i in kombo.client.get("/_fake/integrations").json()["integrations"]}
    assert set(listed) == {DEMO_INTEGRATION, DEMO_INTEGRATION_2, company}
    assert [e["personnel_no"] for e in listed[company]["employees"]] == ["00042", "00043"]
    lodas = kombo.files(kombo.push(company))["LODAS_Stammdaten.txt"]
    assert "MandantenNr=1000" in lodas
    assert "1;00042;Lang;Eva;" in lodas
    assert "00043" not in lodas
    assert kombo.client.put("/_fake/integrations/not-an-id", json={}).status_code == 422
    assert kombo.client.put("/_fake/integrations", json={"id": company, "employees": []}).status_code == 200
    assert kombo.fake.integrations()[-1].employees == []
    assert kombo.client.delete(f"/_fake/integrations/{company}").json() == {"deleted": True}
    assert_error(kombo.push(company), ErrorCode.INTEGRATION_NOT_FOUND)


def test_check_api_key_needs_the_bearer_key(kombo: Kombo) -> None:
    ok = kombo.client.get(CHECK_API_KEY, headers={"Authorization": f"Bearer {API_KEY}"})
    assert (ok.status_code, ok.json()["status"]) == (200, "success")
    assert_error(kombo.client.get(CHECK_API_KEY), ErrorCode.AUTHENTICATION_INVALID)
    assert kombo.calls()["calls"] == []  # a key check is no push


def test_reset_forgets_pushes_integrations_and_knobs(kombo: Kombo) -> None:
    kombo.fake.set_files(FileKnob(files=[]))
    kombo.fake.set_plan(KomboPlan(rate_limited_calls=5))
    kombo.client.put("/_fake/integrations/datev:Extra0000000000000000000", json={})
    assert kombo.client.post("/_fake/reset").json() == {"status": "reset"}
    assert kombo.fake.plan == KomboPlan()
    assert {i.id for i in kombo.fake.integrations()} == {DEMO_INTEGRATION, DEMO_INTEGRATION_2}
    assert kombo.fake.calls() == []
    assert kombo.fake.refused() == []
    assert len(kombo.files(kombo.push())) == 2


def test_served_fake_points_erpload_at_v1_and_names_a_chosen_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    demo = serve()
    assert demo.env("http://127.0.0.1:8765") == {"DESTINATION__KOMBO__BASE_URL": "http://127.0.0.1:8765/v1",
                                                 "DESTINATION__KOMBO__API_KEY": demo.key}
    assert demo.key in demo.accepts()[0]  # the demo key is no secret
    chosen = "my-own-kombo-key-19af"
    monkeypatch.setenv(API_KEY_ENV, chosen)
    own = serve()
    assert own.env("http://x", printable=True)["DESTINATION__KOMBO__API_KEY"] == f"${API_KEY_ENV}"
    assert own.env("http://x")["DESTINATION__KOMBO__API_KEY"] == chosen
    assert chosen not in " ".join(own.accepts())
    with serve_in_thread(own.app) as url, httpx.Client(base_url=url, timeout=10) as client:
        headers = {"Authorization": f"Bearer {chosen}", "X-Integration-Id": DEMO_INTEGRATION}
        assert client.post(GENERAL, headers=headers).status_code == 200  # no body at all
        assert client.post(GENERAL, headers={**headers, "Authorization": "Bearer " + demo.key}).status_code == 401


def test_pushes_from_many_threads_are_each_journaled_once(kombo: Kombo) -> None:
    errors: list[BaseException] = []

    def push_one() -> None:
        try:
            assert kombo.push(DEMO_INTEGRATION_2).status_code == 200
        except BaseException as exc:  # collected: an assertion in a thread would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=push_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = [c["seq"] for c in kombo.fake.calls(DEMO_INTEGRATION_2)]
    assert sorted(seqs) == list(range(1, 9))
