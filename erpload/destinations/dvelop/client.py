"""The d.velop smart invoice master-data API (paths and bodies from the vendor's page, see the fake)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from erpload import interrupts
from erpload.destinations.dvelop.config import DvelopSettings
from erpload.interrupts import Interrupted
from erpload.push.http import RetryPolicy, VendorClient, VendorUnavailable

SECTION = "destination.dvelop"
API = "/smartinvoice/api/v1"
#: the job states d.velop documents; `queued` is the only one that is not final
JOB_QUEUED, JOB_SUCCESSFUL, JOB_FAILED = "queued", "successful", "failed"


class DvelopClient(VendorClient):
    def __init__(self, settings: DvelopSettings, *, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = interrupts.sleep) -> None:
        super().__init__("d.velop", settings.base_url,
                         {"Authorization": f"Bearer {settings.api_key}", "Accept": "application/json"},
                         policy=policy or settings.retry, sleep=sleep, section=SECTION,
                         auth_hint="check destination.dvelop.api_key (.dlt/secrets.toml or "
                                   "DESTINATION__DVELOP__API_KEY): a d.velop API key with rights on the bucket")
        self.settings = settings

    def _bucket(self, entity: str) -> str:
        return f"{API}/buckets/{self.settings.bucket_id}/{entity}"

    def post_batch(self, entity: str, records_json: list[str], *, safe: bool = True) -> str:
        """Start one import job for `records_json` (each a JSON object); returns the job id.

        Safe to repeat: d.velop upserts by id, so a batch sent twice leaves the same data. (`safe=False` treats
        it as a create: a lost answer raises `OutcomeUnknown` instead of sending it again.)
        """
        body = ('{"' + entity + '":[' + ",".join(records_json) + "]}").encode()
        response = self.request("POST", f"{self._bucket(entity)}/batch", safe=safe, content=body,
                                headers={"Content-Type": "application/json"})
        jobs = response.json().get("jobs") or []
        if len(jobs) != 1 or not jobs[0].get("job_id"):
            raise VendorUnavailable(f"{self.who} answered a batch of {entity} without one job id: {jobs!r}",
                                    hint="the API changed or the base_url points elsewhere")
        return str(jobs[0]["job_id"])

    def job_status(self, job_id: str, *, max_wait_s: float | None = None) -> str:
        """The job's status now (one status poll, retried under the policy within `max_wait_s`)."""
        self.count_poll()
        response = self.request("GET", f"{API}/masterdata/import_jobs/{job_id}", safe=True, max_wait_s=max_wait_s)
        return str(response.json()["status"])

    def wait_for_job(self, job_id: str, timeout_s: float | None = None) -> str:
        """Poll every `poll_interval_s` until the job is no longer queued; returns `successful`, `failed`, or
        `queued` when it is still queued at the deadline (the push goes on; a later one asks again).

        Bounded by `timeout_s` (default `job_timeout_s`), the polls' own retries included: the last poll is made
        at the deadline."""
        timeout = self.settings.job_timeout_s if timeout_s is None else timeout_s
        started = time.monotonic()
        while True:
            status = self.job_status(job_id, max_wait_s=max(timeout - (time.monotonic() - started), 0.0))
            left = timeout - (time.monotonic() - started)
            if status != JOB_QUEUED or left <= 0:
                return status
            try:
                self.pause_between_polls(min(self.settings.poll_interval_s, left))
            except Interrupted:
                # stop waiting, after one last look; a job still queued stays `sent` in the ledger and the next
                # push asks for it before it sends its records again
                if (status := self.job_status(job_id)) != JOB_QUEUED:
                    return status
                raise

    def put(self, entity: str, record_json: str) -> Any:
        """Upsert one record synchronously (201); the documented use is one record a user just changed."""
        response = self.request("PUT", self._bucket(entity), safe=True, content=record_json.encode(),
                                headers={"Content-Type": "application/json"})
        return json.loads(response.content or b"null")
