"""The only module that speaks HTTP to Papershift's Pulse API: sign-in, DATEV document syncs and their items,
sync schedules.

Pulse wants `Content-Type: application/vnd.api+json` on every request, GETs and DELETEs included, and JSON:API
bodies. The sign-in answers with the token in its `Authorization` response header; it goes out as
`Authorization: Bearer`. The token and the password are registered with `erpload.redact` (every message, run
row and reject is masked) and never leave this module. A 401 on a signed-in request means the token expired
and the request was not taken: the client signs in again, once, and sends it again.

Rate limits (300 requests a minute, 5 sign-ins in 20 s) are answered with 429; `erpload.push.http` waits them
out (Pulse documents no Retry-After, so it backs off on its own). Lists are paged (`page[number]`,
`page[size]`) [UNVERIFIED: JSON:API convention]; every page is read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from erpload import interrupts
from erpload.push.http import RetryPolicy, VendorAuthError, VendorRefused
from erpload.push.pacing import Pacer
from erpload.push.session import SessionClient
from erpload.redact import redact

from .config import SECTION, PapershiftSettings
from .models import JSON_API, SCHEDULE_TYPE, SYNC_TYPE, DocumentSync, DocumentSyncItem, Schedule

API = "/api/v1"
SIGN_IN = f"{API}/users/sign_in"
#: the largest page Pulse is asked for [UNVERIFIED: its limit is not documented; the fake allows 100]
PAGE_SIZE = 100
#: a list longer than this many pages is a paging bug, not data
MAX_PAGES = 1000

_CREDENTIALS_HINT = (f"check {SECTION}.email and {SECTION}.password in .dlt/secrets.toml (a Papershift Pulse "
                     "user who may manage the company's DATEV integration)")

M = TypeVar("M", DocumentSync, DocumentSyncItem, Schedule)


def syncs_path(integration_id: str) -> str:
    return f"{API}/datev_integrations/{integration_id}/datev_document_syncs"


def items_path(sync_id: str) -> str:
    return f"{API}/datev_document_syncs/{sync_id}/datev_document_sync_items"


def schedules_path(integration_id: str, schedule_id: str | None = None) -> str:
    path = f"{API}/datev_integrations/{integration_id}/datev_document_sync_schedules"
    return f"{path}/{schedule_id}" if schedule_id else path


@dataclass(frozen=True)
class PulseError:
    """The first entry of a JSON:API `errors` answer: its detail and the pointer to what it blames."""

    status: int
    detail: str
    pointer: str | None

    @classmethod
    def of(cls, response: httpx.Response) -> PulseError:
        body = _body(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        source = first.get("source")
        pointer = source.get("pointer") if isinstance(source, dict) else None
        detail = first.get("detail") or first.get("title") or redact(str(body))[:200] or response.reason_phrase
        return cls(response.status_code, redact(str(detail)), str(pointer) if pointer is not None else None)


@dataclass(frozen=True)
class CreatedSync:
    """Pulse's answer to creating the initial sync: the sync (None when the answer holds none erpload can read),
    or `exists`: Pulse's 422 (pointer `/data`) saying the initial sync exists already."""

    sync: DocumentSync | None
    exists: PulseError | None = None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:300]


def _document(resource_type: str, attributes: dict[str, Any]) -> bytes:
    return json.dumps({"data": {"type": resource_type, "attributes": attributes}}).encode()


#: Pulse's documented limit, per client address (vendor-apis.md section 1); the sign-in's 5 in 20 s is not paced:
#: erpload signs in once a run, and again only when a token expires
REQUESTS_PER_MINUTE = 300


