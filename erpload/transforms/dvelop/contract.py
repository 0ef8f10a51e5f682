"""What the d.velop target reads from the canonical model (`erpload model --target dvelop`).

Checked against the target's SQL by `tests/test_model.py`: the transform runs on an `erp` that holds
only these columns, so a column read but not declared here fails the test.
"""

from __future__ import annotations

from erpload.targets import TargetContract

CONTRACT = TargetContract(
    name="dvelop",
    doc="d.velop smart invoice master data: companies, vendors and their bank accounts, tax codes, G/L accounts, "
        "cost centers and units, payment terms, purchase orders, goods receipts",
    reads={
        "companies": ("company_code", "name", "street", "zip_code", "city", "country_code", "local_currency"),
        "currencies": ("currency_code", "name"),
        "document_types": ("company_code", "document_type_code", "name", "ledger", "is_credit_note"),
        "payment_terms": ("company_code", "payment_term_code", "name", "net_days", "discount_days",
                          "discount_percent", "is_deleted"),
        "tax_codes": ("company_code", "tax_code", "name", "rate_percent", "direction", "scope", "is_deleted"),
        "gl_accounts": ("company_code", "account_no", "name", "auto_tax_code", "is_blocked", "is_deleted"),
        "cost_centers": ("company_code", "cost_center_code", "name", "is_deleted"),
        "cost_units": ("company_code", "cost_unit_code", "name", "is_deleted"),
        "vendors": ("company_code", "vendor_no", "name", "street", "zip_code", "city", "country_code", "email",
                    "vat_id", "tax_number", "payment_term_code", "tax_scope", "is_deleted"),
        "vendor_bank_accounts": ("company_code", "vendor_no", "iban", "bic", "is_primary", "is_deleted"),
        "purchase_orders": ("company_code", "po_no", "vendor_no", "description", "status", "buyer"),
        "purchase_order_lines": ("company_code", "po_no", "line_no", "line_type", "item_no", "description",
                                 "quantity_ordered", "quantity_received", "quantity_invoiced", "unit", "unit_price",
                                 "price_unit", "net_amount", "account_no", "cost_center_code", "cost_unit_code",
                                 "tax_code", "surcharged_line_no", "surcharge_category", "surcharge_value",
                                 "erp_id"),
        "goods_receipts": ("company_code", "receipt_no", "vendor_no", "receipt_date", "delivery_note_no"),
        "goods_receipt_lines": ("company_code", "receipt_no", "line_no", "po_no", "po_line_no", "quantity",
                                "posted_date"),
    },
)
