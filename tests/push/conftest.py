"""Push tests: the real CLI against a loopback fake on an ephemeral port, real HTTP, real DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from erpload.fakes.dvelop import DvelopFake
from erpload.fakes.faults import Faults
from erpload.fakes.serving import serve_in_thread
from tests.support.dvelop_records import write_vendors
from tests.utils import Workspace

API_KEY = "test-dvelop-key-7Qw9"
BUCKET = "bucket-test"


@dataclass
class DvelopCase:
    """The d.velop fake, served, and the environment that points erpload at it."""

    fake: DvelopFake
    base_url: str
    env: dict[str, str]

    def state(self, entity: str) -> dict[str, Any]:
        response = httpx.get(f"{self.base_url}/_fake/state/{BUCKET}/{entity}")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    def requests(self, path_prefix: str = "/smartinvoice", method: str | None = None) -> list[dict[str, Any]]:
        params = {"path_prefix": path_prefix, **({"method": method} if method else {})}
        requests: list[dict[str, Any]] = httpx.get(f"{self.base_url}/_fake/requests", params=params).json()["requests"]
        return requests

    def batches(self) -> list[dict[str, Any]]:
        return [r for r in self.requests(method="POST") if r["path"].endswith("/batch")]

    def set_faults(self, **knobs: Any) -> None:
        httpx.put(f"{self.base_url}/_fake/faults", json=Faults(**knobs).model_dump()).raise_for_status()


@pytest.fixture
def dvelop(monkeypatch: pytest.MonkeyPatch) -> Iterator[DvelopCase]:
    fake = DvelopFake(API_KEY, put_rate_limit=5, put_rate_window=1.0)
    with serve_in_thread(fake.app) as base_url:
        env = {
            "DESTINATION__DVELOP__BASE_URL": base_url,
            "DESTINATION__DVELOP__BUCKET_ID": BUCKET,
            "DESTINATION__DVELOP__API_KEY": API_KEY,
            "DESTINATION__DVELOP__BATCH_SIZE": "8",
            "DESTINATION__DVELOP__POLL_INTERVAL_S": "0.01",
            # back-offs of 20 ms, not the default 1 s: the tests count them, they need not sit through them
            "DESTINATION__DVELOP__MIN_BACKOFF_S": "0.02",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield DvelopCase(fake, base_url, env)


@pytest.fixture
def vendors_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A staging file whose dvelop dataset holds 30 vendors with a bank account each."""
    monkeypatch.chdir(tmp_path)
    with duckdb.connect(str(tmp_path / "erpload.duckdb")) as con:
        write_vendors(con, 30)
    return Workspace(root=tmp_path, erp_path=tmp_path / "unused.sqlite")
