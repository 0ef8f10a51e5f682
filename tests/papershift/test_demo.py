"""The demo's Papershift: the fake learns the demo ERP's integrations and the employees Papershift knows, and its
syncs end partially for the one personnel number the ERP does not know."""

from __future__ import annotations

from pathlib import Path

from erpload.fakes.papershift import PapershiftFake, SyncStatus
from erpload.transforms.papershift.demo import UNKNOWN_TO_ERP, demo_notes, demo_settings
from tests.utils import Workspace


def test_the_demo_fake_holds_the_demo_erps_integrations_and_employees(
        workspace: Workspace, pulse_served: tuple[PapershiftFake, str]) -> None:
    fake, url = pulse_served
    fake.reset()
    settings = demo_settings(url)
    assert settings == {"DESTINATION__PAPERSHIFT__POLL_INTERVAL_S": "0.2"}
    expected = workspace.erp("""select r.external_id, e.personnel_no from external_reference r
                                join company c on r.object_type = 'company' and r.system_code = 'papershift'
                                 and r.object_id = c.company_id
                                join employee e on e.company_id = c.company_id
                                join external_reference p on p.object_type = 'employee' and p.object_id = e.employee_id
                                 and p.system_code = 'papershift'""")
    numbers: dict[str, list[int]] = {}
    for integration, personnel_no in expected:
        numbers.setdefault(str(integration), []).append(int(str(personnel_no)))
    assert len(numbers) > 1
    assert {i["id"]: i["employee_numbers"] for i in fake.integrations()} == \
        {k: [*sorted(v), UNKNOWN_TO_ERP] for k, v in numbers.items()}
    assert fake.plan.outcome is SyncStatus.SUCCEEDED_PARTIALLY
    assert fake.plan.failing_employees == [UNKNOWN_TO_ERP]
    assert any("papershift.sync_items" in line for line in demo_notes(Path("erpload.duckdb")))


def test_without_a_fake_the_demo_adds_nothing(workspace: Workspace) -> None:
    assert demo_settings(None) == {}
