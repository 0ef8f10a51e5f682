"""The coding of an invoice line: tax codes, G/L accounts, cost centers and cost units, per company.

Only what a clerk may use is sent: records deleted in the ERP stay away, and so do blocked G/L accounts
and the tax codes of sales (d.velop codes incoming invoices).
"""

from __future__ import annotations

from .expressions import not_deleted, record_key
from .tax_categories import rate_category_2, standard_rates_sql, tax_code_category_1


def tax_codes_sql() -> str:
    """Input tax codes in use, with erpload's tax categories."""
    return f"""
SELECT {record_key('t.company_code', 't.tax_code')} AS _key, t.company_code AS _company_code,
       t.company_code AS company_id, t.tax_code AS id, t.name, t.rate_percent AS percentage,
       {tax_code_category_1('t.scope')} AS tax_category_1,
       {rate_category_2('t.rate_percent', 's.standard_rate')} AS tax_category_2
FROM erp.tax_codes t LEFT JOIN ({standard_rates_sql()}) s USING (company_code)
WHERE t.direction = 'input' AND {not_deleted('t')}
"""


def gl_accounts_sql() -> str:
    """G/L accounts in use (not deleted, not blocked); tax_category_2 from the automatic tax code's rate."""
    return f"""
SELECT {record_key('g.company_code', 'g.account_no')} AS _key, g.company_code AS _company_code,
       g.company_code AS company_id, g.account_no AS nr, g.name,
       {rate_category_2('t.rate_percent', 's.standard_rate')} AS tax_category_2
FROM erp.gl_accounts g
LEFT JOIN erp.tax_codes t ON t.company_code = g.company_code AND t.tax_code = g.auto_tax_code
LEFT JOIN ({standard_rates_sql()}) s ON s.company_code = g.company_code
WHERE {not_deleted('g')} AND NOT coalesce(g.is_blocked, false)
"""


def dimension_sql(table: str, code: str) -> str:
    """Cost centers or cost units in use: `erp.<table>` with its `<code>` column as d.velop's `nr`."""
    return f"""
SELECT {record_key('k.company_code', f'k.{code}')} AS _key, k.company_code AS _company_code,
       k.company_code AS company_id, k.{code} AS nr, k.name
FROM erp.{table} k
WHERE {not_deleted('k')}
"""
