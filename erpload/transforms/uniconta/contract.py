"""What the Uniconta target reads from the canonical model (`erpload model --target uniconta`)."""

from __future__ import annotations

from erpload.targets import TargetContract

CONTRACT = TargetContract(
    name="uniconta",
    doc="Telecom X's Uniconta invoice export: per reseller and month, which Telecom X invoices go to Uniconta "
        "as drafts and which are left out, and why",
    reads={
        "companies": ("company_code", "name", "telecomx_reseller_id"),
        "customers": ("company_code", "customer_no", "name", "uniconta_account_id"),
        "sales_invoices": ("company_code", "invoice_no", "customer_no", "invoice_date", "currency_code",
                           "total_gross", "status", "telecomx_invoice_id"),
    },
)
