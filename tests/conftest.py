from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from erpload.sources.demo_erp import create_demo_erp
from tests.utils import Prepared, Workspace, dlt_settings_kept

if TYPE_CHECKING:
    from tests.maesn.support import Maesn

# Small enough for a fast suite, big enough that every table and every named fault is present.
TEST_SCALE = 0.3
TEST_SEED = 7


@pytest.fixture(scope="session")
def demo_erp_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo ERP, generated once per session; tests work on copies."""
    path = tmp_path_factory.mktemp("erp") / "demo_erp.sqlite"
    create_demo_erp(path, seed=TEST_SEED, scale=TEST_SCALE)
    return path


@pytest.fixture
def workspace(tmp_path: Path, demo_erp_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A fresh project dir with its own copy of the demo ERP; the test runs inside it."""
    erp_path = tmp_path / "demo_erp.sqlite"
    shutil.copyfile(demo_erp_template, erp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ERPLOAD__DEMO_ERP", str(erp_path))
    monkeypatch.delenv("SOURCES__ERP__CREDENTIALS", raising=False)
    return Workspace(root=tmp_path, erp_path=erp_path)


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory, demo_erp_template: Path) -> Prepared:
    """Demo projects after a sequence of commands (extract, map, transform), built once per session and worker;
    `prepared.into(workspace, ...)` gives a test its own copy instead of running the commands again."""
    return Prepared(tmp_path_factory, demo_erp_template)


@pytest.fixture(scope="module")
def maesn_served() -> Iterator[Maesn]:
    """The Maesn fake on loopback, once per test module (its tests reset it through `maesn`)."""
    from tests.maesn.support import maesn_fake, serve_maesn

    with serve_maesn(maesn_fake()) as served:
        yield served


@pytest.fixture
def maesn(maesn_served: Maesn) -> Maesn:
    maesn_served.fake.reset()
    return maesn_served


@pytest.fixture(autouse=True)
def secrets_forgotten_after_each_test() -> Iterator[None]:
    """A secret a test's settings registered (erpload.redact masks it for the rest of the process) is forgotten
    after it: one test's password 'secret' must not mask the word in another test's messages."""
    from erpload import redact

    kept = set(redact._known_secrets)
    yield
    redact._known_secrets.clear()
    redact._known_secrets.update(kept)


@pytest.fixture
def dlt_settings() -> Iterator[None]:
    """This test's `.dlt/` files may be read again (tests.utils.reread_dlt_folder); what the process read before is
    back afterwards."""
    with dlt_settings_kept():
        yield
