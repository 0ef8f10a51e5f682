"""The Papershift target against its fake over loopback HTTP: one fake per module, reset and given the demo ERP's
integrations before each test; each test its own copy of a demo project after extract, map, transform."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from erpload.fakes.faults import Faults
from erpload.fakes.papershift import DEMO_EMAIL, DEMO_PASSWORD, PapershiftFake, PulsePlan, User
from erpload.fakes.serving import serve_in_thread
from erpload.transforms.papershift.demo import seed_fake
from tests.utils import Prepared, Workspace

PREPARED = (("extract",), ("map",), ("transform", "papershift"))
#: a password long enough to be registered as a secret, so a leak would be found
PASSWORD = "pulse-test-password-" + DEMO_PASSWORD


@dataclass
class Pulse:
    """The served fake, and what the tests ask of it."""

    fake: PapershiftFake
    url: str
    integrations: list[str]

    def plan(self, **knobs: Any) -> None:
        self.fake.set_plan(PulsePlan(**knobs))

    def faults(self, **knobs: Any) -> None:
        self.fake.set_faults(Faults(**knobs))

    def syncs(self, integration_id: str | None = None) -> list[dict[str, Any]]:
        return self.fake.syncs(integration_id)

    def requests(self, method: str | None = None, path: str = "/api/") -> list[Any]:
        return self.fake.log.records(path_prefix=path, method=method)

    def creates(self) -> list[Any]:
        return [r for r in self.requests("POST") if r.path.endswith("/datev_document_syncs")]

    def env(self) -> dict[str, str]:
        return {"DESTINATION__PAPERSHIFT__BASE_URL": self.url, "DESTINATION__PAPERSHIFT__EMAIL": DEMO_EMAIL,
                "DESTINATION__PAPERSHIFT__PASSWORD": PASSWORD,
                "DESTINATION__PAPERSHIFT__POLL_INTERVAL_S": "0.01",
                # back-offs of 20 ms, not the default 1 s: the tests count them, they need not sit through them
                "DESTINATION__PAPERSHIFT__MIN_BACKOFF_S": "0.02"}


@pytest.fixture(scope="module")
def pulse_served() -> Iterator[tuple[PapershiftFake, str]]:
    fake = PapershiftFake(users=[User(email=DEMO_EMAIL, password=PASSWORD)], integrations=[])
    with serve_in_thread(fake.app) as url:
        yield fake, url


@pytest.fixture
def ws(workspace: Workspace, prepared: Prepared) -> Workspace:
    return prepared.into(workspace, *PREPARED)


@pytest.fixture
def pulse(pulse_served: tuple[PapershiftFake, str], ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Pulse:
    """The fake, forgetting everything, holding the demo ERP's integrations; erpload pointed at it."""
    fake, url = pulse_served
    fake.reset()
    served = Pulse(fake, url, seed_fake(url, ws.erp_path))
    fake.log.clear()
    for name, value in served.env().items():
        monkeypatch.setenv(name, value)
    return served


