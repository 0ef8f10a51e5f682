"""Canonical invoices and journal entries -> Buchungsstapel rows, in one DuckDB statement.

Every row books one line against one other account, as DATEV rows do:
- a sales invoice line: the customer's personal account (Konto) against the line's revenue account;
- a purchase invoice line: the vendor's personal account against the line's expense account;
- a journal entry line: its account against the entry's pivot line (the first line with the largest
  amount). Each other line posts against the pivot, so the pivot's balance comes out as its own
  amount whenever the entry balances, for any number of lines on either side.

The sign of `signed_amount` is seen from Konto: positive = Soll (Konto debited). Invoice rows carry
the line's gross amount, and the tax comes from the BU key, or from the account itself when it is a
DATEV automatic account (`gl_accounts.auto_tax_code`); `tax` decides the key and gives the tax rules
what they read. Journal entries carry their tax lines explicitly, so their rows have no BU key. No 0,00
line is booked (`drop_zero_lines`).

Only documents that were posted are booked (`_BOOKED`). A posted document that the ERP cancelled later
(`cancelled_on`) has two events: its `posting` and its `cancellation`, the same rows with Generalumkehr
toggled, dated on the cancellation day (never before the posting), so the DATEV books show the invoice
and its Storno as the ERP's ledger does, each in its own period.
"""

from __future__ import annotations

from typing import Literal

import duckdb

from erpload.staging import scalar_int

from .tax import NO_LINE_TAX, TAX_COLUMNS, TAX_JOINS, bu_key_sql, line_tax_sql, tax_ctes

PeriodUnit = Literal["month", "quarter", "fiscal_year"]

#: companies DATEV can take: those with a consultant (Berater) and client (Mandant) number
DATEV_COMPANIES = """SELECT company_code, local_currency, gl_account_length AS account_length,
       fiscal_year_start_month AS fy_month, datev_lock_batches AS locked
FROM erp.companies WHERE datev_consultant_no IS NOT NULL AND datev_client_no IS NOT NULL"""


def _fiscal_year_start(day: str) -> str:
    return f"make_date(year({day}) - CAST(month({day}) < co.fy_month AS INTEGER), co.fy_month, 1)"


def _link(sha: str) -> str:
    """A Beleglink to the receipt: DATEV Unternehmen online (BEDI) and a GUID derived from its sha256."""
    guid = " || '-' || ".join(f"substr({sha}, {start}, {length})"
                              for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))
    return f"CASE WHEN {sha} IS NOT NULL THEN 'BEDI \"' || {guid} || '\"' END"


#: the documents in the books: posted ones, and cancelled ones that were posted before (their cancellation
#: is booked as a reversal on `cancelled_on`); drafts and drafts discarded unposted never are
_BOOKED = "(h.status = 'posted' OR (h.status = 'cancelled' AND h.cancelled_on IS NOT NULL))"


