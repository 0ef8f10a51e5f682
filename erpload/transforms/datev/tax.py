"""Tax of the invoice lines in the Buchungsstapel: the BU key a line gets, and what the tax rules read.

Facts from `../shared/reference/datev-tax-keys.md`:
- an automatic account (`gl_accounts.auto_tax_code`) books its own tax on the gross amount, so its lines carry
  no BU key; a 0 % line on an automatic account that taxes needs BU 40, or DATEV adds tax the ERP never had;
- a taxed line on any other account needs its tax code's BU key, or DATEV books the gross as net and the
  tax is lost;
- a key must agree with its tax code's direction, scope and rate (`BU_KEYS`).

A line whose tax code differs from its automatic account's (in rate, direction or scope) is rejected, not
keyed: DATEV books the account's own tax on whatever lands there and BU 40 is the one key meant to lift
that, so any other key would book beside the account's tax or be refused; the line belongs on the account
of its tax code. The 0 % line is the exception that BU 40 exists for. A line without a tax code on an
automatic account is taxed as the account says (that is what DATEV does with it), so the tax rules read
the account's code for it. Intra-EU acquisitions and § 13b services are self-assessed: the vendor invoices
without tax and DATEV books both taxes from the BU key, so the line's tax is expected to be 0.

Tolerance of the tax amount against rate x net: 0,01 per line (an ERP that rounds the tax per document and
spreads it over the lines, or prices gross, is off by up to a cent on a line); per document and tax code
0,01 plus 0,005 per further line (rounding per line is off by at most half a cent each), so a cent of drift
on every line of one invoice is caught although each line alone passes.

Journal entries carry their tax on lines of their own; their rows keep the key they had (none). The
invoice legs of `bookings` carry the line's net and tax (`line_tax`), so judging a line costs a few joins
to the handful of tax codes, not a join back to the invoice lines.
"""

from __future__ import annotations

import duckdb

from erpload.runs import Run

#: (direction, scope, rate %, keys DATEV accepts, the key as a bookkeeper reads it in a reject)
BU_KEYS: tuple[tuple[str, str, int, tuple[str, ...], str], ...] = (
    ("output", "domestic", 19, ("3",), "3"),
    ("output", "domestic", 7, ("2",), "2"),
    # 16 % (second half of 2020): DATEV's standard keys 5 and 7, not in the reference table
    ("output", "domestic", 16, ("5",), "5"),
    ("input", "domestic", 19, ("9",), "9"),
    ("input", "domestic", 7, ("8",), "8"),
    ("input", "domestic", 16, ("7",), "7"),
    ("input", "eu", 19, ("19",), "19"),
    ("input", "eu", 7, ("18",), "18"),
    ("input", "reverse_charge", 19, ("94", "95", "46"),
     "94 (95 without Vorsteuer deduction, 46 for a service from another EU country)"),
    ("input", "reverse_charge", 7, ("91", "92"), "91 (92 without Vorsteuer deduction)"),
)

LINE_TOLERANCE = "0.01"
#: per document and tax code: LINE_TOLERANCE + this per further line
DOCUMENT_TOLERANCE_PER_LINE = "0.005"


def _bu_keys_values() -> str:
    rows = ", ".join(
        f"('{d}', '{s}', {rate}, [{', '.join(repr(k) for k in keys)}], '{shown}')"
        for d, s, rate, keys, shown in BU_KEYS)
    return f"(VALUES {rows}) AS k(direction, scope, rate_percent, keys, expected)"


_TAXED_KEYS = "[" + ", ".join(sorted({f"'{k}'" for *_, keys, _shown in BU_KEYS for k in keys})) + "]"

#: a leg's `line_tax`: an invoice line's net and tax as the ERP has them; NULL for journal entries. A
#: cancellation row repeats its posting's line, so it gets the same key (a Generalumkehr keeps the BU key)
NO_LINE_TAX = "CAST(NULL AS STRUCT(net DECIMAL(18, 2), tax DECIMAL(18, 2)))"


def line_tax_sql(line: str) -> str:
    return f"{{'net': {line}.net_amount, 'tax': coalesce({line}.tax_amount, 0)}}"


def _due_rate(code: str) -> str:
    """The tax rate the invoice itself must show: none for self-assessed codes."""
    return f"CASE WHEN {_self_assessed(code)} THEN 0 ELSE {code}.rate_percent END"


def _self_assessed(code: str) -> str:
    return f"({code}.direction = 'input' AND {code}.scope IN ('eu', 'reverse_charge'))"


def tax_ctes() -> str:
    """The CTE `tax_documents`: the invoices and tax codes whose lines' tax is off rate x net by more than
    the tolerance (few: so joining them costs next to nothing); to go last into the bookings statement's
    WITH list. 0,00 lines are not booked and do not widen the tolerance."""
    return f"""
tax_documents AS (
    SELECT t.document_kind, t.company_code, t.document_no, c.tax_code, count(*) AS lines,
           min(t.line_no) AS first_line, sum(t.tax_amount - t.net_amount * ({_due_rate('c')}) * 0.01) AS tax_diff
    FROM (SELECT 'sales_invoice' AS document_kind, company_code, invoice_no AS document_no, line_no, net_amount,
                 coalesce(tax_amount, 0) AS tax_amount, tax_code, account_no FROM erp.sales_invoice_lines
          UNION ALL
          SELECT 'purchase_invoice', company_code, invoice_no, line_no, net_amount, coalesce(tax_amount, 0),
                 tax_code, account_no FROM erp.purchase_invoice_lines) t
    LEFT JOIN erp.gl_accounts g USING (company_code, account_no)
    JOIN erp.tax_codes c ON c.company_code = t.company_code AND c.tax_code = coalesce(t.tax_code, g.auto_tax_code)
    WHERE t.net_amount <> 0 OR t.tax_amount <> 0
    GROUP BY ALL
    HAVING abs(tax_diff) > {LINE_TOLERANCE} + {DOCUMENT_TOLERANCE_PER_LINE} * (lines - 1)
)"""


