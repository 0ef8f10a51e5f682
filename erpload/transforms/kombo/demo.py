"""The demo's Kombo: the fake holds the demo ERP's Kombo integrations with their employees, as Kombo reads
them from the HR system.

One `PUT /_fake/integrations/{id}` per company with a Kombo reference (`external_reference`, system `kombo`),
with the company's DATEV consultant and client numbers and its employees (deleted ones left out; those who have
left sent as inactive, so the fake warns about them). The HR system also holds one employee the ERP does not
know, so the demo's push shows how a difference between the files and the ERP is reported.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import httpx

#: the employee only the HR system has (in the first integration): a personnel number the demo ERP never uses
UNKNOWN_TO_ERP = {"personnel_no": "99901", "first_name": "Nora", "last_name": "Unbekannt", "active": True,
                  "monthly_salary": "3000.00"}


def demo_settings(fake_url: str | None) -> dict[str, str]:
    """The fake learns the demo ERP's integrations and employees; the fake's own env names the key."""
    if fake_url is None:
        return {}
    from erpload.settings import load_settings

    erp = load_settings().demo_erp_path
    if erp.exists():
        seed_fake(fake_url, erp)
    return {}


def integrations_of(erp: Path, today: date | None = None) -> dict[str, dict[str, Any]]:
    """The demo ERP's Kombo integrations as the fake's `IntegrationData` bodies, by integration id."""
    today = today or date.today()
    con = sqlite3.connect(f"file:{erp}?mode=ro", uri=True)
    try:
        companies = con.execute("""SELECT c.company_id, c.name, c.datev_consultant_no, c.datev_client_no,
                                          r.external_id FROM company c
                                   JOIN external_reference r ON r.object_type = 'company'
                                    AND r.object_id = c.company_id AND r.system_code = 'kombo'
                                   ORDER BY c.company_code""").fetchall()
        found: dict[str, dict[str, Any]] = {}
        for company_id, name, consultant, client, integration_id in companies:
            employees = con.execute("""SELECT personnel_no, first_name, last_name, termination_date, monthly_salary
                                       FROM employee WHERE company_id = ? AND is_deleted = 0
                                       ORDER BY personnel_no""", (company_id,)).fetchall()
            body: dict[str, Any] = {"name": str(name), "employees": [
                {"personnel_no": str(p), "first_name": str(f), "last_name": str(last),
                 "active": ended is None or str(ended)[:10] >= today.isoformat(),
                 "monthly_salary": None if salary is None else str(salary)}
                for p, f, last, ended, salary in employees]}
            if consultant is not None and 1001 <= int(consultant) <= 9999999:
                body["consultant_no"] = int(consultant)
            if client is not None and 1 <= int(client) <= 99999:
                body["client_no"] = int(client)
            found[str(integration_id)] = body
        if found:
            next(iter(found.values()))["employees"].append(dict(UNKNOWN_TO_ERP))
        return found
    finally:
        con.close()


def seed_fake(fake_url: str, erp: Path) -> list[str]:
    """Give the fake the demo ERP's integrations; returns their ids."""
    integrations = integrations_of(erp)
    for integration_id, body in integrations.items():
        httpx.put(f"{fake_url}/_fake/integrations/{integration_id}", json=body, timeout=30).raise_for_status()
    return list(integrations)
