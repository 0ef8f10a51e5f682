"""Kombo's DATEV push (`POST /v1/custom/datev/push-data/general`), as the seed and vendor-apis.md §2 and §6.2 have it.

Vendor paths (base `/v1`, as Kombo's servers `https://api.kombo.dev/v1`):

- `POST /v1/custom/datev/push-data/general`, headers `Authorization: Bearer <api key>` and `X-Integration-Id`, body
  `{}` (an absent body is taken as `{}`; anything but a JSON object is INPUT_INVALID) → 200, synchronous:
  `{"status": "success", "data": {"files": [{"name", "content"}]}, "warnings": [{"message"}]}`.
- `POST /v1/custom/datev/push-data/payroll`, same headers, body `{"payroll_month": "YYYY-MM-DD"}` (a date or an
  ISO date-time; missing or unreadable: INPUT_INVALID) → the same envelope with that month's movement data.
- `GET /v1/check-api-key`, Bearer only → 200 `{"status": "success", "data": {"environment_id", "customer_id"}}`
  (the body is [UNVERIFIED]).

Every error is Kombo's envelope `{"status": "error", "error": {"code", "title", "message", "log_url"}}`, the
`log_url` pointing at this fake's `/_fake/logs/<id>`. Kombo tells clients to branch on `error.code`; the HTTP
status is documented only for the two 429s, so 401 AUTHENTICATION_INVALID, 404 INTEGRATION_NOT_FOUND, 400
INPUT_INVALID, 403 IP_NOT_WHITELISTED, 500 UNKNOWN_ERROR and 504 TASK_TIMED_OUT are [UNVERIFIED], and the
`statuses` knob answers any code with another status. A push is judged in this order: the API key; the caller's
address (`allowed_ips`); the rate-limit knob (429 RATE_LIMIT_EXCEEDED, `Retry-After` if set); the concurrency
cap per integration (429 CONCURRENCY_LIMIT_EXCEEDED); queued injected errors; the integration (missing or
unknown `X-Integration-Id`: INTEGRATION_NOT_FOUND); the body. Push answers carry `Concurrency-Limit` and
`Concurrency-Remaining` (the concurrency-limiting guide).

The concurrency cap counts pushes in flight per `X-Integration-Id` from the moment they arrive, before the shared
latency knob holds them, so `Faults(latency=...)` plus parallel calls reaches it; a push holds its slot whatever
its answer, a refused one included (only one turned away by the cap takes none). Kombo documents no idempotency:
every accepted push is answered and journaled (files with size and sha256 of their UTF-8 bytes, warnings), so a
test can count pushes per integration and run. The shared `drop_on_calls` knob cuts the answer after the push was
journaled, as a push that arrived but whose answer was lost. The shared `throttle_after` and `error_on_calls`
knobs answer in the generic shape, not Kombo's: use `KomboPlan` for Kombo's errors.

Unless a `FileKnob` replaces them (names and contents verbatim, hostile ones included), the files and warnings
are generated from the integration's employees (`datev_files.py`).

Inspection (fake only, no auth): `GET /_fake/calls?integration_id=` (accepted pushes and refused calls),
`GET /_fake/integrations`, `PUT /_fake/integrations` (an `Integration`), `PUT /_fake/integrations/{id}` (an
`IntegrationData`: one call per company with its employees), `DELETE /_fake/integrations/{id}`,
`GET|PUT /_fake/files` (`FileKnob`s), `GET|PUT /_fake/plan` (a `KomboPlan`), `GET /_fake/logs/{id}`, beside
the common ones (`erpload.fakes.app`).
"""

from __future__ import annotations

import hmac
import json
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from erpload.fakes.app import FakeVendor
from erpload.fakes.faults import Faults
from erpload.fakes.kombo.datev_files import generated_files, generated_warnings
from erpload.fakes.kombo.models import (
    DEFAULT_STATUS,
    TITLES,
    ErrorCode,
    FileKnob,
    Integration,
    IntegrationData,
    KomboFile,
    KomboPlan,
)
from erpload.fakes.kombo.seed import DEMO_API_KEY, demo_integrations
from erpload.fakes.kombo.store import KomboStore, Slot, file_summary, key_fingerprint

