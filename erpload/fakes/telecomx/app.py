"""Telecom X's Uniconta invoice export (`POST /integration/uniconta/invoice/draft`) and its sign-in, as the seed has it.

Vendor paths:

- `POST /auth/login` `{"username", "password", "smsKey"?, "authenticatorToken"?, "persist"?}` → 200 `{"token",
  "expiresInMinutes", "employee", "customer", "accessLevel"}`; wrong credentials or a missing/wrong 2FA field → 401
  (the code is [UNVERIFIED]). `persist: true` gives a token that does not expire (`expiresInMinutes: -1`).
- `POST /integration/uniconta/invoice/draft?token=...` `{"reseller"?, "invoiceDate"?, "invoicesToOmit"?}` → 200
  `{"success": true, "total": T, "exported": E}`, T = E + the omitted invoices of that month. Only the documented
  `?token=` form is accepted (a client sending a header would fail here first). `reseller` defaults to the
  caller's own customer, `invoiceDate` to the 1st of the current month; the month of `invoiceDate` picks the
  invoices. Errors (`{"error": <the seed's message>, "message": <its description>}`; the shape is [UNVERIFIED]):
  401 missing/unknown/expired token; 403 `access_denied` below RESELLER, or a RESELLER for another reseller;
  403 `Rackbeat` (the seed's copy-paste message) when the reseller's Uniconta integration is not valid;
  404 `reseller` unknown reseller; 404 `id` when no reseller is given and the caller's own customer is none;
  422 `multiple` with `errors: [{"error": "customer"|"finance.accountingSystemId"|"uniconta.customer"|
  "uniconta.product", "message"}]`, from the fake's own customers and Uniconta products, nothing exported;
  500 `internal_error` (knob).

The export "continues" after the answer: it completes at once or `export_seconds` later, writing its invoices to
the reseller's Uniconta tally; a failing one (knob) writes part of them, then deletes what it wrote (all or
nothing). Telecom X documents no idempotency: a second call for a reseller and month is accepted, exports again
and is marked `duplicate`. The journal never holds a token in clear: `token=` in a logged query is its sha256.

Inspection (fake only): `GET /_fake/exports` (per reseller and month, invoices in Uniconta and how often each was
exported), `GET /_fake/calls` (every accepted call with omitted ids, counts, duplicate, outcome, events; and the
refused ones), `GET|PUT /_fake/resellers`, `PUT /_fake/users`, `GET|PUT /_fake/plan` (an `ExportPlan`),
`POST /_fake/tokens/expire`.
"""

from __future__ import annotations

import hmac
import re
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from erpload.fakes.app import FakeVendor
from erpload.fakes.faults import Faults
from erpload.fakes.journal import RequestLog, RequestRecord
from erpload.fakes.telecomx.models import (
    RESELLER_LEVELS,
    AccessLevel,
    ExportPlan,
    Invoice,
    Reseller,
    User,
    is_telecomx_id,
)
from erpload.fakes.telecomx.seed import demo_resellers, demo_users
from erpload.fakes.telecomx.store import ExportCall, ExportStore, token_sha256

LOGIN = "/auth/login"
EXPORT = "/integration/uniconta/invoice/draft"

_TOKEN_IN_QUERY = re.compile(r"(^|&)token=([^&]*)")


def _redact_query(query: str) -> str:
    return _TOKEN_IN_QUERY.sub(lambda m: f"{m.group(1)}token=sha256:{token_sha256(m.group(2))[:16]}", query)


class _TokenHashingLog(RequestLog):
    """The shared request log, with the `?token=` value replaced by its hash before it is kept."""

    def append(self, *, query: str, **fields: Any) -> RequestRecord:
        return super().append(query=_redact_query(query), **fields)


def _error(status: int, error: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, "message": message, **extra}, status_code=status)


