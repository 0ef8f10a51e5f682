"""Posted invoices and bills with everything a booking proposal needs, once for all systems.

Two SELECTs over the canonical model: one row per posted document (`documents_sql`) and one per line
of a posted document (`lines_sql`). Only `posted` documents appear: a draft is not booked yet, a
cancelled document never reaches a target (DESIGN.md, "Documents have a lifecycle"). A sales invoice
is an INVOICE, a purchase invoice a BILL; the record key is company/type/our number
(`1000/INVOICE/RE-2026-0001`, `1000/BILL/ER-2026-0004`), the proposal's `number` the number on the
receipt (for a bill, the vendor's). Each system's mapping (`systems`) picks its fields from these rows.
"""

from __future__ import annotations

from .expressions import record_key

_NOT_DELETED = "NOT coalesce({}.is_deleted, false)"


def documents_sql() -> str:
    """One row per posted sales or purchase invoice, with its contact, the vendor's IBAN and the receipt file."""
    return f"""
WITH primary_iban AS (
    SELECT company_code, vendor_no, count(*) AS primary_accounts,
           min(nullif(upper(regexp_replace(iban, '[ .\\-]', '', 'g')), '')) AS iban
    FROM erp.vendor_bank_accounts b WHERE b.is_primary AND {_NOT_DELETED.format('b')}
    GROUP BY ALL
), docs AS (
    SELECT 'INVOICE' AS booking_type, s.company_code, s.invoice_no, s.invoice_no AS number, s.is_credit_note,
           'customer' AS contact_role, s.customer_no AS contact_no, c.name AS contact_name, c.city AS contact_city,
           c.maesn_contact_id, NULL::VARCHAR AS iban, 0::BIGINT AS primary_accounts,
           s.invoice_date, s.service_date, s.due_date, s.currency_code, s.total_gross, s.payment_term_code,
           s.header_text, s.document_sha256
    FROM erp.sales_invoices s
    LEFT JOIN erp.customers c ON c.company_code = s.company_code AND c.customer_no = s.customer_no
    WHERE s.status = 'posted'
    UNION ALL
    SELECT 'BILL', p.company_code, p.invoice_no, p.vendor_invoice_no, p.is_credit_note,
           'vendor', p.vendor_no, v.name, v.city, v.maesn_contact_id, b.iban, coalesce(b.primary_accounts, 0),
           p.invoice_date, p.service_date, p.due_date, p.currency_code, p.total_gross, p.payment_term_code,
           p.header_text, p.document_sha256
    FROM erp.purchase_invoices p
    LEFT JOIN erp.vendors v ON v.company_code = p.company_code AND v.vendor_no = p.vendor_no
    LEFT JOIN primary_iban b ON b.company_code = p.company_code AND b.vendor_no = p.vendor_no
    WHERE p.status = 'posted'
)
SELECT {record_key('docs.company_code', 'docs.booking_type', 'docs.invoice_no')} AS _key,
       docs.company_code AS _company_code, docs.*,
       f.file_name, f.sha256 AS file_sha256, f.mime_type AS file_mime_type
FROM docs
LEFT JOIN erp.documents f ON f.company_code = docs.company_code AND f.sha256 = docs.document_sha256
"""


def lines_sql() -> str:
    """One row per line of a posted document, with its document's `_key`, account and tax code."""
    parts = []
    for booking_type, header, lines in (("INVOICE", "sales_invoices", "sales_invoice_lines"),
                                        ("BILL", "purchase_invoices", "purchase_invoice_lines")):
        parts.append(f"""
SELECT {record_key('l.company_code', f"'{booking_type}'", 'l.invoice_no')} AS _key, l.line_no, l.description,
       l.account_no, g.name AS account_name, g.auto_tax_code, l.tax_code, t.rate_percent, t.datev_bu_key,
       l.net_amount, l.tax_amount, l.net_amount + l.tax_amount AS gross_amount,
       l.cost_center_code, l.cost_unit_code
FROM erp.{lines} l
JOIN erp.{header} h ON h.company_code = l.company_code AND h.invoice_no = l.invoice_no AND h.status = 'posted'
LEFT JOIN erp.gl_accounts g ON g.company_code = l.company_code AND g.account_no = l.account_no
LEFT JOIN erp.tax_codes t ON t.company_code = l.company_code AND t.tax_code = l.tax_code""")
    return "\nUNION ALL".join(parts)
