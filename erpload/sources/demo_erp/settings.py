"""Fixed facts of the demo group: its companies, the data period, volumes and the fault vocabulary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# Transactions fall in this period; every timestamp lies before CUTOFF.
DATA_START = dt.date(2025, 1, 1)
DATA_END = dt.date(2026, 10, 31)
CUTOFF = dt.datetime(2026, 11, 1)
MONTHS = 22  # 2025-01 .. 2026-10, one exchange-rate row per month and currency

DAY0 = np.datetime64(DATA_START, "D")
DAY_END = np.datetime64(DATA_END, "D")
LAST_TIMESTAMP = np.datetime64(CUTOFF, "us") - np.timedelta64(1, "s")

# Rows at scale 1. Transactional tables grow linearly with scale, master data with sqrt(scale).
CUSTOMERS = 300
VENDORS = 200
EMPLOYEES = 80
SALES_INVOICES = 600
PURCHASE_INVOICES = 500
PURCHASE_ORDERS = 150
JOURNAL_ENTRIES = 1000

ATTACHMENT_CAP = 5000  # receipt PDFs, so big scales stay small on disk

# Share of the records of a fault-carrying table that get exactly one fault.
FAULT_RATE = 0.015

# Document lifecycle (sales and purchase invoices, journal entries), as shares of the documents.
DRAFT_RATE = 0.015  # not posted yet, dated within DRAFT_WINDOW_DAYS of the data's end
DRAFT_WINDOW_DAYS = 45
CANCEL_RATE = 0.01  # posted, then cancelled (cancelled_on set)
AMEND_SHARE = 0.5  # of those cancellations, replaced by an amended document '<number>-1'
AMEND_CHANGES_AMOUNT = 0.8  # of the amendments, those with another amount than the original
DISCARD_RATE = 0.003  # drafts discarded: cancelled, never posted

FAULTS = (
    "overlong_name",
    "missing_vat_id",
    "invalid_iban",
    "unbalanced_entry",
    "date_outside_fiscal_year",
    "unknown_account",
    "zero_amount",
    "invalid_document_number",
    "unmappable_character",
)

# Which faults each table can carry.
FAULTS_BY_TABLE: dict[str, tuple[str, ...]] = {
    "customer": ("overlong_name", "missing_vat_id", "unmappable_character"),
    "vendor": ("overlong_name", "missing_vat_id", "unmappable_character"),
    "vendor_bank_account": ("invalid_iban",),
    "sales_invoice": ("invalid_document_number", "unmappable_character"),
    "sales_invoice_line": ("zero_amount", "unknown_account"),
    "purchase_invoice": ("invalid_document_number",),
    "purchase_invoice_line": ("zero_amount", "unknown_account"),
    "journal_entry": ("unbalanced_entry", "date_outside_fiscal_year", "invalid_document_number"),
    "journal_line": ("zero_amount", "unknown_account", "unmappable_character"),
}

EU_COUNTRIES = frozenset(
    {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
     "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}
)

CURRENCIES = (
    ("EUR", "Euro"),
    ("DKK", "Dänische Krone"),
    ("USD", "US-Dollar"),
    ("CHF", "Schweizer Franken"),
    ("GBP", "Britisches Pfund"),
    ("PLN", "Polnischer Złoty"),
    ("SEK", "Schwedische Krone"),
)
# Units of each currency per 1 EUR around 2025; the monthly rates wander around these.
EUR_RATES = {"EUR": 1.0, "DKK": 7.46, "USD": 1.08, "CHF": 0.95, "GBP": 0.85, "PLN": 4.30, "SEK": 11.20}


@dataclass(frozen=True)
class CompanySpec:
    """One company of the group; `language` picks texts ('de' or 'da')."""

    code: str
    name: str
    street: str
    zip_code: str
    city: str
    country_code: str
    vat_base: str  # digits without the check digit; the VAT id is completed with a real check digit
    tax_number: str | None  # Steuernummer; None = use the CVR (Denmark)
    local_currency: str
    datev_consultant_no: int | None
    datev_client_no: int | None
    fiscal_year_start_month: int
    chart: str
    gl_account_length: int
    datev_lock_batches: int
    language: str
    share: float  # share of the group's transactions
    line_of_business: str


COMPANIES = (
    CompanySpec(
        "1000", "Nordlicht Schiffsausrüstung GmbH", "Großer Burstah 42", "20457", "Hamburg", "DE",
        "11857304", "46/734/01856", "EUR", 29098, 55003, 1, "SKR03", 4, 0, "de", 0.35, "marine",
    ),
    CompanySpec(
        "2000", "Isartal Präzisionstechnik AG", "Landsberger Straße 302", "80687", "München", "DE",
        "26418955", "143/257/30452", "EUR", 41025, 12001, 7, "SKR04", 6, 0, "de", 0.30, "machinery",
    ),
    CompanySpec(
        "3000", "Øresund Søfart & Logistik ApS", "Vesterbrogade 149", "1620", "København V", "DK",
        "3715543", None, "DKK", None, None, 4, "DK-STD", 4, 0, "da", 0.20, "logistics",
    ),
    CompanySpec(
        "4000", "Weserland Energiedienste GmbH", "Am Wall 140", "28195", "Bremen", "DE",
        "30572916", "60 145 03879", "EUR", 29098, 55004, 10, "SKR03", 8, 1, "de", 0.15, "energy",
    ),
)