def bookings_sql(period: PeriodUnit = "month") -> str:
    """SELECT of every Buchungsstapel row with what the rules need to judge it (see the module doc).

    A document's figures (its lines' total, a journal entry's pivot line) come from one aggregate per
    document joined back to its lines: window functions would sort every line with all its columns."""
    fy_start = _fiscal_year_start("l.posting_date")
    period_start = {
        "month": "date_trunc('month', l.posting_date)",
        "quarter": f"greatest(date_trunc('quarter', l.posting_date), {fy_start})",
        "fiscal_year": fy_start,
    }[period]
    period_end = {
        "month": "last_day(l.posting_date)",
        "quarter": f"least(last_day(date_trunc('quarter', l.posting_date) + INTERVAL 2 MONTH), "
                   f"{fy_start} + INTERVAL 1 YEAR - INTERVAL 1 DAY)",
        "fiscal_year": f"{fy_start} + INTERVAL 1 YEAR - INTERVAL 1 DAY",
    }[period]
    return f"""
WITH co AS ({DATEV_COMPANIES}),
sales_totals AS (
    SELECT company_code, invoice_no, sum(net_amount + coalesce(tax_amount, 0)) AS lines_gross
    FROM erp.sales_invoice_lines GROUP BY ALL
),
sales AS (
    SELECT 'sales_invoice' AS document_kind, h.company_code, h.invoice_no AS document_no, l.line_no,
           h.invoice_date AS posting_date, h.invoice_date AS document_date,
           (CASE WHEN h.is_credit_note THEN -1 ELSE 1 END) * (l.net_amount + coalesce(l.tax_amount, 0))
               AS signed_amount,
           CAST(NULL AS DECIMAL(18, 2)) AS signed_base,
           h.currency_code, h.exchange_rate AS rate,
           h.customer_no AS account_no, 'customer' AS account_kind,
           l.account_no AS contra_account_no, 'gl' AS contra_kind, l.tax_code,
           h.invoice_no AS document_number, coalesce(l.description, h.header_text) AS booking_text,
           l.cost_center_code AS cost_center, l.cost_unit_code AS cost_unit, h.document_sha256,
           h.service_date, h.due_date, false AS reversal,
           (CASE WHEN h.is_credit_note THEN -1 ELSE 1 END) * (t.lines_gross - h.total_gross) AS imbalance,
           h.cancelled_on, {line_tax_sql("l")} AS line_tax
    FROM erp.sales_invoices h JOIN erp.sales_invoice_lines l USING (company_code, invoice_no)
    JOIN sales_totals t USING (company_code, invoice_no)
    WHERE {_BOOKED} AND h.company_code IN (SELECT company_code FROM co)
),
purchase_totals AS (
    SELECT company_code, invoice_no, sum(net_amount + coalesce(tax_amount, 0)) AS lines_gross
    FROM erp.purchase_invoice_lines GROUP BY ALL
),
purchases AS (
    SELECT 'purchase_invoice', h.company_code, h.invoice_no, l.line_no, h.invoice_date, h.invoice_date,
           (CASE WHEN h.is_credit_note THEN 1 ELSE -1 END) * (l.net_amount + coalesce(l.tax_amount, 0)),
           CAST(NULL AS DECIMAL(18, 2)), h.currency_code, h.exchange_rate,
           h.vendor_no, 'vendor', l.account_no, 'gl', l.tax_code,
           h.vendor_invoice_no, coalesce(l.description, h.header_text),
           l.cost_center_code, l.cost_unit_code, h.document_sha256, h.service_date, h.due_date, false,
           (CASE WHEN h.is_credit_note THEN 1 ELSE -1 END) * (t.lines_gross - h.total_gross), h.cancelled_on,
           {line_tax_sql("l")}
    FROM erp.purchase_invoices h JOIN erp.purchase_invoice_lines l USING (company_code, invoice_no)
    JOIN purchase_totals t USING (company_code, invoice_no)
    WHERE {_BOOKED} AND h.company_code IN (SELECT company_code FROM co)
),
entry_totals AS (
    -- the pivot: the first line with the largest amount
    SELECT company_code, entry_no, sum(debit - credit) AS imbalance, count(*) AS lines_in_entry,
           arg_max({{'line_no': line_no, 'account_no': account_no, 'account_type': account_type}},
                   (debit + credit, -line_no)) AS pivot
    FROM erp.journal_lines GROUP BY ALL
),
entries AS (
    SELECT 'journal_entry', h.company_code, h.entry_no, l.line_no, h.posting_date, h.document_date,
           l.debit - l.credit, l.debit_lc - l.credit_lc, h.currency_code, h.exchange_rate,
           l.account_no, l.account_type, CASE WHEN t.lines_in_entry > 1 THEN t.pivot.account_no END,
           CASE WHEN t.lines_in_entry > 1 THEN t.pivot.account_type ELSE 'gl' END, CAST(NULL AS VARCHAR),
           h.entry_no, coalesce(l.line_text, h.description), l.cost_center_code, l.cost_unit_code,
           h.document_sha256, CAST(NULL AS DATE), CAST(NULL AS DATE), h.is_reversal, t.imbalance, h.cancelled_on,
           {NO_LINE_TAX}
    FROM erp.journal_entries h JOIN erp.journal_lines l USING (company_code, entry_no)
    JOIN entry_totals t USING (company_code, entry_no)
    WHERE {_BOOKED} AND h.company_code IN (SELECT company_code FROM co)
      -- an entry of one line has no counter line; it stays, without one, so the balance rule rejects it
      AND (l.line_no <> t.pivot.line_no OR t.lines_in_entry = 1)
),
postings AS (SELECT * FROM sales UNION ALL SELECT * FROM purchases UNION ALL SELECT * FROM entries),
legs AS (
    SELECT * EXCLUDE (cancelled_on), 'posting' AS event, reversal AS posted_reversal FROM postings
    UNION ALL
    -- the cancellation of a posted document: its lines again, reversed (GU), on the day it takes effect
    SELECT * EXCLUDE (cancelled_on)
             REPLACE (NOT reversal AS reversal, greatest(cancelled_on, posting_date) AS posting_date,
                      greatest(cancelled_on, posting_date) AS document_date,
                      'Storno ' || coalesce(booking_text, document_number) AS booking_text),
           'cancellation', reversal
    FROM postings WHERE cancelled_on IS NOT NULL
),
{tax_ctes()}
SELECT l.company_code, l.document_kind, l.document_no, l.event, l.line_no, l.posting_date, l.document_date,
       CAST({fy_start} AS DATE) AS fiscal_year_start,
       CAST({_fiscal_year_start("l.document_date")} AS DATE) AS document_fiscal_year_start,
       CAST({period_start} AS DATE) AS period_start, CAST({period_end} AS DATE) AS period_end,
       CAST(abs(l.signed_amount) AS DECIMAL(18, 2)) AS amount,
       -- DATEV books a Generalumkehr row on its side with a minus: a reversal (an ERP reversal entry, whose
       -- lines sit on the swapped sides, or a cancellation) is written on the sides of what it reverses
       CASE WHEN (l.signed_amount >= 0) <> l.posted_reversal THEN 'S' ELSE 'H' END AS debit_credit,
       l.currency_code,
       CASE WHEN l.currency_code <> co.local_currency THEN CAST(l.rate AS DECIMAL(18, 6)) END AS rate,
       CASE WHEN l.currency_code <> co.local_currency
            -- wide on purpose: a tiny rate can blow the amount past DATEV's 10 digits, a rule rejects it
            THEN CAST(abs(coalesce(l.signed_base, round(l.signed_amount / nullif(l.rate, 0), 2)))
                      AS DECIMAL(38, 2)) END AS base_amount,
       CASE WHEN l.currency_code <> co.local_currency THEN co.local_currency END AS base_currency,
       l.account_no, l.account_kind, l.contra_account_no, l.contra_kind,
       {bu_key_sql("CASE WHEN gl.auto_tax_code IS NULL THEN tc.datev_bu_key END")} AS bu_key,
       tc.scope AS tax_scope,
       l.document_number, CAST(NULL AS VARCHAR) AS document_number_2, l.booking_text,
       l.cost_center, l.cost_unit, {_link("l.document_sha256")} AS document_link,
       CASE WHEN tc.scope = 'eu' THEN coalesce(cu.vat_id, ve.vat_id) END AS eu_vat_id,
       l.service_date, CASE WHEN l.service_date IS NOT NULL THEN l.posting_date END AS tax_period_date,
       l.due_date, l.reversal, co.locked, co.account_length, l.imbalance,
       CASE l.account_kind WHEN 'customer' THEN cu.customer_no IS NOT NULL
                           WHEN 'vendor' THEN ve.vendor_no IS NOT NULL
                           ELSE ga.account_no IS NOT NULL END AS account_known,
       l.contra_kind <> 'gl' OR gl.account_no IS NOT NULL AS contra_known,
       coalesce(gl.is_deleted, false) OR coalesce(ga.is_deleted, false) AS uses_deleted_account,
       l.tax_code IS NULL OR tc.tax_code IS NOT NULL AS tax_code_known,
       {TAX_COLUMNS}
FROM legs l
JOIN co ON co.company_code = l.company_code
-- the kind goes into the join key (not a separate condition) so that DuckDB hash-joins
LEFT JOIN erp.gl_accounts gl ON gl.company_code = l.company_code
      AND gl.account_no = CASE WHEN l.contra_kind = 'gl' THEN l.contra_account_no END
LEFT JOIN erp.gl_accounts ga ON ga.company_code = l.company_code
      AND ga.account_no = CASE WHEN l.account_kind = 'gl' THEN l.account_no END
LEFT JOIN erp.tax_codes tc ON tc.company_code = l.company_code AND tc.tax_code = l.tax_code
{TAX_JOINS}
LEFT JOIN erp.customers cu ON cu.company_code = l.company_code
      AND cu.customer_no = CASE WHEN l.account_kind = 'customer' THEN l.account_no END
LEFT JOIN erp.vendors ve ON ve.company_code = l.company_code
      AND ve.vendor_no = CASE WHEN l.account_kind = 'vendor' THEN l.account_no END
"""


