"""The Telecom X fake for the Uniconta tests: served once per module, seeded per test from the workspace's demo
ERP (as `erpload demo` seeds it), and read back through its in-process inspection API."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from erpload.fakes.serving import serve_in_thread
from erpload.fakes.telecomx import TelecomXFake
from erpload.fakes.telecomx.models import Reseller, User
from erpload.fakes.telecomx.seed import DEMO_PASSWORD
from erpload.transforms.uniconta.demo import DEMO_USER, UNKNOWN_TO_ERP, resellers_of
from tests.utils import Workspace


@dataclass
class Telecom:
    fake: TelecomXFake
    url: str
    #: every token the fake issued, in order: what a test greps erpload's output for
    tokens: list[str] = field(default_factory=list)
    reseller: str = ""

    def seed(self, ws: Workspace, monkeypatch: pytest.MonkeyPatch, *, unknown_month: str | None = None) -> None:
        """The fake as the demo has it: the workspace ERP's reseller, invoices and customers, and its user; the
        invoice only Telecom X has in `unknown_month` (default: where the demo puts it)."""
        self.fake.reset()
        self.tokens.clear()
        for body in resellers_of(ws.erp_path):
            reseller = Reseller.model_validate(body)
            if unknown_month is not None:
                for invoice in reseller.invoices:
                    if invoice.id == UNKNOWN_TO_ERP:
                        invoice.invoice_date = date.fromisoformat(unknown_month + "-28")
            self.fake.put_reseller(reseller)
            self.reseller = reseller.id
        self.fake.put_user(User(username=DEMO_USER, password=DEMO_PASSWORD, customer=self.reseller))
        monkeypatch.setenv("DESTINATION__UNICONTA__BASE_URL", self.url)
        monkeypatch.setenv("DESTINATION__UNICONTA__USERNAME", DEMO_USER)
        monkeypatch.setenv("DESTINATION__UNICONTA__PASSWORD", DEMO_PASSWORD)

    def calls(self, month: str | None = None) -> list[dict[str, Any]]:
        return [c for c in self.fake.calls() if month is None or c["month"] == month]

    def in_uniconta(self) -> dict[str, int]:
        """Every invoice in the reseller's Uniconta company, with how many times it sits there."""
        found: dict[str, int] = {}
        for export in self.fake.exports():
            for invoice, n in export["invoices"].items():
                found[invoice] = found.get(invoice, 0) + n
        return found

    def unknown_month(self) -> str:
        """The month of the invoice only Telecom X has."""
        return next(i.month for i in self.reseller_body().invoices if i.id == UNKNOWN_TO_ERP)

    def reseller_body(self) -> Reseller:
        return self.fake.resellers[self.reseller]


@contextmanager
def serve_telecom() -> Iterator[Telecom]:
    tokens: list[str] = []
    counter = itertools.count(1)

    def new_token() -> str:
        token = f"tok{next(counter):04d}Zq81vLmW3kP0sQx7"
        tokens.append(token)
        return token

    fake = TelecomXFake(resellers=[], new_token=new_token)
    with serve_in_thread(fake.app) as url:
        yield Telecom(fake, url, tokens)
