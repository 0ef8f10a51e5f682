"""What the Kombo fake remembers: integrations, file knobs, every interaction (its log page) and the pushes in flight.

Thread-safe: routes run on the server's event loop while tests change integrations and knobs from their own thread.
The API key is never kept, only its fingerprint (`key_fingerprint`).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from erpload.fakes.kombo.models import FileKnob, InjectedError, Integration, KomboFile, KomboPlan


def key_fingerprint(api_key: str) -> str:
    """The first 16 hex digits of the key's sha256: enough to tell keys apart in the journal, useless to a reader."""
    return "sha256:" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def file_summary(file: KomboFile) -> dict[str, Any]:
    data = file.content.encode("utf-8", errors="surrogatepass")  # a knob may return lone surrogates
    return {"name": file.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@dataclass
class Interaction:
    """One push or key check that reached the fake's routes: accepted (`code` None) or refused with `code`."""

    seq: int
    log_id: str
    endpoint: str
    integration_id: str | None
    key: str | None  # fingerprint, never the key
    status: int
    code: str | None = None
    message: str | None = None
    payroll_month: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "log_id": self.log_id, "time": self.time, "endpoint": self.endpoint,
                "integration_id": self.integration_id, "api_key": self.key, "status": self.status,
                "code": self.code, "message": self.message, "payroll_month": self.payroll_month,
                "files": self.files, "warnings": self.warnings}


@dataclass(frozen=True)
class Slot:
    """A push's place in its integration's concurrency count, taken when it arrived."""

    integration_id: str
    limit: int
    remaining: int
    admitted: bool


class KomboStore:
    def __init__(self, integrations: list[Integration], plan: KomboPlan) -> None:
        self.lock = threading.RLock()
        self.integrations = {i.id: i.model_copy(deep=True) for i in integrations}
        self.file_knobs: dict[str | None, FileKnob] = {}
        self.interactions: list[Interaction] = []
        self._in_flight: dict[str, int] = {}
        self.set_plan(plan)

    # -- knobs --
    def set_plan(self, plan: KomboPlan) -> None:
        with self.lock:
            self.plan = plan
            self._rate_limited_left = plan.rate_limited_calls
            self._errors = [e.model_copy() for e in plan.errors]

    def take_rate_limit(self) -> bool:
        """Whether this push is one of the next N answered RATE_LIMIT_EXCEEDED (and count it)."""
        with self.lock:
            if self._rate_limited_left <= 0:
                return False
            self._rate_limited_left -= 1
            return True

    def take_error(self, integration_id: str | None) -> InjectedError | None:
        """The first queued error meant for this push, one of its `times` used up."""
        with self.lock:
            for error in self._errors:
                if error.integration_id in (None, integration_id):
                    error.times -= 1
                    if error.times == 0:
                        self._errors.remove(error)
                    return error
            return None

    def put_file_knob(self, knob: FileKnob) -> None:
        with self.lock:
            if knob.files is None and knob.warnings is None:
                self.file_knobs.pop(knob.integration_id, None)  # back to the generated files
            else:
                self.file_knobs[knob.integration_id] = knob

    def file_knob(self, integration_id: str) -> FileKnob | None:
        with self.lock:
            return self.file_knobs.get(integration_id) or self.file_knobs.get(None)

    # -- concurrency --
    def take_slot(self, integration_id: str) -> Slot:
        """Count a push in flight, unless its integration is at the limit (then it is not admitted)."""
        with self.lock:
            limit = self.plan.concurrency_limit
            busy = self._in_flight.get(integration_id, 0)
            if busy >= limit:
                return Slot(integration_id, limit, 0, admitted=False)
            self._in_flight[integration_id] = busy + 1
            return Slot(integration_id, limit, limit - busy - 1, admitted=True)

    def in_flight(self, integration_id: str) -> int:
        with self.lock:
            return self._in_flight.get(integration_id, 0)

    def release_slot(self, slot: Slot) -> None:
        if not slot.admitted:
            return
        with self.lock:
            left = self._in_flight.get(slot.integration_id, 0) - 1
            if left > 0:
                self._in_flight[slot.integration_id] = left
            else:
                self._in_flight.pop(slot.integration_id, None)

    # -- journal --
    def record(self, **fields: Any) -> Interaction:
        with self.lock:
            interaction = Interaction(seq=len(self.interactions) + 1, log_id=secrets.token_hex(8), **fields)
            self.interactions.append(interaction)
            return interaction

    def log(self, log_id: str) -> Interaction | None:
        with self.lock:
            return next((i for i in self.interactions if i.log_id == log_id), None)

    def accepted(self) -> list[Interaction]:
        with self.lock:
            return [i for i in self.interactions if i.code is None and i.endpoint != "check-api-key"]

    def refused(self) -> list[Interaction]:
        with self.lock:
            return [i for i in self.interactions if i.code is not None]
