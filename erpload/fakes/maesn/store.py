"""What the Maesn fake holds: every booking proposal that arrived, and one async task per POST.

Maesn documents no idempotency, so every accepted POST is a new proposal in the target system and gets a
new task, even when the same proposal arrived before. The store counts arrivals per *fingerprint* (sha256
of the canonical `bookingProposal` JSON plus each file's name and sha256, vendor-apis.md 6.) so a test can
prove that nothing arrived twice.

A task's outcome is fixed when its POST is accepted; its status reveals it only after it has been polled
a number of times (tasks advance per poll, not per second, so tests are deterministic): the first poll
sees `OPEN`, later ones `IN_PROGRESS`, and the poll after `pending_polls` polls sees the outcome. Which
outcome, and after how many polls, is the `TaskPlan` in force (per fake, per system, per proposal number),
together with the shared fault knobs `fail_jobs` / `fail_job_fraction` (→ FAILED), `job_queued_polls`, and
`stuck_jobs` (IN_PROGRESS until the knobs are replaced; then they end as planned).
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpload.fakes.faults import Faults
from erpload.fakes.journal import canonical_json

Outcome = Literal["SUCCESS", "FAILED", "PARTIAL_SUCCESS"]
PENDING = ("OPEN", "IN_PROGRESS")


class TaskRule(BaseModel):
    """How the tasks a rule covers end. Fields left None fall back to the shared fault knobs."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome | None = Field(
        None, description="The terminal status; None: SUCCESS, or FAILED when fail_jobs/fail_job_fraction pick it.")
    pending_polls: int | None = Field(
        None, ge=0, description="Polls answered OPEN/IN_PROGRESS before the outcome; None: Faults.job_queued_polls.")
    never_finishes: bool = Field(False, description="The task stays IN_PROGRESS for ever (after one OPEN).")
    message: str | None = Field(None, description="information[].message of a FAILED or PARTIAL_SUCCESS task.")


class TaskPlan(BaseModel):
    """Task outcomes in force: the rule for a proposal number wins over its system's, which wins over default."""

    model_config = ConfigDict(extra="forbid")

    default: TaskRule = Field(default_factory=TaskRule)
    systems: dict[str, TaskRule] = Field(default_factory=dict, description="By system key, e.g. 'datev_uo'.")
    numbers: dict[str, TaskRule] = Field(default_factory=dict, description="By bookingProposal.number.")

    def rule_for(self, system: str, number: str | None) -> TaskRule:
        if number is not None and number in self.numbers:
            return self.numbers[number]
        return self.systems.get(system, self.default)


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size: int
    content_type: str | None


def fingerprint(booking_proposal: dict[str, Any], files: list[StoredFile]) -> str:
    """sha256 of the canonical bookingProposal JSON and each file's name and sha256, in order."""
    canonical = canonical_json({"bookingProposal": booking_proposal,
                                "files": [{"name": f.name, "sha256": f.sha256} for f in files]})
    return hashlib.sha256(canonical).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Task:
    """One async task. `poll()` is what `GET /accounting/asyncTask/{taskId}` sees."""

    task_id: str
    system: str
    account_key_sha256: str
    company_id: str | None
    fingerprint: str
    number: str | None
    file_names: list[str]
    outcome: Outcome
    message: str | None
    pending_polls: int | None  # None: never finishes
    stuck: bool = False  # IN_PROGRESS until released (the shared stuck_jobs knob), then as planned
    created: str = field(default_factory=_now)
    polls: int = 0
    last_status: str | None = None

    def poll(self) -> str:
        self.polls += 1
        if not self.stuck and self.pending_polls is not None and self.polls > self.pending_polls:
            self.last_status = self.outcome
        else:
            self.last_status = "OPEN" if self.polls == 1 else "IN_PROGRESS"
        return self.last_status

    def information(self) -> list[dict[str, Any]]:
        """`information[]` for the status last seen: what happened to the proposal and its files."""
        first_file = self.file_names[0] if self.file_names else None
        if self.last_status == "SUCCESS":
            entries = [("INFO", "The document has been received.")]
        elif self.last_status == "FAILED":
            entries = [("ERROR", self.message or "The booking proposal could not be created in the target system.")]
        elif self.last_status == "PARTIAL_SUCCESS":
            entries = [("INFO", "The booking proposal has been created."),
                       ("ERROR", self.message or f"The file {first_file or '(none)'} could not be attached.")]
        else:
            entries = [("INFO", "The task is being processed.")]
        return [{"filename": first_file, "message": message, "timestamp": _now(), "type": kind}
                for kind, message in entries]

    def summary(self) -> dict[str, Any]:
        return {"taskId": self.task_id, "system": self.system, "companyId": self.company_id,
                "fingerprint": self.fingerprint, "number": self.number, "outcome": self.outcome,
                "polls": self.polls, "lastStatus": self.last_status, "finishes": self.pending_polls is not None}