class TelecomXFake(FakeVendor):
    title = "Telecom X (fake)"

    def __init__(self, resellers: list[Reseller] | None = None, users: list[User] | None = None,
                 faults: Faults | None = None, plan: ExportPlan | None = None,
                 new_token: Callable[[], str] | None = None) -> None:
        # `new_token`: a test that greps erpload's output for the tokens chooses them
        self._new_token = new_token
        self._seed_resellers = demo_resellers() if resellers is None else resellers
        self._seed_users = demo_users() if users is None else users
        self._initial_plan = plan or ExportPlan()
        self.reset_state()
        super().__init__(faults)

    def make_log(self) -> RequestLog:
        return _TokenHashingLog()  # the token is in the query: never logged in clear

    # -- in-process API -------------------------------------------------------------------------
    def reset_state(self) -> None:
        for timer in getattr(self, "_timers", []):
            timer.cancel()  # an export still running belongs to the state being forgotten
        self.store = ExportStore(self._new_token)
        self._plan = self._initial_plan
        self.resellers = {r.id: r.model_copy(deep=True) for r in self._seed_resellers}
        self.users = {u.username: u.model_copy() for u in self._seed_users}
        self._export_calls = 0
        self._export_requests = 0  # every request to the export path, signed in or not
        self._accepted = 0
        self._timers: list[threading.Timer] = []

    @property
    def plan(self) -> ExportPlan:
        return self._plan

    def set_plan(self, plan: ExportPlan) -> None:
        with self.store.lock:
            self._plan = plan
            self._export_calls = 0
            self._export_requests = 0
            self._accepted = 0

    def put_reseller(self, reseller: Reseller) -> None:
        with self.store.lock:
            self.resellers[reseller.id] = reseller

    def put_user(self, user: User) -> None:
        with self.store.lock:
            self.users[user.username] = user

    def expire_tokens(self) -> int:
        return self.store.expire_tokens()

    def calls(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return [c.as_json() for c in self.store.calls]

    def refused(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return list(self.store.refused)

    def exports(self) -> list[dict[str, Any]]:
        return self.store.exports()

    def wait_for_exports(self, timeout: float = 10.0) -> None:
        """Let every running export finish (only needed with `export_seconds`)."""
        for timer in list(self._timers):
            timer.join(timeout)

    # -- vendor paths -----------------------------------------------------------------------------
    async def _login(self, request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, "invalid_body", "a JSON object with username and password is required")
        user = self.users.get(str(body.get("username", "")))
        if user is None or not hmac.compare_digest(user.password.encode(), str(body.get("password", "")).encode()):
            return _error(401, "invalid_credentials", "Wrong username or password")
        for field, expected in (("smsKey", user.sms_key), ("authenticatorToken", user.authenticator_token)):
            if expected is not None and str(body.get(field, "")) != expected:
                return _error(401, "two_factor_required", f"{field} is missing or wrong")
        persist = body.get("persist") is True
        token = self.store.sign_in(user, None if persist else self._plan.token_seconds)
        minutes = -1 if persist else round(self._plan.token_seconds / 60)
        return JSONResponse({"token": token, "expiresInMinutes": minutes,
                             "employee": user.employee, "customer": user.customer,
                             "accessLevel": user.access_level.value})

    async def _export(self, request: Request) -> JSONResponse:
        with self.store.lock:
            self._export_requests += 1
            if self._export_requests in self._plan.expire_tokens_at_exports:
                self.store.expire_tokens()
        token = request.query_params.get("token")
        session = self.store.session(token) if token else None
        if token is None or session is None:
            return _error(401, "invalid_token", "The token is missing, unknown or expired")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, "invalid_body", "the body must be a JSON object")
        user = session.user
        with self.store.lock:
            self._export_calls += 1
            call_number = self._export_calls
        refusal = self._refusal(user, token, body, call_number)
        if isinstance(refusal, JSONResponse):
            with self.store.lock:
                self.store.refused.append({"reseller": body.get("reseller"), "invoiceDate": body.get("invoiceDate"),
                                           "status": refusal.status_code, "body": bytes(refusal.body).decode()})
            return refusal
        call = refusal
        call.event("answered", total=call.total, exported=len(call.to_export))
        answer = JSONResponse({"success": True, "total": call.total, "exported": len(call.to_export)})
        with self.store.lock:
            self._accepted += 1
            fails = self._accepted in self._plan.fail_exports
        if self._plan.export_seconds:
            timer = threading.Timer(self._plan.export_seconds, _run_export, (self.store, call, fails))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        else:
            _run_export(self.store, call, fails)
        return answer

    def _refusal(self, user: User, token: str, body: dict[str, Any], call_number: int) -> JSONResponse | ExportCall:
        """The error the export answers, or the accepted call (recorded, not yet run)."""
        if user.access_level not in RESELLER_LEVELS and user.access_level is not AccessLevel.ADMIN:
            return _error(403, "access_denied", "Insufficient access level")
        reseller_id = body.get("reseller")
        if reseller_id is None:
            reseller = self.resellers.get(user.customer)
            if reseller is None:
                return _error(404, "id", "Customer not found")
        else:
            reseller = self.resellers.get(str(reseller_id)) if is_telecomx_id(str(reseller_id)) else None
            if reseller is None:
                return _error(404, "reseller", "Reseller not found")
        if user.access_level is not AccessLevel.ADMIN and reseller.id != user.customer:
            return _error(403, "access_denied", "Insufficient access level")
        if not reseller.integration_valid:
            return _error(403, "Rackbeat", "The integration is not valid.")
        invoice_date = body.get("invoiceDate") or date.today().replace(day=1).isoformat()
        try:
            month = date.fromisoformat(str(invoice_date)).strftime("%Y-%m")
        except ValueError:
            return _error(400, "invoiceDate", "invoiceDate must be YYYY-MM-DD")
        omit = body.get("invoicesToOmit") or []
        if not isinstance(omit, list):
            return _error(400, "invoicesToOmit", "invoicesToOmit must be an array of invoice ids")
        if call_number in self._plan.internal_error_exports:
            return _error(500, "internal_error", "Internal error")
        invoices = [i for i in reseller.invoices if i.month == month]
        omitted = [i.id for i in invoices if i.id in {str(o) for o in omit}]
        chosen = [i for i in invoices if i.id not in omitted]
        problems = _problems(reseller, chosen)
        if problems:
            return _error(422, "multiple", "multiple errors", errors=problems)
        duplicate = self.store.accepted_before(reseller.id, month)
        return self.store.add_call(
            reseller=reseller.id, month=month, invoice_date=str(invoice_date), omitted=omitted,
            to_export=[i.id for i in chosen], total=len(invoices), duplicate=duplicate,
            username=user.username, token_sha256=token_sha256(token))

    def vendor_routes(self) -> APIRouter:
        router = APIRouter()

        @router.post(LOGIN)
        async def login(request: Request) -> JSONResponse:
            return await self._login(request)

        @router.post(EXPORT)
        async def export_invoices(request: Request) -> JSONResponse:
            return await self._export(request)

        return router

    def inspection_routes(self) -> APIRouter:
        router = APIRouter(prefix="/_fake")

        @router.get("/exports")
        def get_exports() -> dict[str, Any]:
            return {"exports": self.exports()}

        @router.get("/calls")
        def get_calls() -> dict[str, Any]:
            return {"calls": self.calls(), "refused": self.refused()}

        @router.get("/resellers")
        def get_resellers() -> dict[str, Any]:
            return {"resellers": [r.model_dump(mode="json") for r in self.resellers.values()]}

        @router.put("/resellers")
        def put_reseller(reseller: Reseller) -> Reseller:
            self.put_reseller(reseller)
            return reseller

        @router.put("/users")
        def put_user(user: User) -> dict[str, str]:
            self.put_user(user)
            return {"username": user.username}  # the password is not echoed

        @router.get("/plan")
        def get_plan() -> ExportPlan:
            return self.plan

        @router.put("/plan")
        def put_plan(plan: ExportPlan) -> ExportPlan:
            self.set_plan(plan)
            return self.plan

        @router.post("/tokens/expire")
        def expire() -> dict[str, int]:
            return {"expired": self.expire_tokens()}

        return router


def _run_export(store: ExportStore, call: ExportCall, fails: bool) -> None:
    """The part of an export that goes on after the answer; a failing one deletes what it wrote."""
    if not fails:
        store.write(call, call.to_export)
        with store.lock:
            call.outcome = "completed"
            call.event("completed", invoices=call.to_export)
        return
    written = call.to_export[: max(1, len(call.to_export) // 2)] if call.to_export else []
    store.write(call, written)
    with store.lock:
        call.event("failed", written=written)
    store.delete(call, written)
    with store.lock:
        call.outcome = "rolled_back"
        call.event("rolled_back", deleted=written)


def _problems(reseller: Reseller, invoices: list[Invoice]) -> list[dict[str, str]]:
    """The 422 `multiple` sub-errors for the invoices an export would write, in the seed's wording."""
    customers = {c.id: c for c in reseller.customers}
    known_products = set(reseller.uniconta_products)
    problems: list[dict[str, str]] = []

    def add(error: str, message: str) -> None:
        if {"error": error, "message": message} not in problems:
            problems.append({"error": error, "message": message})

    for invoice in invoices:
        customer = customers.get(invoice.customer)
        if customer is None:
            add("customer", f"Customer was not found for invoice: {invoice.id}")
            continue
        if customer.accounting_system_id is None:
            add("finance.accountingSystemId", f"Accounting system ID is not found for: {customer.name}")
        elif not customer.in_uniconta:
            add("uniconta.customer", f"Customer not found in Uniconta: {customer.name}")
        for code in invoice.products:
            if code not in known_products:
                add("uniconta.product", f"Product not found in Uniconta with product code: {code}")
    return problems
