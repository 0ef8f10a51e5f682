"""The Uniconta plan in SQL: per Telecom X invoice a verdict, per reseller and month the call to make.

Telecom X exports every invoice of a reseller's month that the call does not name in `invoicesToOmit`, so the
plan is a list of omissions: an invoice goes out only when nothing speaks against it. Verdicts, first match wins:

- hold: its Telecom X id is not one (24 hex digits): erpload cannot name it in `invoicesToOmit`, so its whole
  month is held rather than exported with an invoice nobody checked;
- omit: the id is on two ERP invoices; Uniconta holds it already, or may (the ledger, at this destination);
  a draft; cancelled; its customer is not in the ERP; its customer has no Uniconta account (Telecom X would
  refuse the whole month for it);
- export: everything else.

Both the transform (the plan a user reads before anything is sent) and the push (which decides again, on the
ledger as it is then) use this SQL. The ledger's scope for a reseller is `scope(base_url, reseller)`.
"""

from __future__ import annotations

import dlt

from erpload.push.ledger import LEDGER
from erpload.staging import sql_literal

TARGET = "uniconta"
DEFAULT_BASE_URL = "https://api.telecomx.dk"
#: the ledger entities: one record per call (key: the month) and one per invoice it exports
CALLS = "months"
INVOICES = "invoices"

#: verdict reasons that are a bookkeeper's business: they go to erpload.rejects with their fix
REJECTED_REASONS = ("draft", "cancelled", "cancelled_after_export", "no_customer", "no_account", "bad_id",
                    "duplicate_id")


def configured_base_url() -> str:
    """`destination.uniconta.base_url`: Telecom X's API (production; Telecom X documents no sandbox)."""
    value: object = dlt.config.get("destination.uniconta.base_url")
    return str(value).strip().rstrip("/") if value not in (None, "") else DEFAULT_BASE_URL


def scope(base_url: str, reseller: str) -> str:
    """Where a reseller's exports go, as the ledger keys it: the API and the reseller (never a secret)."""
    return f"{base_url.rstrip('/')} reseller={reseller}"


def _scope_sql(base_url: str, reseller_sql: str) -> str:
    return f"({sql_literal(base_url.rstrip('/') + ' reseller=')} || {reseller_sql})"


def _ledger_state_sql(entity: str, base_url: str) -> str:
    """Per (scope, key) of `entity`: the state that settles it (acknowledged before sent before unknown) and when."""
    return f"""SELECT scope, record_key,
                      CASE WHEN bool_or(state = 'acknowledged') THEN 'acknowledged'
                           WHEN bool_or(state = 'sent') THEN 'sent'
                           WHEN bool_or(state = 'unknown') THEN 'unknown' ELSE arg_max(state, updated_at) END AS state,
                      max(updated_at) FILTER (WHERE state = 'acknowledged') AS exported_at
               FROM {LEDGER} WHERE target = {sql_literal(TARGET)} AND entity = {sql_literal(entity)}
                 AND starts_with(scope, {sql_literal(base_url.rstrip('/') + ' reseller=')})
               GROUP BY ALL"""


