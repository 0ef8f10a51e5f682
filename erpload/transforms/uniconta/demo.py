"""The demo's Telecom X: the fake holds the demo ERP's Danish invoices, as Telecom X billed them.

Telecom X is where the reseller's invoices come from; the ERP mirrors them with their Telecom X ids. For the
demo, the fake is given the reseller, its customers (with the Uniconta accounts the ERP records) and one
invoice per Telecom X id the demo ERP holds, read from the demo ERP itself, plus one invoice the ERP does
not know, so the demo shows how a push reports a month whose counts differ.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx

#: the invoice only Telecom X has (a month of the demo's reseller), 24 hex digits
UNKNOWN_TO_ERP = "0badc0de0000000000000001"


#: the demo's Telecom X user: a RESELLER of the demo ERP's reseller (made up, with the fake's demo password)
DEMO_USER = "bogholderi@oresund.example"


def demo_settings(fake_url: str | None) -> dict[str, str]:
    """The fake learns the demo ERP's resellers and invoices, and a user of the reseller signs in."""
    if fake_url is None:
        return {}
    from erpload.fakes.telecomx.seed import DEMO_PASSWORD
    from erpload.settings import load_settings

    erp = load_settings().demo_erp_path
    if not erp.exists():
        return {}
    for reseller in seed_fake(fake_url, erp):
        httpx.put(f"{fake_url}/_fake/users", json={"username": DEMO_USER, "password": DEMO_PASSWORD,
                                                   "customer": reseller}, timeout=30).raise_for_status()
    return {"DESTINATION__UNICONTA__USERNAME": DEMO_USER, "DESTINATION__UNICONTA__PASSWORD": DEMO_PASSWORD}


def resellers_of(erp: Path) -> list[dict[str, Any]]:
    """The demo ERP's resellers as the Telecom X fake's `Reseller` bodies."""
    con = sqlite3.connect(f"file:{erp}?mode=ro", uri=True)
    try:
        companies = con.execute("""SELECT c.company_id, c.name, r.external_id FROM company c
                                   JOIN external_reference r ON r.object_type = 'company'
                                    AND r.object_id = c.company_id AND r.system_code = 'telecomx'""").fetchall()
        found = []
        for company_id, name, reseller in companies:
            customers = con.execute("""SELECT cu.customer_id, cu.name, u.external_id FROM customer cu
                                       LEFT JOIN external_reference u ON u.object_type = 'customer'
                                        AND u.object_id = cu.customer_id AND u.system_code = 'uniconta'
                                       WHERE cu.company_id = ?""", (company_id,)).fetchall()
            invoices = con.execute("""SELECT t.external_id, s.customer_id, s.invoice_date FROM sales_invoice s
                                      JOIN external_reference t ON t.object_type = 'sales_invoice'
                                       AND t.object_id = s.invoice_id AND t.system_code = 'telecomx'
                                      WHERE s.company_id = ?""", (company_id,)).fetchall()
            body_invoices = [{"id": str(i), "customer": str(c), "invoice_date": str(d)[:10]} for i, c, d in invoices]
            # Telecom X knows every customer it bills, also one the demo ERP lost (a planted fault)
            known = {str(c) for c, _, _ in customers}
            customers += [(c, f"customer {c}", str(20000 + int(c)))
                          for c in sorted({i["customer"] for i in body_invoices} - known)]
            if body_invoices:
                last = max(i["invoice_date"] for i in body_invoices)
                body_invoices.append({"id": UNKNOWN_TO_ERP, "customer": str(customers[0][0]), "invoice_date": last})
            found.append({"id": str(reseller), "name": str(name),
                          "customers": [{"id": str(c), "name": str(n), "accounting_system_id": a}
                                        for c, n, a in customers],
                          "invoices": body_invoices})
        return found
    finally:
        con.close()


def seed_fake(fake_url: str, erp: Path) -> list[str]:
    """Give the fake the demo ERP's resellers; returns their ids."""
    resellers = resellers_of(erp)
    for reseller in resellers:
        httpx.put(f"{fake_url}/_fake/resellers", json=reseller, timeout=30).raise_for_status()
    return [str(r["id"]) for r in resellers]


def demo_notes(staging: Path) -> list[str]:
    """Where `erpload demo` points for the Uniconta export."""
    return ["Telecom X's Uniconta exports, per reseller and month, and what each answer said:",
            f'  duckdb {staging} "select month, invoices, to_export, to_omit, state from uniconta.months"',
            f'  duckdb {staging} "select month, planned, known, total, exported, outcome, difference from '
            'uniconta.exports"']
