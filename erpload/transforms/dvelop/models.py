"""The request objects of the d.velop smart invoice master-data API: one pydantic model per entity.

Source: `reference/seeds/dvelop-smart-invoice-masterdata-api.de.txt` ("Übertragen von Stammdaten"),
one model per section, fields named and typed as in its property tables: "Verpflichtend" is a
required field, "String" a JSON string, "Number" a JSON number, "Boolean" a JSON boolean, "Date"
a `YYYY-MM-DD` string. The models are strict (a "10" is not a Number) and refuse unknown fields.

These models are the single source of the d.velop rules. The transform compiles each field's
constraints to SQL (`erpload.validation.field_checks`), checks the identifier fields (IBAN, BIC,
VAT id) with python-stdnum once per distinct value (`identifiers`), and evaluates each model's
`record_rules` (rules between fields of one record) in SQL; the models run the same rules on one
record, and the tests prove both verdicts agree.

Where erpload decides what the page leaves open:
- Ids and numbers that identify a record must not be empty; names too.
- `country` is an ISO 3166-1 alpha-2 code and currency codes are ISO 4217 codes, checked by form
  (two or three capitals): no ISO 3166/4217 library is installed.
- No field has a documented length, so none is enforced: an overlong name goes to d.velop as it is.
- Days are whole numbers and not negative, percentages between 0 and 100.
- `tax_category_1` / `tax_category_2` are free strings at d.velop; erpload's vocabulary is fixed here
  (`TaxCategory1`, `TaxCategory2`), the same on vendors, G/L accounts and tax codes, so that
  d.velop's matching of the two categories finds the tax code.
- A purchase-order line's `type` is required, and the page names only the two surcharge kinds; an
  ordinary article line is sent as `item` [UNVERIFIED]. A surcharge line has no article number:
  `item` (required) is sent as "" there, and must not be empty on an article line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field

from erpload.validation import RecordRule, StrictRecord

from .identifiers import Identifier, validator

TARGET = "d.velop"

TaxCategory1 = Literal["NATIONAL", "EU", "THIRD_COUNTRY"]
TaxCategory2 = Literal["FULL", "REDUCED", "ZERO"]
LineType = Literal["item", "header_surcharge", "line_item_surcharge"]
SurchargeCategory = Literal["pcs", "fixed", "percent"]


def dvelop(label: str, hint: str, **extra: Any) -> dict[str, Any]:
    """json_schema_extra for a field: its label in reasons, the fix, and what the rule checks."""
    return {"column": label, "fix": hint, **extra}


def _key(label: str, hint: str) -> Any:
    return Field(min_length=1, json_schema_extra=dvelop(label, hint))


def _text(label: str, hint: str) -> Any:
    return Field(min_length=1, json_schema_extra=dvelop(label, hint))


def _country(label: str, hint: str, **kw: Any) -> Any:
    return Field(pattern=r"^[A-Z]{2}$", json_schema_extra=dvelop(
        label, hint, form="an ISO 3166-1 alpha-2 country code (DE, DK, ...)"), **kw)


def _currency(label: str, hint: str, **kw: Any) -> Any:
    return Field(pattern=r"^[A-Z]{3}$", json_schema_extra=dvelop(
        label, hint, form="an ISO 4217 currency code (EUR, DKK, ...)"), **kw)


def _identifier(kind: Identifier, label: str, hint: str) -> Any:
    return Field(default=None, json_schema_extra=dvelop(label, hint, identifier=kind))


Number = float  # strict: a JSON integer or decimal, never a string or a boolean


class Request(StrictRecord):
    """A d.velop request object: strict JSON types, no unknown fields, the record rules applied."""


class Company(Request):
    """Companies (Mandanten): the recipients of invoices, one per company code."""

    id: Annotated[str, _key("company id", "give the company a company code in the ERP")]
    name: Annotated[str, _text("company name", "enter the company's name in the ERP, as on its invoices")]
    parent_id: str | None = None  # example body only
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    local_currency: Annotated[str | None, _currency(
        "local currency", "store the company's local currency as an ISO 4217 code", default=None)]
    country: Annotated[str | None, _country(
        "company country", "store the company's country as an ISO 3166 2-letter code", default=None)]


def _eu_vendor_without_vat_id(r: Mapping[str, Any]) -> bool:
    return r.get("tax_category_1") == "EU" and r.get("vat_id") is None


class Vendor(Request):
    """Vendors (Kreditoren): the senders of invoices; `id` is unique per company."""

    record_rules: ClassVar[tuple[RecordRule, ...]] = (
        RecordRule("vat_id", "tax_category_1 = 'EU' AND vat_id IS NULL",
                   "'the vendor in ' || coalesce(country, '?') || ' has tax category EU (intra-community "
                   "acquisition) but no VAT id; d.velop recognises the vendor and checks its invoices by it'",
                   "store the vendor's VAT id in the ERP",
                   _eu_vendor_without_vat_id, code="dvelop.vendors.eu_without_vat_id"),
    )

    company_id: Annotated[str, _key("company", "give the vendor a company")]
    id: Annotated[str, _key("vendor number", "give the vendor a number in the ERP")]
    name: Annotated[str, _text("vendor name", "enter the vendor's name in the ERP, as on its invoices")]
    address: Annotated[str, _text("vendor address", "enter the vendor's street and house number in the ERP")]
    city: Annotated[str, _text("vendor city", "enter the vendor's city in the ERP")]
    zip_code: Annotated[str, _text("vendor postcode", "enter the vendor's postcode in the ERP")]
    country: Annotated[str, _country("vendor country", "store the vendor's country as an ISO 3166 2-letter code")]
    email: str | None = None  # the page's table lost this row's name; its example calls it `email`
    vat_id: Annotated[str | None, AfterValidator(validator("vat")), _identifier(
        "vat", "vendor VAT id", "correct the vendor's VAT id in the ERP (country prefix and number)")]
    registration_id: str | None = None
    payment_terms_id: str | None = None
    tax_category_1: Annotated[TaxCategory1 | None, Field(default=None, json_schema_extra=dvelop(
        "tax category", "set the vendor's tax scope in the ERP to domestic, EU or third country"))]


class VendorBankAccount(Request):
    """Vendor Bank Accounts: a vendor's accounts; the page's table requires `id`, its example omits it."""

    company_id: Annotated[str, _key("company", "give the vendor a company")]
    vendor_id: Annotated[str, _key("vendor number", "give the vendor a number in the ERP")]
    id: Annotated[str, _key("bank account id", "store the bank account's IBAN in the ERP")]
    iban: Annotated[str, AfterValidator(validator("iban")), Field(json_schema_extra=dvelop(
        "IBAN", "correct the vendor's IBAN in the ERP", identifier="iban"))]
    bic: Annotated[str | None, AfterValidator(validator("bic")), _identifier(
        "bic", "BIC", "correct the BIC of the vendor's bank in the ERP (or leave it empty)")]
    primary: Annotated[bool, Field(json_schema_extra=dvelop(
        "primary", "mark in the ERP whether this is the vendor's main bank account"))]


def _cashback_half_given(r: Mapping[str, Any]) -> bool:
    return (r.get("cashback_days1") is None) != (r.get("cashback_percentage1") is None)


class PaymentTerm(Request):
    """Payment Terms (Zahlungsbedingungen): net days and one cash discount (Skonto)."""

    record_rules: ClassVar[tuple[RecordRule, ...]] = (
        RecordRule("cashback_percentage1", "(cashback_days1 IS NULL) <> (cashback_percentage1 IS NULL)",
                   "'the payment term has a cash discount ' || CASE WHEN cashback_days1 IS NULL "
                   "THEN 'percentage but no days' ELSE 'period but no percentage' END",
                   "give the payment term both the discount days and the discount percentage, or neither",
                   _cashback_half_given, code="dvelop.payment_terms.discount_incomplete"),
    )

    company_id: str | None = None  # none: the term is valid for every company
    id: Annotated[str, _key("payment term", "give the payment term a code in the ERP")]
    net_days: Annotated[int | None, Field(default=None, ge=0, json_schema_extra=dvelop(
        "net days", "correct the payment term's net days in the ERP"))]
    cashback_days1: Annotated[int | None, Field(default=None, ge=0, json_schema_extra=dvelop(
        "discount days", "correct the payment term's discount days in the ERP"))]
    cashback_percentage1: Annotated[Number | None, Field(default=None, ge=0, le=100, json_schema_extra=dvelop(
        "discount percentage", "correct the payment term's discount percentage in the ERP"))]
    name: str | None = None


class DocumentType(Request):
    """Document Types (Belegarten): at least invoice and credit note."""

    company_id: str | None = None
    id: Annotated[str, _key("document type", "give the document type a code in the ERP")]
    name: Annotated[str, _text("document type name", "name the document type in the ERP")]
    credit_note: Annotated[bool, Field(json_schema_extra=dvelop(
        "credit note", "mark in the ERP whether the document type is a credit note"))]


class Currency(Request):
    """Currencies (Währungen)."""

    company_id: str | None = None
    id: Annotated[str, _key("currency", "give the currency a code in the ERP")]
    name: Annotated[str, _text("currency name", "name the currency in the ERP")]
    code: Annotated[str, _currency("currency code", "use the ISO 4217 code (EUR, USD, ...) for the currency")]


class TaxCode(Request):
    """Tax Codes (Steuerschlüssel). The page marks company_id required and in the same cell says a missing
    one means every company; erpload always sends it."""

    company_id: Annotated[str, _key("company", "give the tax code a company")]
    id: Annotated[str, _key("tax code", "give the tax code a code in the ERP")]
    name: Annotated[str, _text("tax code name", "name the tax code in the ERP")]
    percentage: Annotated[Number, Field(ge=0, le=100, json_schema_extra=dvelop(
        "tax rate", "correct the tax code's rate in the ERP"))]
    tax_category_1: Annotated[TaxCategory1 | None, Field(default=None, json_schema_extra=dvelop(
        "tax category 1", "set the tax code's scope in the ERP"))]
    tax_category_2: Annotated[TaxCategory2 | None, Field(default=None, json_schema_extra=dvelop(
        "tax category 2", "correct the tax code's rate in the ERP"))]


class GlAccount(Request):
    """G/L Accounts (Sachkonten)."""

    company_id: str | None = None
    nr: Annotated[str, _key("account number", "give the G/L account a number in the ERP")]
    name: Annotated[str, _text("account name", "name the G/L account in the ERP")]
    tax_category_2: Annotated[TaxCategory2 | None, Field(default=None, json_schema_extra=dvelop(
        "tax category 2", "correct the rate of the account's automatic tax code in the ERP"))]


class CostCenter(Request):
    """Cost Centers (Kostenstellen)."""

    company_id: str | None = None
    nr: Annotated[str, _key("cost center", "give the cost center a code in the ERP")]
    name: Annotated[str, _text("cost center name", "name the cost center in the ERP")]


class CostUnit(Request):
    """Cost Units (Kostenträger)."""

    company_id: str | None = None
    nr: Annotated[str, _key("cost unit", "give the cost unit a code in the ERP")]
    name: Annotated[str, _text("cost unit name", "name the cost unit in the ERP")]


class OtherDimension(Request):
    """Other Dimensions (Zusätzliche Dimensionen): values of line-level custom fields, grouped by `type`.
    The canonical model has none; the model documents the contract."""

    company_id: str | None = None
    type: Annotated[str, _key("dimension type", "give the dimension a type")]
    nr: Annotated[str, _key("dimension value", "give the dimension value a number")]
    name: Annotated[str, _text("dimension name", "name the dimension value")]
    parent_dimension_type: str | None = None
    parent_dimension_id: str | None = None


class CustomEntity(Request):
    """Custom Entities (Zusätzliche Entitäten): values of header-level custom fields, grouped by `type`.
    The canonical model has none; the model documents the contract."""

    company_id: str | None = None
    type: Annotated[str, _key("entity type", "give the entity a type")]
    id: Annotated[str, _key("entity id", "give the entity value an id")]
    name: Annotated[str, _text("entity name", "name the entity value")]


def _item_line_without_item(r: Mapping[str, Any]) -> bool:
    return r.get("type") == "item" and r.get("item") == ""


def _surcharge_without_line(r: Mapping[str, Any]) -> bool:
    return r.get("type") == "line_item_surcharge" and r.get("surcharged_line_item_id") is None


def _surcharge_without_category(r: Mapping[str, Any]) -> bool:
    return r.get("type") in ("header_surcharge", "line_item_surcharge") and (
        r.get("surcharge_category") is None or r.get("surcharge_value") is None)


class CustomFields(Request):
    """`custom1` to `custom20`: free text fields of orders, order lines and surcharge types (String)."""

    custom1: str | None = None
    custom2: str | None = None
    custom3: str | None = None
    custom4: str | None = None
    custom5: str | None = None
    custom6: str | None = None
    custom7: str | None = None
    custom8: str | None = None
    custom9: str | None = None
    custom10: str | None = None
    custom11: str | None = None
    custom12: str | None = None
    custom13: str | None = None
    custom14: str | None = None
    custom15: str | None = None
    custom16: str | None = None
    custom17: str | None = None
    custom18: str | None = None
    custom19: str | None = None
    custom20: str | None = None


class PurchaseOrderLineItem(CustomFields):
    """A purchase-order line ("Bestellposition"), article or surcharge; `id` is unique across all orders."""

    record_rules: ClassVar[tuple[RecordRule, ...]] = (
        RecordRule("item", "type = 'item' AND item = ''",
                   "'the article line has no article number'",
                   "enter the article number on the order line in the ERP", _item_line_without_item,
                   code="dvelop.purchase_order_lines.article_without_number"),
        RecordRule("surcharged_line_item_id", "type = 'line_item_surcharge' AND surcharged_line_item_id IS NULL",
                   "'the surcharge line does not name the order line it applies to'",
                   "link the surcharge to its order line in the ERP", _surcharge_without_line,
                   code="dvelop.purchase_order_lines.surcharge_without_line"),
        RecordRule("surcharge_category",
                   "type IN ('header_surcharge', 'line_item_surcharge') "
                   "AND (surcharge_category IS NULL OR surcharge_value IS NULL)",
                   "'the surcharge line has no ' || CASE WHEN surcharge_category IS NULL "
                   "THEN 'surcharge category (per piece, fixed or percent)' ELSE 'surcharge value' END",
                   "set the surcharge's category and value on the order line in the ERP",
                   _surcharge_without_category, code="dvelop.purchase_order_lines.surcharge_incomplete"),
    )

    company_id: Annotated[str, _key("company", "give the order a company")]
    purchase_order_id: str | None = None  # example body only
    id: Annotated[str, _key("order line id", "give the order line a number in the ERP")]
    line_no: Annotated[int, Field(json_schema_extra=dvelop("line number", "number the order line in the ERP"))]
    quantity_ordered: Annotated[Number, Field(json_schema_extra=dvelop(
        "quantity ordered", "enter the ordered quantity on the order line in the ERP"))]
    quantity_received: Annotated[Number, Field(json_schema_extra=dvelop(
        "quantity received", "enter the received quantity on the order line in the ERP"))]
    quantity_not_invoiced: Annotated[Number, Field(json_schema_extra=dvelop(
        "quantity not invoiced", "enter the invoiced quantity on the order line in the ERP"))]
    item: Annotated[str, Field(json_schema_extra=dvelop(
        "article number", "enter the article number on the order line in the ERP", empty_ok=True))]
    procurement_category: str | None = None
    description: Annotated[str, _text("line description", "describe the order line in the ERP")]
    unit: Annotated[str, _text("unit", "enter the unit (piece, kg, ...) on the order line in the ERP")]
    unit_price: Annotated[Number, Field(json_schema_extra=dvelop(
        "unit price", "enter the unit price on the order line in the ERP"))]
    price_unit: Annotated[Number, Field(json_schema_extra=dvelop(
        "price unit", "enter the price unit on the order line in the ERP (1 if the price is per unit)"))]
    subtotal: Annotated[Number, Field(json_schema_extra=dvelop(
        "line net amount", "enter the net amount of the order line in the ERP"))]
    gl_account: str | None = None
    cost_center: str | None = None
    cost_unit: str | None = None
    tax_code_id: str | None = None
    discount_absolute: Number | None = None
    discount_per_unit: Number | None = None
    discount_percent: Number | None = None
    discount2_percent: Number | None = None
    discount3_percent: Number | None = None
    discount4_percent: Number | None = None
    discount5_percent: Number | None = None
    erp_id: str | None = None  # example body only
    type: Annotated[LineType, Field(json_schema_extra=dvelop(
        "line type", "set the order line's type in the ERP (article, header or line surcharge)"))]
    surcharged_line_item_id: str | None = None
    surcharge_category: Annotated[SurchargeCategory | None, Field(default=None, json_schema_extra=dvelop(
        "surcharge category", "set the surcharge's category in the ERP: per piece, fixed or percent"))]
    surcharge_value: str | None = None  # a String on the page ("20.00"), not a Number
    responsible: str | None = None
    goods_receipt_reference_mandatory: bool | None = None


class PurchaseOrder(CustomFields):
    """Purchase Orders (Bestellungen) with their lines in `line_items`."""

    company_id: Annotated[str, _key("company", "give the order a company")]
    id: Annotated[str, _key("order id", "give the order a number in the ERP")]
    nr: Annotated[str, _key("order number", "give the order a number in the ERP")]
    name: Annotated[str, _text("order description", "describe the order in the ERP")]
    vendor_id: Annotated[str, _key("vendor", "give the order a vendor in the ERP")]
    status: Annotated[Literal[1, 2, 3, 4, 5, 6, 7, 8] | None, Field(default=None, json_schema_extra=dvelop(
        "order status", "use one of the order statuses open, approved, confirmed, partially received, received, "
        "partially invoiced, invoiced, cancelled"))]
    line_items: list[PurchaseOrderLineItem] = Field(default_factory=list)


class GoodsReceiptLineItem(Request):
    """A goods-receipt line; `id` is unique across all goods receipts."""

    company_id: Annotated[str, _key("company", "give the goods receipt a company")]
    id: Annotated[str, _key("receipt line id", "give the goods receipt line a number in the ERP")]
    line_no: Annotated[int, Field(json_schema_extra=dvelop(
        "line number", "number the goods receipt line in the ERP"))]
    goods_receipt_date: Annotated[date, Field(json_schema_extra=dvelop(
        "posting date", "enter the date the goods receipt line was posted in the ERP"))]
    quantity: Annotated[Number, Field(json_schema_extra=dvelop(
        "quantity", "enter the received quantity on the goods receipt line in the ERP"))]
    purchase_order_line_id: str | None = None


class GoodsReceipt(Request):
    """Goods Receipts (Wareneingänge, a preview feature at d.velop) with their lines in `line_items`."""

    company_id: Annotated[str, _key("company", "give the goods receipt a company")]
    vendor_id: Annotated[str, _key("vendor", "give the goods receipt a vendor in the ERP")]
    id: Annotated[str, _key("goods receipt id", "give the goods receipt a number in the ERP")]
    nr: Annotated[str, _key("goods receipt number", "give the goods receipt a number in the ERP")]
    creation_date: Annotated[date, Field(json_schema_extra=dvelop(
        "receipt date", "enter the goods receipt's date in the ERP"))]
    delivery_slip_nr: Annotated[str, _text(
        "delivery note number", "enter the vendor's delivery note number on the goods receipt in the ERP")]
    status: Number | None = None  # example body only
    line_items: list[GoodsReceiptLineItem] = Field(default_factory=list)


class SurchargeType(CustomFields):
    """Surcharge Types (Zuschlagstypen). The canonical model has none; the model documents the contract.
    `tenant_id` is required but the page's example sends ""; `quantity` and `unit_price` are Strings."""

    company_id: str | None = None
    nr: Annotated[str, _key("surcharge type", "give the surcharge type a number")]
    name: str | None = None
    applies_to: Literal["header_surcharge", "line_item_surcharge"]
    erp_id: str | None = None
    tenant_id: Annotated[str, Field(json_schema_extra=dvelop("tenant", "", empty_ok=True))]
    category: Literal["pcs", "fixed", "percent", ""] | None = None  # the example sends ""
    quantity: str | None = None
    unit_price: str | None = None
    gl_account: str | None = None
    cost_center: str | None = None
    cost_unit: str | None = None
    item: str | None = None
    tax_code_id: str | None = None
    tax_category: str | None = None
    procurement_category: str | None = None
