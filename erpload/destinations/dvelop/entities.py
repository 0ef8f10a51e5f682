"""The d.velop entities erpload pushes, in push order: what other records refer to goes first (companies,
then their lookups, then vendors and documents).

Exactly the tables `erpload transform dvelop` writes (a test holds them equal): d.velop's other dimensions,
custom entities and surcharge types have no source in the canonical model, so they are neither written nor
offered by `erpload push dvelop --entity`.
"""

PUSH_ORDER: tuple[str, ...] = ("companies", "currencies", "payment_terms", "tax_codes", "document_types",
                               "gl_accounts", "cost_centers", "cost_units", "vendors", "vendor_bank_accounts",
                               "purchase_orders", "goods_receipts")
