"""The Kombo target's tests share one served fake and one project (extract and map of the demo ERP, its Kombo
integrations put into the fake the way the demo does), per package: each test resets the fake's knobs and
journal, and tells its pushes apart by their run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from erpload.fakes.kombo import KomboFake, KomboPlan
from erpload.fakes.serving import serve_in_thread
from erpload.transforms.kombo.demo import seed_fake
from tests.utils import CliResult, Prepared, Workspace

API_KEY = "test-kombo-key-7f3e2a9c41"


@dataclass
class KomboProject:
    ws: Workspace
    fake: KomboFake
    url: str

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def integration(self, company: str) -> str:
        return str(self.ws.scalar("SELECT kombo_integration_id FROM erp.companies WHERE company_code = ?",
                                  [company]))

    def last_run(self) -> str:
        return str(self.ws.scalar("SELECT run_id FROM runs WHERE command = 'push kombo' "
                                  "ORDER BY finished_at DESC LIMIT 1"))


def said(result: CliResult) -> str:
    """The command's output with the console's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture(scope="package")
def kombo_project(tmp_path_factory: pytest.TempPathFactory, demo_erp_template: Path,
                  prepared: Prepared) -> Iterator[KomboProject]:
    fake = KomboFake(API_KEY, integrations=[])
    root = tmp_path_factory.mktemp("kombo")
    erp_path = root / "demo_erp.sqlite"
    shutil.copyfile(demo_erp_template, erp_path)
    with serve_in_thread(fake.app) as url, pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv("ERPLOAD__DEMO_ERP", str(erp_path))
        mp.delenv("SOURCES__ERP__CREDENTIALS", raising=False)
        mp.setenv("DESTINATION__KOMBO__BASE_URL", url + "/v1")
        mp.setenv("DESTINATION__KOMBO__API_KEY", API_KEY)
        ws = prepared.into(Workspace(root=root, erp_path=erp_path), ("extract",), ("map",))
        result = ws.cli("transform", "kombo")
        assert result.exit_code == 0, result.output
        yield KomboProject(ws, fake, url)


@pytest.fixture
def kombo(kombo_project: KomboProject) -> KomboProject:
    """The project, with the fake as the demo leaves it: no knobs, an empty journal."""
    kombo_project.fake.reset()
    kombo_project.fake.set_plan(KomboPlan())
    seed_fake(kombo_project.url, kombo_project.ws.erp_path)
    return kombo_project
