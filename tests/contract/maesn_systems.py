"""Maesn with all five systems connected, for the tests that push them together: the fake served, the environment
pointing erpload at it, a project with a few proposals of each system, and what the fake holds of them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from erpload.fakes.maesn import MaesnFake
from erpload.fakes.serving import serve_in_thread
from erpload.push.pusher import payload_sql
from tests.contract.cases import MAESN_ACCOUNTS, MAESN_COMPANIES, MAESN_KEY, MAESN_SYSTEMS, canonical
from tests.utils import Workspace

PER_SYSTEM = 6


@pytest.fixture
def five_systems(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MaesnFake, dict[str, str]]]:
    """The Maesn fake with all five systems connected, and the environment pointing erpload at it."""
    fake = MaesnFake(MAESN_KEY, account_keys=MAESN_ACCOUNTS, companies={s: {c} for s, c in MAESN_COMPANIES.items()})
    with serve_in_thread(fake.app) as url:
        env = {"DESTINATION__MAESN__BASE_URL": url, "DESTINATION__MAESN__API_KEY": MAESN_KEY,
               "DESTINATION__MAESN__POLL_INTERVAL_S": "0.01", "DESTINATION__MAESN__RATE_LIMIT_PER_S": "1000",
               "RUNTIME__LOG_LEVEL": "WARNING"}
        for system in MAESN_SYSTEMS:
            env[f"DESTINATION__MAESN__{system.upper()}__ACCOUNT_KEY"] = MAESN_ACCOUNTS[system]
            if system in MAESN_COMPANIES:
                env[f"DESTINATION__MAESN__{system.upper()}__COMPANY_ID"] = MAESN_COMPANIES[system]
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield fake, env


def workspace(root: Path, transformed: Path) -> tuple[Workspace, dict[str, tuple[str, str]]]:
    """A project with `PER_SYSTEM` proposals of each system; canonical bookingProposal → (system, key)."""
    root.mkdir()
    ws = Workspace(root=root, erp_path=root / "unused.sqlite")
    shutil.copyfile(transformed, ws.staging)
    ours = {}
    with duckdb.connect(str(ws.staging)) as con:
        for system in MAESN_SYSTEMS:
            con.execute(f"""DELETE FROM maesn.{system} WHERE _key NOT IN (
                                SELECT _key FROM maesn.{system} ORDER BY _key LIMIT {PER_SYSTEM})""")
            for key, payload in con.execute(f"SELECT _key, payload FROM ({payload_sql(con, 'maesn', system)})"
                                            ).fetchall():
                ours[canonical(json.loads(payload)["booking_proposal"])] = (system, str(key))
    return ws, ours


def arrivals(fake: MaesnFake, ours: dict[str, tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(system, key) → how often the proposal arrived, by what the fake's inspection lists."""
    return {ours[canonical(p["bookingProposal"])]: p["arrivals"] for p in fake.proposals()}
