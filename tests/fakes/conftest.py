"""Fixtures for the fake-vendor tests: the d.velop fake served on an ephemeral loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from erpload.fakes.dvelop import API, DvelopFake
from erpload.fakes.serving import serve_in_thread

API_KEY = "test-key-7d41c09e"
BUCKET = "bucket-1"


@dataclass
class Dvelop:
    """A served d.velop fake and an authenticated httpx client pointed at it."""

    fake: DvelopFake
    url: str
    client: httpx.Client

    def post_batch(self, entity: str, records: list[dict[str, Any]], bucket: str = BUCKET) -> httpx.Response:
        return self.client.post(f"{API}/buckets/{bucket}/{entity}/batch", json={entity: records})

    def put(self, entity: str, record: dict[str, Any], bucket: str = BUCKET) -> httpx.Response:
        return self.client.put(f"{API}/buckets/{bucket}/{entity}", json=record)

    def job_id(self, response: httpx.Response) -> str:
        assert response.status_code == 200, response.text
        jobs = response.json()["jobs"]
        assert len(jobs) == 1
        return str(jobs[0]["job_id"])

    def poll(self, job_id: str) -> str:
        response = self.client.get(f"{API}/masterdata/import_jobs/{job_id}", headers={"Accept": "application/json"})
        assert response.status_code == 200, response.text
        assert response.json()["job_id"] == job_id
        return str(response.json()["status"])

    def poll_until_done(self, job_id: str, max_polls: int = 10) -> str:
        for _ in range(max_polls):
            status = self.poll(job_id)
            if status != "queued":
                return status
        raise AssertionError(f"job {job_id} still queued after {max_polls} polls")

    def state(self, entity: str, bucket: str = BUCKET) -> list[dict[str, Any]]:
        response = self.client.get(f"/_fake/state/{bucket}/{entity}")
        assert response.status_code == 200, response.text
        return list(response.json()["records"])

    def requests(self, **params: str) -> list[dict[str, Any]]:
        response = self.client.get("/_fake/requests", params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["requests"])


@contextmanager
def serve_dvelop(fake: DvelopFake) -> Iterator[Dvelop]:
    """Serve `fake` on an ephemeral port with a client that sends the test API key."""
    with (
        serve_in_thread(fake.app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10) as client,
    ):
        yield Dvelop(fake, url, client)


@pytest.fixture(scope="module")
def served_dvelop() -> Iterator[Dvelop]:
    """One d.velop fake per test module (no PUT rate limit); `dvelop` resets it for each test."""
    with serve_dvelop(DvelopFake(API_KEY, put_rate_limit=None)) as served:
        yield served


@pytest.fixture
def dvelop(served_dvelop: Dvelop) -> Dvelop:
    served_dvelop.fake.reset()
    return served_dvelop
