"""`erpload transform kombo`: the canonical `erp` dataset -> `kombo.integrations`, the plan of the pushes.

    kombo.integrations   one row per company with a Kombo integration id (companies.kombo_integration_id): the
                         company, the integration, its active employees (not deleted, not gone) and its state:
                         ready, or unknown (an earlier push got no answer; held until settled)

Companies without an integration id are noted: Kombo is not asked for them. `erpload push kombo` plans again
from the same SQL (`plan`), on the ledger as it is then.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from erpload.push.ledger import ensure_ledger
from erpload.runs import Run, TableResult
from erpload.staging import connect, table_exists
from erpload.targets import require_canonical
from erpload.validation import replace_table

from .plan import INTEGRATIONS, TARGET, configured_base_url, integrations_sql

SCHEMA = TARGET


def run_transform(staging: Path, run: Run) -> None:
    """Rebuild `kombo.integrations` from `erp` (and the ledger, at the configured Kombo API)."""
    base_url = configured_base_url()
    with connect(staging) as con:
        require_canonical(con)
        ensure_ledger(con)
        transform(con, run, base_url)


def transform(con: duckdb.DuckDBPyConnection, run: Run, base_url: str) -> None:
    """`run_transform` on an open connection."""
    with_employees = table_exists(con, "erp", "employees")
    if not with_employees:
        run.note("kombo: the erp dataset has no employees, so the files Kombo returns cannot be compared with the "
                 "ERP's; map employees in the profile")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _kombo_integrations AS "
                f"{integrations_sql(base_url, with_employees=with_employees)}")
    loaded, unchanged = replace_table(con, "_kombo_integrations", SCHEMA, INTEGRATIONS)
    note_companies_without(con, run)
    states = dict(con.execute(f"SELECT state, count(*) FROM {SCHEMA}.{INTEGRATIONS} GROUP BY ALL").fetchall())
    run.add(TableResult(table=f"{SCHEMA}.{INTEGRATIONS}", loaded=loaded, unchanged=unchanged))
    if unknown := int(states.get("unknown", 0)):
        run.note(f"kombo: {unknown} company(ies) wait for a decision: a push got no answer "
                 "(`erpload ledger --target kombo --state unknown`)")


def note_companies_without(con: duckdb.DuckDBPyConnection, run: Run) -> None:
    """Note the companies Kombo is not asked for: they have no integration id."""
    without = [str(r[0]) for r in con.execute(
        "SELECT company_code FROM erp.companies WHERE nullif(trim(kombo_integration_id), '') IS NULL "
        "ORDER BY company_code").fetchall()]
    if without:
        run.note(f"kombo: {len(without)} company(ies) without a Kombo integration id ({', '.join(without[:8])}"
                 f"{' …' if len(without) > 8 else ''}): not pushed; map companies.kombo_integration_id for those "
                 "whose HR data Kombo holds")
