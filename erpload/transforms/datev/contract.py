"""What the DATEV target reads from the canonical model (`erpload model --target datev`).

Checked against the target's SQL by `tests/test_model.py`: the transform, the export and reconcile run on
an `erp` that holds only these columns, so a column read but not declared here fails the test. (tax_codes'
rate_percent and direction are read by the tax consistency rules of issue 13, part 4.)
"""

from __future__ import annotations

from erpload.targets import TargetContract

_DOCUMENT = ("company_code", "currency_code", "exchange_rate", "header_text", "document_sha256", "status",
             "cancelled_on", "service_date", "due_date", "is_credit_note", "total_gross")
_LINE = ("company_code", "line_no", "description", "net_amount", "tax_code", "tax_amount", "account_no",
         "cost_center_code", "cost_unit_code")

CONTRACT = TargetContract(
    name="datev",
    doc="DATEV EXTF files: Buchungsstapel (posted invoices and journal entries), Debitoren/Kreditoren, "
        "Kontenbeschriftungen, Zahlungsbedingungen",
    reads={
        "companies": ("company_code", "country_code", "local_currency", "datev_consultant_no", "datev_client_no",
                      "fiscal_year_start_month", "chart_of_accounts", "gl_account_length", "datev_lock_batches"),
        "payment_terms": ("company_code", "payment_term_code", "name", "net_days", "discount_days",
                          "discount_percent", "datev_term_no", "is_deleted"),
        "tax_codes": ("company_code", "tax_code", "rate_percent", "direction", "scope", "datev_bu_key"),
        "gl_accounts": ("company_code", "account_no", "name", "auto_tax_code", "is_deleted"),
        "customers": ("company_code", "customer_no", "name", "name_2", "street", "zip_code", "city", "country_code",
                      "vat_id", "tax_number", "email", "phone", "payment_term_code", "is_deleted"),
        "vendors": ("company_code", "vendor_no", "name", "name_2", "street", "zip_code", "city", "country_code",
                    "vat_id", "tax_number", "email", "phone", "payment_term_code", "tax_scope", "is_deleted"),
        "vendor_bank_accounts": ("company_code", "vendor_no", "iban", "bic", "bank_name", "account_holder",
                                 "is_primary", "is_deleted"),
        "sales_invoices": ("invoice_no", "customer_no", "invoice_date", *_DOCUMENT),
        "sales_invoice_lines": ("invoice_no", *_LINE),
        "purchase_invoices": ("invoice_no", "vendor_invoice_no", "vendor_no", "invoice_date", *_DOCUMENT),
        "purchase_invoice_lines": ("invoice_no", *_LINE),
        "journal_entries": ("company_code", "entry_no", "posting_date", "document_date", "currency_code",
                            "exchange_rate", "description", "document_sha256", "is_reversal", "status",
                            "cancelled_on"),
        "journal_lines": ("company_code", "entry_no", "line_no", "account_type", "account_no", "debit", "credit",
                          "debit_lc", "credit_lc", "cost_center_code", "cost_unit_code", "line_text"),
    },
)
