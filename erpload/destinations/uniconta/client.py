"""The only module that speaks HTTP to Telecom X: sign-in and the Uniconta export.

Telecom X takes its token only as the query parameter `?token=` (the documented form), so the token is in
every request URL. It never leaves this module in clear: it is registered with `erpload.redact` as soon as
it arrives (every message, summary, run row and reject is masked), httpx's request log lines go through
`erpload.redact.RedactingFilter`, and our own messages name the path, never the URL.

A token that expires mid-run (401 on a call) is renewed once and the call sent again: a 401 means the call
was not taken. The error bodies are `{"error": <code>, "message": ...}` ([UNVERIFIED] shape: the wiki gives
only codes and messages), read leniently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from erpload import interrupts
from erpload.push.http import RetryPolicy, VendorAuthError, VendorRefused
from erpload.push.session import SessionClient
from erpload.redact import redact

from .config import SECTION, UnicontaSettings

LOGIN = "/auth/login"
EXPORT = "/integration/uniconta/invoice/draft"

_CREDENTIALS_HINT = (f"check {SECTION}.username and {SECTION}.password in .dlt/secrets.toml (a Telecom X user "
                     "with access level RESELLER for its own invoices, or ADMIN)")


@dataclass(frozen=True)
class ExportAnswer:
    """Telecom X's answer to an export call: it answers before the export is done."""

    success: bool
    total: int | None
    exported: int | None
    body: Any


@dataclass(frozen=True)
class SubError:
    """One part of a 422 `multiple` answer: its code (customer, finance.accountingSystemId, uniconta.customer,
    uniconta.product) and message (which names an invoice id, a customer name or a product code)."""

    code: str
    message: str

    @property
    def named(self) -> str:
        """What the message names: the text after its last ': '."""
        return self.message.rsplit(": ", 1)[-1].strip() if ": " in self.message else self.message


class ExportRefused(VendorRefused):
    """Telecom X refused an export with 422 `multiple`: nothing was exported (it rolls an export back)."""

    def __init__(self, message: str, *, body: Any, problems: list[SubError]) -> None:
        self.problems = problems
        super().__init__(message, status=422, body=body,
                         hint="fix what each part names (erpload.rejects lists them), then push again")


def _error_code(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "code", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return ""


def sub_errors(body: Any) -> list[SubError]:
    """The parts of a 422 `multiple` body (`errors: [{"error"|"field"|"code", "message"}]`)."""
    items = body.get("errors") if isinstance(body, dict) else None
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            code = next((str(item[k]) for k in ("error", "field", "code") if isinstance(item.get(k), str)), "")
            found.append(SubError(code, str(item.get("message", ""))))
        elif isinstance(item, str):
            found.append(SubError("", item))
    return found


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return redact(response.text[:300])


class TelecomXClient(SessionClient):
    def __init__(self, settings: UnicontaSettings, *, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = interrupts.sleep) -> None:
        super().__init__("Telecom X", settings.base_url, {"Accept": "application/json"}, section=SECTION,
                         auth_hint=_CREDENTIALS_HINT, timeout_s=settings.timeout_s, policy=policy, sleep=sleep)
        self.settings = settings

    def sign_in(self) -> None:
        """`POST /auth/login`; the token is kept in memory only."""
        body: dict[str, Any] = {"username": self.settings.username, "password": self.settings.password}
        if self.settings.sms_key:
            body["smsKey"] = self.settings.sms_key
        if self.settings.authenticator_token:
            body["authenticatorToken"] = self.settings.authenticator_token
        response = self.http.request("POST", LOGIN, safe=True, json=body, answered=frozenset({400, 401, 403}))
        answer = _body(response)
        if not response.is_success:
            raise VendorAuthError(f"{self.who} refused the sign-in of {self.settings.username or '(no username)'}: "
                                  f"{response.status_code} {_error_code(answer) or response.reason_phrase}",
                                  hint=_CREDENTIALS_HINT + ("; the user signs in with a second factor: set "
                                                            f"{SECTION}.authenticator_token (or sms_key)" if
                                                            "two_factor" in _error_code(answer) else ""))
        token = answer.get("token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise VendorRefused(f"{self.who} answered the sign-in without a token", status=response.status_code,
                                body=redact(str(answer))[:300], hint="check base_url: it must be Telecom X's API")
        self.keep_token(token)

    def export(self, reseller: str, invoice_date: str, omit: list[str]) -> ExportAnswer:
        """`POST /integration/uniconta/invoice/draft`: one export call. Raises `OutcomeUnknown` when the answer
        was lost (the export may have started), `ExportRefused` for 422, `VendorAuthError`/`VendorRefused` with
        what to fix for 403/404."""
        if self._token is None:
            self.sign_in()
        body = {"reseller": reseller, "invoiceDate": invoice_date, "invoicesToOmit": omit}
        response = self._export(body)
        if response.status_code == 401:  # the token expired: not taken; renewed once
            self.sign_in()
            response = self._export(body)
        answer = _body(response)
        if response.is_success:
            if not isinstance(answer, dict):
                answer = {}
            total, exported = answer.get("total"), answer.get("exported")
            return ExportAnswer(answer.get("success") is True, total if isinstance(total, int) else None,
                                exported if isinstance(exported, int) else None, answer)
        raise self._refusal(response.status_code, answer, reseller)

    def _export(self, body: dict[str, Any]) -> httpx.Response:
        assert self._token is not None
        return self.http.request("POST", EXPORT, safe=False, json=body, params={"token": self._token},
                                 answered=frozenset({401, 403, 404, 422}))

    def _refusal(self, status: int, answer: Any, reseller: str) -> Exception:
        code = _error_code(answer)
        what = f"{self.who} refused the Uniconta export for reseller {reseller}"
        if status == 401:
            return VendorAuthError(f"{what}: 401 {code or 'unauthorized'} right after a new sign-in",
                                   hint=_CREDENTIALS_HINT)
        if status == 403 and code == "access_denied":
            return VendorAuthError(f"{what}: 403 access_denied (insufficient access level)",
                                   hint=f"the user {self.settings.username} needs access level RESELLER (for its own "
                                        "reseller) or ADMIN at Telecom X; a RESELLER can export only its own invoices")
        if status == 403:
            return VendorAuthError(f"{what}: 403 {code or 'forbidden'}: the reseller's Uniconta integration is not "
                                   "valid", hint="check the Uniconta integration in Telecom X (its Uniconta company "
                                                 "and credentials), then push again")
        if status == 404:
            return VendorRefused(f"{what}: 404 {code or 'not found'}: Telecom X does not know the reseller",
                                 status=404, body=answer,
                                 hint="check the company's Telecom X reseller id (companies.telecomx_reseller_id, "
                                      "24 hex digits, in the ERP), then run extract, map, transform uniconta")
        if status == 422:
            problems = sub_errors(answer)
            return ExportRefused(f"{what}: 422 {code or 'multiple'} ({len(problems)} problem(s)); Telecom X exported "
                                 "none of the month", body=answer, problems=problems)
        return VendorRefused(f"{what}: {status} {redact(str(answer))[:200]}", status=status, body=answer,
                             hint="the request does not fit Telecom X's contract; report it with the run id")

    def traffic(self) -> str | None:
        if not self.http.requests:
            return None
        return self.http.traffic() + f"; signed in {self.sign_ins} time(s)"
