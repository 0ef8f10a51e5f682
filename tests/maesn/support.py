"""Shared by the Maesn tests: one valid booking proposal per target system, and the fake served on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from erpload.fakes.maesn import ACCOUNTING, MaesnFake
from erpload.fakes.serving import serve_in_thread

API_KEY = "test-maesn-api-key-51c2"
ACCOUNT_KEYS = {system: f"test-account-{system}-9e0f" for system in
                ("datev_uo", "exact", "lexware_office", "sevdesk", "xero")}
COMPANY_IDS = {"datev_uo": "455148-10001", "exact": "3109871"}
PDF = b"%PDF-1.4\n% a receipt\n" + bytes(range(256)) + b"\r\n--not-a-boundary\r\n%%EOF\n"

_LINE = {"description": "Beratung Januar", "taxRatePercentage": "19", "totalNetAmount": "500.00",
         "totalGrossAmount": "595.00"}

#: system → (bookingType, bookingProposal): valid for that system, every field a documented one
EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "datev_uo": ("INVOICE", {
        "id": "5b0f3c52-2f4e-4a57-9d0b-2b8a6f1f7a11", "addresses": [{"city": "München"}],
        "bookingProposalDate": "2026-01-31T00:00:00Z", "contactAccountNumber": "10001",
        "contactName": "Müller Maschinenbau GmbH", "currency": "EUR", "dueDate": "2026-02-14T00:00:00Z",
        "ledgerName": "Debitoren", "number": "RE-2026-0001", "totalGrossAmount": "595.00",
        "lineItems": [{**_LINE, "accountNumber": "8400", "dimension1": "KST100"}]}),
    "exact": ("BILL", {
        "contactId": "eaa28f49-6028-4b6e-bb12-d8f6278073fc", "currency": "EUR", "number": "ER-2026-0007",
        "bookingProposalDate": "2026-01-31T00:00:00Z", "paymentTermsId": "03",
        "lineItems": [{**_LINE, "accountId": "db32-4f56-8a9b-1234567890ab"}]}),
    "lexware_office": ("BILL", {
        "contactId": "0c1d2e3f-aaaa-4bbb-8ccc-123456789abc", "currency": "EUR", "number": "ER-2026-0008",
        "lineItems": [{**_LINE, "accountId": "8f2b7c4e-posting-category"}]}),
    "sevdesk": ("INVOICE", {
        "contactId": "4711", "contactName": "Müller Maschinenbau GmbH", "currency": "EUR",
        "debitCreditIndicator": "CREDIT", "number": "RE-2026-0002",
        "lineItems": [{**_LINE, "accountNumber": "8400"}]}),
    "xero": ("INVOICE", {
        "bankAccountId": "5a6b7f5d-c1c4-403e-ad56-202fbc312414", "contactId": "c0ffee00-0000-4000-8000-000000000001",
        "currency": "GBP", "number": "INV-0042", "lineItems": [{**_LINE, "accountCode": "200"}]}),
}


def example(system: str, **changes: Any) -> dict[str, Any]:
    """A copy of the system's example proposal with `changes` applied (None removes a field)."""
    proposal: dict[str, Any] = json.loads(json.dumps(EXAMPLES[system][1]))
    for name, value in changes.items():
        if value is None:
            proposal.pop(name, None)
        else:
            proposal[name] = value
    return proposal


@dataclass
class Maesn:
    """A served Maesn fake and an httpx client that sends the test API key."""

    fake: MaesnFake
    url: str
    client: httpx.Client

    def post(self, system: str, proposal: dict[str, Any] | None = None, *, booking_type: str | None = None,
             files: list[tuple[str, bytes, str]] | None = None, folder: dict[str, Any] | None = None,
             company_id: str | None = "default", via_async: bool | None = None,
             account_key: str | None = None) -> httpx.Response:
        """POST one proposal as multipart the way Maesn documents it; defaults fit `system`."""
        data = {"bookingProposal": json.dumps(proposal if proposal is not None else example(system)),
                "bookingType": booking_type or EXAMPLES[system][0]}
        if folder is not None:
            data["folderManagement"] = json.dumps(folder)
        parts = [("files", (name, content, mime)) for name, content, mime in
                 (files if files is not None else [("RE-2026-0001.pdf", PDF, "application/pdf")])]
        params = {}
        company = COMPANY_IDS.get(system) if company_id == "default" else company_id
        if company:
            params["companyId"] = company
        path = f"{ACCOUNTING}/bookingProposals" + ("/async" if (via_async if via_async is not None
                                                                 else system == "datev_uo") else "")
        return self.client.post(path, data=data, files=parts or None, params=params,
                                headers={"X-ACCOUNT-KEY": account_key or ACCOUNT_KEYS[system]})

    def task_id(self, response: httpx.Response) -> str:
        assert response.status_code == 200, response.text
        task_id = response.json()["data"]["taskId"]
        assert isinstance(task_id, str)
        return task_id

    def poll(self, system: str, task_id: str) -> dict[str, Any]:
        response = self.client.get(f"{ACCOUNTING}/asyncTask/{task_id}",
                                   headers={"X-ACCOUNT-KEY": ACCOUNT_KEYS[system]})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


@contextmanager
def serve_maesn(fake: MaesnFake) -> Iterator[Maesn]:
    """Serve `fake` on an ephemeral loopback port with a client that sends the test API key."""
    with (
        serve_in_thread(fake.app) as url,
        httpx.Client(base_url=url, headers={"X-API-KEY": API_KEY}, timeout=10) as client,
    ):
        yield Maesn(fake, url, client)


def maesn_fake(**options: Any) -> MaesnFake:
    """A fake that knows the test keys and the test companies."""
    return MaesnFake(API_KEY, account_keys=ACCOUNT_KEYS, companies={k: {v} for k, v in COMPANY_IDS.items()},
                     **options)
