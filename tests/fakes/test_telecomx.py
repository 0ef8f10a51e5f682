"""The Telecom X fake against the contract it models (fakes/telecomx/app.py), over real HTTP on loopback."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from erpload.fakes.faults import Faults
from erpload.fakes.serving import serve_in_thread
from erpload.fakes.telecomx import (
    DEMO_ADMIN,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    EXPORT,
    FJORDTEL,
    LOGIN,
    NORDLYS,
    Customer,
    ExportPlan,
    Invoice,
    Reseller,
    TelecomXFake,
)

NOV = "2026-11-01"
INV1, INV2, INV3 = (f"7e1a{n:020x}" for n in (1, 2, 3))


@dataclass
class TelecomX:
    fake: TelecomXFake
    client: httpx.Client

    def login(self, username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD, **extra: Any) -> httpx.Response:
        return self.client.post(LOGIN, json={"username": username, "password": password, **extra})

    def token(self, username: str = DEMO_USERNAME, **extra: Any) -> str:
        response = self.login(username, **extra)
        assert response.status_code == 200, response.text
        return str(response.json()["token"])

    def export(self, token: str | None, reseller: str | None = FJORDTEL, invoice_date: str | None = NOV,
               omit: list[str] | None = None) -> httpx.Response:
        body: dict[str, Any] = {"invoicesToOmit": omit or []}
        if reseller is not None:
            body["reseller"] = reseller
        if invoice_date is not None:
            body["invoiceDate"] = invoice_date
        return self.client.post(EXPORT, params={"token": token} if token else None, json=body)

    def in_uniconta(self, reseller: str = FJORDTEL, month: str = "2026-11") -> dict[str, int]:
        for entry in self.client.get("/_fake/exports").json()["exports"]:
            if (entry["reseller"], entry["month"]) == (reseller, month):
                return dict(entry["invoices"])
        return {}


@pytest.fixture
def tx() -> Iterator[TelecomX]:
    fake = TelecomXFake()
    with serve_in_thread(fake.app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield TelecomX(fake, client)


def test_login_gives_a_15_minute_token_and_refuses_wrong_credentials(tx: TelecomX) -> None:
    answer = tx.login().json()
    assert answer["expiresInMinutes"] == 15
    assert (answer["customer"], answer["accessLevel"]) == (FJORDTEL, "RESELLER")
    assert len(answer["token"]) >= 32
    assert tx.login(password="wrong").status_code == 401
    assert tx.login(username="nobody@example.org").status_code == 401
    assert tx.login(persist=True).json()["expiresInMinutes"] == -1


def test_two_factor_user_needs_the_sms_key(tx: TelecomX) -> None:
    assert tx.login("2fa@fjordtel.example").status_code == 401
    assert tx.login("2fa@fjordtel.example", smsKey="000000").status_code == 401
    assert tx.login("2fa@fjordtel.example", smsKey="123456").status_code == 200


def test_export_answers_total_including_omitted_and_writes_the_rest_once(tx: TelecomX) -> None:
    response = tx.export(tx.token(), omit=[INV1])
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "total": 3, "exported": 2}
    assert tx.in_uniconta() == {INV2: 1, INV3: 1}
    assert tx.in_uniconta(month="2026-10") == {}  # the October invoice is another month's
    [call] = tx.client.get("/_fake/calls").json()["calls"]
    assert (call["omitted"], call["invoices"], call["duplicate"]) == ([INV1], [INV2, INV3], False)
    assert call["outcome"] == "completed"
    assert [e["event"] for e in call["events"]] == ["answered", "completed"]


def test_a_second_call_for_the_month_is_accepted_marked_duplicate_and_exports_again(tx: TelecomX) -> None:
    token = tx.token()
    assert tx.export(token, omit=[INV1]).status_code == 200
    assert tx.export(token, invoice_date="2026-11-30").json() == {"success": True, "total": 3, "exported": 3}
    assert [c["duplicate"] for c in tx.fake.calls()] == [False, True]
    assert tx.in_uniconta() == {INV1: 1, INV2: 2, INV3: 2}
    assert tx.fake.exports() == [{"reseller": FJORDTEL, "month": "2026-11", "calls": 2,
                                  "invoices": {INV1: 1, INV2: 2, INV3: 2}}]


def test_missing_unknown_and_expired_tokens_are_401_and_a_new_login_works(tx: TelecomX) -> None:
    assert tx.export(None).status_code == 401
    assert tx.export("not-a-token").status_code == 401
    token = tx.token()
    assert tx.client.post("/_fake/tokens/expire").json() == {"expired": 1}
    assert tx.export(token).status_code == 401
    assert tx.export(tx.token()).status_code == 200
    # long enough for a sign-in and a call on a loaded machine, short enough to wait out
    tx.client.put("/_fake/plan", json={"token_seconds": 1.0})
    short = tx.token()
    assert tx.export(short, invoice_date="2026-10-01").status_code == 200
    time.sleep(1.1)
    assert tx.export(short, invoice_date="2026-10-01").status_code == 401
    assert len(tx.fake.calls()) == 2  # refused calls export nothing


def test_only_the_documented_query_token_is_accepted(tx: TelecomX) -> None:
    token = tx.token()
    answer = tx.client.post(EXPORT, headers={"Authorization": f"Bearer {token}"}, json={"reseller": FJORDTEL})
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_token")
    assert tx.fake.calls() == []


def test_access_rules_and_not_found_answers(tx: TelecomX) -> None:
    def error(response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.json()["error"]

    assert error(tx.export(tx.token("viewer@fjordtel.example"))) == (403, "access_denied")
    assert error(tx.export(tx.token(), reseller=NORDLYS)) == (403, "access_denied")
    assert error(tx.export(tx.token(DEMO_ADMIN), reseller=None)) == (404, "id")
    assert error(tx.export(tx.token(DEMO_ADMIN), reseller="0" * 24)) == (404, "reseller")
    assert error(tx.export(tx.token(DEMO_ADMIN), reseller="not-an-id")) == (404, "reseller")
    assert tx.export(tx.token(DEMO_ADMIN)).status_code == 200  # ADMIN may export for any reseller
    assert tx.export(tx.token(), reseller=None, invoice_date="2026-10-01").json()["total"] == 1  # own by default
    [fjordtel] = [r for r in tx.fake.resellers.values() if r.id == FJORDTEL]
    tx.fake.put_reseller(fjordtel.model_copy(update={"integration_valid": False}))
    answer = tx.export(tx.token())
    assert error(answer) == (403, "Rackbeat")
    assert answer.json()["message"] == "The integration is not valid."
    assert [r["status"] for r in tx.fake.refused()] == [403, 403, 404, 404, 404, 403]


def test_422_multiple_names_every_invoice_customer_and_product_and_exports_nothing(tx: TelecomX) -> None:
    token = tx.token("reseller@nordlys.example")
    answer = tx.export(token, reseller=NORDLYS)
    assert answer.status_code == 422
    assert answer.json()["error"] == "multiple"
    assert sorted((e["error"], e["message"]) for e in answer.json()["errors"]) == [
        ("customer", f"Customer was not found for invoice: 7e1a{15:020x}"),
        ("finance.accountingSystemId", "Accounting system ID is not found for: Frisør Holm"),
        ("uniconta.customer", "Customer not found in Uniconta: Vognmand Berg"),
        ("uniconta.product", "Product not found in Uniconta with product code: IOT-SIM"),
    ]
    assert tx.fake.calls() == []
    assert tx.in_uniconta(NORDLYS) == {}
    bad = [f"7e1a{n:020x}" for n in (12, 13, 14, 15)]
    assert tx.export(token, reseller=NORDLYS, omit=bad).json() == {"success": True, "total": 5, "exported": 1}
    assert tx.in_uniconta(NORDLYS) == {f"7e1a{11:020x}": 1}


def test_a_mid_export_failure_answers_success_then_rolls_back_and_a_rerun_completes(tx: TelecomX) -> None:
    tx.client.put("/_fake/plan", json={"fail_exports": [1]})
    token = tx.token()
    assert tx.export(token).json() == {"success": True, "total": 3, "exported": 3}  # the answer comes first
    assert tx.in_uniconta() == {}
    [call] = tx.fake.calls()
    assert call["outcome"] == "rolled_back"
    events = {e["event"]: e for e in call["events"]}
    assert list(events) == ["answered", "failed", "rolled_back"]
    assert events["failed"]["written"] == events["rolled_back"]["deleted"] == [INV1]
    assert tx.export(token).status_code == 200
    assert tx.in_uniconta() == {INV1: 1, INV2: 1, INV3: 1}
    assert [c["outcome"] for c in tx.fake.calls()] == ["rolled_back", "completed"]


def test_the_export_continues_after_the_answer(tx: TelecomX) -> None:
    tx.fake.set_plan(ExportPlan(export_seconds=0.3))
    assert tx.export(tx.token()).status_code == 200
    assert tx.fake.calls()[0]["outcome"] == "running"
    assert tx.in_uniconta() == {}
    tx.fake.wait_for_exports()
    assert tx.fake.calls()[0]["outcome"] == "completed"
    assert tx.in_uniconta() == {INV1: 1, INV2: 1, INV3: 1}


def test_internal_error_knob_answers_500_and_applies_nothing(tx: TelecomX) -> None:
    tx.fake.set_plan(ExportPlan(internal_error_exports=[1]))
    token = tx.token()
    answer = tx.export(token)
    assert (answer.status_code, answer.json()["error"]) == (500, "internal_error")
    assert tx.in_uniconta() == {}
    assert tx.export(token).status_code == 200


def test_a_dropped_connection_comes_after_the_export_was_applied(tx: TelecomX) -> None:
    token = tx.token()
    tx.fake.set_faults(Faults(match_path=EXPORT, drop_on_calls=[1]))
    with pytest.raises(httpx.RemoteProtocolError):
        tx.export(token)
    assert tx.in_uniconta() == {INV1: 1, INV2: 1, INV3: 1}
    [record] = [r for r in tx.client.get("/_fake/requests", params={"path_prefix": EXPORT}).json()["requests"]]
    assert (record["status"], record["dropped"]) == (200, True)


def test_throttle_with_retry_after_and_injected_5xx_never_reach_the_export(tx: TelecomX) -> None:
    token = tx.token()
    tx.fake.set_faults(Faults(match_path=EXPORT, throttle_after=0, throttle_count=1, retry_after=2,
                              error_on_calls=[2], error_status=502))
    throttled = tx.export(token)
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "2")
    assert tx.export(token).status_code == 502
    assert tx.fake.calls() == []
    assert tx.export(token).status_code == 200
    assert len(tx.fake.calls()) == 1


def test_the_token_never_appears_in_clear_in_the_journal_or_inspection(tx: TelecomX) -> None:
    token = tx.token()
    tx.export(token)
    tx.export(token, reseller=NORDLYS)  # refused: 403
    inspected = "".join(tx.client.get(p).text for p in
                        ("/_fake/requests", "/_fake/calls", "/_fake/exports", "/_fake/resellers", "/_fake/plan"))
    assert token not in inspected
    digest = hashlib.sha256(token.encode()).hexdigest()
    queries = [r.query for r in tx.fake.log.records(EXPORT)]
    assert queries == [f"token=sha256:{digest[:16]}"] * 2
    assert {c["token_sha256"] for c in tx.fake.calls()} == {digest}


def test_state_is_set_through_the_fake_endpoints_and_reset_restores_the_seed(tx: TelecomX) -> None:
    reseller = Reseller(id="ab" * 12, name="Test Tele", uniconta_products=["X"],
                        customers=[Customer(id="k1", name="Kunde", accounting_system_id="1")],
                        invoices=[Invoice(id="i1", customer="k1", invoice_date="2026-12-05", products=["X"])])
    assert tx.client.put("/_fake/resellers", json=reseller.model_dump(mode="json")).status_code == 200
    assert tx.client.put("/_fake/users", json={"username": "u@test", "password": "pw", "customer": "ab" * 12}
                         ).json() == {"username": "u@test"}
    assert tx.client.put("/_fake/resellers", json={"id": "short", "name": "x"}).status_code == 422
    token = tx.token("u@test", password="pw")
    assert tx.export(token, reseller=None, invoice_date="2026-12-01").json() == {
        "success": True, "total": 1, "exported": 1}
    assert tx.client.post("/_fake/reset").json() == {"status": "reset"}
    assert tx.fake.calls() == []
    assert tx.login("u@test", password="pw").status_code == 401
    assert {r["id"] for r in tx.client.get("/_fake/resellers").json()["resellers"]} == {FJORDTEL, NORDLYS}


def test_served_fake_signs_in_the_demo_user_and_hides_a_chosen_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from erpload.fakes.telecomx.served import PASSWORD_ENV, serve

    served = serve()
    with serve_in_thread(served.app) as url:
        env = served.env(url)
        answer = httpx.post(f"{env['DESTINATION__UNICONTA__BASE_URL']}{LOGIN}", json={
            "username": env["DESTINATION__UNICONTA__USERNAME"], "password": env["DESTINATION__UNICONTA__PASSWORD"]})
        assert answer.status_code == 200
    monkeypatch.setenv(PASSWORD_ENV, "my-own-secret")
    chosen = serve()
    assert chosen.env("http://x", printable=True)["DESTINATION__UNICONTA__PASSWORD"] == f"${PASSWORD_ENV}"
    assert "my-own-secret" not in " ".join(chosen.accepts())
