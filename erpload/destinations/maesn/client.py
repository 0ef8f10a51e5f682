"""Maesn's booking-proposal API: create a proposal (multipart), read its async task (paths: see fakes/maesn).

Creating a proposal is never repeated by this client: Maesn documents no idempotency, so the POST is sent
with `safe=False` and a lost answer (dropped connection, 5xx) raises `OutcomeUnknown` instead of a retry.
A 429 is safe to ride out (the request was not taken). Reading a task is safe and retried.
Every attempt, retries included, first passes the client's `Pacer` (Maesn's limit is on requests started).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from erpload import interrupts
from erpload.destinations.maesn.config import MaesnSettings, SystemConnection
from erpload.interrupts import Interrupted
from erpload.push.http import OutcomeUnknown, RetryPolicy, VendorAuthError, VendorClient, VendorUnavailable
from erpload.push.pacing import Pacer

ACCOUNTING = "/accounting"
#: the plain endpoint is deprecated for these: they take the async one (seed, vendor-apis.md 3.1)
ASYNC_SYSTEMS = frozenset({"datev_uo"})
PENDING = frozenset({"OPEN", "IN_PROGRESS"})


@dataclass(frozen=True)
class ProposalUpload:
    """The form parts of one create call: the proposal as JSON text, its booking type, files and folders."""

    booking_type: str
    booking_proposal: str
    files: tuple[tuple[str, bytes, str], ...] = ()  # (name with extension, content, MIME type)
    folder_management: str | None = None


@dataclass(frozen=True)
class TaskStarted:
    task_id: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskState:
    task_id: str
    status: str
    messages: tuple[str, ...] = ()   # information[].message, in order
    warnings: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        return self.status not in PENDING

    def describe(self) -> str:
        """`task 06D2... SUCCESS: The document has been received.`"""
        return f"task {self.task_id} {self.status}" + (f": {' '.join(self.messages)}" if self.messages else "")


def _strings(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values) if isinstance(values, list) else ()


def encode_form(upload: ProposalUpload) -> tuple[bytes, str]:
    """The multipart body and its Content-Type (with boundary), encoded once so a 429 retry sends the same bytes.

    Text parts go as file-less parts too: with no file httpx would otherwise send a urlencoded form.
    """
    fields = {"bookingProposal": upload.booking_proposal, "bookingType": upload.booking_type}
    if upload.folder_management is not None:
        fields["folderManagement"] = upload.folder_management
    parts: list[tuple[str, tuple[str | None, bytes, str | None]]] = [
        (name, (None, value.encode(), None)) for name, value in fields.items()]
    parts += [("files", (name, content, mime)) for name, content, mime in upload.files]
    request = httpx.Request("POST", "http://form.invalid/", files=parts)
    return request.read(), request.headers["Content-Type"]


class MaesnClient(VendorClient):
    """One httpx client for all systems: the API key is sent always, each call adds its system's account key."""

    def __init__(self, settings: MaesnSettings, *, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = interrupts.sleep, pacer: Pacer | None = None) -> None:
        self.host = urlsplit(settings.base_url).netloc or settings.base_url
        super().__init__("Maesn", settings.base_url,
                         {"X-API-KEY": settings.api_key, "Accept": "application/json"},
                         policy=policy, sleep=sleep,
                         auth_hint="403: check destination.maesn.api_key; 401: a system's account key is wrong "
                                   "or expired (destination.maesn.<system>.account_key)")
        self.settings = settings
        self.pacer = pacer or Pacer.per_second(settings.rate_limit_per_s)
        # every attempt, retries included, passes the pacer: httpx runs request hooks just before sending
        self._http.event_hooks = {"request": [self._take_rate_slot]}

    def _take_rate_slot(self, request: httpx.Request) -> None:
        # a plain sleep, not one a signal cuts short: it is bounded (a few windows at most, with as many threads as
        # a sender runs), and a request that waited for its turn is then sent and answered, so Ctrl-C stops a push
        # after the proposals in flight, each with a known outcome
        self.pacer.pass_gate(time.sleep)

    def traffic(self) -> str:
        line = super().traffic()
        if self.pacer.waited_s >= 0.05:
            line += (f"; {self.pacer.waited_s:.1f} s of the waiting held requests to the rate limit of "
                     f"{self.pacer.per_second_rate:g} per second")
        return line

    @staticmethod
    def _query(connection: SystemConnection) -> str:
        return "?" + urlencode({"companyId": connection.company_id}) if connection.company_id else ""

    def _headers(self, connection: SystemConnection) -> dict[str, str]:
        return {"X-ACCOUNT-KEY": connection.account_key}

    def _auth_error(self, exc: VendorAuthError, connection: SystemConnection) -> VendorAuthError:
        return VendorAuthError(
            exc.message,
            hint=f"403 means Maesn refused destination.maesn.api_key; 401 means the account key of "
                 f"{connection.title} (destination.maesn.{connection.system}.account_key, fingerprint "
                 f"{connection.account_fingerprint}) is wrong or expired: the end user connects {connection.title} "
                 "in Maesn again and you set the new account key")

    def create_booking_proposal(self, connection: SystemConnection, upload: ProposalUpload) -> TaskStarted:
        """POST one proposal (never repeated here); returns its task id and Maesn's warnings."""
        path = f"{ACCOUNTING}/bookingProposals" + ("/async" if connection.system in ASYNC_SYSTEMS else "")
        body, content_type = encode_form(upload)
        try:
            response = self.request("POST", path + self._query(connection), safe=False, content=body,
                                    headers={**self._headers(connection), "Content-Type": content_type})
        except VendorAuthError as exc:
            raise self._auth_error(exc, connection) from exc
        try:
            answer = response.json()
            task_id = answer["data"]["taskId"]
        except (ValueError, KeyError, TypeError):
            task_id = None
        if not isinstance(task_id, str) or not task_id:
            # the proposal may well exist now: without its task id nothing tells, so it is not sent again
            raise OutcomeUnknown(f"{self.who} answered {response.status_code} to POST {path} without a taskId",
                                 hint="check the proposal in the accounting system, then settle it with "
                                      "`erpload ledger resolve maesn <key> --sent|--not-sent`")
        return TaskStarted(task_id, _strings((answer.get("meta") or {}).get("warnings")))

    def get_async_task(self, connection: SystemConnection, task_id: str) -> TaskState:
        """Read a task once (GET is safe: retried on 5xx and dropped connections); a status poll in the summary."""
        self.count_poll()
        try:
            response = self.request("GET", f"{ACCOUNTING}/asyncTask/{task_id}{self._query(connection)}", safe=True,
                                    headers=self._headers(connection))
        except VendorAuthError as exc:
            raise self._auth_error(exc, connection) from exc
        answer = response.json()
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("status"), str):
            raise VendorUnavailable(f"{self.who} answered task {task_id} without a status: {str(answer)[:200]}",
                                    hint="the API changed or base_url points elsewhere")
        information = data.get("information")
        messages = tuple(str(i.get("message")) for i in information or [] if isinstance(i, dict) and i.get("message"))
        return TaskState(task_id, data["status"], messages, _strings((answer.get("meta") or {}).get("warnings")))

    def wait_for_task(self, connection: SystemConnection, task_id: str) -> TaskState:
        """Poll every `poll_interval_s` until the task is finished or `task_timeout_s` has passed; returns the last
        state seen, which is still pending after a timeout."""
        deadline = time.monotonic() + self.settings.task_timeout_s
        while True:
            try:
                self.pause_between_polls(min(self.settings.poll_interval_s, max(0.0, deadline - time.monotonic())))
            except Interrupted:
                # stop waiting after one last look; a task still pending stays `sent`, the next push asks for it
                if (state := self.get_async_task(connection, task_id)).finished:
                    return state
                raise
            state = self.get_async_task(connection, task_id)
            if state.finished or time.monotonic() >= deadline:
                return state


def form_json(value: Any) -> str:
    """A JSON form part as Maesn gets it: compact, UTF-8 kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
