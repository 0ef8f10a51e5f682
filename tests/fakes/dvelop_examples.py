"""The example record of each entity on d.velop's master-data page (reference/seeds/dvelop-...de.txt).

Copied field for field so the tests prove the fake accepts what d.velop documents. One change:
the vendor bank account example omits `id`, which the page's own table marks required.
"""

from __future__ import annotations

from typing import Any

_CUSTOM_NONE = {f"custom{i}": None for i in range(1, 21)}
_CUSTOM_EMPTY = {f"custom{i}": "" for i in range(1, 21)}

EXAMPLES: dict[str, dict[str, Any]] = {
    "companies": {
        "id": "01", "name": "docures AG", "parent_id": None, "address": "Musterstr. 23", "city": "Musterstadt",
        "zip_code": "12345", "local_currency": "EUR", "country": "DE",
    },
    "vendors": {
        "company_id": "01", "id": "50001", "name": "Schrauben Meier GmbH", "address": "Teststr. 6", "city": "Kiel",
        "zip_code": "24145", "country": "DE", "email": "schraubenmeier@example.com", "vat_id": "DE99999999",
        "registration_id": "1028502", "payment_terms_id": "10", "tax_category_1": "NATIONAL",
    },
    "vendor_bank_accounts": {
        "company_id": "01", "vendor_id": "50001", "id": "50001-1", "iban": "DE02100100100006820101",
        "bic": "PBNKDEFF", "primary": True,
    },
    "payment_terms": {
        "company_id": "01", "id": "NET30", "net_days": 30, "cashback_days1": 10, "cashback_percentage1": 2.5,
    },
    "document_types": {"company_id": "01", "id": "inv", "name": "Invoice", "credit_note": False},
    "currencies": {"company_id": "01", "id": "EUR", "name": "Euro", "code": "EUR"},
    "tax_codes": {
        "company_id": "01", "id": "S-DE", "name": "VSt 19%", "percentage": 19.0, "tax_category_1": "NATIONAL",
        "tax_category_2": "FULL",
    },
    "gl_accounts": {"company_id": "01", "nr": "6300", "name": "Sonstige betriebliche Aufwendungen"},
    "cost_centers": {"company_id": "01", "nr": "1000", "name": "Verwaltung"},
    "cost_units": {"company_id": "01", "nr": "PJ001", "name": "Projekt Neubau"},
    "other_dimensions": {
        "company_id": "01", "type": "project", "nr": "PJ001", "name": "Projekt Neubau",
        "parent_dimension_type": "Projektleiter", "parent_dimension_id": "1000",
    },
    "custom_entities": {"company_id": "01", "type": "project", "id": "PJ001", "name": "Projekt Neubau"},
    "purchase_orders": {
        "company_id": "01", "id": "PO001", "nr": "PO001", "name": "Office Supplies", "vendor_id": "50001",
        "status": 1, **_CUSTOM_NONE,
        "line_items": [
            {
                "company_id": "01", "purchase_order_id": "PO001", "id": "PO001_1", "line_no": 1,
                "quantity_ordered": 10.0, "quantity_received": 5.0, "quantity_not_invoiced": 5.0,
                "description": "Printer Paper, A4", "subtotal": 200.0, "unit": "Box", "unit_price": 20.0,
                "price_unit": 1.0, "gl_account": "6300", "cost_center": "1000", "cost_unit": None, "item": "102912",
                "tax_code_id": "DE_S", "discount_absolute": 0.0, "discount_per_unit": 0.0, "discount_percent": 0.0,
                "discount2_percent": 0.0, "discount3_percent": 0.0, "discount4_percent": 0.0,
                "discount5_percent": 0.0, **_CUSTOM_NONE, "procurement_category": None, "erp_id": "100",
                "type": "header_surcharge", "surcharged_line_item_id": "1", "surcharge_category": "pcs",
                "surcharge_value": "20.00", "responsible": "email@domain.de",
                "goods_receipt_reference_mandatory": True,
            }
        ],
    },
    "goods_receipts": {
        "company_id": "01", "vendor_id": "50001", "id": "GR001", "nr": "GR001", "creation_date": "2022-04-07",
        "delivery_slip_nr": "LS001", "status": 0,
        "line_items": [
            {
                "company_id": "01", "id": "GR001_1", "line_no": 1, "goods_receipt_date": "2022-04-07",
                "quantity": 2.7, "purchase_order_line_id": "PO001_1",
            }
        ],
    },
    "surcharge_types": {
        "company_id": "01", "nr": "TEST", "name": "Test_surcharge", "applies_to": "line_item_surcharge",
        "erp_id": "", "tenant_id": "", "category": "pcs", "quantity": "", "unit_price": "", "gl_account": "",
        "cost_center": "", "cost_unit": "", "item": "", "tax_code_id": "", **_CUSTOM_EMPTY, "tax_category": "",
        "procurement_category": "",
    },
}
