"""The demo's Papershift: the fake holds the demo ERP's DATEV integrations and the employees Papershift knows.

In the demo ERP, a company's Papershift integration and the employees Papershift syncs documents for are
`external_reference` rows with system_code 'papershift'. Each such company becomes an integration of the fake,
its employees' personnel numbers the integration's employee numbers, plus one number the ERP does not know.
DATEV has no documents for that one (the fake's syncs end `succeeded_partially` with its items failed), so the
demo shows how a push reports an employee the ERP cannot name and documents that could not be fetched.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx

#: the personnel number only Papershift has (the demo ERP numbers its employees from 1)
UNKNOWN_TO_ERP = 99001


def demo_settings(fake_url: str | None) -> dict[str, str]:
    """The fake learns the demo ERP's integrations and employees; a push looks at a sync every 0.2 s."""
    if fake_url is None:
        return {}
    from erpload.settings import load_settings

    erp = load_settings().demo_erp_path
    if not erp.exists():
        return {}
    seed_fake(fake_url, erp)
    httpx.put(f"{fake_url}/_fake/plan", json={"outcome": "succeeded_partially", "failing_employees": [UNKNOWN_TO_ERP]},
              timeout=30).raise_for_status()
    return {"DESTINATION__PAPERSHIFT__POLL_INTERVAL_S": "0.2"}


def demo_notes(rel: Path) -> list[str]:
    """Where the demo's Papershift syncs are staged."""
    return ["Papershift's DATEV document syncs, followed to their end, each item beside the ERP's employee:",
            f'  duckdb {rel} "select company_code, status, notice, items, failed_items from papershift.syncs"',
            f'  duckdb {rel} "select company_code, employee_number, employee_name, period, notice '
            "from papershift.sync_items where status = 'failed'\""]


def integrations_of(erp: Path) -> list[dict[str, Any]]:
    """The demo ERP's companies with a Papershift integration, as `{"id", "name", "employee_numbers"}`."""
    con = sqlite3.connect(f"file:{erp}?mode=ro", uri=True)
    try:
        companies = con.execute("""SELECT c.company_id, c.name, r.external_id FROM company c
                                   JOIN external_reference r ON r.object_type = 'company'
                                    AND r.object_id = c.company_id AND r.system_code = 'papershift'
                                   ORDER BY c.company_id""").fetchall()
        found = []
        for company_id, name, integration_id in companies:
            numbers = con.execute("""SELECT e.personnel_no FROM employee e
                                     JOIN external_reference r ON r.object_type = 'employee'
                                      AND r.object_id = e.employee_id AND r.system_code = 'papershift'
                                     WHERE e.company_id = ?""", (company_id,)).fetchall()
            known = sorted({int(n) for (n,) in numbers if str(n).strip().isdigit() and int(n) > 0})
            found.append({"id": str(integration_id), "name": str(name),
                          "employee_numbers": [*known, UNKNOWN_TO_ERP] if known else []})
        return found
    finally:
        con.close()


def seed_fake(fake_url: str, erp: Path) -> list[str]:
    """Give the fake the demo ERP's integrations (`PUT /_fake/integrations/{id}`); returns their ids."""
    integrations = integrations_of(erp)
    for integration in integrations:
        httpx.put(f"{fake_url}/_fake/integrations/{integration['id']}",
                  json={"name": integration["name"], "employee_numbers": integration["employee_numbers"]},
                  timeout=30).raise_for_status()
    return [str(i["id"]) for i in integrations]
