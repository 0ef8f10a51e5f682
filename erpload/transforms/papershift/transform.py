"""`erpload transform papershift`: the canonical `erp` dataset -> `papershift.integrations`, the plan a user reads
before `erpload push papershift` sends anything.

    papershift.integrations   one row per company with a Papershift DATEV integration id: the company, the
                              integration, its active employees (not deleted, not left), how many of them have
                              a personnel number Papershift can match (a whole number above 0: Pulse's
                              `employee_number`), and its state: `ready`, or `bad_id` when the id is no UUID

A company without an integration id is noted, not an error: not every company has its payroll documents in
Papershift. An id that is no UUID goes to `erpload.rejects` (entity `integrations`, field
papershift_integration_id): Pulse's ids are UUIDs, so a push would only get 404 for it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from erpload.rejects import rejects_sql
from erpload.runs import Run, TableResult
from erpload.staging import connect, ensure_framework_tables, sql_literal
from erpload.targets import require_canonical
from erpload.validation import replace_table

from .tables import INTEGRATIONS, TARGET

_UUID = "'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'"

#: what a company's integration id looks like to the push: its state, and the active employees it covers
INTEGRATIONS_SQL = f"""
WITH ids AS (
    SELECT company_code, name AS company_name, lower(trim(papershift_integration_id)) AS integration_id
    FROM erp.companies WHERE nullif(trim(papershift_integration_id), '') IS NOT NULL
), active AS (
    SELECT company_code, count(*) AS active_employees,
           count(*) FILTER (WHERE try_cast(trim(personnel_no) AS BIGINT) > 0) AS numbered_employees
    FROM erp.employees
    WHERE NOT coalesce(is_deleted, false) AND (termination_date IS NULL OR termination_date >= current_date)
    GROUP BY company_code
)
SELECT i.company_code, i.company_name, i.integration_id,
       coalesce(a.active_employees, 0) AS active_employees, coalesce(a.numbered_employees, 0) AS numbered_employees,
       CASE WHEN regexp_full_match(i.integration_id, {_UUID}) THEN 'ready' ELSE 'bad_id' END AS state
FROM ids i LEFT JOIN active a USING (company_code)
"""


def run_transform(staging: Path, run: Run) -> None:
    """Rebuild `papershift.integrations` from `erp`."""
    with connect(staging) as con:
        require_canonical(con)
        ensure_framework_tables(con)
        transform(con, run)


def transform(con: duckdb.DuckDBPyConnection, run: Run) -> None:
    """`run_transform` on an open connection: the table and its rejects in one commit."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _papershift_integrations AS {INTEGRATIONS_SQL}")
    con.begin()
    try:
        loaded, unchanged = replace_table(con, "_papershift_integrations", TARGET, INTEGRATIONS, "company_code")
        con.execute(rejects_sql(
            run.run_id, TARGET, INTEGRATIONS, record_key="company_code", field="'papershift_integration_id'",
            value="integration_id",
            reason="'company ' || company_code || ': Papershift integration id ' || integration_id "
                   "|| ' is no UUID, so Papershift cannot know it'",
            fix=sql_literal("copy the DATEV integration id from Papershift Pulse into the company's "
                            "papershift_integration_id in the ERP"),
            record="to_json({company_code: company_code, integration_id: integration_id})",
            code=sql_literal(TARGET + ".integration_id_not_uuid"),
            source=f"FROM {TARGET}.{INTEGRATIONS} WHERE state = 'bad_id'"))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    _results(con, run, loaded, unchanged)


def _results(con: duckdb.DuckDBPyConnection, run: Run, loaded: int, unchanged: int) -> None:
    row = con.execute(f"""SELECT count(*) FILTER (WHERE state = 'bad_id'),
                                 coalesce(sum(active_employees - numbered_employees) FILTER (WHERE state = 'ready'), 0)
                          FROM {TARGET}.{INTEGRATIONS}""").fetchone()
    bad, unnumbered = (int(v) for v in row) if row else (0, 0)
    run.add(TableResult(table=f"{TARGET}.{INTEGRATIONS}", loaded=loaded, unchanged=unchanged, rejected=bad))
    without = [str(r[0]) for r in con.execute(
        "SELECT company_code FROM erp.companies WHERE nullif(trim(papershift_integration_id), '') IS NULL "
        "ORDER BY company_code").fetchall()]
    if without:
        run.note(f"{TARGET}: {len(without)} compan{'y' if len(without) == 1 else 'ies'} without a Papershift DATEV "
                 f"integration id ({', '.join(without[:8])}{', ...' if len(without) > 8 else ''}): not synced; "
                 "map companies.papershift_integration_id in the profile for those whose payroll documents are "
                 "in Papershift")
    if unnumbered:
        run.note(f"{TARGET}: {unnumbered} active employee(s) have a personnel number that is not a whole number "
                 "above 0: Papershift's items name employees by such numbers, so theirs cannot be matched")
