"""What the Maesn target reads from the canonical model (`erpload model --target maesn`).

Checked against the target's SQL by `tests/test_model.py`: the transform runs on an `erp` that holds
only these columns, so a column read but not declared here fails the test.
"""

from __future__ import annotations

from erpload.targets import TargetContract

_DOCUMENT = ("company_code", "invoice_no", "is_credit_note", "invoice_date", "service_date", "due_date",
             "currency_code", "total_gross", "payment_term_code", "header_text", "document_sha256", "status")
_LINE = ("company_code", "invoice_no", "line_no", "description", "net_amount", "tax_code", "tax_amount",
         "account_no", "cost_center_code", "cost_unit_code")

CONTRACT = TargetContract(
    name="maesn",
    doc="Maesn booking proposals: posted sales invoices and bills with their lines and receipts, per accounting "
        "system (DATEV Unternehmen Online, Exact, Lexware Office, sevdesk, Xero)",
    reads={
        "companies": ("company_code",),
        "customers": ("company_code", "customer_no", "name", "city", "maesn_contact_id"),
        "vendors": ("company_code", "vendor_no", "name", "city", "maesn_contact_id"),
        "vendor_bank_accounts": ("company_code", "vendor_no", "iban", "is_primary", "is_deleted"),
        "gl_accounts": ("company_code", "account_no", "name", "auto_tax_code"),
        "tax_codes": ("company_code", "tax_code", "rate_percent", "datev_bu_key"),
        "documents": ("company_code", "sha256", "file_name", "mime_type"),
        "sales_invoices": (*_DOCUMENT, "customer_no"),
        "sales_invoice_lines": _LINE,
        "purchase_invoices": (*_DOCUMENT, "vendor_no", "vendor_invoice_no"),
        "purchase_invoice_lines": _LINE,
    },
)
