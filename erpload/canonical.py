"""The canonical model: the one shape every ERP profile maps to and every target reads from.

Defined once here; `erpload map` checks each profile's output against it and the README's
table of entities is generated from it (`erpload model`). Keys are business keys (company
code, account and document numbers), never the ERP's surrogate ids, so two ERPs holding the
same business data yield the same canonical rows; `erp_id` keeps the ERP's own key for tracing.

Which target field each column feeds is noted in its doc, so a new target can see at a glance
whether the model already has what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass

# Canonical column types, as DuckDB spells them.
TEXT = "VARCHAR"
INT = "INTEGER"
BIG = "BIGINT"
MONEY = "DECIMAL(18,2)"
QTY = "DECIMAL(18,4)"
RATE = "DECIMAL(18,6)"
PERCENT = "DECIMAL(5,2)"
DATE = "DATE"
TS = "TIMESTAMP"
BOOL = "BOOLEAN"
BYTES = "BLOB"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    doc: str = ""
    #: the only values `map` accepts (empty: any value of the type)
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    """Columns of a record that name a record of another entity, which must exist: `map` rejects orphans.

    `columns` are this entity's columns in the order of the referenced entity's key. A reference with
    an empty column is not checked (an optional link; required columns are checked on their own).
    `when` limits it to rows where that SQL condition holds (a journal line's account is a customer
    only when its account_type says so). A profile may return `<last column>__erp_id`, the ERP's id of
    the referenced record, beside the column: when the column is empty because the profile's LEFT JOIN
    found no such record, the reject names that id (see `erpload model`).
    """

    entity: str
    columns: tuple[str, ...]
    label: str  # what a bookkeeper calls the referenced record: "customer"
    when: str = ""

    @property
    def column(self) -> str:
        """The column the reject names: the one that is not the company."""
        return self.columns[-1]

    @property
    def erp_id_column(self) -> str:
        """The optional profile column with the ERP's id of the referenced record."""
        return f"{self.column}__erp_id"


@dataclass(frozen=True)
class Entity:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    doc: str
    references: tuple[Reference, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, type_: str, doc: str = "", *, required: bool = False, allowed: tuple[str, ...] = ()) -> Column:
    return Column(name, type_, nullable=not required, doc=doc, allowed=allowed)


def _ref(entity: str, *columns: str, label: str, when: str = "", company: bool = True) -> Reference:
    """A reference within the company (company_code first) unless `company` is False."""
    return Reference(entity, ("company_code", *columns) if company else columns, label, when)


_CURRENCY = _ref("currencies", "currency_code", label="currency", company=False)
_DOCUMENT_TYPE = _ref("document_types", "document_type_code", label="document type")
_PAYMENT_TERM = _ref("payment_terms", "payment_term_code", label="payment term")
_RECEIPT = _ref("documents", "document_sha256", label="receipt file")
_ACCOUNT = _ref("gl_accounts", "account_no", label="G/L account")
_TAX_CODE = _ref("tax_codes", "tax_code", label="tax code")
_KOST = (_ref("cost_centers", "cost_center_code", label="cost center"),
         _ref("cost_units", "cost_unit_code", label="cost unit"))
_VENDOR = _ref("vendors", "vendor_no", label="vendor")
_PO_LINE = _ref("purchase_order_lines", "po_no", "po_line_no", label="purchase order line")


def _entity(name: str, key: tuple[str, ...], doc: str, *columns: Column, deletable: bool = False,
            references: tuple[Reference, ...] = ()) -> Entity:
    """Build an entity; keys are required, and every entity ends with the tracing columns.

    An entity with a company_code refers to its company (every record belongs to one)."""
    tail = [
        _c("erp_id", TEXT, "the record's own key in the ERP, for tracing a reject back", required=True),
        _c("updated_at", TS, "when the ERP last changed the record", required=True),
    ]
    if deletable:
        tail.insert(0, _c("is_deleted", BOOL, "soft-deleted in the ERP; targets skip or retire it", required=True))
    cols = [Column(c.name, c.type, nullable=c.nullable and c.name not in key, doc=c.doc, allowed=c.allowed)
            for c in columns]
    if any(c.name == "company_code" for c in cols) and name != "companies":
        references = (_ref("companies", label="company"), *references)
    return Entity(name, key, (*cols, *tail), doc, references)


COMPANY = _c("company_code", TEXT, "company (Mandant/Buchungskreis); d.velop company_id")