API = "/v1"
GENERAL = f"{API}/custom/datev/push-data/general"
PAYROLL = f"{API}/custom/datev/push-data/payroll"
CHECK_API_KEY = f"{API}/check-api-key"
PUSH_PATHS = frozenset({GENERAL, PAYROLL})
_SLOT = "kombo_slot"


class _ConcurrencyGate:
    """Outermost ASGI layer: counts a push in flight per integration from its arrival (before the shared latency
    knob holds it) until its answer has left, and hands the route its slot."""

    def __init__(self, app: ASGIApp, fake: KomboFake) -> None:
        self.app = app
        self.fake = fake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in PUSH_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        integration_id = headers.get(b"x-integration-id", b"").decode("latin-1")
        store = self.fake.store  # the slot goes back to the store it came from, even across a reset
        slot = store.take_slot(integration_id)
        scope.setdefault("state", {})[_SLOT] = slot
        try:
            await self.app(scope, receive, send)
        finally:
            store.release_slot(slot)


class KomboFake(FakeVendor):
    """The fake Kombo DATEV push; serve `.app`.

    Args:
        api_key: the only Bearer key accepted.
        integrations: the integrations that exist at start (default: the two demo ones in `seed.py`).
        faults: the shared fault knobs in force at start (`erpload.fakes.faults.Faults`).
        plan: Kombo's own knobs at start (`KomboPlan`); replace with `set_plan` or `PUT /_fake/plan`.
    """

    title = "Kombo DATEV push (fake)"

    def __init__(self, api_key: str = DEMO_API_KEY, *, integrations: list[Integration] | None = None,
                 faults: Faults | None = None, plan: KomboPlan | None = None) -> None:
        self.api_key = api_key
        self._seed_integrations = demo_integrations() if integrations is None else integrations
        self._initial_plan = plan or KomboPlan()
        self.reset_state()
        super().__init__(faults)
        self.app.add_middleware(_ConcurrencyGate, fake=self)

    # -- in-process API -------------------------------------------------------------------------
    def reset_state(self) -> None:
        self.store = KomboStore(self._seed_integrations, self._initial_plan)

    @property
    def plan(self) -> KomboPlan:
        return self.store.plan

    def set_plan(self, plan: KomboPlan) -> None:
        """Replace Kombo's knobs; the rate-limit and injected-error counters restart."""
        self.store.set_plan(plan)

    def put_integration(self, integration: Integration) -> None:
        """Create or replace one integration with its employees."""
        with self.store.lock:
            self.store.integrations[integration.id] = integration.model_copy(deep=True)

    def integrations(self) -> list[Integration]:
        with self.store.lock:
            return [i.model_copy(deep=True) for i in self.store.integrations.values()]

    def set_files(self, knob: FileKnob) -> None:
        """Replace the files and/or warnings pushes return (both None: back to the generated ones)."""
        self.store.put_file_knob(knob)

    def in_flight(self, integration_id: str) -> int:
        """Pushes for the integration that arrived and are not answered yet (held by the latency knob, say)."""
        return self.store.in_flight(integration_id)

    def calls(self, integration_id: str | None = None) -> list[dict[str, Any]]:
        """Every accepted push, oldest first (a dropped answer included)."""
        return [i.as_json() for i in self.store.accepted()
                if integration_id is None or i.integration_id == integration_id]

    def refused(self) -> list[dict[str, Any]]:
        """Every call answered with Kombo's error envelope, oldest first."""
        return [i.as_json() for i in self.store.refused()]

    # -- answers ----------------------------------------------------------------------------------
    def _error(self, request: Request, endpoint: str, code: ErrorCode, message: str, *, key: str | None,
               status: int | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
        answered = self.plan.statuses.get(code) or status or DEFAULT_STATUS[code]
        entry = self.store.record(endpoint=endpoint, integration_id=request.headers.get("x-integration-id"),
                                  key=key, status=answered, code=code.value, message=message)
        log_url = f"{str(request.base_url).rstrip('/')}/_fake/logs/{entry.log_id}"
        body = {"status": "error",
                "error": {"code": code.value, "title": TITLES[code], "message": message, "log_url": log_url}}
        return JSONResponse(body, status_code=answered, headers=headers)

    def _key(self, request: Request) -> tuple[str | None, bool]:
        """The presented key's fingerprint (None: no Bearer key) and whether it is the accepted one."""
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return None, False
        return key_fingerprint(key), hmac.compare_digest(key.encode(), self.api_key.encode())

    def _admitted(self, request: Request, endpoint: str) -> tuple[str, JSONResponse | None]:
        """The caller's key fingerprint, and the answer that turns them away (None: admitted)."""
        fingerprint, valid = self._key(request)
        if not valid:
            why = "No API key was sent" if fingerprint is None else "The API key is not valid"
            return "", self._error(request, endpoint, ErrorCode.AUTHENTICATION_INVALID,
                                   f"{why}. Send it as `Authorization: Bearer <api key>`.", key=fingerprint)
        assert fingerprint is not None
        allowed = self.plan.allowed_ips
        host = request.client.host if request.client else ""
        if allowed is not None and host not in allowed:
            return fingerprint, self._error(request, endpoint, ErrorCode.IP_NOT_WHITELISTED,
                                            f"The IP address {host} is not whitelisted for this API key.",
                                            key=fingerprint)
        return fingerprint, None

    async def _push(self, request: Request, *, payroll: bool) -> JSONResponse:
        endpoint = "payroll" if payroll else "general"
        slot: Slot | None = getattr(request.state, _SLOT, None)
        concurrency: dict[str, str] = {}
        if slot is not None:
            concurrency = {"Concurrency-Limit": str(slot.limit), "Concurrency-Remaining": str(slot.remaining)}
        key, refusal = self._admitted(request, endpoint)
        if refusal is not None:
            return refusal
        plan = self.plan
        if self.store.take_rate_limit():
            retry = {} if plan.rate_limit_retry_after is None else {"Retry-After": str(plan.rate_limit_retry_after)}
            return self._error(request, endpoint, ErrorCode.RATE_LIMIT_EXCEEDED,
                               "Too many requests for this API key; retry later.", key=key, headers=retry)
        if slot is not None and not slot.admitted:
            headers = dict(concurrency)
            if plan.concurrency_retry_after is not None:
                headers["Retry-After"] = str(plan.concurrency_retry_after)
            return self._error(request, endpoint, ErrorCode.CONCURRENCY_LIMIT_EXCEEDED,
                               f"More than {slot.limit} requests are in flight for this integration.",
                               key=key, headers=headers)
        integration_id = request.headers.get("x-integration-id")
        injected = self.store.take_error(integration_id)
        if injected is not None:
            return self._error(request, endpoint, injected.code,
                               injected.message or f"Injected by the fake: {injected.code.value}.",
                               key=key, status=injected.status, headers=concurrency)
        integration = self.store.integrations.get(integration_id or "")
        if integration is None:
            message = ("The X-Integration-Id header is missing." if not integration_id else
                       f"No integration with the ID {integration_id} exists in this environment.")
            return self._error(request, endpoint, ErrorCode.INTEGRATION_NOT_FOUND, message, key=key,
                               headers=concurrency)
        body, problem = _json_object(await request.body())
        month: date | None = None
        if problem is None and payroll:
            month, problem = _payroll_month(body.get("payroll_month"))
        if problem is not None:
            return self._error(request, endpoint, ErrorCode.INPUT_INVALID, problem, key=key, headers=concurrency)
        month = month or plan.month or datetime.now(UTC).date()
        files, warnings = self._output(integration, month, payroll=payroll)
        self.store.record(endpoint=endpoint, integration_id=integration.id, key=key, status=200,
                          payroll_month=month.isoformat() if payroll else None,
                          files=[file_summary(f) for f in files], warnings=warnings)
        return JSONResponse({"status": "success", "data": {"files": [f.model_dump() for f in files]},
                             "warnings": [{"message": w} for w in warnings]}, headers=concurrency)

    def _output(self, integration: Integration, month: date, *, payroll: bool) -> tuple[list[KomboFile], list[str]]:
        knob = self.store.file_knob(integration.id)
        files = knob.files if knob and knob.files is not None else generated_files(integration, month,
                                                                                   payroll=payroll)
        warnings = knob.warnings if knob and knob.warnings is not None else generated_warnings(integration)
        return list(files), list(warnings)

    def _check_api_key(self, request: Request) -> JSONResponse:
        key, refusal = self._admitted(request, "check-api-key")
        if refusal is not None:
            return refusal
        self.store.record(endpoint="check-api-key", integration_id=None, key=key, status=200)
        return JSONResponse({"status": "success", "data": {"environment_id": "fake-environment",
                                                           "customer_id": "fake-customer"}})

    # -- routes -----------------------------------------------------------------------------------
    def vendor_routes(self) -> APIRouter:
        router = APIRouter()

        @router.post(GENERAL)
        async def push_general(request: Request) -> JSONResponse:
            return await self._push(request, payroll=False)

        @router.post(PAYROLL)
        async def push_payroll(request: Request) -> JSONResponse:
            return await self._push(request, payroll=True)

        @router.get(CHECK_API_KEY)
        def check_api_key(request: Request) -> JSONResponse:
            return self._check_api_key(request)

        return router

    def inspection_routes(self) -> APIRouter:
        router = APIRouter(prefix="/_fake")

        @router.get("/calls")
        def get_calls(integration_id: str | None = None) -> dict[str, Any]:
            return {"calls": self.calls(integration_id), "refused": self.refused()}

        @router.get("/integrations")
        def get_integrations() -> dict[str, Any]:
            return {"integrations": [i.model_dump(mode="json") for i in self.integrations()]}

        @router.put("/integrations")
        def put_integration(integration: Integration) -> Integration:
            self.put_integration(integration)
            return integration

        @router.put("/integrations/{integration_id}")
        def put_integration_data(integration_id: str, data: IntegrationData) -> Integration:
            try:
                integration = Integration(id=integration_id, **data.model_dump())
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from exc
            self.put_integration(integration)
            return integration

        @router.delete("/integrations/{integration_id}")
        def delete_integration(integration_id: str) -> dict[str, bool]:
            with self.store.lock:
                return {"deleted": self.store.integrations.pop(integration_id, None) is not None}

        @router.get("/files")
        def get_files() -> dict[str, Any]:
            with self.store.lock:
                return {"knobs": [k.model_dump() for k in self.store.file_knobs.values()]}

        @router.put("/files")
        def put_files(knob: FileKnob) -> FileKnob:
            self.set_files(knob)
            return knob

        @router.get("/plan")
        def get_plan() -> KomboPlan:
            return self.plan

        @router.put("/plan")
        def put_plan(plan: KomboPlan) -> KomboPlan:
            self.set_plan(plan)
            return self.plan

        @router.get("/logs/{log_id}")
        def get_log(log_id: str) -> dict[str, Any]:
            entry = self.store.log(log_id)
            if entry is None:
                raise HTTPException(404, f"no interaction {log_id}")
            return entry.as_json()

        return router


def _json_object(raw: bytes) -> tuple[dict[str, Any], str | None]:
    """The body as a JSON object ({} when absent), or the INPUT_INVALID message."""
    if not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}, "The request body is not valid JSON."
    if not isinstance(value, dict):
        return {}, "The request body must be a JSON object."
    return value, None


def _payroll_month(value: Any) -> tuple[date | None, str | None]:
    """`payroll_month` as a date (from `YYYY-MM-DD` or an ISO date-time), or the INPUT_INVALID message."""
    if not isinstance(value, str) or not value:
        return None, "payroll_month is required: the month to push, as a date (YYYY-MM-DD)."
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date(), None
    except ValueError:
        return None, f"payroll_month {value!r} is not a date (YYYY-MM-DD) or date-time."
