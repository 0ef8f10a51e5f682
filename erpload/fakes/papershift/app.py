"""Papershift's Pulse API, DATEV document syncs and their schedules (reference/vendor-apis.md §1 and §6.1).

Every vendor path is judged in this order: the rate limits (429), the content type (415), the token (401).

- Rate limits, per client address, sliding windows over the requests let through: `rate_limit_per_minute` (Pulse:
  300/min) for every request, and `sign_in_limit` per `sign_in_window_seconds` (Pulse: 5 per 20 s) for sign-ins.
  Pulse documents no Retry-After; the fake sends one only with `send_retry_after` [UNVERIFIED].
- Every request must declare `Content-Type: application/vnd.api+json`, GETs and DELETEs included (Pulse: "every
  request"), with no media-type parameters (JSON:API 1.0); else 415 [UNVERIFIED code].
- Every request but sign-in needs `Authorization: Bearer <token>`; missing, unknown or expired → 401.

Vendor paths (bodies and answers are JSON:API documents, `application/vnd.api+json`):

- `POST /api/v1/users/sign_in` `{"data": {"type": "user", "attributes": {"email", "password"}}}` → 200
  `{"data": {"id", "type": "user", "attributes": {"email"}}}`, the token in the `Authorization: Bearer <t>`
  *response header*. Wrong or missing credentials → 401. The path and body are [UNVERIFIED] (Pulse's pages name
  e-mail, password and the header, not the route); `data.type` is not checked.
- `POST /api/v1/datev_integrations/{iid}/datev_document_syncs` `{"data": {"type": "datev_document_sync",
  "attributes": {"range_in_months": 1..12}}}` → 201 [UNVERIFIED vs 200] the sync, `status` "running".
  404 unknown integration; 422 for a wrong `type` or `range_in_months` not an integer in 1..12, and (documented)
  when the integration's initial sync already exists, whatever its status.
- `GET /api/v1/datev_integrations/{iid}/datev_document_syncs` → 200 the integration's syncs, oldest first. Each
  such GET advances every running sync of the integration one step (`running_polls` knob, then the outcome).
- `GET /api/v1/datev_document_syncs/{sid}/datev_document_sync_items` → 200 one item per (employee, month): the
  `range_in_months` whole months before the sync's creation month [UNVERIFIED which months], `period` their first
  day. Items reveal their outcome as the sync advances; once it ended they match it: succeeded ⇒ all succeeded,
  succeeded_partially ⇒ the `failing_employees` failed and the others succeeded, failed ⇒ all failed.
- Schedules, `/api/v1/datev_integrations/{iid}/datev_document_sync_schedules[/{id}]`: POST `{"data": {"type":
  "datev_document_sync_schedule", "attributes": {"day": 1..31}}}` → 201; GET (list) → 200; GET (show) → 200;
  PATCH (same body, `day` left out: unchanged) → 200; DELETE → 204 [UNVERIFIED codes]. `day` is unique per
  integration (422 otherwise). Each schedule has `meta.permissions.actions` (the `schedule_actions` knob, a list
  [UNVERIFIED shape]); PATCH without `update`, DELETE without `destroy` → 403.

List answers are paginated [UNVERIFIED: JSON:API convention, Pulse's page on it was not readable]:
`page[number]` (from 1) and `page[size]` (default `page_size`, at most `max_page_size`; else 400), `links` with
`self`, `first`, `last`, `prev` and `next` (null at the ends), `meta.record_count` and `meta.page_count`.
Errors: `{"errors": [{"status", "title", "detail", "source": {"pointer"}}]}` [UNVERIFIED shape], `source` only
where a field is to blame.

Inspection (fake only, no auth): `GET /_fake/syncs?integration_id=` (every sync with its items, how it was
planned to end, who created it by token fingerprint), `GET /_fake/schedules`, `GET /_fake/integrations`,
`PUT /_fake/integrations/{iid}` (an `IntegrationEmployees`: create or replace its name and personnel numbers),
`POST /_fake/integrations/{iid}/scheduled_syncs` (a schedule fires: a non-initial sync of the last month),
`GET|PUT /_fake/plan` (a `PulsePlan`), `GET /_fake/sessions` (e-mail and token fingerprint per sign-in),
`POST /_fake/tokens/expire`, beside the common ones (`erpload.fakes.app`). Tokens are never shown or logged in clear,
and a sign-in's password is blanked before the journal hashes its body.
"""

from __future__ import annotations

