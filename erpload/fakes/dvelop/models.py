"""Request bodies the d.velop fake accepts, one model per master-data entity.

Source: `reference/seeds/dvelop-smart-invoice-masterdata-api.de.txt` ("Übertragen von Stammdaten"),
one model per section, fields as in its property tables: "Verpflichtend" is a required field,
"String" a JSON string, "Number" a JSON number, "Boolean" a JSON boolean, "Date" `YYYY-MM-DD`.
Fields shown in the page's example bodies but missing from its tables are accepted as optional.

Where the fake is stricter than the page says (it must never pass a body d.velop might refuse):
- JSON types are strict: "10" is not a Number, 1 is not a Boolean, 5 is not a String.
- Unknown fields are refused (a typo would otherwise be silently dropped).
- Key fields (ids, numbers) must not be empty; the page says so only for surcharge types' `nr`.
- `country` must look like ISO 3166-1 alpha-2 and currency codes like ISO 4217 (three capitals);
  IBAN and BIC must pass python-stdnum. The page only says "String" for these. [UNVERIFIED]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban


def _iso_date(value: str) -> str:
    date.fromisoformat(value)  # raises ValueError on 2022-02-30 and friends
    return value


def _iban(value: str) -> str:
    if not stdnum_iban.is_valid(value):
        raise ValueError("not a valid IBAN (country, length or checksum)")
    return value


def _bic(value: str | None) -> str | None:
    if value and not stdnum_bic.is_valid(value):
        raise ValueError("not a valid BIC (ISO 9362)")
    return value


Key = Annotated[str, Field(min_length=1)]
Number = float  # strict mode: a JSON integer or decimal, never a string or a boolean
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_iso_date)]
SurchargeCategory = Literal["pcs", "fixed", "percent"]
SurchargeKind = Literal["header_surcharge", "line_item_surcharge"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Custom20(_Record):
    """`custom1` to `custom20`: free header or line fields ("custom1 bis custom20 | String")."""

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


class Company(_Record):
    """Companies (Mandanten)."""

    id: Key
    name: str
    parent_id: str | None = None  # example body only
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    local_currency: CurrencyCode | None = None
    country: Country | None = None


class Vendor(_Record):
    """Vendors (Kreditoren); `id` is unique per `company_id`."""

    company_id: Key
    id: Key
    name: str
    address: str
    city: str
    zip_code: str
    country: Country
    email: str | None = None  # the table lost this row's name; the example calls it `email`
    vat_id: str | None = None
    registration_id: str | None = None
    payment_terms_id: str | None = None
    tax_category_1: str | None = None


class VendorBankAccount(_Record):
    """Vendor Bank Accounts. The table requires `id`; the page's example body omits it: the fake requires it."""

    company_id: Key
    vendor_id: Key
    id: Key
    iban: Annotated[str, AfterValidator(_iban)]
    bic: Annotated[str | None, AfterValidator(_bic)] = None
    primary: bool


class PaymentTerm(_Record):
    """Payment Terms (Zahlungsbedingungen); no company_id: valid for all companies."""

    company_id: str | None = None
    id: Key
    net_days: Number | None = None
    cashback_days1: Number | None = None
    cashback_percentage1: Number | None = None
    name: str | None = None


class DocumentType(_Record):
    """Document Types (Belegarten)."""

    company_id: str | None = None
    id: Key
    name: str
    credit_note: bool


class Currency(_Record):
    """Currencies (Währungen)."""

    company_id: str | None = None
    id: Key
    name: str
    code: CurrencyCode


class TaxCode(_Record):
    """Tax Codes (Steuerschlüssel). The table marks company_id "Verpflichtend" and in the same cell
    says a missing one means all companies; the fake takes the stricter reading (required)."""

    company_id: Key
    id: Key
    name: str
    percentage: Number
    tax_category_1: str | None = None
    tax_category_2: str | None = None


class GlAccount(_Record):
    """G/L Accounts (Sachkonten)."""

    company_id: str | None = None
    nr: Key
    name: str
    tax_category_2: str | None = None


class CostCenter(_Record):
    """Cost Centers (Kostenstellen)."""

    company_id: str | None = None
    nr: Key
    name: str


class CostUnit(_Record):
    """Cost Units (Kostenträger)."""

    company_id: str | None = None
    nr: Key
    name: str


class OtherDimension(_Record):
    """Other Dimensions (Zusätzliche Dimensionen): values of line-level custom fields, grouped by `type`."""

    company_id: str | None = None
    type: Key
    nr: Key
    name: str
    parent_dimension_type: str | None = None
    parent_dimension_id: str | None = None


