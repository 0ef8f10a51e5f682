"""The contract suite's harness: the demo ERP transformed once per session, a small copy of it per test, and the
vendor case's fake served on loopback with the environment pointing erpload at it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from erpload.transforms.maesn.demo import demo_environment
from tests.contract.cases import CASES, MaesnCase, VendorCase, make_case
from tests.contract.maesn_systems import five_systems  # noqa: F401 (a fixture of several modules)
from tests.push.conftest import dvelop, vendors_workspace  # noqa: F401 (the d.velop-only tests' fixtures)
from tests.utils import Prepared, Workspace


@pytest.fixture(scope="session")
def transformed_staging(tmp_path_factory: pytest.TempPathFactory, prepared: Prepared) -> Path:
    """extract → map → transform dvelop → transform maesn (the demo's five systems) on the demo ERP, once (the
    extract and map shared with the session's other prepared projects)."""
    root = tmp_path_factory.mktemp("contract")
    ws = Workspace(root=root, erp_path=root / "demo_erp.sqlite")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in demo_environment().items():  # the Maesn systems' mappings, read by its transform
            mp.setenv(name, value)
        prepared.into(ws, ("extract",), ("map",), ("transform", "dvelop"), ("transform", "maesn"))
    return ws.staging


@pytest.fixture(params=CASES)
def vendor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[VendorCase]:
    """The case's fake, served; the environment points erpload at it."""
    case = make_case(request.param)
    with case.served():
        for name, value in case.env.items():
            monkeypatch.setenv(name, value)
        yield case


@pytest.fixture
def ws(vendor: VendorCase, transformed_staging: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A project of the test's own holding a few of the case's transformed records."""
    monkeypatch.chdir(tmp_path)
    workspace = Workspace(root=tmp_path, erp_path=tmp_path / "unused.sqlite")
    shutil.copyfile(transformed_staging, workspace.staging)
    with duckdb.connect(str(workspace.staging)) as con:
        vendor.prune(con)
        con.execute("DELETE FROM erpload.rejects")  # the transforms' own: each test counts the push's
    if isinstance(vendor, MaesnCase):
        vendor.remember(workspace)
    return workspace


#: run for every case by default: where the systems differ (payloads, refusals, the async endpoint or the plain
#: one). The rest runs by default for d.velop and DATEV UO, for the other Maesn systems under `slow` (the suite's
#: share of the default run stays near a minute on a 2-core machine)
EVERY_CASE = ("test_happy_path_the_vendor_holds_exactly_our_records_each_once",
              "test_a_record_the_vendor_refuses_becomes_a_reject_naming_the_field")
DEFAULT_CASES = ("dvelop", "maesn-datev_uo")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("vendor") if callspec else None
        if case and case not in DEFAULT_CASES and getattr(item, "originalname", "") not in EVERY_CASE:
            item.add_marker(pytest.mark.slow)