# over the legs `l`, the line's account `gl` and the joins of TAX_JOINS: `atc` the account's automatic tax
# code, `ttc` the code the line is taxed by (its own, or its automatic account's when it has none)
_BU_40 = "(l.tax_code IS NOT NULL AND ttc.rate_percent = 0 AND atc.rate_percent <> 0)"


def bu_key_sql(fallback: str) -> str:
    """Column 9 of a row: `fallback` for rows that are not invoice lines (journal entries)."""
    return f"""CASE WHEN l.line_tax IS NULL THEN {fallback}
            WHEN {_BU_40} THEN '40'
            WHEN atc.tax_code IS NULL THEN ttc.datev_bu_key END"""


#: what the tax rules read; not kept in `datev.bookings`
TAX_RULE_COLUMNS = ("tax_code", "taxed_as", "tax_net", "tax_amount", "tax_rate", "tax_direction", "tax_self_assessed",
                    "tax_diff", "auto_tax_code", "auto_tax_mismatch", "tax_code_bu_key", "expected_bu_key",
                    "bu_key_ok", "tax_document_diff", "tax_document_lines", "tax_document_first")

#: the select list of TAX_RULE_COLUMNS; `taxed_as` is the tax code the rules judge the line by
TAX_COLUMNS = f"""l.tax_code, ttc.tax_code AS taxed_as, l.line_tax.net AS tax_net, l.line_tax.tax AS tax_amount,
       ttc.rate_percent AS tax_rate, ttc.direction AS tax_direction, {_self_assessed('ttc')} AS tax_self_assessed,
       l.line_tax.tax - l.line_tax.net * ({_due_rate('ttc')}) * 0.01 AS tax_diff, atc.tax_code AS auto_tax_code,
       l.tax_code IS NOT NULL AND atc.tax_code IS NOT NULL AND NOT {_BU_40}
           AND (atc.direction IS DISTINCT FROM ttc.direction OR atc.scope IS DISTINCT FROM ttc.scope
                OR atc.rate_percent IS DISTINCT FROM ttc.rate_percent) AS auto_tax_mismatch,
       ttc.datev_bu_key AS tax_code_bu_key,
       CASE WHEN ttc.rate_percent = 0 THEN 'none' ELSE k.expected END AS expected_bu_key,
       -- NULL: a key erpload cannot judge (a rate or scope the reference has no key for)
       CASE WHEN ttc.rate_percent = 0 THEN NOT coalesce(list_contains({_TAXED_KEYS}, ttc.datev_bu_key), false)
            WHEN ttc.tax_code IS NOT NULL AND ttc.datev_bu_key IS NULL THEN false
            WHEN k.keys IS NOT NULL THEN list_contains(k.keys, ttc.datev_bu_key) END AS bu_key_ok,
       td.tax_diff AS tax_document_diff, td.lines AS tax_document_lines,
       td.first_line = l.line_no AS tax_document_first"""

#: tax codes are few, so these joins hash a handful of rows; "is an invoice line" goes into the join key,
#: as a condition of its own in a LEFT JOIN makes DuckDB loop over every pair of rows
TAX_JOINS = f"""LEFT JOIN erp.tax_codes atc ON atc.company_code = l.company_code
      AND atc.tax_code = CASE WHEN l.line_tax IS NOT NULL THEN gl.auto_tax_code END
LEFT JOIN erp.tax_codes ttc ON ttc.company_code = l.company_code
      AND ttc.tax_code = CASE WHEN l.line_tax IS NOT NULL THEN coalesce(l.tax_code, gl.auto_tax_code) END
LEFT JOIN {_bu_keys_values()} ON k.direction = ttc.direction AND k.scope = ttc.scope
      AND k.rate_percent = ttc.rate_percent
LEFT JOIN tax_documents td ON td.document_kind = l.document_kind AND td.company_code = l.company_code
      AND td.document_no = l.document_no AND td.tax_code = ttc.tax_code"""


def note_unjudged_keys(con: duckdb.DuckDBPyConnection, work: str, run: Run) -> None:
    """Keys written that the reference table cannot judge go out as the ERP has them: say so."""
    row = con.execute(f"""SELECT count(*), string_agg(DISTINCT taxed_as || ' key ' || tax_code_bu_key, ', ')
                          FROM {work} WHERE bu_key_ok IS NULL AND bu_key = tax_code_bu_key""").fetchone()
    if row and row[0]:
        run.note(f"datev.bookings: {row[0]:,} lines carry a BU key erpload has no reference for (tax codes "
                 f"{row[1]}); they go out as the ERP keys them: let the tax adviser confirm the keys")