class CustomEntity(_Record):
    """Custom Entities (Zusätzliche Entitäten): values of header-level custom fields, grouped by `type`."""

    company_id: str | None = None
    type: Key
    id: Key
    name: str


class PurchaseOrderLineItem(_Custom20):
    """A purchase order line ("Bestellposition"); `id` is unique across all purchase orders."""

    company_id: Key
    id: Key
    line_no: int
    quantity_ordered: Number
    quantity_received: Number
    quantity_not_invoiced: Number
    item: str
    procurement_category: str | None = None
    description: str
    unit: str
    unit_price: Number
    price_unit: Number
    subtotal: Number
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
    # Required; the page lists only header_surcharge and line_item_surcharge, which cannot be all
    # there is (an ordinary article line is neither), so any string is accepted. [UNVERIFIED]
    type: str
    surcharged_line_item_id: str | None = None
    surcharge_category: SurchargeCategory | None = None
    surcharge_value: str | None = None  # a String on the page ("20.00"), not a Number
    responsible: str | None = None
    goods_receipt_reference_mandatory: bool | None = None
    purchase_order_id: str | None = None  # example body only
    erp_id: str | None = None  # example body only


class PurchaseOrder(_Custom20):
    """Purchase Orders (Bestellungen) with their lines in `line_items`."""

    company_id: Key
    id: Key
    nr: Key
    name: str
    vendor_id: Key
    status: Literal[1, 2, 3, 4, 5, 6, 7, 8] | None = None  # 1 open ... 8 cancelled
    line_items: list[PurchaseOrderLineItem] = Field(default_factory=list)


class GoodsReceiptLineItem(_Record):
    """A goods receipt line; `id` is unique across all goods receipts."""

    company_id: Key
    id: Key
    line_no: int
    goods_receipt_date: IsoDate
    quantity: Number
    purchase_order_line_id: str | None = None


class GoodsReceipt(_Record):
    """Goods Receipts (Wareneingänge; a preview feature at d.velop) with their lines in `line_items`."""

    company_id: Key
    vendor_id: Key
    id: Key
    nr: Key
    creation_date: IsoDate
    delivery_slip_nr: str
    status: Number | None = None  # example body only
    line_items: list[GoodsReceiptLineItem] = Field(default_factory=list)


class SurchargeType(_Custom20):
    """Surcharge Types (Zuschlagstypen). `tenant_id` is required but the page's example sends "",
    so only its presence is checked; `quantity` and `unit_price` are Strings on the page."""

    company_id: str | None = None
    nr: Key
    name: str | None = None
    applies_to: SurchargeKind
    erp_id: str | None = None
    tenant_id: str
    category: SurchargeCategory | Literal[""] | None = None
    quantity: str | None = None
    unit_price: str | None = None
    gl_account: str | None = None
    cost_center: str | None = None
    cost_unit: str | None = None
    item: str | None = None
    tax_code_id: str | None = None
    tax_category: str | None = None
    procurement_category: str | None = None


@dataclass(frozen=True)
class Entity:
    """One master-data entity: its path segment (also the batch body's key), model and upsert key."""

    name: str
    model: type[BaseModel]
    key: tuple[str, ...]
    lines_unique: bool = False  # line_items[].id must be unique across all records of the bucket


def _entity(name: str, model: type[BaseModel], *key: str, lines_unique: bool = False) -> Entity:
    return Entity(name=name, model=model, key=key, lines_unique=lines_unique)


# The 15 entities of the page, in its order; the key is what a record is upserted by.
ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        _entity("companies", Company, "id"),
        _entity("vendors", Vendor, "company_id", "id"),
        _entity("vendor_bank_accounts", VendorBankAccount, "company_id", "vendor_id", "id"),
        _entity("payment_terms", PaymentTerm, "company_id", "id"),
        _entity("document_types", DocumentType, "company_id", "id"),
        _entity("currencies", Currency, "company_id", "id"),
        _entity("tax_codes", TaxCode, "company_id", "id"),
        _entity("gl_accounts", GlAccount, "company_id", "nr"),
        _entity("cost_centers", CostCenter, "company_id", "nr"),
        _entity("cost_units", CostUnit, "company_id", "nr"),
        _entity("other_dimensions", OtherDimension, "company_id", "type", "nr"),
        _entity("custom_entities", CustomEntity, "company_id", "type", "id"),
        _entity("purchase_orders", PurchaseOrder, "company_id", "id", lines_unique=True),
        _entity("goods_receipts", GoodsReceipt, "company_id", "id", lines_unique=True),
        # the page writes this path as "surcharge_types /batch", a typo
        _entity("surcharge_types", SurchargeType, "company_id", "nr"),
    )
}