import hmac
import json
import math
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from erpload.fakes.app import FakeVendor
from erpload.fakes.faults import Faults
from erpload.fakes.journal import RequestLog, RequestRecord, canonical_json
from erpload.fakes.papershift.models import (
    JSON_API,
    Integration,
    IntegrationEmployees,
    PulsePlan,
    User,
    is_uuid,
)
from erpload.fakes.papershift.seed import demo_integrations, demo_users
from erpload.fakes.papershift.store import DocumentSync, PulseStore, Schedule, Session, SyncItem

API = "/api/v1"
SIGN_IN = f"{API}/users/sign_in"
INTEGRATIONS = f"{API}/datev_integrations"
DOCUMENT_SYNCS = f"{API}/datev_document_syncs"

SYNC_TYPE = "datev_document_sync"
ITEM_TYPE = "datev_document_sync_item"
SCHEDULE_TYPE = "datev_document_sync_schedule"

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           415: "Unsupported Media Type", 422: "Unprocessable Entity", 429: "Too Many Requests"}


def _errors(status: int, detail: str, pointer: str | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    error: dict[str, Any] = {"status": str(status), "title": _TITLES.get(status, "Error"), "detail": detail}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers, media_type=JSON_API)


def _document(payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers=headers, media_type=JSON_API)