def drop_zero_lines(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
    """Delete the rows of 0,00 from the bookings `table`: they move nothing, and DATEV cannot book 0,00.

    A row of 0,00 in the document currency that still moves local currency (`base_amount`) stays, for the
    amount rule to reject; so does an invoice line whose net and tax cancel out (it moves its net between
    the revenue and the tax account, which DATEV cannot take as 0,00), and one of a document that does not
    balance: it may be the document's only row, and the balance rule must see it. Returns (lines deleted,
    documents left without a row: they have nothing to book).
    """
    zero = ("amount = 0 AND coalesce(base_amount, 0) = 0 AND imbalance = 0 "
            "AND coalesce(tax_net, 0) = 0 AND coalesce(tax_amount, 0) = 0")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _zero_rows AS SELECT company_code, document_kind, document_no, event "
                f"FROM {table} WHERE {zero}")
    # a cancelled document's line is a row twice (posting and cancellation): count it once
    lines = scalar_int(con, "SELECT count(*) FILTER (WHERE event = 'posting') FROM _zero_rows")
    empty = scalar_int(con, f"""SELECT count(*) FROM (SELECT DISTINCT company_code, document_kind, document_no
                                                      FROM _zero_rows) z
                                WHERE NOT EXISTS (
                                    SELECT 1 FROM {table} b WHERE b.company_code = z.company_code
                                    AND b.document_kind = z.document_kind AND b.document_no = z.document_no
                                    AND NOT ({zero}))""")
    con.execute(f"DELETE FROM {table} WHERE {zero}")
    return lines, empty
