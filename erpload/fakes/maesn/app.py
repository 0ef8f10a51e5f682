"""The Maesn unified accounting API's booking proposals, for five target systems, faithful to the seed where it speaks.

Vendor paths (every one needs `X-API-KEY`, else 403, and `X-ACCOUNT-KEY`, else 401; header names are
case-insensitive). An account key is one end user's connection to one target system, so the key alone
tells the fake which system a request is for (`DEMO_ACCOUNT_KEYS`: one per system).

- `POST /accounting/bookingProposals/async` (DATEV Unternehmen Online) → 200
  `{"meta": {"warnings": [...]}, "data": {"taskId": "<32 upper hex>"}}`.
- `POST /accounting/bookingProposals` (Exact, Lexware Office, sevdesk, Xero) → 200
  `{"meta": {"warnings": [...]}, "data": {...the proposal..., "files": [names], "taskId": ...}}`.
  The page marks this endpoint deprecated for DATEV UO; the fake refuses it there with 404 (the error guide's
  "endpoint not supported for that target system") and names the async one, so a client that uses the
  deprecated path fails in tests rather than on the day Maesn removes it. Likewise the async endpoint answers
  404 for the other systems, for which Maesn documents no async variant.
- `GET /accounting/asyncTask/{taskId}` (optional `companyId`) → 200 `{"meta": {"warnings": []}, "data":
  {"status": s, "information": [{"filename", "message", "timestamp", "type"}], "responseData": {...}}}`,
  s in OPEN, IN_PROGRESS, SUCCESS, FAILED, PARTIAL_SUCCESS. A task is found only with the account key
  that created it (404 otherwise). Tasks advance per poll (see `store.py`).

Both POSTs take `multipart/form-data` with the parts `bookingProposal` (a JSON string, required),
`bookingType` (required here; [UNVERIFIED] whether the async variant needs it), `files` (0..n file parts,
each name with an extension, at most 255 characters) and `folderManagement` (a JSON string; DATEV UO only,
other systems answer a warning). `companyId` (query) is required for DATEV UO and Exact. Every POST that
passes is a new proposal with a new task: Maesn documents no idempotency.

Errors (the body shape is [UNVERIFIED]; clients should branch on the status): `{"error": {"status", "message",
"validationErrors": [{"field": "bookingProposal.addresses[0].city", "message": ...}]}}`. 400: the body is not
multipart, a part is missing, malformed or unknown, the proposal breaks the system's rules (`models.py`), or
`companyId` is missing where required. 404: unknown task, unknown company, endpoint not for this system.
429 with `Retry-After` when `rate_limit_per_s` is set and exceeded (Maesn's numbers are not documented).
Status 200 for the POSTs is [UNVERIFIED] (vs 201/202).

Inspection (fake only, no auth): `GET /_fake/proposals?system=` (every distinct proposal with its
fingerprint, files and arrivals, and counts per system), `GET /_fake/tasks`, `GET|PUT /_fake/task-plan`
(a `TaskPlan`), `GET /_fake/arrivals?window=1.0` (vendor requests so far, the most that arrived within any
window, and the rate limit's 429s), beside the common ones (`erpload.fakes.app`).
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from erpload.fakes.app import FakeVendor
from erpload.fakes.faults import Faults
from erpload.fakes.maesn.models import SYSTEMS, BookingProposal, FolderManagement, Problem, TargetSystem, model_problems
from erpload.fakes.maesn.multipart import MultipartError, Part, parse_form_data
from erpload.fakes.maesn.store import ProposalStore, StoredFile, TaskPlan
from erpload.fakes.middleware import INSPECTION_PREFIX

ACCOUNTING = "/accounting"
#: what `erpload fakes serve` accepts unless told otherwise
DEMO_API_KEY = "erpload-demo-maesn-api-key"
DEMO_ACCOUNT_KEYS: dict[str, str] = {system: f"erpload-demo-maesn-{system}-account" for system in SYSTEMS}
DEMO_COMPANY_IDS: dict[str, str] = {"datev_uo": "455148-10001", "exact": "3109871"}

_FILE_NAME = re.compile(r"^.+\.[A-Za-z0-9]{1,10}$")
_FORM_PARTS = ("bookingProposal", "bookingType", "files", "folderManagement")


def _error(status: int, message: str, problems: list[Problem] | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    error: dict[str, Any] = {"status": status, "message": message}
    if problems is not None:
        error["validationErrors"] = [{"field": f, "message": m} for f, m in problems]
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _invalid(problems: list[Problem]) -> JSONResponse:
    return _error(400, f"Invalid parameters: {len(problems)} validation error(s)", problems)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _ArrivalClock:
    """Outermost ASGI layer: notes when every vendor request arrived, before any fault knob or latency acts, and
    lets the fake's rate limit judge it then (the verdict goes to the route in the request's state)."""

    def __init__(self, app: ASGIApp, arrived: Callable[[], int | None]) -> None:
        self.app = app
        self.arrived = arrived

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(INSPECTION_PREFIX):
            scope.setdefault("state", {})["retry_after"] = self.arrived()
        await self.app(scope, receive, send)


class MaesnFake(FakeVendor):
    """The fake Maesn booking-proposal API; serve `.app`.

    Args:
        api_key: the only `X-API-KEY` accepted.
        account_keys: system key → the `X-ACCOUNT-KEY` of its connection (default: `DEMO_ACCOUNT_KEYS`).
        companies: system key → the `companyId`s that exist there; a system left out accepts any.
        faults: the shared fault knobs in force at start (`erpload.fakes.faults.Faults`).
        task_plan: how tasks end (`store.TaskPlan`); replace it with `set_task_plan` or `PUT /_fake/task-plan`.
        rate_limit_per_s: requests allowed in any 1-second window, judged on arrival before latency or any
            fault knob (sliding, over the requests let through);
            the next one gets 429 with `Retry-After`. None: no limit.
    """

    title = "Maesn unified accounting API, booking proposals (fake)"

    def __init__(
        self,
        api_key: str = DEMO_API_KEY,
        *,
        account_keys: Mapping[str, str] | None = None,
        companies: Mapping[str, set[str]] | None = None,
        faults: Faults | None = None,
        task_plan: TaskPlan | None = None,
        rate_limit_per_s: int | None = None,
    ) -> None:
        self.api_key = api_key
        keys = dict(account_keys if account_keys is not None else DEMO_ACCOUNT_KEYS)
        unknown = set(keys) - set(SYSTEMS)
        if unknown:
            raise ValueError(f"unknown target systems {sorted(unknown)}; known: {', '.join(SYSTEMS)}")
        self.account_keys = keys
        self.companies = {system: set(ids) for system, ids in (companies or {}).items()}
        self.rate_limit_per_s = rate_limit_per_s
        self.store = ProposalStore()
        self.throttled = 0  # answers 429 by the rate limit (not by the fault knobs)
        self._initial_plan = task_plan or TaskPlan()
        self.task_plan = self._initial_plan
        self._lock = threading.Lock()
        self._let_through: collections.deque[float] = collections.deque()
        self._arrivals: collections.deque[float] = collections.deque()
        self._tasks_since_knobs = 0  # numbers tasks for the stuck_jobs knob, as the controller numbers jobs
        super().__init__(faults)
        self.app.add_middleware(_ArrivalClock, arrived=self._arrived)

    # --- in-process accessors for tests ---

    def set_faults(self, faults: Faults) -> None:
        """New knobs (the task counter restarts with them); tasks the old ones kept stuck end as planned."""
        super().set_faults(faults)
        self._tasks_since_knobs = 0
        self.store.release_stuck()

    def reset_state(self) -> None:
        self._tasks_since_knobs = 0
        self.store.clear()
        self.task_plan = self._initial_plan
        self.throttled = 0
        self._let_through.clear()
        self._arrivals.clear()

    def set_task_plan(self, plan: TaskPlan) -> None:
        """Replace how new tasks end (tasks already created keep their outcome)."""
        self.task_plan = plan

    def proposals(self, system: str | None = None) -> list[dict[str, Any]]:
        """Every distinct proposal that arrived (what `GET /_fake/proposals` lists)."""
        return self.store.proposals(system)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per system: distinct proposals, arrivals and proposals created."""
        return self.store.counts()

    def arrival_times(self) -> list[float]:
        """`time.monotonic()` of every vendor request's arrival, oldest first (faulted ones included)."""
        return list(self._arrivals)

    def busiest_window(self, seconds: float = 1.0) -> int:
        """The most vendor requests that arrived within any `seconds`-long window (half-open)."""
        times = sorted(self._arrivals)
        most, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    # --- checks shared by the vendor paths ---

    def _arrived(self) -> int | None:
        """Note a request's arrival; when it is beyond the rate limit, the Retry-After (seconds) to answer it."""
        with self._lock:
            now = time.monotonic()
            self._arrivals.append(now)
            if self.rate_limit_per_s is None:
                return None
            while self._let_through and now - self._let_through[0] >= 1.0:
                self._let_through.popleft()
            if len(self._let_through) < self.rate_limit_per_s:
                self._let_through.append(now)
                return None
            self.throttled += 1
            return max(1, math.ceil(self._let_through[0] + 1.0 - now))

    def _throttled(self, request: Request) -> JSONResponse | None:
        retry_after = getattr(request.state, "retry_after", None)
        if retry_after is None:
            return None
        return _error(429, f"Rate limit of {self.rate_limit_per_s} requests per second exceeded",
                      headers={"Retry-After": str(retry_after)})

    def _next_task_stuck(self) -> bool:
        with self._lock:
            self._tasks_since_knobs += 1
            # `stuck_jobs` is a shared knob newer than some Faults models: absent means none
            return self._tasks_since_knobs in getattr(self.faults, "stuck_jobs", ())

    def _admitted(self, request: Request) -> tuple[TargetSystem, str] | JSONResponse:
        """The caller's connection, or the answer that turns it away: 429 while throttled, else 403/401."""
        return self._throttled(request) or self._connection(request)

    def _connection(self, request: Request) -> tuple[TargetSystem, str] | JSONResponse:
        """The target system and account-key hash of an authenticated request, or the 403/401 answer."""
        api_key = request.headers.get("x-api-key", "")
        if not hmac.compare_digest(api_key.encode(), self.api_key.encode()):
            return _error(403, "Forbidden: missing or invalid X-API-KEY")
        account_key = request.headers.get("x-account-key", "")
        for system, key in self.account_keys.items():
            if hmac.compare_digest(account_key.encode(), key.encode()):
                return SYSTEMS[system], _sha256(key)
        return _error(401, "Unauthorized: missing, invalid or expired X-ACCOUNT-KEY; the end user must "
                           "connect the target system again")

    def _company(self, system: TargetSystem, company_id: str | None) -> JSONResponse | None:
        if system.needs_company_id and not company_id:
            return _invalid([("companyId", f"required for {system.title}")])
        known = self.companies.get(system.key)
        if company_id and known is not None and company_id not in known:
            return _error(404, f"Company {company_id!r} not found in {system.title}")
        return None

    # --- the booking proposal ---

    def _read_form(self, parts: list[Part]) -> tuple[dict[str, list[Part]], list[Problem]]:
        by_name: dict[str, list[Part]] = {}
        problems: list[Problem] = []
        for part in parts:
            if part.name not in _FORM_PARTS:
                problems.append((part.name, f"unknown form field; expected {', '.join(_FORM_PARTS)}"))
            by_name.setdefault(part.name, []).append(part)
        for name in ("bookingProposal", "bookingType"):
            if len(by_name.get(name, [])) != 1:
                problems.append((name, "Field required (exactly once)"))
        if len(by_name.get("folderManagement", [])) > 1:
            problems.append(("folderManagement", "at most once"))
        return by_name, problems

    def _json_part(self, part: Part) -> tuple[Any, list[Problem]]:
        try:
            return json.loads(part.text()), []
        except (ValueError, MultipartError):
            return None, [(part.name, "must be a JSON string (an object)")]

    def _files(self, parts: list[Part]) -> tuple[list[StoredFile], list[Problem]]:
        files: list[StoredFile] = []
        problems: list[Problem] = []
        for i, part in enumerate(parts):
            name = part.filename
            if not name:
                problems.append((f"files[{i}]", "a file part needs a file name"))
                continue
            if len(name) > 255:
                problems.append((f"files[{i}].name", f"at most 255 characters, got {len(name)}"))
            if not _FILE_NAME.match(name):
                problems.append((f"files[{i}].name", f"{name!r} needs a file extension, e.g. invoice.pdf"))
            files.append(StoredFile(name, hashlib.sha256(part.data).hexdigest(), len(part.data), part.content_type))
        return files, problems

    async def _create(self, request: Request, *, via_async: bool) -> JSONResponse:
        connection = self._admitted(request)
        if isinstance(connection, JSONResponse):
            return connection
        system, account = connection
        if system.async_endpoint and not via_async:
            return _error(404, f"POST {ACCOUNTING}/bookingProposals is deprecated for {system.title}; "
                               f"use POST {ACCOUNTING}/bookingProposals/async")
        if via_async and not system.async_endpoint:
            return _error(404, f"POST {ACCOUNTING}/bookingProposals/async is not supported for {system.title}; "
                               f"use POST {ACCOUNTING}/bookingProposals")
        company_id = request.query_params.get("companyId")
        refused = self._company(system, company_id)
        if refused:
            return refused
        try:
            parts = parse_form_data(await request.body(), request.headers.get("content-type"))
        except MultipartError as exc:
            return _invalid([("body", f"not valid multipart/form-data: {exc}")])
        by_name, problems = self._read_form(parts)
        if problems:
            return _invalid(problems)

        raw, problems = self._json_part(by_name["bookingProposal"][0])
        if not problems:
            model, problems = model_problems(BookingProposal, raw, "bookingProposal")
            if isinstance(model, BookingProposal):
                problems = system.problems(model)
        booking_type = by_name["bookingType"][0].data.decode("utf-8", errors="replace")
        if booking_type not in system.booking_types:
            problems.append(("bookingType", f"{booking_type!r} is not supported for {system.title}; it takes "
                                            f"{', '.join(sorted(system.booking_types))}"))
        folder: dict[str, Any] | None = None
        if by_name.get("folderManagement"):
            folder, folder_problems = self._json_part(by_name["folderManagement"][0])
            if not folder_problems:
                _, folder_problems = model_problems(FolderManagement, folder, "folderManagement")
            problems += folder_problems
        files, file_problems = self._files(by_name.get("files", []))
        problems += file_problems
        if problems:
            return _invalid(problems)

        proposal: dict[str, Any] = raw
        warnings = [f"Field not used by target system: {name}"
                    for name in system.unused_fields(proposal, folder is not None)]
        task = self.store.add(
            system=system.key, account_key_sha256=account, company_id=company_id, booking_type=booking_type,
            booking_proposal=proposal, files=files, folder_management=folder,
            rule=self.task_plan.rule_for(system.key, proposal.get("number")),
            fails=self.controller.next_job_fails(), stuck=self._next_task_stuck(), faults=self.faults)
        data: dict[str, Any] = {"taskId": task.task_id}
        if not via_async:
            data = {**proposal, "files": [f.name for f in files], "createdDate": task.created,
                    "updatedDate": task.created, **data}
        return JSONResponse({"meta": {"warnings": warnings}, "data": data}, status_code=200)

    # --- routes ---

    def vendor_routes(self) -> APIRouter:
        router = APIRouter(prefix=ACCOUNTING)

        @router.post("/bookingProposals/async")
        async def create_booking_proposal_async(request: Request) -> JSONResponse:
            return await self._create(request, via_async=True)

        @router.post("/bookingProposals")
        async def create_booking_proposal(request: Request) -> JSONResponse:
            return await self._create(request, via_async=False)

        @router.get("/asyncTask/{task_id}")
        async def get_async_task(task_id: str, request: Request) -> JSONResponse:
            connection = self._admitted(request)
            if isinstance(connection, JSONResponse):
                return connection
            _, account = connection
            task = self.store.poll(task_id, account)
            company_id = request.query_params.get("companyId")
            if task is None or (company_id and company_id != task.company_id):
                return _error(404, f"Async task {task_id!r} not found")
            done = task.last_status in ("SUCCESS", "PARTIAL_SUCCESS")
            response_data = {"number": task.number, "files": task.file_names} if done else {}
            return JSONResponse({"meta": {"warnings": []}, "data": {
                "status": task.last_status, "information": task.information(), "responseData": response_data}})

        return router

    def inspection_routes(self) -> APIRouter:
        router = APIRouter(prefix="/_fake")

        @router.get("/proposals")
        def get_proposals(system: str | None = None) -> dict[str, Any]:
            return {"proposals": self.proposals(system), "counts": self.counts()}

        @router.get("/tasks")
        def get_tasks() -> dict[str, Any]:
            return {"tasks": [task.summary() for task in self.store.tasks()]}

        @router.get("/arrivals")
        def get_arrivals(window: float = 1.0) -> dict[str, Any]:
            return {"requests": len(self._arrivals), "window": window, "busiest": self.busiest_window(window),
                    "throttled": self.throttled}

        @router.get("/task-plan")
        def get_task_plan() -> TaskPlan:
            return self.task_plan

        @router.put("/task-plan")
        def put_task_plan(plan: TaskPlan) -> TaskPlan:
            self.set_task_plan(plan)
            return self.task_plan

        return router


def create_app(api_key: str = DEMO_API_KEY, **options: Any) -> FastAPI:
    """The FastAPI app of a new `MaesnFake(api_key, **options)`; the fake is at `app.state.fake`."""
    return MaesnFake(api_key, **options).app
