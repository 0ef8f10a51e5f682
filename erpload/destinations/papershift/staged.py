"""What a Papershift push stages, as SQL: the syncs it saw and their items, each item beside the ERP's employee
with its personnel number, and a reject per employee whose documents a sync could not fetch.

    papershift.syncs        one row per sync erpload follows (the last look at it): company, integration, sync id,
                            status, document_types, notice, range_in_months, created_at, seen_at, items and
                            failed items, the run that looked and the API it asked (`base_url`)
    papershift.sync_items   one row per employee and month of a sync (replaced at each look): employee_number,
                            period, status, notice, and the ERP's employee (`personnel_no`, `employee_name`, or
                            'not in the ERP', `in_erp`)

Rows are built as SQL text (`erpload.staging.sql_literal`) so they can be committed with the call's ledger entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from erpload.rejects import rejects_sql
from erpload.staging import sql_literal
from erpload.transforms.papershift import tables
from erpload.transforms.papershift.tables import TARGET

from .models import DocumentSync, DocumentSyncItem

#: the ledger entity of the calls (one per integration, key INITIAL) and the rejects' entity for failed items
SYNCS_ENTITY = tables.SYNCS
ITEMS_ENTITY = tables.SYNC_ITEMS
SYNCS = f"{TARGET}.{tables.SYNCS}"
SYNC_ITEMS = f"{TARGET}.{tables.SYNC_ITEMS}"
NOT_IN_ERP = "not in the ERP"
#: the reason codes of what a sync could not fetch: one employee's documents, or a whole sync without items
EMPLOYEE_FAILED = "papershift.sync.employee_failed"
SYNC_FAILED = "papershift.sync.failed"

DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {TARGET}",
    f"""CREATE TABLE IF NOT EXISTS {SYNCS} (
        company_code VARCHAR NOT NULL, integration_id VARCHAR NOT NULL, sync_id VARCHAR NOT NULL,
        initial BOOLEAN NOT NULL, status VARCHAR NOT NULL, document_types VARCHAR[] NOT NULL, notice VARCHAR,
        range_in_months INTEGER, created_at TIMESTAMPTZ, seen_at TIMESTAMP NOT NULL, items INTEGER,
        failed_items INTEGER, run_id VARCHAR NOT NULL, base_url VARCHAR NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SYNC_ITEMS} (
        company_code VARCHAR NOT NULL, integration_id VARCHAR NOT NULL, sync_id VARCHAR NOT NULL,
        item_id VARCHAR NOT NULL, employee_number BIGINT, period DATE, status VARCHAR NOT NULL, notice VARCHAR,
        personnel_no VARCHAR, employee_name VARCHAR NOT NULL, in_erp BOOLEAN NOT NULL, seen_at TIMESTAMP NOT NULL,
        run_id VARCHAR NOT NULL)""",
)


def _period(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def sync_sql(run_id: str, base_url: str, company: str, integration_id: str, sync: DocumentSync, *, initial: bool,
             items: Sequence[DocumentSyncItem] | None = None) -> list[str]:
    """The statements replacing the sync's row (and, with `items`, its items) by this look at it."""
    types = "[" + ", ".join(sql_literal(t) for t in sync.document_types) + "]::VARCHAR[]"
    failed = None if items is None else sum(1 for i in items if i.status == "failed")
    statements = [
        f"DELETE FROM {SYNCS} WHERE sync_id = {sql_literal(sync.id)}",
        f"""INSERT INTO {SYNCS} VALUES ({sql_literal(company)}, {sql_literal(integration_id)}, {sql_literal(sync.id)},
            {sql_literal(initial)}, {sql_literal(sync.status)}, {types}, {sql_literal(sync.notice)},
            {sql_literal(sync.range_in_months)}, try_cast({sql_literal(sync.created_at)} AS TIMESTAMPTZ),
            now()::TIMESTAMP, {sql_literal(None if items is None else len(items))}, {sql_literal(failed)},
            {sql_literal(run_id)}, {sql_literal(base_url)})""",
    ]
    if items is not None:
        statements += items_sql(run_id, company, integration_id, sync.id, items)
    return statements