def _without_password(body: bytes) -> bytes:
    """A sign-in body with its password blanked, so the journal's hash cannot be used to guess it."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body
    attributes = value.get("data", {}).get("attributes") if isinstance(value, dict) else None
    if isinstance(value.get("data"), dict) and isinstance(attributes, dict) and "password" in attributes:
        attributes["password"] = "[not logged]"
        return canonical_json(value)
    return body


class _PasswordBlindLog(RequestLog):
    def append(self, *, body: bytes, **fields: Any) -> RequestRecord:
        return super().append(body=_without_password(body), **fields)


def _sync_resource(sync: DocumentSync) -> dict[str, Any]:
    return {"id": sync.id, "type": SYNC_TYPE, "attributes": sync.attributes()}


def _item_resource(item: SyncItem) -> dict[str, Any]:
    return {"id": item.id, "type": ITEM_TYPE, "attributes": item.attributes()}


class PapershiftFake(FakeVendor):
    """The fake Pulse API; serve `.app`.

    Args:
        users: who may sign in (default: the demo user).
        integrations: the DATEV integrations and their employees (default: the demo ones).
        plan: the fake's own knobs in force at start (`PulsePlan`).
        faults: the shared fault knobs in force at start.
        clock: monotonic seconds for the rate limits and token lifetimes (a test may drive its own).
    """

    title = "Papershift Pulse API, DATEV document syncs (fake)"

    def __init__(self, users: list[User] | None = None, integrations: list[Integration] | None = None, *,
                 plan: PulsePlan | None = None, faults: Faults | None = None,
                 clock: Callable[[], float] = time.monotonic, new_token: Callable[[], str] | None = None) -> None:
        # `new_token`: a test that greps erpload's output for the tokens chooses them
        self._new_token = new_token
        self.users = {u.email.lower(): u for u in (demo_users() if users is None else users)}
        self._seed_integrations = demo_integrations() if integrations is None else integrations
        self._initial_plan = plan or PulsePlan()
        self._clock = clock
        self.reset_state()
        super().__init__(faults)
        self.app.add_exception_handler(StarletteHTTPException, self._http_error)

    def make_log(self) -> RequestLog:
        return _PasswordBlindLog()

    # -- in-process API -------------------------------------------------------------------------
    def reset_state(self) -> None:
        self.store = PulseStore(self._seed_integrations, self._initial_plan, self._clock, self._new_token)

    @property
    def plan(self) -> PulsePlan:
        return self.store.plan

    def set_plan(self, plan: PulsePlan) -> None:
        """Replace the knobs: later syncs end as it says; the rate-limit windows restart."""
        self.store.set_plan(plan)

    def put_integration(self, integration: Integration) -> None:
        self.store.put_integration(integration)

    def integrations(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return [i.model_dump(mode="json") for i in self.store.integrations.values()]

    def syncs(self, integration_id: str | None = None) -> list[dict[str, Any]]:
        with self.store.lock:
            return [s.inspection() for s in self.store.syncs
                    if integration_id is None or s.integration_id == integration_id.lower()]

    def schedules(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return [{"id": s.id, "integration_id": s.integration_id, "created_by": s.created_by, **s.attributes()}
                    for s in self.store.schedules]

    def sessions(self) -> list[dict[str, Any]]:
        with self.store.lock:
            now = self._clock()
            return [{"email": s.email, "token": s.fingerprint,
                     "expired": s.expires_at is not None and now >= s.expires_at}
                    for s in self.store.sessions.values()]

    def run_schedule(self, integration_id: str) -> dict[str, Any] | None:
        """A schedule fires: a non-initial sync of the last month; None when the integration is unknown."""
        integration = self.store.integration(integration_id)
        if integration is None:
            return None
        return self.store.create_sync(integration, 1, initial=False, created_by="schedule").inspection()

    # -- checks every vendor path makes -----------------------------------------------------------
    def _throttled(self, request: Request, *, sign_in: bool) -> JSONResponse | None:
        client = request.client.host if request.client else "unknown"
        now = self._clock()
        with self.store.lock:
            plan = self.store.plan
            wait = self.store.requests.admit(client, now)
            what = f"{plan.rate_limit_per_minute} requests per minute"
            if wait is None and sign_in:
                wait = self.store.sign_ins.admit(client, now)
                what = f"{plan.sign_in_limit} sign-ins per {plan.sign_in_window_seconds:g} s"
        if wait is None:
            return None
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if plan.send_retry_after else None
        return _errors(429, f"Rate limit of {what} exceeded", headers=headers)

    def _gate(self, request: Request, *, sign_in: bool = False) -> JSONResponse | None:
        """The 429 or 415 that turns a request away before its token is looked at; None: it may pass."""
        refusal = self._throttled(request, sign_in=sign_in)
        if refusal is not None:
            return refusal
        content_type = request.headers.get("content-type", "").strip().lower()
        if content_type != JSON_API:
            return _errors(415, f"Content-Type must be {JSON_API} (got {content_type or 'none'!r})")
        return None

    def _admit(self, request: Request) -> Session | JSONResponse:
        """The caller's session, or the answer that turns it away: 429, 415 or 401."""
        refusal = self._gate(request)
        if refusal is not None:
            return refusal
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        session = self.store.session(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if session is None:
            return _errors(401, "The Bearer token is missing, unknown or expired; sign in again")
        return session

    def _integration(self, iid: str) -> Integration | JSONResponse:
        found = self.store.integration(iid) if is_uuid(iid) else None
        return found or _errors(404, f"DATEV integration {iid} not found")

    @staticmethod
    async def _attributes(request: Request, expected_type: str) -> dict[str, Any] | JSONResponse:
        """The `data.attributes` of a JSON:API request document of `expected_type`, or the 400/422 answer."""
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _errors(400, "The body is not a JSON document")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            return _errors(422, "The body must be a JSON:API document with a data object", "/data")
        if data.get("type") != expected_type:
            return _errors(422, f"data.type must be {expected_type!r}", "/data/type")
        attributes = data.get("attributes", {})
        if not isinstance(attributes, dict):
            return _errors(422, "data.attributes must be an object", "/data/attributes")
        return attributes

    @staticmethod
    def _whole_number(attributes: dict[str, Any], name: str, low: int, high: int) -> int | JSONResponse:
        value = attributes.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return _errors(422, f"{name} must be an integer between {low} and {high} (got {value!r})",
                           f"/data/attributes/{name}")
        return value

    def _page(self, request: Request, resources: Sequence[dict[str, Any]]) -> JSONResponse:
        """One page of a list answer, with `links` and `meta`, or 400 for a page the fake cannot serve."""
        plan = self.store.plan
        try:
            number = int(request.query_params.get("page[number]", "1"))
            size = int(request.query_params.get("page[size]", str(plan.page_size)))
        except ValueError:
            return _errors(400, "page[number] and page[size] must be integers")
        if number < 1 or not 1 <= size <= plan.max_page_size:
            return _errors(400, f"page[number] starts at 1; page[size] is 1..{plan.max_page_size}")
        pages = max(1, math.ceil(len(resources) / size))

        def link(n: int) -> str:
            return str(request.url.include_query_params(**{"page[number]": n, "page[size]": size}))

        return _document({
            "data": list(resources[(number - 1) * size: number * size]),
            "links": {"self": link(number), "first": link(1), "last": link(pages),
                      "prev": link(number - 1) if number > 1 else None,
                      "next": link(number + 1) if number < pages else None},
            "meta": {"record_count": len(resources), "page_count": pages},
        })

    def _schedule_resource(self, schedule: Schedule) -> dict[str, Any]:
        return {"id": schedule.id, "type": SCHEDULE_TYPE, "attributes": schedule.attributes(),
                "meta": {"permissions": {"actions": list(self.store.plan.schedule_actions)}}}

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        """Unknown paths and methods answer in the JSON:API error shape too."""
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        return _errors(status, str(getattr(exc, "detail", "error")))

    # -- vendor paths -----------------------------------------------------------------------------
    async def _sign_in(self, request: Request) -> JSONResponse:
        refusal = self._gate(request, sign_in=True)
        if refusal is not None:
            return refusal
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _errors(400, "The body is not a JSON document")
        data = body.get("data") if isinstance(body, dict) else None
        attributes = data.get("attributes") if isinstance(data, dict) else None
        email = attributes.get("email") if isinstance(attributes, dict) else None
        password = attributes.get("password") if isinstance(attributes, dict) else None
        user = self.users.get(email.lower()) if isinstance(email, str) else None
        if user is None or not isinstance(password, str) or not hmac.compare_digest(
                user.password.encode(), password.encode()):
            return _errors(401, "Invalid e-mail or password")
        token = self.store.sign_in(user.email)
        user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"papershift-fake:{user.email.lower()}"))
        return _document({"data": {"id": user_id, "type": "user", "attributes": {"email": user.email}}},
                         headers={"Authorization": f"Bearer {token}"})

    async def _create_sync(self, iid: str, request: Request) -> JSONResponse:
        session = self._admit(request)
        if isinstance(session, JSONResponse):
            return session
        integration = self._integration(iid)
        if isinstance(integration, JSONResponse):
            return integration
        attributes = await self._attributes(request, SYNC_TYPE)
        if isinstance(attributes, JSONResponse):
            return attributes
        months = self._whole_number(attributes, "range_in_months", 1, 12)
        if isinstance(months, JSONResponse):
            return months
        with self.store.lock:  # check and create as one step: two racing creates make one sync
            if self.store.has_initial_sync(integration.id):
                return _errors(422, "An initial document sync already exists for this DATEV integration", "/data")
            sync = self.store.create_sync(integration, months, initial=True, created_by=session.fingerprint)
        return _document({"data": _sync_resource(sync)}, status=201)

    async def _list_syncs(self, iid: str, request: Request) -> JSONResponse:
        session = self._admit(request)
        if isinstance(session, JSONResponse):
            return session
        integration = self._integration(iid)
        if isinstance(integration, JSONResponse):
            return integration
        syncs = self.store.syncs_of(integration.id, advance=True)
        with self.store.lock:
            return self._page(request, [_sync_resource(s) for s in syncs])

    async def _list_items(self, sid: str, request: Request) -> JSONResponse:
        session = self._admit(request)
        if isinstance(session, JSONResponse):
            return session
        sync = self.store.sync(sid) if is_uuid(sid) else None
        if sync is None:
            return _errors(404, f"DATEV document sync {sid} not found")
        with self.store.lock:
            return self._page(request, [_item_resource(i) for i in sync.items])

    async def _schedules(self, iid: str, request: Request, schedule_id: str | None = None
                         ) -> tuple[Session, Integration, Schedule | None] | JSONResponse:
        """Admission, the integration and (with `schedule_id`) the schedule, or the answer refusing them."""
        session = self._admit(request)
        if isinstance(session, JSONResponse):
            return session
        integration = self._integration(iid)
        if isinstance(integration, JSONResponse):
            return integration
        if schedule_id is None:
            return session, integration, None
        schedule = self.store.schedule(integration.id, schedule_id)
        if schedule is None:
            return _errors(404, f"DATEV document sync schedule {schedule_id} not found")
        return session, integration, schedule

    def _day(self, attributes: dict[str, Any], iid: str, but: str | None) -> int | JSONResponse:
        """A valid `day` no other schedule of the integration has (call with the store's lock held), or the 422."""
        day = self._whole_number(attributes, "day", 1, 31)
        if isinstance(day, int) and self.store.day_taken(iid, day, but):
            return _errors(422, f"day {day} already has a schedule for this DATEV integration",
                           "/data/attributes/day")
        return day

    def vendor_routes(self) -> APIRouter:
        router = APIRouter()
        schedules = f"{INTEGRATIONS}/{{iid}}/datev_document_sync_schedules"

        @router.post(SIGN_IN)
        async def sign_in(request: Request) -> JSONResponse:
            return await self._sign_in(request)

        @router.post(f"{INTEGRATIONS}/{{iid}}/datev_document_syncs")
        async def create_sync(iid: str, request: Request) -> JSONResponse:
            return await self._create_sync(iid, request)

        @router.get(f"{INTEGRATIONS}/{{iid}}/datev_document_syncs")
        async def list_syncs(iid: str, request: Request) -> JSONResponse:
            return await self._list_syncs(iid, request)

        @router.get(f"{DOCUMENT_SYNCS}/{{sid}}/datev_document_sync_items")
        async def list_items(sid: str, request: Request) -> JSONResponse:
            return await self._list_items(sid, request)

        @router.post(schedules)
        async def create_schedule(iid: str, request: Request) -> JSONResponse:
            found = await self._schedules(iid, request)
            if isinstance(found, JSONResponse):
                return found
            session, integration, _ = found
            attributes = await self._attributes(request, SCHEDULE_TYPE)
            if isinstance(attributes, JSONResponse):
                return attributes
            with self.store.lock:  # the uniqueness check and the insert as one step
                day = self._day(attributes, integration.id, None)
                if isinstance(day, JSONResponse):
                    return day
                schedule = self.store.add_schedule(integration.id, day, session.fingerprint)
            return _document({"data": self._schedule_resource(schedule)}, status=201)

        @router.get(schedules)
        async def list_schedules(iid: str, request: Request) -> JSONResponse:
            found = await self._schedules(iid, request)
            if isinstance(found, JSONResponse):
                return found
            with self.store.lock:
                return self._page(request, [self._schedule_resource(s) for s in self.store.schedules_of(found[1].id)])

        @router.get(f"{schedules}/{{schedule_id}}")
        async def show_schedule(iid: str, schedule_id: str, request: Request) -> JSONResponse:
            found = await self._schedules(iid, request, schedule_id)
            if isinstance(found, JSONResponse):
                return found
            assert found[2] is not None
            return _document({"data": self._schedule_resource(found[2])})

        @router.patch(f"{schedules}/{{schedule_id}}")
        async def change_schedule(iid: str, schedule_id: str, request: Request) -> JSONResponse:
            found = await self._schedules(iid, request, schedule_id)
            if isinstance(found, JSONResponse):
                return found
            _, integration, schedule = found
            assert schedule is not None
            if "update" not in self.store.plan.schedule_actions:
                return _errors(403, "You may not change this schedule")
            attributes = await self._attributes(request, SCHEDULE_TYPE)
            if isinstance(attributes, JSONResponse):
                return attributes
            if "day" in attributes:  # JSON:API: an attribute left out of a PATCH stays as it is
                with self.store.lock:
                    day = self._day(attributes, integration.id, schedule.id)
                    if isinstance(day, JSONResponse):
                        return day
                    self.store.change_schedule(schedule, day)
            return _document({"data": self._schedule_resource(schedule)})

        @router.delete(f"{schedules}/{{schedule_id}}", response_model=None)
        async def delete_schedule(iid: str, schedule_id: str, request: Request) -> Response:
            found = await self._schedules(iid, request, schedule_id)
            if isinstance(found, JSONResponse):
                return found
            assert found[2] is not None
            if "destroy" not in self.store.plan.schedule_actions:
                return _errors(403, "You may not delete this schedule")
            self.store.delete_schedule(found[2])
            return Response(status_code=204)

        return router

    def inspection_routes(self) -> APIRouter:
        router = APIRouter(prefix="/_fake")

        @router.get("/syncs")
        def get_syncs(integration_id: str | None = None) -> dict[str, Any]:
            return {"syncs": self.syncs(integration_id)}

        @router.get("/schedules")
        def get_schedules() -> dict[str, Any]:
            return {"schedules": self.schedules()}

        @router.get("/integrations")
        def get_integrations() -> dict[str, Any]:
            return {"integrations": self.integrations()}

        @router.put("/integrations/{iid}", response_model=None)
        def put_integration(iid: str, body: IntegrationEmployees) -> dict[str, Any] | JSONResponse:
            try:
                integration = Integration(id=iid, name=body.name, employee_numbers=body.employee_numbers)
            except ValidationError as invalid:
                return JSONResponse({"detail": invalid.errors(include_url=False, include_context=False)},
                                    status_code=422)
            self.put_integration(integration)
            return integration.model_dump(mode="json")

        @router.post("/integrations/{iid}/scheduled_syncs", response_model=None)
        def scheduled_sync(iid: str) -> dict[str, Any] | JSONResponse:
            sync = self.run_schedule(iid)
            return sync if sync is not None else JSONResponse({"detail": f"no integration {iid}"}, status_code=404)

        @router.get("/plan")
        def get_plan() -> PulsePlan:
            return self.plan

        @router.put("/plan")
        def put_plan(plan: PulsePlan) -> PulsePlan:
            self.set_plan(plan)
            return self.plan

        @router.get("/sessions")
        def get_sessions() -> dict[str, Any]:
            return {"sessions": self.sessions()}

        @router.post("/tokens/expire")
        def expire() -> dict[str, int]:
            return {"expired": self.store.expire_tokens()}

        return router