#: A document's lifecycle, the same for invoices and journal entries. Only `posted` documents are booked
#: or sent to any target. `cancelled` covers both a draft discarded before posting (no `cancelled_on`) and a
#: posted document cancelled later (`cancelled_on` set: its reversal is booked on that date).
DOCUMENT_STATUSES = ("draft", "posted", "cancelled")


def _lifecycle(replaces: str) -> tuple[Column, ...]:
    """The columns every document carries for its lifecycle (see DOCUMENT_STATUSES)."""
    return (
        _c("status", TEXT, "draft: not booked yet; posted: booked; cancelled: discarded, or reversed after posting "
           "(ERPNext docstatus 0/1/2, Odoo state draft/posted/cancel)", required=True, allowed=DOCUMENT_STATUSES),
        _c("cancelled_on", DATE, "for a posted document cancelled later: the day the cancellation takes effect "
           "(the Storno's date; DATEV books the Generalumkehr then); empty for a draft that was never posted"),
        _c("replaces_no", TEXT, f"the {replaces} this document replaces after cancelling it (ERPNext amended_from, "
           "Odoo reversed_entry_id); DATEV Buchungstext"),
    )


ENTITIES: tuple[Entity, ...] = (
    _entity(
        "companies", ("company_code",), "Legal entities; DATEV header settings and integration ids.",
        COMPANY,
        _c("name", TEXT, "d.velop companies.name", required=True),
        _c("street", TEXT, "d.velop address"),
        _c("zip_code", TEXT),
        _c("city", TEXT),
        _c("country_code", TEXT, "ISO 3166-1 alpha-2", required=True),
        _c("vat_id", TEXT, "with country prefix"),
        _c("tax_number", TEXT, "Steuernummer / CVR"),
        _c("local_currency", TEXT, "ISO 4217; DATEV header WKZ, d.velop local_currency", required=True),
        _c("datev_consultant_no", INT, "DATEV header 11 Beraternummer"),
        _c("datev_client_no", INT, "DATEV header 12 Mandantennummer"),
        _c("fiscal_year_start_month", INT, "DATEV header 13 WJ-Beginn (1-12)", required=True),
        _c("chart_of_accounts", TEXT, "SKR03 / SKR04 / other; DATEV header 27", required=True),
        _c("gl_account_length", INT, "DATEV header 14 Sachkontenlänge (4-8)", required=True),
        _c("datev_lock_batches", BOOL, "DATEV header 21 Festschreibung", required=True),
        _c("kombo_integration_id", TEXT, "Kombo X-Integration-Id"),
        _c("papershift_integration_id", TEXT, "Papershift DATEV integration_id"),
        _c("telecomx_reseller_id", TEXT, "Telecom X reseller id (Uniconta export)"),
        references=(_ref("currencies", "local_currency", label="currency", company=False),),
    ),
    _entity(
        "currencies", ("currency_code",), "Currencies the ERP uses.",
        _c("currency_code", TEXT, "ISO 4217; d.velop currencies.code"),
        _c("name", TEXT, required=True),
        _c("decimals", INT, required=True),
    ),
    _entity(
        "exchange_rates", ("base_currency", "currency_code", "valid_from"),
        "Rates as units of `currency_code` per 1 `base_currency` (DATEV Kurs convention).",
        _c("base_currency", TEXT),
        _c("currency_code", TEXT),
        _c("valid_from", DATE),
        _c("rate", RATE, "DATEV col 4 Kurs", required=True),
        references=(_ref("currencies", "base_currency", label="currency", company=False), _CURRENCY),
    ),
    _entity(
        "payment_terms", ("company_code", "payment_term_code"), "Payment terms.",
        COMPANY,
        _c("payment_term_code", TEXT, "d.velop payment_terms.id, Maesn paymentTermsId"),
        _c("name", TEXT, required=True),
        _c("net_days", INT, "d.velop net_days", required=True),
        _c("discount_days", INT, "d.velop cashback_days1"),
        _c("discount_percent", PERCENT, "d.velop cashback_percentage1"),
        _c("datev_term_no", INT, "DATEV Zahlungsbedingung Nummer (category 46, 1-999); when empty, "
           "payment_term_code is used if it is such a number"),
        deletable=True,
    ),
    _entity(
        "tax_codes", ("company_code", "tax_code"), "Tax codes with rate, scope and DATEV BU key.",
        COMPANY,
        _c("tax_code", TEXT, "d.velop tax_codes.id, Maesn taxCode"),
        _c("name", TEXT, required=True),
        _c("rate_percent", PERCENT, "d.velop percentage, Maesn taxRatePercentage", required=True),
        _c("direction", TEXT, "'output' (sales) | 'input' (purchases)", required=True),
        _c("scope", TEXT, "'domestic'|'eu'|'third_country'|'reverse_charge'|'exempt'; d.velop tax categories",
           required=True),
        _c("datev_bu_key", TEXT, "DATEV col 9 BU-Schlüssel; Maesn bookingTaxCode"),
        _c("tax_account_no", TEXT, "G/L account the tax posts to"),
        deletable=True,
    ),
    _entity(
        "gl_accounts", ("company_code", "account_no"), "General-ledger accounts.",
        COMPANY,
        _c("account_no", TEXT, "DATEV Konto (Sachkontenlänge digits); d.velop gl_accounts.nr"),
        _c("name", TEXT, "DATEV Kontenbeschriftung; d.velop name", required=True),
        _c("account_class", TEXT, "'asset'|'liability'|'equity'|'revenue'|'expense'|'tax'|'bank'", required=True),
        _c("auto_tax_code", TEXT, "set for a DATEV automatic account (tax is implied, no BU key)"),
        _c("is_blocked", BOOL, required=True),
        deletable=True,
        references=(_ref("tax_codes", "auto_tax_code", label="tax code"),),
    ),
    _entity(
        "cost_centers", ("company_code", "cost_center_code"), "Cost centers (DATEV KOST1).",
        COMPANY,
        _c("cost_center_code", TEXT, "DATEV col 37 KOST1; d.velop cost_centers.nr; Maesn dimension1"),
        _c("name", TEXT, required=True),
        deletable=True,
    ),
    _entity(
        "cost_units", ("company_code", "cost_unit_code"), "Cost units / projects (DATEV KOST2).",
        COMPANY,
        _c("cost_unit_code", TEXT, "DATEV col 38 KOST2; d.velop cost_units.nr; Maesn dimension2"),
        _c("name", TEXT, required=True),
        deletable=True,
    ),
    _entity(
        "document_types", ("company_code", "document_type_code"), "Document types.",
        COMPANY,
        _c("document_type_code", TEXT, "d.velop document_types.id; Maesn journalCode"),
        _c("name", TEXT, required=True),
        _c("ledger", TEXT, "'sales' | 'purchase' | 'general'", required=True),
        _c("is_credit_note", BOOL, "d.velop credit_note", required=True),
    ),
    _entity(
        "customers", ("company_code", "customer_no"), "Customers (Debitoren).",
        COMPANY,
        _c("customer_no", TEXT, "DATEV personal account (Sachkontenlänge + 1 digits); Maesn contactAccountNumber"),
        _c("name", TEXT, "DATEV cat 16 col 2; Maesn contactName", required=True),
        _c("name_2", TEXT),
        _c("street", TEXT),
        _c("zip_code", TEXT),
        _c("city", TEXT),
        _c("country_code", TEXT, "ISO 3166-1 alpha-2"),
        _c("vat_id", TEXT, "with country prefix; DATEV EU-Land + EU-UStID; Maesn vatId"),
        _c("tax_number", TEXT),
        _c("email", TEXT),
        _c("phone", TEXT),
        _c("payment_term_code", TEXT),
        _c("currency_code", TEXT),
        _c("credit_limit", MONEY),
        _c("uniconta_account_id", TEXT, "Telecom X finance.accountingSystemId"),
        _c("maesn_contact_id", TEXT, "Maesn contactId"),
        deletable=True,
        references=(_PAYMENT_TERM, _CURRENCY),
    ),
    _entity(
        "vendors", ("company_code", "vendor_no"), "Vendors (Kreditoren).",
        COMPANY,
        _c("vendor_no", TEXT, "DATEV personal account; d.velop vendors.id; Maesn contactAccountNumber"),
        _c("name", TEXT, required=True),
        _c("name_2", TEXT),
        _c("street", TEXT, "d.velop address (required there)"),
        _c("zip_code", TEXT),
        _c("city", TEXT),
        _c("country_code", TEXT),
        _c("vat_id", TEXT, "d.velop vat_id"),
        _c("tax_number", TEXT, "d.velop registration_id"),
        _c("email", TEXT),
        _c("phone", TEXT),
        _c("payment_term_code", TEXT, "d.velop payment_terms_id"),
        _c("currency_code", TEXT),
        _c("tax_scope", TEXT, "'domestic'|'eu'|'third_country'; d.velop tax_category_1", required=True),
        _c("default_account_no", TEXT, "expense account proposed for this vendor"),
        _c("is_blocked", BOOL, required=True),
        _c("maesn_contact_id", TEXT, "Maesn contactId"),
        deletable=True,
        references=(_PAYMENT_TERM, _CURRENCY, _ref("gl_accounts", "default_account_no", label="G/L account")),
    ),
    _entity(
        "vendor_bank_accounts", ("company_code", "vendor_no", "iban"), "Vendors' bank accounts.",
        COMPANY,
        _c("vendor_no", TEXT),
        _c("iban", TEXT, "d.velop iban; DATEV cat 16 IBAN-Nr."),
        _c("bic", TEXT),
        _c("bank_name", TEXT),
        _c("account_holder", TEXT),
        _c("is_primary", BOOL, "d.velop primary; DATEV Kennz. Hauptbankverb.", required=True),
        deletable=True,
        references=(_VENDOR,),
    ),
    _entity(
        "documents", ("company_code", "sha256"), "Receipt files (PDF) attached to documents.",
        COMPANY,
        _c("sha256", TEXT, "content hash; the document's identity"),
        _c("file_name", TEXT, "Maesn files[] name", required=True),
        _c("mime_type", TEXT, required=True),
        _c("size_bytes", BIG, required=True),
        _c("content", BYTES, required=True),
    ),
    _entity(
        "sales_invoices", ("company_code", "invoice_no"), "Sales invoices and credit notes (AR).",
        COMPANY,
        _c("invoice_no", TEXT, "DATEV Belegfeld 1; Maesn number"),
        _c("document_type_code", TEXT, required=True),
        _c("is_credit_note", BOOL, required=True),
        _c("customer_no", TEXT, "DATEV Konto (personal account)", required=True),
        _c("invoice_date", DATE, "DATEV Belegdatum", required=True),
        _c("service_date", DATE, "DATEV Leistungsdatum"),
        _c("due_date", DATE, "DATEV Fälligkeit; Maesn dueDate"),
        _c("currency_code", TEXT, "DATEV WKZ Umsatz", required=True),
        _c("exchange_rate", RATE, "document currency per 1 local currency; DATEV Kurs", required=True),
        _c("total_net", MONEY, required=True),
        _c("total_tax", MONEY, required=True),
        _c("total_gross", MONEY, "Maesn totalGrossAmount", required=True),
        _c("payment_term_code", TEXT),
        _c("header_text", TEXT, "DATEV Buchungstext; Maesn notes"),
        _c("document_sha256", TEXT, "the receipt in `documents`; DATEV Beleglink"),
        *_lifecycle("invoice_no"),
        _c("telecomx_invoice_id", TEXT, "Telecom X invoice id (invoicesToOmit)"),
        references=(_ref("customers", "customer_no", label="customer"), _DOCUMENT_TYPE, _CURRENCY, _PAYMENT_TERM,
                    _RECEIPT),
    ),
    _entity(
        "sales_invoice_lines", ("company_code", "invoice_no", "line_no"), "Sales invoice lines.",
        COMPANY,
        _c("invoice_no", TEXT),
        _c("line_no", INT),
        _c("item_no", TEXT),
        _c("description", TEXT, "Maesn lineItems.description", required=True),
        _c("quantity", QTY, required=True),
        _c("unit", TEXT),
        _c("unit_price", QTY, required=True),
        _c("net_amount", MONEY, "Maesn totalNetAmount", required=True),
        _c("tax_code", TEXT),
        _c("tax_amount", MONEY, required=True),
        _c("account_no", TEXT, "revenue account; DATEV Gegenkonto", required=True),
        _c("cost_center_code", TEXT, "DATEV KOST1"),
        _c("cost_unit_code", TEXT, "DATEV KOST2"),
        references=(_ref("sales_invoices", "invoice_no", label="sales invoice"), _ACCOUNT, _TAX_CODE, *_KOST),
    ),
    _entity(
        "purchase_invoices", ("company_code", "invoice_no"), "Purchase invoices and credit notes (AP).",
        COMPANY,
        _c("invoice_no", TEXT, "our booking number"),
        _c("vendor_invoice_no", TEXT, "number on the vendor's invoice; DATEV Belegfeld 1", required=True),
        _c("document_type_code", TEXT, required=True),
        _c("is_credit_note", BOOL, required=True),
        _c("vendor_no", TEXT, "DATEV Konto (personal account)", required=True),
        _c("po_no", TEXT),
        _c("invoice_date", DATE, required=True),
        _c("service_date", DATE),
        _c("due_date", DATE),
        _c("currency_code", TEXT, required=True),
        _c("exchange_rate", RATE, required=True),
        _c("total_net", MONEY, required=True),
        _c("total_tax", MONEY, required=True),
        _c("total_gross", MONEY, required=True),
        _c("payment_term_code", TEXT),
        _c("header_text", TEXT),
        _c("document_sha256", TEXT),
        *_lifecycle("invoice_no"),
        references=(_VENDOR, _DOCUMENT_TYPE, _CURRENCY, _PAYMENT_TERM,
                    _ref("purchase_orders", "po_no", label="purchase order"), _RECEIPT),
    ),
    _entity(
        "purchase_invoice_lines", ("company_code", "invoice_no", "line_no"), "Purchase invoice lines.",
        COMPANY,
        _c("invoice_no", TEXT),
        _c("line_no", INT),
        _c("po_no", TEXT),
        _c("po_line_no", INT),
        _c("description", TEXT, required=True),
        _c("quantity", QTY, required=True),
        _c("unit_price", QTY, required=True),
        _c("net_amount", MONEY, required=True),
        _c("tax_code", TEXT),
        _c("tax_amount", MONEY, required=True),
        _c("account_no", TEXT, "expense account; DATEV Gegenkonto", required=True),
        _c("cost_center_code", TEXT),
        _c("cost_unit_code", TEXT),
        references=(_ref("purchase_invoices", "invoice_no", label="purchase invoice"), _PO_LINE, _ACCOUNT,
                    _TAX_CODE, *_KOST),
    ),
    _entity(
        "journal_entries", ("company_code", "entry_no"), "G/L postings that are not invoices.",
        COMPANY,
        _c("entry_no", TEXT, "voucher number; DATEV Belegfeld 1"),
        _c("document_type_code", TEXT, required=True),
        _c("posting_date", DATE, "DATEV Belegdatum", required=True),
        _c("document_date", DATE, required=True),
        _c("currency_code", TEXT, required=True),
        _c("exchange_rate", RATE, required=True),
        _c("description", TEXT, "DATEV Buchungstext"),
        _c("source", TEXT, "'manual'|'bank'|'payroll'|'accrual'|'depreciation'", required=True),
        _c("document_sha256", TEXT),
        _c("is_reversal", BOOL, "DATEV Generalumkehr", required=True),
        *_lifecycle("entry_no"),
        references=(_DOCUMENT_TYPE, _CURRENCY, _RECEIPT),
    ),
    _entity(
        "journal_lines", ("company_code", "entry_no", "line_no"), "Lines of journal entries.",
        COMPANY,
        _c("entry_no", TEXT),
        _c("line_no", INT),
        _c("account_type", TEXT, "'gl' | 'customer' | 'vendor'", required=True),
        _c("account_no", TEXT, "G/L or personal account", required=True),
        _c("debit", MONEY, "document currency", required=True),
        _c("credit", MONEY, "document currency", required=True),
        _c("debit_lc", MONEY, "local currency; DATEV Basis-Umsatz", required=True),
        _c("credit_lc", MONEY, "local currency", required=True),
        _c("tax_code", TEXT),
        _c("cost_center_code", TEXT),
        _c("cost_unit_code", TEXT),
        _c("line_text", TEXT),
        references=(_ref("journal_entries", "entry_no", label="journal entry"),
                    _ref("gl_accounts", "account_no", label="G/L account", when="account_type = 'gl'"),
                    _ref("customers", "account_no", label="customer", when="account_type = 'customer'"),
                    _ref("vendors", "account_no", label="vendor", when="account_type = 'vendor'"),
                    _TAX_CODE, *_KOST),
    ),
    _entity(
        "purchase_orders", ("company_code", "po_no"), "Purchase orders.",
        COMPANY,
        _c("po_no", TEXT, "d.velop purchase_orders.id/nr"),
        _c("vendor_no", TEXT, required=True),
        _c("order_date", DATE, required=True),
        _c("description", TEXT, "d.velop name", required=True),
        _c("status", TEXT, "open/approved/confirmed/partially_received/received/"
           "partially_invoiced/invoiced/cancelled; d.velop status 1-8", required=True),
        _c("currency_code", TEXT, required=True),
        _c("buyer", TEXT, "d.velop responsible"),
        references=(_VENDOR, _CURRENCY),
    ),
    _entity(
        "purchase_order_lines", ("company_code", "po_no", "line_no"), "Purchase order lines and surcharges.",
        COMPANY,
        _c("po_no", TEXT),
        _c("line_no", INT, "d.velop line_no"),
        _c("line_type", TEXT, "'item' | 'header_surcharge' | 'line_surcharge'", required=True),
        _c("item_no", TEXT),
        _c("description", TEXT, required=True),
        _c("quantity_ordered", QTY, required=True),
        _c("quantity_received", QTY, required=True),
        _c("quantity_invoiced", QTY, required=True),
        _c("unit", TEXT, required=True),
        _c("unit_price", QTY, required=True),
        _c("price_unit", QTY, required=True),
        _c("net_amount", MONEY, "d.velop subtotal", required=True),
        _c("account_no", TEXT),
        _c("cost_center_code", TEXT),
        _c("cost_unit_code", TEXT),
        _c("tax_code", TEXT),
        _c("surcharged_line_no", INT, "d.velop surcharged_line_item_id"),
        _c("surcharge_category", TEXT, "'pcs' | 'fixed' | 'percent'"),
        _c("surcharge_value", QTY),
        references=(_ref("purchase_orders", "po_no", label="purchase order"), _ACCOUNT, _TAX_CODE, *_KOST),
    ),
    _entity(
        "goods_receipts", ("company_code", "receipt_no"), "Goods receipts.",
        COMPANY,
        _c("receipt_no", TEXT),
        _c("vendor_no", TEXT, required=True),
        _c("receipt_date", DATE, required=True),
        _c("delivery_note_no", TEXT, "d.velop delivery_slip_nr", required=True),
        references=(_VENDOR,),
    ),
    _entity(
        "goods_receipt_lines", ("company_code", "receipt_no", "line_no"), "Goods receipt lines.",
        COMPANY,
        _c("receipt_no", TEXT),
        _c("line_no", INT),
        _c("po_no", TEXT),
        _c("po_line_no", INT),
        _c("quantity", QTY, required=True),
        _c("posted_date", DATE, required=True),
        references=(_ref("goods_receipts", "receipt_no", label="goods receipt"), _PO_LINE),
    ),
    _entity(
        "employees", ("company_code", "personnel_no"), "Employees (payroll master data for DATEV via Kombo).",
        COMPANY,
        _c("personnel_no", TEXT),
        _c("first_name", TEXT, required=True),
        _c("last_name", TEXT, required=True),
        _c("email", TEXT),
        _c("birth_date", DATE),
        _c("hire_date", DATE, required=True),
        _c("termination_date", DATE),
        _c("street", TEXT),
        _c("zip_code", TEXT),
        _c("city", TEXT),
        _c("country_code", TEXT),
        _c("iban", TEXT),
        _c("tax_id", TEXT),
        _c("cost_center_code", TEXT),
        _c("weekly_hours", PERCENT),
        _c("monthly_salary", MONEY),
        deletable=True,
        references=(_KOST[0],),
    ),
)

BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}


def entity(name: str) -> Entity:
    """The canonical entity called `name`."""
    return BY_NAME[name]


#: erpload's bookkeeping columns at the end of every canonical table: row hash, last run that changed the row
BOOKKEEPING_COLUMNS = (("_row_hash", "UBIGINT"), ("_run_id", "VARCHAR"))


def table_columns(ent: Entity) -> list[str]:
    """The staged table's column names, in order."""
    return [c.name for c in ent.columns] + [name for name, _ in BOOKKEEPING_COLUMNS]


def create_table_sql(ent: Entity, schema: str) -> str:
    """DDL for the canonical table, plus erpload's bookkeeping columns."""
    cols = [f'"{c.name}" {c.type}{"" if c.nullable else " NOT NULL"}' for c in ent.columns]
    cols += [f'"{name}" {sql_type} NOT NULL' for name, sql_type in BOOKKEEPING_COLUMNS]
    # No PRIMARY KEY constraint: map already guarantees one row per key (duplicates become rejects),
    # and DuckDB would maintain and checkpoint an index over every key on each run.
    return f'CREATE TABLE IF NOT EXISTS {schema}."{ent.name}" ({", ".join(cols)})'


def markdown_table() -> str:
    """The model as a markdown table (for the README)."""
    lines = ["| entity | key | columns |", "|---|---|---|"]
    for e in ENTITIES:
        cols = ", ".join(f"`{c.name}` {c.type.lower()}" for c in e.columns if c.name not in e.key)
        lines.append(f"| `{e.name}` | {', '.join(e.key)} | {cols} |")
    return "\n".join(lines)
