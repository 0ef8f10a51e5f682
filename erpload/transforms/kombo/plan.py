"""The Kombo plan in SQL: per company with a Kombo integration one push, and the ERP's active employees the
files it returns are compared with.

Both the transform (the plan a user reads before anything is sent) and the push (which plans again, on the
ledger as it is then) use this SQL. The ledger's scope for a company is `scope(base_url, integration_id)`: a
push is keyed by the run that made it (Kombo pushes the company's current data each time, so every run may
push once), and a company whose earlier push got no answer is held, whatever run made it.
"""

from __future__ import annotations

import dlt

from erpload.errors import ConfigError
from erpload.push.ledger import LEDGER
from erpload.staging import sql_literal

TARGET = "kombo"
#: Kombo's API per region (the OpenAPI `servers`); EU is the default
REGIONS = {"eu": "https://api.kombo.dev/v1", "us": "https://api.us.kombo.dev/v1"}
#: the ledger entity: one record per push (key: the run id)
PUSHES = "pushes"
INTEGRATIONS = "integrations"


def configured_base_url() -> str:
    """`destination.kombo.base_url` if set, else the API of `destination.kombo.region` (eu, the default, or us)."""
    value: object = dlt.config.get("destination.kombo.base_url")
    if value not in (None, ""):
        return str(value).strip().rstrip("/")
    region = str(dlt.config.get("destination.kombo.region") or "eu").strip().lower()
    if region not in REGIONS:
        raise ConfigError(f"destination.kombo.region is {region!r}, not one of {', '.join(REGIONS)}",
                          hint="set region = \"eu\" or \"us\" under [destination.kombo] in .dlt/config.toml (the "
                               "region your Kombo environment is in), or base_url for another API")
    return REGIONS[region]


def scope(base_url: str, integration_id: str) -> str:
    """Where a company's pushes go, as the ledger keys it: Kombo's API and the integration (never a secret)."""
    return f"{base_url.rstrip('/')} integration={integration_id}"


def _scope_sql(base_url: str, integration_sql: str) -> str:
    return f"({sql_literal(base_url.rstrip('/') + ' integration=')} || {integration_sql})"


#: an employee Kombo should know: not deleted, and not gone (a termination date today or later still works here)
ACTIVE_SQL = "NOT coalesce(e.is_deleted, false) AND (e.termination_date IS NULL OR e.termination_date >= current_date)"


def active_employees_sql() -> str:
    """The ERP's employees with whether they are active, one row each (alias `e` in `ACTIVE_SQL`)."""
    return f"""SELECT e.company_code, e.personnel_no, e.first_name, e.last_name, e.termination_date,
                      coalesce(e.is_deleted, false) AS is_deleted, {ACTIVE_SQL} AS active
               FROM erp.employees e"""


def integrations_sql(base_url: str, *, with_employees: bool) -> str:
    """One row per company with a Kombo integration id: its active employees and its push state at `base_url`:
    ready, or unknown (an earlier push got no answer: held until settled)."""
    employees = (f"SELECT company_code, count(*) FILTER (WHERE active) AS n FROM ({active_employees_sql()}) "
                 "GROUP BY ALL" if with_employees else "SELECT NULL::VARCHAR AS company_code, 0 AS n WHERE false")
    return f"""
    WITH c AS (
        SELECT company_code, name, trim(kombo_integration_id) AS kombo_integration_id FROM erp.companies
        WHERE nullif(trim(kombo_integration_id), '') IS NOT NULL),
    unknown AS (
        SELECT scope, min(record_key) AS unknown_run FROM {LEDGER}
        WHERE target = {sql_literal(TARGET)} AND entity = {sql_literal(PUSHES)} AND state = 'unknown'
        GROUP BY ALL)
    SELECT c.company_code AS _company_code, c.name AS company_name, c.kombo_integration_id,
           coalesce(e.n, 0)::INTEGER AS active_employees, u.unknown_run,
           CASE WHEN u.unknown_run IS NULL THEN 'ready' ELSE 'unknown' END AS state
    FROM c LEFT JOIN ({employees}) e ON e.company_code = c.company_code
    LEFT JOIN unknown u ON u.scope = {_scope_sql(base_url, 'c.kombo_integration_id')}
    ORDER BY c.company_code"""
