"""Vendors with their tax category, and their bank accounts.

Vendors deleted in the ERP are not sent, nor are their bank accounts. IBAN, BIC and VAT id go out
compacted (no blanks, dots or dashes, capitals), the form d.velop compares with what it reads on an
invoice. A bank account's d.velop id is its IBAN: the canonical key of a bank account.
"""

from __future__ import annotations

from .expressions import compact, not_deleted, record_key
from .tax_categories import vendor_category_1


def vendors_sql() -> str:
    """Vendors in use; `payment_term_known` (a rule column) says whether their payment term is sent too."""
    return f"""
SELECT {record_key('v.company_code', 'v.vendor_no')} AS _key, v.company_code AS _company_code,
       v.company_code AS company_id, v.vendor_no AS id, v.name, v.street AS address, v.city, v.zip_code,
       v.country_code AS country, v.email, {compact('v.vat_id')} AS vat_id, v.tax_number AS registration_id,
       v.payment_term_code AS payment_terms_id, {vendor_category_1('v.tax_scope')} AS tax_category_1,
       v.payment_term_code IS NULL OR p.payment_term_code IS NOT NULL AS payment_term_known
FROM erp.vendors v
LEFT JOIN erp.payment_terms p
       ON p.company_code = v.company_code AND p.payment_term_code = v.payment_term_code AND {not_deleted('p')}
WHERE {not_deleted('v')}
"""


def vendor_bank_accounts_sql() -> str:
    """Bank accounts in use of vendors in use."""
    return f"""
WITH b AS (
    SELECT b.company_code, b.vendor_no, {compact('b.iban')} AS iban, {compact('b.bic')} AS bic, b.is_primary
    FROM erp.vendor_bank_accounts b
    JOIN erp.vendors v ON v.company_code = b.company_code AND v.vendor_no = b.vendor_no AND {not_deleted('v')}
    WHERE {not_deleted('b')}
)
SELECT {record_key('company_code', 'vendor_no', 'iban')} AS _key, company_code AS _company_code,
       company_code AS company_id, vendor_no AS vendor_id, iban AS id, iban, bic, is_primary AS "primary"
FROM b
"""
