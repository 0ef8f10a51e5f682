"""The d.velop sender for the push framework: one import job per batch, polled until it is final."""

from __future__ import annotations

import duckdb

from erpload.destinations.dvelop.client import JOB_QUEUED, JOB_SUCCESSFUL, DvelopClient
from erpload.destinations.dvelop.config import DvelopSettings
from erpload.destinations.dvelop.entities import PUSH_ORDER
from erpload.push.http import VendorRefused
from erpload.push.pusher import Batch, Outgoing, Refusal

ENTITIES = PUSH_ORDER


def refusals(exc: VendorRefused, records: list[Outgoing]) -> list[Refusal]:
    """The records a 422 names (one entry per problem); empty when the answer names no record of the batch,
    which makes the refusal a contract error, not a data error."""
    body = exc.body if isinstance(exc.body, dict) else {}
    errors = body.get("errors") if exc.status == 422 else None
    if not isinstance(errors, list) or not errors:
        return []
    out = []
    for error in errors:
        index = error.get("record") if isinstance(error, dict) else None
        if index is None and len(records) == 1:
            index = 0  # the single PUT answers without an index
        if not isinstance(index, int) or not 0 <= index < len(records):
            return []
        out.append(Refusal(records[index].key, error.get("field"), str(error.get("message") or "refused")))
    return out


class DvelopSender:
    target = "dvelop"
    entities: tuple[str, ...] = ENTITIES
    #: d.velop upserts by id: a batch that arrives twice leaves the same data
    create_only = False
    #: one import job at a time: d.velop documents no limit on parallel jobs, and one is fast enough (bench/)
    concurrency = 1

    def __init__(self, settings: DvelopSettings) -> None:
        self.settings = settings
        self.client = DvelopClient(settings)
        self.batch_size = settings.batch_size

    def scope(self, entity: str) -> str:
        return f"{self.settings.base_url} bucket={self.settings.bucket_id}"

    def start(self, con: duckdb.DuckDBPyConnection) -> None:
        """Nothing to read from staging: the payload is the record."""

    def close(self) -> None:
        self.client.close()

    def refusals(self, exc: VendorRefused, records: list[Outgoing]) -> list[Refusal]:
        return refusals(exc, records)

    def traffic(self) -> str | None:
        return self.client.traffic() if self.client.requests else None

    def send(self, entity: str, batch: Batch) -> None:
        while batch.records:
            try:
                job_id = self.client.post_batch(entity, [r.payload for r in batch.records], safe=not self.create_only)
            except VendorRefused as exc:
                refused = refusals(exc, batch.records)
                if not refused:
                    raise
                # d.velop refuses a batch with a bad record whole: set those aside, send the rest again
                batch.refused(refused)
                continue
            batch.sent(job_id)
            status = self.client.wait_for_job(job_id)
            if status == JOB_SUCCESSFUL:
                batch.acknowledged(f"import job {job_id} successful")
            elif status == JOB_QUEUED:
                batch.unconfirmed(f"import job {job_id} still queued after {self.settings.job_timeout_s:g} s "
                                  "(destination.dvelop.job_timeout_s)")
            else:
                batch.failed(f"import job {job_id} {status}")
            return

    def resolve(self, vendor_ref: str) -> bool | None:
        try:
            status = self.client.job_status(vendor_ref)
        except VendorRefused:  # 404: d.velop no longer knows the job: failed, so its records are sent again
            return False
        if status == JOB_QUEUED:
            return None
        return status == JOB_SUCCESSFUL

    def send_one(self, entity: str, record: Outgoing) -> str:
        answer = self.client.put(entity, record.payload)
        status = answer.get("status") if isinstance(answer, dict) else None
        return f"PUT {status or 'done'}"
