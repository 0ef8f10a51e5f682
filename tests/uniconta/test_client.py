"""The Telecom X client against the fake over loopback: sign-in with and without a second factor, the token
renewed once when it expires, and what each refusal says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from erpload.destinations.uniconta.client import ExportRefused, TelecomXClient
from erpload.destinations.uniconta.config import UnicontaSettings
from erpload.fakes.serving import serve_in_thread
from erpload.fakes.telecomx import TelecomXFake
from erpload.fakes.telecomx.models import ExportPlan
from erpload.fakes.telecomx.seed import DEMO_PASSWORD, DEMO_USERNAME, FJORDTEL, NORDLYS
from erpload.push.http import VendorAuthError


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[TelecomXFake, str]]:
    fake = TelecomXFake()
    with serve_in_thread(fake.app) as url:
        yield fake, url


@pytest.fixture
def fake(served: tuple[TelecomXFake, str]) -> TelecomXFake:
    served[0].reset()
    return served[0]


_open: list[TelecomXClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def client(served: tuple[TelecomXFake, str], username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD,
           **extra: str) -> TelecomXClient:
    made = TelecomXClient(UnicontaSettings(base_url=served[1], username=username, password=password, **extra))
    _open.append(made)
    return made


def test_an_expired_token_is_renewed_once_and_the_call_goes_through(
        served: tuple[TelecomXFake, str], fake: TelecomXFake) -> None:
    tx = client(served)
    first = tx.export(FJORDTEL, "2026-10-01", [])
    assert tx.sign_ins == 1
    fake.expire_tokens()
    second = tx.export(FJORDTEL, "2026-11-01", [])
    assert tx.sign_ins == 2
    assert (first.success, first.total, first.exported) == (True, 1, 1)
    assert (second.success, second.total, second.exported) == (True, 3, 3)
    assert len(fake.calls()) == 2


def test_a_token_refused_right_after_a_new_sign_in_is_an_auth_error_not_a_loop(
        served: tuple[TelecomXFake, str], fake: TelecomXFake) -> None:
    fake.set_plan(ExportPlan(expire_tokens_at_exports=[1, 2]))  # each token expires before its export arrives
    tx = client(served)
    with pytest.raises(VendorAuthError, match="401"):
        tx.export(FJORDTEL, "2026-11-01", [])
    assert tx.sign_ins == 2
    assert not fake.calls()


def test_a_second_factor_is_sent_where_configured(served: tuple[TelecomXFake, str], fake: TelecomXFake) -> None:
    with pytest.raises(VendorAuthError, match="refused the sign-in") as refused:
        client(served, "2fa@fjordtel.example").sign_in()
    assert "sms_key" in str(refused.value)
    tx = client(served, "2fa@fjordtel.example", sms_key="123456")
    tx.sign_in()
    assert tx.sign_ins == 1


def test_a_wrong_password_names_the_user_and_never_the_password(served: tuple[TelecomXFake, str],
                                                                fake: TelecomXFake) -> None:
    tx = client(served, password="wrong-pass-123")
    with pytest.raises(VendorAuthError) as refused:
        tx.sign_in()
    assert DEMO_USERNAME in str(refused.value)
    assert "wrong-pass-123" not in str(refused.value)


def test_a_422_lists_each_part_with_what_it_names(served: tuple[TelecomXFake, str], fake: TelecomXFake) -> None:
    with pytest.raises(ExportRefused) as refused:
        client(served, "reseller@nordlys.example").export(NORDLYS, "2026-11-01", [])
    named = {(p.code, p.named) for p in refused.value.problems}
    assert named == {("finance.accountingSystemId", "Frisør Holm"), ("uniconta.customer", "Vognmand Berg"),
                     ("uniconta.product", "IOT-SIM"), ("customer", f"7e1a{15:020x}")}
    assert not fake.exports() or all(not e["invoices"] for e in fake.exports())
