"""What the Papershift fake remembers: sign-in tokens (by hash), document syncs with their items, sync schedules,
and the arrivals its rate limits count. Thread-safe: uvicorn answers from one thread, tests read from another."""

from __future__ import annotations

import collections
import hashlib
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from erpload.fakes.papershift.models import DocumentType, Integration, ItemStatus, PulsePlan, SyncStatus


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprint(token: str) -> str:
    """How the fake names a token anywhere it can be read: a prefix of its sha256, never the token."""
    return "sha256:" + token_sha256(token)[:16]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def months_before(month: date, count: int) -> list[date]:
    """The `count` whole months before `month`'s, oldest first, as their first days.

    >>> [d.isoformat() for d in months_before(date(2026, 2, 7), 3)]
    ['2025-11-01', '2025-12-01', '2026-01-01']
    """
    index = month.year * 12 + month.month - 1
    return [date((i // 12), i % 12 + 1, 1) for i in range(index - count, index)]


@dataclass
class Session:
    email: str
    fingerprint: str
    expires_at: float | None  # on the fake's clock; None: never


@dataclass
class SyncItem:
    """One (employee, period) of a sync; `final` is decided at creation and shown once the sync gets that far."""

    id: str
    employee_number: int
    period: date
    final: ItemStatus
    final_notice: str | None
    status: ItemStatus = ItemStatus.RUNNING
    notice: str | None = None

    def attributes(self) -> dict[str, Any]:
        return {"employee_number": self.employee_number, "period": self.period.isoformat(),
                "status": self.status.value, "notice": self.notice}


@dataclass
class DocumentSync:
    id: str
    integration_id: str
    initial: bool
    range_in_months: int
    created_at: datetime
    created_by: str  # token fingerprint, or "schedule"
    planned: SyncStatus  # the plan's outcome when the sync was created
    final: SyncStatus  # what it ends as (differs from `planned` only when the items cannot bear it)
    final_document_types: list[DocumentType]
    final_notice: str | None
    running_polls: int
    items: list[SyncItem]
    polls: int = 0
    status: SyncStatus = SyncStatus.RUNNING
    document_types: list[DocumentType] = field(default_factory=list)
    notice: str | None = None

    def advance(self) -> None:
        """One list GET: reveal a share of the items' outcomes; after `running_polls` of them, end."""
        if self.status is not SyncStatus.RUNNING:
            return
        self.polls += 1
        if self.polls > self.running_polls:
            for item in self.items:
                item.status, item.notice = item.final, item.final_notice
            self.status, self.document_types, self.notice = self.final, self.final_document_types, self.final_notice
            return
        done = self.polls * len(self.items) // (self.running_polls + 1)
        for item in self.items[:done]:
            item.status, item.notice = item.final, item.final_notice

    def attributes(self) -> dict[str, Any]:
        return {"created_at": _iso(self.created_at), "document_types": [t.value for t in self.document_types],
                "notice": self.notice, "range_in_months": self.range_in_months, "status": self.status.value}

    def inspection(self) -> dict[str, Any]:
        return {"id": self.id, "integration_id": self.integration_id, "initial": self.initial,
                "created_by": self.created_by, "planned_outcome": self.planned.value, "polls": self.polls,
                **self.attributes(),
                "items": [{"id": i.id, **i.attributes()} for i in self.items]}


@dataclass
class Schedule:
    id: str
    integration_id: str
    day: int
    created_at: datetime
    updated_at: datetime
    created_by: str

    def attributes(self) -> dict[str, Any]:
        return {"day": self.day, "created_at": _iso(self.created_at), "updated_at": _iso(self.updated_at)}


def _failing(outcome: SyncStatus, employees: list[int], chosen: list[int]) -> tuple[set[int], SyncStatus, str | None]:
    """Which employees' items fail, the status the sync can then end with, and why it differs from `outcome`."""
    if outcome is SyncStatus.SUCCEEDED:
        return set(), outcome, None
    if outcome is SyncStatus.FAILED:
        return set(employees), outcome, None
    failing = set(chosen) & set(employees) or set(employees[:1])
    if failing == set(employees):
        why = (f"planned succeeded_partially, but {'no employee' if not employees else 'every employee'} "
               "of the integration would fail, so no item succeeded")
        return failing, SyncStatus.FAILED, why
    return failing, outcome, None


def _default_notice(status: SyncStatus, failed: int, employees: int) -> str | None:
    if status is SyncStatus.SUCCEEDED_PARTIALLY:
        return f"Documents of {failed} of {employees} employees could not be synchronized."
    if status is SyncStatus.FAILED:
        return "No documents could be synchronized from DATEV."
    return None


class SlidingWindow:
    """At most `limit` admitted arrivals per client in any `seconds`; arrivals turned away do not count."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._admitted: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    def admit(self, client: str, now: float) -> float | None:
        """None when the arrival is admitted, else the seconds until a slot frees."""
        window = self._admitted[client]
        while window and now - window[0] >= self.seconds:
            window.popleft()
        if len(window) < self.limit:
            window.append(now)
            return None
        return window[0] + self.seconds - now


class PulseStore:
    """The fake's state; every method takes the lock itself."""

    def __init__(self, integrations: list[Integration], plan: PulsePlan, clock: Callable[[], float],
                 new_token: Callable[[], str] | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self._new_token = new_token or (lambda: secrets.token_urlsafe(32))
        self.integrations = {i.id: i.model_copy(deep=True) for i in integrations}
        self.sessions: dict[str, Session] = {}  # by token hash: the token itself is never kept
        self.syncs: list[DocumentSync] = []
        self.schedules: list[Schedule] = []
        self.set_plan(plan)

    def set_plan(self, plan: PulsePlan) -> None:
        with self.lock:
            self.plan = plan
            self.requests = SlidingWindow(plan.rate_limit_per_minute, 60.0)
            self.sign_ins = SlidingWindow(plan.sign_in_limit, plan.sign_in_window_seconds)

    # -- sign-in --------------------------------------------------------------------------------
    def sign_in(self, email: str) -> str:
        token = self._new_token()
        with self.lock:
            lifetime = self.plan.token_seconds
            expires = None if lifetime is None else self.clock() + lifetime
            self.sessions[token_sha256(token)] = Session(email, fingerprint(token), expires)
        return token

    def session(self, token: str) -> Session | None:
        with self.lock:
            found = self.sessions.get(token_sha256(token))
            if found is None or (found.expires_at is not None and self.clock() >= found.expires_at):
                return None
            return found

    def expire_tokens(self) -> int:
        with self.lock:
            for s in self.sessions.values():
                s.expires_at = self.clock() - 1
            return len(self.sessions)

    # -- integrations ---------------------------------------------------------------------------
    def put_integration(self, integration: Integration) -> None:
        with self.lock:
            self.integrations[integration.id] = integration

    def integration(self, iid: str) -> Integration | None:
        with self.lock:
            return self.integrations.get(iid.lower())

    # -- document syncs -------------------------------------------------------------------------
    def has_initial_sync(self, iid: str) -> bool:
        with self.lock:
            return any(s.initial and s.integration_id == iid for s in self.syncs)

    def create_sync(self, integration: Integration, range_in_months: int, *, initial: bool,
                    created_by: str) -> DocumentSync:
        with self.lock:
            plan = self.plan
            employees = integration.employee_numbers
            failing, final, why = _failing(plan.outcome, employees, plan.failing_employees)
            now = datetime.now(UTC)
            items = [
                SyncItem(id=str(uuid.uuid4()), employee_number=n, period=period,
                         final=ItemStatus.FAILED if n in failing else ItemStatus.SUCCEEDED,
                         final_notice=(f"No {'/'.join(plan.document_types) or 'documents'} found in DATEV for "
                                       f"personnel number {n} in {period:%Y-%m}.") if n in failing else None)
                for n in employees for period in months_before(now.date(), range_in_months)]
            notice = plan.notice if plan.notice is not None else _default_notice(final, len(failing), len(employees))
            if why:
                notice = f"{notice} (fake: {why})" if notice else f"fake: {why}"
            sync = DocumentSync(
                id=str(uuid.uuid4()), integration_id=integration.id, initial=initial,
                range_in_months=range_in_months, created_at=now, created_by=created_by, planned=plan.outcome,
                final=final, final_notice=notice, running_polls=plan.running_polls, items=items,
                final_document_types=[] if final is SyncStatus.FAILED else list(plan.document_types))
            self.syncs.append(sync)
            return sync

    def syncs_of(self, iid: str, *, advance: bool) -> list[DocumentSync]:
        with self.lock:
            found = [s for s in self.syncs if s.integration_id == iid]
            if advance:
                for sync in found:
                    sync.advance()
            return found

    def sync(self, sid: str) -> DocumentSync | None:
        with self.lock:
            return next((s for s in self.syncs if s.id == sid.lower()), None)

    # -- schedules ------------------------------------------------------------------------------
    def schedules_of(self, iid: str) -> list[Schedule]:
        with self.lock:
            return [s for s in self.schedules if s.integration_id == iid]

    def schedule(self, iid: str, schedule_id: str) -> Schedule | None:
        with self.lock:
            return next((s for s in self.schedules if s.integration_id == iid and s.id == schedule_id.lower()), None)

    def day_taken(self, iid: str, day: int, but: str | None = None) -> bool:
        with self.lock:
            return any(s.day == day and s.id != but for s in self.schedules_of(iid))

    def add_schedule(self, iid: str, day: int, created_by: str) -> Schedule:
        with self.lock:
            now = datetime.now(UTC)
            schedule = Schedule(str(uuid.uuid4()), iid, day, now, now, created_by)
            self.schedules.append(schedule)
            return schedule

    def change_schedule(self, schedule: Schedule, day: int) -> None:
        with self.lock:
            schedule.day, schedule.updated_at = day, datetime.now(UTC)

    def delete_schedule(self, schedule: Schedule) -> None:
        with self.lock:
            self.schedules.remove(schedule)
