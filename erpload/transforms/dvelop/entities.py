"""The d.velop entities erpload sends: table (= API path), request model, mapping SQL and rules.

The canonical model has no source for three of d.velop's fifteen entities: other dimensions, custom
entities and surcharge types (surcharges exist only as purchase-order lines). They get no table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from erpload.validation import Check

from . import accounting, organisation, purchasing, vendors
from .models import (
    Company,
    CostCenter,
    CostUnit,
    Currency,
    DocumentType,
    GlAccount,
    GoodsReceipt,
    GoodsReceiptLineItem,
    PaymentTerm,
    PurchaseOrder,
    PurchaseOrderLineItem,
    Request,
    TaxCode,
    Vendor,
    VendorBankAccount,
)
from .rules import (
    GOODS_RECEIPT_LINE_RULES,
    GOODS_RECEIPT_RULES,
    PURCHASE_ORDER_LINE_RULES,
    PURCHASE_ORDER_RULES,
    VENDOR_RULES,
)


@dataclass(frozen=True)
class Lines:
    """The line items of a document entity: nested into the header's `line_items`."""

    model: type[Request]
    sql: str
    rules: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class Entity:
    """One d.velop entity: its table and API path `name`, its request model, the SELECT that maps
    canonical rows to it and the rules beyond the model's own."""

    name: str
    model: type[Request]
    sql: str
    #: the upsert key's fields, joined with '/' into `_key`
    key: tuple[str, ...]
    rules: list[Check] = field(default_factory=list)
    lines: Lines | None = None


def entities() -> list[Entity]:
    """Every entity with a canonical source, in the order d.velop's page lists them."""
    return [
        Entity("companies", Company, organisation.companies_sql(), ("id",)),
        Entity("vendors", Vendor, vendors.vendors_sql(), ("company_id", "id"), VENDOR_RULES),
        Entity("vendor_bank_accounts", VendorBankAccount, vendors.vendor_bank_accounts_sql(),
               ("company_id", "vendor_id", "id")),
        Entity("payment_terms", PaymentTerm, organisation.payment_terms_sql(), ("company_id", "id")),
        Entity("document_types", DocumentType, organisation.document_types_sql(), ("company_id", "id")),
        Entity("currencies", Currency, organisation.currencies_sql(), ("company_id", "id")),
        Entity("tax_codes", TaxCode, accounting.tax_codes_sql(), ("company_id", "id")),
        Entity("gl_accounts", GlAccount, accounting.gl_accounts_sql(), ("company_id", "nr")),
        Entity("cost_centers", CostCenter, accounting.dimension_sql("cost_centers", "cost_center_code"),
               ("company_id", "nr")),
        Entity("cost_units", CostUnit, accounting.dimension_sql("cost_units", "cost_unit_code"), ("company_id", "nr")),
        Entity("purchase_orders", PurchaseOrder, purchasing.purchase_orders_sql(), ("company_id", "id"),
               PURCHASE_ORDER_RULES,
               Lines(PurchaseOrderLineItem, purchasing.purchase_order_lines_sql(), PURCHASE_ORDER_LINE_RULES)),
        Entity("goods_receipts", GoodsReceipt, purchasing.goods_receipts_sql(), ("company_id", "id"),
               GOODS_RECEIPT_RULES,
               Lines(GoodsReceiptLineItem, purchasing.goods_receipt_lines_sql(), GOODS_RECEIPT_LINE_RULES)),
    ]
