"""Companies and what every company's invoices need: currencies, document types, payment terms.

Each SELECT yields `_key`, `_company_code` and the d.velop fields, named as in the API.
"""

from __future__ import annotations

from .expressions import not_deleted, record_key


def companies_sql() -> str:
    """One d.velop company (Mandant) per company code."""
    return f"""
SELECT {record_key('c.company_code')} AS _key, c.company_code AS _company_code,
       c.company_code AS id, c.name, c.street AS address, c.city, c.zip_code, c.local_currency,
       c.country_code AS country
FROM erp.companies c
"""


def currencies_sql() -> str:
    """Every currency of the ERP, for every company: d.velop keys currencies by company and id."""
    return f"""
SELECT {record_key('c.company_code', 'x.currency_code')} AS _key, c.company_code AS _company_code,
       c.company_code AS company_id, x.currency_code AS id, x.name, x.currency_code AS code
FROM erp.companies c CROSS JOIN erp.currencies x
"""


def document_types_sql() -> str:
    """The purchase ledger's document types (invoice, credit note): d.velop handles incoming invoices."""
    return f"""
SELECT {record_key('d.company_code', 'd.document_type_code')} AS _key, d.company_code AS _company_code,
       d.company_code AS company_id, d.document_type_code AS id, d.name, d.is_credit_note AS credit_note
FROM erp.document_types d
WHERE d.ledger = 'purchase'
"""


def payment_terms_sql() -> str:
    """Payment terms in use, per company, with their one cash discount."""
    return f"""
SELECT {record_key('p.company_code', 'p.payment_term_code')} AS _key, p.company_code AS _company_code,
       p.company_code AS company_id, p.payment_term_code AS id, p.net_days,
       p.discount_days AS cashback_days1, p.discount_percent AS cashback_percentage1, p.name
FROM erp.payment_terms p
WHERE {not_deleted('p')}
"""