class PulseClient(SessionClient):
    def __init__(self, settings: PapershiftSettings, *, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = interrupts.sleep, pacer: Pacer | None = None) -> None:
        super().__init__("Papershift", settings.base_url, {"Content-Type": JSON_API, "Accept": JSON_API},
                         section=SECTION, auth_hint=_CREDENTIALS_HINT, timeout_s=settings.timeout_s, policy=policy,
                         sleep=sleep, pacer=pacer or Pacer(REQUESTS_PER_MINUTE, 60.0))
        self.settings = settings

    # --- sign-in ---

    def sign_in(self) -> None:
        """`POST /api/v1/users/sign_in` [UNVERIFIED path]; the token (response header) is kept in memory only."""
        body = {"data": {"type": "user", "attributes": {"email": self.settings.email,
                                                        "password": self.settings.password}}}
        response = self.http.request("POST", SIGN_IN, safe=True, content=json.dumps(body).encode(),
                                     answered=frozenset({400, 401, 403, 422}))
        if not response.is_success:
            raise VendorAuthError(f"{self.who} refused the sign-in of {self.settings.email or '(no e-mail)'}: "
                                  f"{response.status_code} {PulseError.of(response).detail}", hint=_CREDENTIALS_HINT)
        scheme, _, token = response.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise VendorRefused(f"{self.who} answered the sign-in without a Bearer token in its Authorization header",
                                status=response.status_code, body=None,
                                hint="check base_url: it must be Papershift's Pulse API")
        self.keep_token(token)

    def _send(self, method: str, path: str, *, safe: bool, body: bytes | None = None,
              params: dict[str, str] | None = None, answered: frozenset[int] = frozenset()) -> httpx.Response:
        """One signed-in request; a 401 (the token expired: not taken) signs in again, once."""
        if self._token is None:
            self.sign_in()
        for renewed in (False, True):
            assert self._token is not None
            response = self.http.request(method, path, safe=safe, content=body, params=params,
                                         headers={"Authorization": f"Bearer {self._token}"},
                                         answered=answered | {401})
            if response.status_code != 401:
                return response
            if not renewed:
                self.sign_in()
        raise VendorAuthError(f"{self.who} refused {method} {path} with 401 right after a new sign-in",
                              hint=_CREDENTIALS_HINT)

    def _list(self, path: str, model: type[M], *, poll: bool = False) -> list[M]:
        """Every page of a list; `poll`: counted as a status poll in the summary."""
        found: list[M] = []
        for number in range(1, MAX_PAGES + 1):
            if poll:
                self.http.count_poll()
            response = self._send("GET", path, safe=True, answered=frozenset({404}),
                                  params={"page[number]": str(number), "page[size]": str(PAGE_SIZE)})
            if response.status_code == 404:
                raise self._not_found(path, PulseError.of(response))
            answer = _body(response)
            data = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(data, list):
                raise VendorRefused(f"{self.who} answered GET {path} without a list in `data`",
                                    status=response.status_code, body=redact(str(answer))[:300],
                                    hint="check base_url: it must be Papershift's Pulse API")
            try:
                found += [model.from_resource(r) for r in data]
            except ValueError as exc:  # pydantic's ValidationError is one
                raise VendorRefused(f"{self.who} answered GET {path} with a resource erpload cannot read: "
                                    f"{redact(str(exc))[:300]}", status=response.status_code, body=None,
                                    hint="check base_url: it must be Papershift's Pulse API; else report this "
                                         "with the run id") from exc
            links = answer.get("links") if isinstance(answer, dict) else None
            if not isinstance(links, dict) or not links.get("next") or not data:
                return found
            poll = False  # the later pages of one look are not another poll
        raise VendorRefused(f"{self.who} answered GET {path} with more than {MAX_PAGES} pages",
                            status=200, body=None, hint="report this with the run id")

    def _not_found(self, path: str, error: PulseError) -> VendorRefused:
        return VendorRefused(f"{self.who}: 404 on {path}: {error.detail}", status=404, body=error.detail,
                             hint="check the company's Papershift DATEV integration id (companies."
                                  "papershift_integration_id in the ERP, a UUID) and that this user may see it; "
                                  "then run extract, map and `erpload transform papershift`")

    # --- document syncs ---

    def create_initial_sync(self, integration_id: str, range_in_months: int) -> CreatedSync:
        """`POST .../datev_document_syncs`. The documented 422 for an integration whose initial sync exists comes
        back as `CreatedSync(None, refusal)`; a lost answer raises `OutcomeUnknown` (it may have been created)."""
        path = syncs_path(integration_id)
        response = self._send("POST", path, safe=False, body=_document(SYNC_TYPE, {"range_in_months": range_in_months}),
                              answered=frozenset({404, 422}))
        if response.is_success:
            answer = _body(response)
            try:
                return CreatedSync(DocumentSync.from_resource(answer.get("data") if isinstance(answer, dict) else None))
            except ValueError:  # created all the same: the caller finds it in the list
                return CreatedSync(None)
        error = PulseError.of(response)
        if response.status_code == 404:
            raise self._not_found(path, error)
        if error.pointer == "/data":  # Pulse blames the whole document: an initial sync exists
            return CreatedSync(None, exists=error)
        raise VendorRefused(f"{self.who} refused the initial document sync: 422 {error.detail}"
                            + (f" ({error.pointer})" if error.pointer else ""), status=422, body=error.detail,
                            hint=f"check {SECTION}.range_in_months (or --months): 1 to 12")

    def document_syncs(self, integration_id: str) -> list[DocumentSync]:
        """The integration's syncs, oldest first (Pulse moves a running sync on when it is looked at)."""
        return self._list(syncs_path(integration_id), DocumentSync, poll=True)

    def document_sync_items(self, sync_id: str) -> list[DocumentSyncItem]:
        return self._list(items_path(sync_id), DocumentSyncItem)

    def pause(self, seconds: float) -> None:
        """Wait between two looks at a running sync (counted in the summary)."""
        self.http.pause_between_polls(seconds)

    # --- schedules ---

    def schedules(self, integration_id: str) -> list[Schedule]:
        return self._list(schedules_path(integration_id), Schedule)

    def create_schedule(self, integration_id: str, day: int) -> Schedule | PulseError:
        """A new schedule, or Pulse's 422 (e.g. the day has a schedule already)."""
        response = self._send("POST", schedules_path(integration_id), safe=False,
                              body=_document(SCHEDULE_TYPE, {"day": day}), answered=frozenset({404, 422}))
        return self._schedule_answer(response, schedules_path(integration_id))

    def change_schedule(self, integration_id: str, schedule_id: str, day: int) -> Schedule | PulseError:
        """The schedule on its new day, or Pulse's 422."""
        path = schedules_path(integration_id, schedule_id)
        response = self._send("PATCH", path, safe=True, body=_document(SCHEDULE_TYPE, {"day": day}),
                              answered=frozenset({403, 404, 422}))
        return self._schedule_answer(response, path)

    def delete_schedule(self, integration_id: str, schedule_id: str) -> PulseError | None:
        """None when deleted (or gone already), else Pulse's refusal."""
        response = self._send("DELETE", schedules_path(integration_id, schedule_id), safe=True,
                              answered=frozenset({403, 404}))
        return PulseError.of(response) if response.status_code == 403 else None

    def _schedule_answer(self, response: httpx.Response, path: str) -> Schedule | PulseError:
        if response.is_success:
            answer = _body(response)
            schedule: Schedule = Schedule.from_resource(answer.get("data") if isinstance(answer, dict) else None)
            return schedule
        error = PulseError.of(response)
        if response.status_code == 404:
            raise self._not_found(path, error)
        return error

    def traffic(self) -> str | None:
        if not self.http.requests:
            return None
        return self.http.traffic() + f"; signed in {self.sign_ins} time(s)"