def items_sql(run_id: str, company: str, integration_id: str, sync_id: str,
              items: Sequence[DocumentSyncItem]) -> list[str]:
    """The sync's items, replaced, each joined to the company's ERP employee by personnel number (as a number:
    Pulse's `employee_number` 101 is the ERP's '00101')."""
    statements = [f"DELETE FROM {SYNC_ITEMS} WHERE sync_id = {sql_literal(sync_id)}"]
    if not items:
        return statements
    values = ", ".join(f"({sql_literal(i.id)}, {sql_literal(i.employee_number)}::BIGINT, "
                       f"{sql_literal(_period(i.period))}::DATE, {sql_literal(i.status)}, {sql_literal(i.notice)})"
                       for i in items)
    statements.append(f"""
        INSERT INTO {SYNC_ITEMS}
        WITH items(item_id, employee_number, period, status, notice) AS (VALUES {values}),
        staff AS (
            SELECT try_cast(trim(personnel_no) AS BIGINT) AS number, personnel_no,
                   trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) AS name
            FROM erp.employees WHERE company_code = {sql_literal(company)}
              AND try_cast(trim(personnel_no) AS BIGINT) IS NOT NULL
            -- two ERP rows for one number (an old record kept): the one still employed names it
            QUALIFY row_number() OVER (PARTITION BY number ORDER BY coalesce(is_deleted, false),
                                       termination_date DESC NULLS FIRST, personnel_no) = 1
        )
        SELECT {sql_literal(company)}, {sql_literal(integration_id)}, {sql_literal(sync_id)}, i.item_id,
               i.employee_number, i.period, i.status, i.notice, s.personnel_no,
               coalesce(nullif(s.name, ''), {sql_literal(NOT_IN_ERP)}), s.number IS NOT NULL, now()::TIMESTAMP,
               {sql_literal(run_id)}
        FROM items i LEFT JOIN staff s ON s.number = i.employee_number""")
    return statements


def _latest_sql(company: str) -> str:
    """Per employee and month of the company: the status the newest ended sync that covered it gave (of two
    created at the same moment, the one that fetched it: the documents are there)."""
    return f"""SELECT i.employee_number, i.period,
                      arg_max(i.status, (coalesce(epoch(s.created_at), epoch(s.seen_at)), i.status <> 'failed'))
                          AS status
               FROM {SYNC_ITEMS} i JOIN {SYNCS} s USING (sync_id)
               WHERE i.company_code = {sql_literal(company)} AND i.status <> 'running'
                 AND i.employee_number IS NOT NULL
               GROUP BY ALL"""


def failed_employees_sql(company: str, sync_id: str) -> str:
    """Per employee with a failed item in the sync that no newer sync fetched: number, ERP name, in_erp, months
    failed, first and last month, a notice; by employee number."""
    return f"""SELECT i.employee_number, any_value(i.employee_name), bool_or(i.in_erp), count(*), min(i.period),
                      max(i.period), min(i.notice)
               FROM {SYNC_ITEMS} i JOIN ({_latest_sql(company)}) l
                 ON l.employee_number = i.employee_number AND l.period IS NOT DISTINCT FROM i.period
               WHERE i.sync_id = {sql_literal(sync_id)} AND i.status = 'failed' AND l.status = 'failed'
               GROUP BY i.employee_number ORDER BY i.employee_number"""


def newer_sync_came_through_sql(company: str, sync_id: str) -> str:
    """Whether another sync of the company created with or after `sync_id` ended other than failed."""
    return f"""SELECT EXISTS (SELECT 1 FROM {SYNCS} n, {SYNCS} o
                              WHERE o.sync_id = {sql_literal(sync_id)} AND n.company_code = {sql_literal(company)}
                                AND n.status NOT IN ('running', 'failed') AND n.created_at >= o.created_at
                                AND n.sync_id <> o.sync_id)"""


def reject_sql(run_id: str, company: str, key: str, field: str, value: str | None, reason: str, fix: str,
               record: str, code: str) -> str:
    """One row for erpload.rejects (entity sync_items), its reason code `code`."""
    return rejects_sql(run_id, TARGET, ITEMS_ENTITY, record_key=sql_literal(f"{company}/{key}"),
                       field=sql_literal(field), value=sql_literal(value), reason=sql_literal(reason),
                       fix=sql_literal(fix), record=sql_literal(record), code=sql_literal(code))


def settled_keys_sql(company: str, sync_id: str, *, sync_came_through: bool) -> str:
    """The reject keys (column `k`) of the company its syncs settled since: an employee whose every month was
    fetched by the newest sync that covered it (a schedule's sync fetching what the initial one could not), and,
    when sync `sync_id` came through, each sync that failed before it."""
    prefix = sql_literal(f"{company}/")
    keys = f"""SELECT {prefix} || employee_number AS k FROM ({_latest_sql(company)})
               GROUP BY employee_number HAVING bool_and(status <> 'failed')"""
    if sync_came_through:
        keys += f"""
               UNION ALL SELECT {prefix} || sync_id FROM {SYNCS}
               WHERE company_code = {sql_literal(company)} AND status = 'failed'
                 AND sync_id <> {sql_literal(sync_id)}"""
    return f"({keys})"