def invoices_sql(base_url: str) -> str:
    """One row per Telecom X invoice the ERP knows (sales invoices with a Telecom X id, of companies with a
    reseller id), with its verdict, reason code, reason and fix."""
    return f"""
    WITH inv AS (
        SELECT s.company_code, trim(c.telecomx_reseller_id) AS reseller, c.name AS company_name,
               trim(s.telecomx_invoice_id) AS telecomx_invoice_id, s.invoice_no,
               strftime(s.invoice_date, '%Y-%m') AS month, s.invoice_date, s.customer_no, s.status,
               s.currency_code, s.total_gross,
               cu.customer_no IS NOT NULL AS customer_known, cu.name AS customer_name,
               nullif(trim(cu.uniconta_account_id), '') AS uniconta_account_id,
               count(*) OVER (PARTITION BY s.company_code, lower(trim(s.telecomx_invoice_id))) AS same_id
        FROM erp.sales_invoices s
        JOIN erp.companies c ON c.company_code = s.company_code AND nullif(trim(c.telecomx_reseller_id), '') IS NOT NULL
        LEFT JOIN erp.customers cu ON cu.company_code = s.company_code AND cu.customer_no = s.customer_no
        WHERE nullif(trim(s.telecomx_invoice_id), '') IS NOT NULL),
    judged AS (
        SELECT i.*, l.state AS ledger_state, l.exported_at,
               CASE WHEN NOT regexp_full_match(i.telecomx_invoice_id, '[0-9a-fA-F]{{24}}') THEN 'bad_id'
                    WHEN i.same_id > 1 THEN 'duplicate_id'
                    WHEN l.state = 'acknowledged' AND i.status = 'cancelled' THEN 'cancelled_after_export'
                    WHEN l.state = 'acknowledged' THEN 'exported'
                    WHEN l.state IN ('sent', 'unknown') THEN 'maybe_exported'
                    WHEN i.status = 'draft' THEN 'draft'
                    WHEN i.status <> 'posted' THEN 'cancelled'
                    WHEN NOT i.customer_known THEN 'no_customer'
                    WHEN i.uniconta_account_id IS NULL THEN 'no_account'
               END AS reason_code
        FROM inv i LEFT JOIN ({_ledger_state_sql(INVOICES, base_url)}) l
            ON l.scope = {_scope_sql(base_url, 'i.reseller')} AND l.record_key = lower(i.telecomx_invoice_id))
    SELECT lower(telecomx_invoice_id) AS _key, company_code AS _company_code, reseller, month, invoice_no,
           invoice_date, customer_no, customer_name, uniconta_account_id, status, currency_code, total_gross,
           CASE WHEN reason_code IS NULL THEN 'export' WHEN reason_code = 'bad_id' THEN 'hold' ELSE 'omit' END
               AS verdict,
           reason_code,
           CASE reason_code
               WHEN 'bad_id' THEN 'telecomx_invoice_id ' || telecomx_invoice_id || ' is not a Telecom X invoice id '
                   || '(24 hex digits): erpload cannot leave it out of the export, so its month is held'
               WHEN 'duplicate_id' THEN 'Telecom X invoice ' || telecomx_invoice_id || ' is on ' || same_id
                   || ' ERP invoices of company ' || company_code || ': left out of the export'
               WHEN 'cancelled_after_export' THEN 'cancelled in the ERP after Telecom X exported it to Uniconta ('
                   || strftime(exported_at, '%Y-%m-%d') || '): Uniconta holds it as a draft invoice'
               WHEN 'exported' THEN 'exported to Uniconta on ' || strftime(exported_at, '%Y-%m-%d')
               WHEN 'maybe_exported' THEN 'in an export call whose outcome erpload does not know: left out until '
                   || 'it is settled'
               WHEN 'draft' THEN 'a draft in the ERP (not posted): left out of the export'
               WHEN 'cancelled' THEN CASE WHEN status = 'cancelled' THEN 'cancelled in the ERP' ELSE 'status '
                   || status || ' in the ERP (not posted)' END || ': left out of the export'
               WHEN 'no_customer' THEN 'its customer ' || customer_no || ' is not in the ERP: left out of the export'
               WHEN 'no_account' THEN 'customer ' || customer_no || ' (' || coalesce(customer_name, '?')
                   || ') has no Uniconta account (customers.uniconta_account_id): Telecom X would refuse the whole '
                   || 'month for it (finance.accountingSystemId), so it is left out'
           END AS reason,
           CASE reason_code
               WHEN 'bad_id' THEN 'correct the Telecom X invoice id in the ERP (the invoice''s telecomx reference), '
                   || 'then run extract, map, transform uniconta'
               WHEN 'duplicate_id' THEN 'keep the Telecom X id on the one ERP invoice it belongs to'
               WHEN 'cancelled_after_export' THEN 'delete (or credit) the draft invoice in the reseller''s Uniconta '
                   || 'company: Telecom X cannot withdraw an export'
               WHEN 'maybe_exported' THEN 'look in Uniconta, then `erpload ledger resolve uniconta ' || month
                   || ' --sent` or `--not-sent`'
               WHEN 'draft' THEN 'post it in the ERP; then `erpload push uniconta` exports it with its month, or '
                   || '`--force --month ' || month || '` once the month is exported'
               WHEN 'cancelled' THEN 'nothing, if it stays cancelled; if it should be billed, reinstate it in the ERP'
               WHEN 'no_customer' THEN 'add customer ' || customer_no || ' to the ERP (with its Uniconta account) or '
                   || 'correct the invoice''s customer'
               WHEN 'no_account' THEN 'give customer ' || customer_no || ' its Uniconta debtor account in the ERP '
                   || '(its uniconta reference), then run extract, map, transform uniconta and push with --force '
                   || '--month ' || month
           END AS fix
    FROM judged"""


def months_sql(base_url: str, invoices: str) -> str:
    """One row per reseller and month of `invoices` (the table `invoices_sql` made): the call to make and its
    state: ready, exported (called before), unknown (a call's outcome is not known), held (an invoice erpload
    cannot omit) or empty (nothing to export)."""
    return f"""
    WITH m AS (
        SELECT month AS _key, _company_code, reseller, month, month || '-01' AS invoice_date,
               count(*) AS invoices, count(*) FILTER (WHERE verdict = 'export') AS to_export,
               count(DISTINCT _key) FILTER (WHERE verdict = 'omit') AS to_omit,
               count(*) FILTER (WHERE verdict = 'hold') AS held,
               coalesce(list(DISTINCT _key ORDER BY _key) FILTER (WHERE verdict = 'omit'), []) AS invoices_to_omit,
               coalesce(list(_key ORDER BY _key) FILTER (WHERE verdict = 'export'), []) AS invoices_to_export
        FROM {invoices} GROUP BY ALL)
    SELECT m.*, l.state AS call_state, l.exported_at,
           CASE WHEN l.state IN ('acknowledged', 'sent') THEN 'exported'
                WHEN l.state = 'unknown' THEN 'unknown'
                WHEN m.held > 0 THEN 'held'
                WHEN m.to_export = 0 THEN 'empty'
                ELSE 'ready' END AS state
    FROM m LEFT JOIN ({_ledger_state_sql(CALLS, base_url)}) l
        ON l.scope = {_scope_sql(base_url, 'm.reseller')} AND l.record_key = m.month"""
