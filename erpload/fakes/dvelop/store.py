"""What the d.velop fake holds: master-data records per bucket and entity, and import jobs.

The fake decides a batch's outcome when it accepts the batch: a job that is to succeed has its
records upserted at once, a job that is to fail changes nothing. The job's status only reveals
the outcome after it has been `queued` for a while. No client can tell the difference (the API
has no read endpoint for master data), and it keeps the fake deterministic: a batch whose
response was lost on the wire (the drop knob) is in the bucket even though nobody polls its job.
"""

from __future__ import annotations

import collections
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from erpload.fakes.dvelop.models import Entity
from erpload.fakes.faults import Faults

RecordKey = tuple[Any, ...]
JobStatus = Literal["queued", "successful", "failed"]  # the documented set: there is no "running"


def record_key(entity: Entity, record: dict[str, Any]) -> RecordKey:
    """The values a record is upserted by; an absent optional company_id is None (all companies)."""
    return tuple(record.get(name) for name in entity.key)


@dataclass
class ImportJob:
    """One batch import job. `poll()` is what `GET .../import_jobs/{job_id}` answers."""

    job_id: str
    bucket_id: str
    entity: str
    records: int
    body_sha256: str
    outcome: Literal["successful", "failed"]
    reason: str | None
    queued_polls: int
    queued_seconds: float | None
    keys: list[str] = field(default_factory=list)  # the records' keys, joined with '/' (as in `applied`)
    stuck: bool = False  # `queued` until released (the stuck_jobs knob)
    created: float = field(default_factory=time.monotonic)
    polls: int = 0
    last_status: JobStatus | None = None

    def poll(self) -> JobStatus:
        """Count a poll and return the status it sees: `queued` for the first `queued_polls` polls
        (or until `queued_seconds` after creation, when set), the outcome from then on."""
        self.polls += 1
        if self.stuck:
            done = False
        elif self.queued_seconds is not None:
            done = time.monotonic() - self.created >= self.queued_seconds
        else:
            done = self.polls > self.queued_polls
        self.last_status = self.outcome if done else "queued"
        return self.last_status

    def summary(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "bucket_id": self.bucket_id,
            "entity": self.entity,
            "records": self.records,
            "keys": self.keys,
            "body_sha256": self.body_sha256,
            "outcome": self.outcome,
            "reason": self.reason,
            "polls": self.polls,
            "last_status": self.last_status,
        }


class MasterDataStore:
    """Records per (bucket, entity), upserted by the entity's key, and the import jobs; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], dict[RecordKey, dict[str, Any]]] = {}
        # how often each record was applied: proves that nothing acknowledged arrived twice
        self._applied: dict[tuple[str, str], collections.Counter[RecordKey]] = {}
        self._jobs: dict[str, ImportJob] = {}

    def upsert(self, bucket_id: str, entity: Entity, records: list[dict[str, Any]]) -> None:
        """Insert or replace each record (whole) under its key; a later record with the same key wins."""
        with self._lock:
            table = self._records.setdefault((bucket_id, entity.name), {})
            applied = self._applied.setdefault((bucket_id, entity.name), collections.Counter())
            for record in records:
                key = record_key(entity, record)
                table[key] = record
                applied[key] += 1

    def applied(self, bucket_id: str, entity: Entity) -> dict[str, int]:
        """Key (its values joined with '/') → how many times a batch or PUT applied that record."""
        with self._lock:
            counts: dict[RecordKey, int] = dict(self._applied.get((bucket_id, entity.name), {}))
        return {"/".join("" if v is None else str(v) for v in key): n for key, n in counts.items()}

    def records(self, bucket_id: str, entity: Entity) -> list[dict[str, Any]]:
        """The records held, ordered by key (None first)."""
        with self._lock:
            table = dict(self._records.get((bucket_id, entity.name), {}))
        return [table[k] for k in sorted(table, key=lambda k: tuple((v is not None, str(v)) for v in k))]

    def line_owners(self, bucket_id: str, entity: Entity) -> dict[str, RecordKey]:
        """line_items[].id → key of the record holding that line, over the bucket's records of `entity`."""
        with self._lock:
            table = dict(self._records.get((bucket_id, entity.name), {}))
        return {line["id"]: key for key, record in table.items() for line in record.get("line_items") or []}

    def add_job(
        self,
        *,
        bucket_id: str,
        entity: Entity,
        records: int,
        body_sha256: str,
        fails: bool,
        faults: Faults,
        keys: list[str] | None = None,
        stuck: bool = False,
    ) -> ImportJob:
        """Create a job with the pacing knobs in force now; `fails` fixes its outcome, `stuck` keeps it queued
        until `release_stuck`."""
        job = ImportJob(
            job_id=str(uuid.uuid4()),
            bucket_id=bucket_id,
            entity=entity.name,
            records=records,
            body_sha256=body_sha256,
            outcome="failed" if fails else "successful",
            reason="failed by the fake's fault knobs (fail_jobs / fail_job_fraction)" if fails else None,
            queued_polls=faults.job_queued_polls,
            queued_seconds=faults.job_queued_seconds,
            keys=keys or [],
            stuck=stuck,
        )
        with self._lock:
            self._jobs[job.job_id] = job
        return job

    def poll_job(self, job_id: str) -> ImportJob | None:
        """Poll a job (see `ImportJob.poll`); None when there is no such job."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                job.poll()
            return job

    def release_stuck(self) -> None:
        """Stuck jobs end as they would have (from their next poll on)."""
        with self._lock:
            for job in self._jobs.values():
                if job.stuck:
                    job.stuck = False
                    job.queued_polls = min(job.queued_polls, job.polls)

    def jobs(self) -> list[ImportJob]:
        """All jobs, oldest first (polls are not counted)."""
        with self._lock:
            return list(self._jobs.values())

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._applied.clear()
            self._jobs.clear()