@dataclass
class Proposal:
    """One distinct proposal (system, company and fingerprint) and every time it arrived."""

    system: str
    company_id: str | None
    fingerprint: str
    booking_type: str
    booking_proposal: dict[str, Any]
    files: list[StoredFile]
    folder_management: dict[str, Any] | None
    task_ids: list[str] = field(default_factory=list)

    @property
    def arrivals(self) -> int:
        return len(self.task_ids)

    def summary(self, tasks: dict[str, Task]) -> dict[str, Any]:
        return {
            "system": self.system,
            "companyId": self.company_id,
            "number": self.booking_proposal.get("number"),
            "id": self.booking_proposal.get("id"),
            "bookingType": self.booking_type,
            "fingerprint": self.fingerprint,
            "files": [{"name": f.name, "sha256": f.sha256, "size": f.size, "contentType": f.content_type}
                      for f in self.files],
            "folderManagement": self.folder_management,
            "arrivals": self.arrivals,
            "created": sum(tasks[t].outcome != "FAILED" for t in self.task_ids),
            "taskIds": list(self.task_ids),
            "bookingProposal": self.booking_proposal,
        }


class ProposalStore:
    """Proposals by (system, companyId, fingerprint) and tasks by id; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proposals: dict[tuple[str, str | None, str], Proposal] = {}
        self._tasks: dict[str, Task] = {}

    def add(self, *, system: str, account_key_sha256: str, company_id: str | None, booking_type: str,
            booking_proposal: dict[str, Any], files: list[StoredFile], folder_management: dict[str, Any] | None,
            rule: TaskRule, fails: bool, stuck: bool, faults: Faults) -> Task:
        """Record one arrival and create its task (a new task id every time, as at Maesn)."""
        digest = fingerprint(booking_proposal, files)
        outcome: Outcome = rule.outcome or ("FAILED" if fails else "SUCCESS")
        number = booking_proposal.get("number")
        task = Task(
            task_id=uuid.uuid4().hex.upper(),
            system=system,
            account_key_sha256=account_key_sha256,
            company_id=company_id,
            fingerprint=digest,
            number=str(number) if number is not None else None,
            file_names=[f.name for f in files],
            outcome=outcome,
            message=rule.message,
            pending_polls=None if rule.never_finishes else (
                rule.pending_polls if rule.pending_polls is not None else faults.job_queued_polls),
            stuck=stuck,
        )
        with self._lock:
            proposal = self._proposals.setdefault(
                (system, company_id, digest),
                Proposal(system, company_id, digest, booking_type, booking_proposal, files, folder_management))
            proposal.task_ids.append(task.task_id)
            self._tasks[task.task_id] = task
        return task

    def poll(self, task_id: str, account_key_sha256: str) -> Task | None:
        """Advance a task one poll; None when there is no such task for this account key."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.account_key_sha256 != account_key_sha256:
                return None
            task.poll()
            return task

    def proposals(self, system: str | None = None) -> list[dict[str, Any]]:
        """Every distinct proposal, in order of first arrival, optionally of one system only."""
        with self._lock:
            return [p.summary(self._tasks) for p in self._proposals.values() if system in (None, p.system)]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per system: distinct proposals, arrivals (POSTs accepted) and proposals created (task not FAILED)."""
        counts: dict[str, dict[str, int]] = {}
        for p in self.proposals():
            c = counts.setdefault(p["system"], {"proposals": 0, "arrivals": 0, "created": 0})
            c["proposals"] += 1
            c["arrivals"] += p["arrivals"]
            c["created"] += p["created"]
        return counts

    def tasks(self) -> list[Task]:
        with self._lock:
            return list(self._tasks.values())

    def release_stuck(self) -> None:
        """Let the tasks the stuck_jobs knob held end as planned (the knobs were replaced)."""
        with self._lock:
            for task in self._tasks.values():
                task.stuck = False

    def clear(self) -> None:
        with self._lock:
            self._proposals.clear()
            self._tasks.clear()
