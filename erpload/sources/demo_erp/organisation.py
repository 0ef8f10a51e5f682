"""The group's own master data: companies, currencies and rates, payment terms, tax codes,
G/L accounts, cost centers and units, document types.

Small tables built row by row; `CompanyInfo` carries the ids and account numbers the
transaction generators look up.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from . import identifiers, names
from .charts import REVENUE_ACCOUNT, TAX_ROLES, chart_accounts, language_of, pad_account, tax_codes
from .schema import build_table, rows_to_columns, table_schemas
from .settings import COMPANIES, CURRENCIES, DATA_END, DATA_START, EUR_RATES, MONTHS, CompanySpec

BASES = ("EUR", "DKK")  # local currencies of the group, the bases exchange rates are quoted against
CURRENCY_CODES = tuple(code for code, _ in CURRENCIES)

_PAYMENT_TERMS = {
    # code, description, net days, discount days, discount %, weight for partners, deleted
    "de": (
        ("NT14", "Netto 14 Tage", 14, None, None, 20, 0),
        ("NT30", "Netto 30 Tage", 30, None, None, 40, 0),
        ("NT60", "Netto 60 Tage", 60, None, None, 8, 0),
        ("SK2-10", "2 % Skonto 10 Tage, netto 30 Tage", 30, 10, "2.00", 20, 0),
        ("SK3-8", "3 % Skonto 8 Tage, netto 45 Tage", 45, 8, "3.00", 5, 0),
        ("SOFORT", "Sofort ohne Abzug", 0, None, None, 7, 0),
        ("NT21", "Netto 21 Tage (nicht mehr verwenden)", 21, None, None, 0, 1),
    ),
    "da": (
        ("NETTO8", "Netto 8 dage", 8, None, None, 25, 0),
        ("NETTO14", "Netto 14 dage", 14, None, None, 25, 0),
        ("NETTO30", "Netto 30 dage", 30, None, None, 30, 0),
        ("LM30", "Løbende måned + 30 dage", 45, None, None, 10, 0),
        ("KR2-10", "2 % kontantrabat 10 dage, netto 30 dage", 30, 10, "2.00", 10, 0),
        ("NETTO60", "Netto 60 dage (udgået)", 60, None, None, 0, 1),
    ),
}

_DOCUMENT_TYPES = (
    # code, ledger, credit note, German, Danish
    ("AR-INV", "sales", 0, "Ausgangsrechnung", "Salgsfaktura"),
    ("AR-CRN", "sales", 1, "Gutschrift an Kunden", "Kreditnota til kunde"),
    ("AP-INV", "purchase", 0, "Eingangsrechnung", "Købsfaktura"),
    ("AP-CRN", "purchase", 1, "Gutschrift vom Lieferanten", "Kreditnota fra leverandør"),
    ("GJ", "general", 0, "Umbuchungen und Abschlussbuchungen", "Finanskladde"),
    ("BANK", "general", 0, "Bankbuchungen Zahlungseingang", "Bank, indbetalinger"),
    ("PAY", "general", 0, "Zahlungsausgang (Zahllauf)", "Betalinger til leverandører"),
)

_COST_CENTERS = {
    "de": (("100", "Verwaltung", 0), ("200", "Vertrieb", 0), ("300", "Produktion", 0), ("400", "Einkauf und Lager", 0),
           ("500", "IT", 0), ("600", "Forschung und Entwicklung", 0), ("900", "Sonderprojekte (aufgelöst)", 1)),
    "da": (("100", "Administration", 0), ("200", "Salg", 0), ("300", "Drift", 0), ("400", "Lager", 0),
           ("500", "IT", 0), ("900", "Gammel afdeling (nedlagt)", 1)),
}

# codes of letters and digits only: DATEV KOST1/KOST2 take A-Z a-z 0-9 and blanks
_COST_UNITS = {
    "marine": (("P25001", "Refit MS Hanseatic Star", 0), ("P25002", "Ausrüstung Fähre Finkenwerder", 0),
               ("P26001", "Rahmenvertrag Reederei Nordmeer", 0), ("KTSA", "Produktgruppe Schiffsausrüstung", 0),
               ("KTDL", "Produktgruppe Dienstleistungen", 0), ("P24009", "Werftprojekt Steinwerder (abgeschl.)", 1)),
    "machinery": (("P25101", "Bearbeitungszentrum BZ-500 Augsburg", 0),
                  ("P26102", "Retrofit Fräsmaschine Rosenheim", 0),
                  ("KTSPI", "Spindeln und Baugruppen", 0), ("KTSRV", "Service und Wartung", 0),
                  ("KTERS", "Ersatzteile", 0)),
    "logistics": (("P25301", "Kølekæde Jylland", 0), ("P26302", "Havneterminal Nordhavn", 0), ("KTFRA", "Fragt", 0),
                  ("KTLAG", "Lager og håndtering", 0), ("KTTOLD", "Toldservice", 0)),
    "energy": (("P25401", "Wärmenetz Überseestadt", 0), ("P26402", "PV-Park Blockland", 0), ("KTWAE", "Wärme", 0),
               ("KTPV", "Photovoltaik", 0), ("KTBER", "Energieberatung", 0), ("P24400", "Altprojekt Hafenkante", 1)),
}


@dataclass(frozen=True)
class PaymentTerm:
    """What the transaction generators need to know about a payment term."""

    term_id: int
    net_days: int
    discount_days: int
    discount_bp: int  # discount in basis points (2 % = 200)
    weight: int


@dataclass
class CompanyInfo:
    """One company's ids and numbers, for lookups while generating transactions."""

    index: int
    company_id: int
    spec: CompanySpec
    language: str
    base_index: int  # index into BASES
    vat_id: str
    domain: str
    account_no: dict[str, str] = field(default_factory=dict)
    tax_code_id: dict[str, int] = field(default_factory=dict)
    tax_rate_bp: dict[int, int] = field(default_factory=dict)
    document_type_id: dict[str, int] = field(default_factory=dict)
    cost_center_ids: list[int] = field(default_factory=list)
    cost_unit_ids: list[int] = field(default_factory=list)
    payment_terms: list[PaymentTerm] = field(default_factory=list)
    unknown_accounts: list[str] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Sachkontenlänge."""
        return self.spec.gl_account_length

    def tax_id(self, role: str) -> int:
        """The tax code id for a tax role ('sales_full', 'purchase_eu', ...)."""
        return self.tax_code_id[TAX_ROLES[self.language][role]]

    def revenue_key(self, role: str) -> str:
        """The revenue account key for a sales tax role (the Danish chart has no 7 % account)."""
        key = REVENUE_ACCOUNT[role]
        return key if key in self.account_no else "revenue_19"


@dataclass
class Organisation:
    """The group's master tables plus lookup structures."""

    tables: dict[str, pa.Table]
    companies: list[CompanyInfo]
    rates_micro: np.ndarray[Any, np.dtype[np.int64]]  # [base, currency, month] units per base x 10^6


def _stamp(rnd: random.Random, first: dt.date = DATA_START, last: dt.date = DATA_END) -> dt.datetime:
    """A timestamp with microseconds on a random day between first and last, office hours."""
    day = first + dt.timedelta(days=rnd.randint(0, (last - first).days))
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(
        seconds=rnd.randint(7 * 3600, 19 * 3600), microseconds=rnd.randint(0, 999_999)
    )


def _unknown_accounts(rnd: random.Random, numbers: list[str], length: int) -> list[str]:
    """Account numbers of the right length that are not in the chart: transposed digits of real ones."""
    existing = set(numbers)
    unknown: list[str] = []
    for number in sorted(numbers):
        if len(unknown) >= 8:
            break
        digits = list(number)
        i = rnd.randint(0, 2)
        digits[i], digits[i + 1] = digits[i + 1], digits[i]
        candidate = "".join(digits)
        if candidate not in existing and candidate not in unknown and candidate[0] != "0" and len(candidate) == length:
            unknown.append(candidate)
    return unknown


def _exchange_rates(rng: np.random.Generator) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Monthly rates per base currency: a small random walk around 2025 levels (DKK pegged to EUR)."""
    eur = np.empty((len(CURRENCY_CODES), MONTHS))
    for i, code in enumerate(CURRENCY_CODES):
        volatility = 0.0005 if code == "DKK" else 0.0 if code == "EUR" else 0.012
        eur[i] = EUR_RATES[code] * np.exp(np.cumsum(rng.normal(0.0, volatility, MONTHS)))
    eur = np.round(eur, 6)
    dkk = np.round(eur / eur[CURRENCY_CODES.index("DKK")], 6)
    micro: np.ndarray[Any, np.dtype[np.int64]] = np.rint(np.stack([eur, dkk]) * 1_000_000).astype(np.int64)
    return micro


def build_organisation(seed: int) -> Organisation:
    """Companies and their settings for the whole group (independent of scale)."""
    rnd = random.Random(f"{seed}-organisation")
    rng = np.random.default_rng([seed, 1])
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in (
        "company", "currency", "exchange_rate", "payment_term", "tax_code", "gl_account", "cost_center",
        "cost_unit", "document_type")}
    companies: list[CompanyInfo] = []

    for code, description in CURRENCIES:
        rows["currency"].append(
            {"currency_code": code, "description": description, "decimals": 2, "updated_at": _stamp(rnd)}
        )
    rates = _exchange_rates(rng)
    for b, base in enumerate(BASES):
        for c, code in enumerate(CURRENCY_CODES):
            if code == base:
                continue
            for month in range(MONTHS):
                valid_from = dt.date(2025 + month // 12, month % 12 + 1, 1)
                rows["exchange_rate"].append({
                    "rate_id": len(rows["exchange_rate"]) + 1, "base_currency": base, "currency_code": code,
                    "valid_from": valid_from, "rate": Decimal(int(rates[b, c, month])).scaleb(-6),
                    "updated_at": _stamp(rnd, valid_from - dt.timedelta(days=3), valid_from - dt.timedelta(days=1)),
                })

    for index, spec in enumerate(COMPANIES):
        company_id = index + 1
        language = language_of(spec.chart)
        if spec.country_code == "DK":
            cvr = identifiers.dk_cvr_from(spec.vat_base)
            assert cvr is not None, "settings carry a CVR base with a valid check digit"
            vat_id, tax_number = "DK" + cvr, cvr
        else:
            vat_id, tax_number = identifiers.de_vat_from(spec.vat_base), spec.tax_number or ""
        info = CompanyInfo(
            index, company_id, spec, language, BASES.index(spec.local_currency), vat_id,
            domain=names.domain(spec.name, spec.country_code),
        )
        rows["company"].append({
            "company_id": company_id, "company_code": spec.code, "name": spec.name, "street": spec.street,
            "zip_code": spec.zip_code, "city": spec.city, "country_code": spec.country_code, "vat_id": vat_id,
            "tax_number": tax_number, "local_currency": spec.local_currency,
            "datev_consultant_no": spec.datev_consultant_no, "datev_client_no": spec.datev_client_no,
            "fiscal_year_start_month": spec.fiscal_year_start_month, "chart_of_accounts": spec.chart,
            "gl_account_length": spec.gl_account_length, "datev_lock_batches": spec.datev_lock_batches,
            "updated_at": _stamp(rnd),
        })

        for term_code, text, net, disc_days, disc_pct, weight, deleted in _PAYMENT_TERMS[language]:
            term_id = len(rows["payment_term"]) + 1
            rows["payment_term"].append({
                "payment_term_id": term_id, "company_id": company_id, "term_code": term_code, "description": text,
                "net_days": net, "discount_days": disc_days,
                "discount_percent": Decimal(disc_pct) if disc_pct else None,
                "updated_at": _stamp(rnd), "is_deleted": deleted,
            })
            if not deleted:
                bp = int(Decimal(disc_pct) * 100) if disc_pct else 0
                info.payment_terms.append(PaymentTerm(term_id, net, disc_days or 0, bp, weight))

        accounts = chart_accounts(spec.chart)
        info.account_no = {a.key: pad_account(a.number, info.length) for a in accounts}
        for tax in tax_codes(spec.chart):
            tax_id = len(rows["tax_code"]) + 1
            info.tax_code_id[tax.code] = tax_id
            info.tax_rate_bp[tax_id] = tax.rate_bp
            rows["tax_code"].append({
                "tax_code_id": tax_id, "company_id": company_id, "tax_code": tax.code,
                "description": tax.description, "rate_percent": Decimal(tax.rate_bp).scaleb(-2),
                "direction": tax.direction, "scope": tax.scope, "datev_bu_key": tax.datev_bu_key,
                "tax_account_no": info.account_no[tax.tax_account_key] if tax.tax_account_key else None,
                "updated_at": _stamp(rnd), "is_deleted": tax.is_deleted,
            })
        for account in accounts:
            rows["gl_account"].append({
                "gl_account_id": len(rows["gl_account"]) + 1, "company_id": company_id,
                "account_no": info.account_no[account.key], "description": account.description,
                "account_class": account.account_class,
                "auto_tax_code_id": info.tax_code_id[account.auto_tax_code] if account.auto_tax_code else None,
                "is_blocked": account.is_blocked, "updated_at": _stamp(rnd), "is_deleted": account.is_deleted,
            })
        info.unknown_accounts = _unknown_accounts(rnd, list(info.account_no.values()), info.length)

        for cc_code, text, deleted in _COST_CENTERS[language]:
            cc_id = len(rows["cost_center"]) + 1
            rows["cost_center"].append({"cost_center_id": cc_id, "company_id": company_id, "code": cc_code,
                                        "description": text, "updated_at": _stamp(rnd), "is_deleted": deleted})
            if not deleted:
                info.cost_center_ids.append(cc_id)
        for cu_code, text, deleted in _COST_UNITS[spec.line_of_business]:
            cu_id = len(rows["cost_unit"]) + 1
            rows["cost_unit"].append({"cost_unit_id": cu_id, "company_id": company_id, "code": cu_code,
                                      "description": text, "updated_at": _stamp(rnd), "is_deleted": deleted})
            if not deleted:
                info.cost_unit_ids.append(cu_id)
        for doc_code, ledger, is_credit, text_de, text_da in _DOCUMENT_TYPES:
            doc_id = len(rows["document_type"]) + 1
            info.document_type_id[doc_code] = doc_id
            rows["document_type"].append({
                "document_type_id": doc_id, "company_id": company_id, "code": doc_code,
                "description": text_da if language == "da" else text_de, "ledger": ledger,
                "is_credit_note": is_credit, "updated_at": _stamp(rnd),
            })
        companies.append(info)

    tables = {
        name: build_table(name, rows_to_columns(table_rows, table_schemas()[name].names))
        for name, table_rows in rows.items()
    }
    return Organisation(tables, companies, rates)


def master_count(base: int, scale: float, share: float, minimum: int) -> int:
    """Master-data rows of one company: grows with sqrt(scale)."""
    return max(minimum, round(base * math.sqrt(scale) * share))


@dataclass
class AccountIndex:
    """All account-number strings of the group in one list, addressed by int index.

    Vectorized generators work on indices and turn them into strings once, with an Arrow take.
    """

    strings: list[str]
    keys: dict[str, int]
    gl: np.ndarray[Any, np.dtype[np.int64]]  # [company, key] -> index into strings, -1 if the chart lacks it
    unknown_start: np.ndarray[Any, np.dtype[np.int64]]
    unknown_count: np.ndarray[Any, np.dtype[np.int64]]

    @staticmethod
    def of(companies: list[CompanyInfo]) -> AccountIndex:
        """Index every company's G/L accounts and its not-existing 'unknown' accounts."""
        keys: dict[str, int] = {}
        for company in companies:
            for key in company.account_no:
                keys.setdefault(key, len(keys))
        strings: list[str] = []
        gl = np.full((len(companies), len(keys)), -1, dtype=np.int64)
        start = np.zeros(len(companies), dtype=np.int64)
        count = np.zeros(len(companies), dtype=np.int64)
        for c, company in enumerate(companies):
            for key, number in company.account_no.items():
                gl[c, keys[key]] = len(strings)
                strings.append(number)
            start[c], count[c] = len(strings), len(company.unknown_accounts)
            strings.extend(company.unknown_accounts)
        return AccountIndex(strings, keys, gl, start, count)

    def column(self, key: str, fallback: str | None = None) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Per company, the index of account `key` (or of `fallback` where the chart lacks `key`)."""
        column: np.ndarray[Any, np.dtype[np.int64]] = self.gl[:, self.keys[key]].copy()
        if fallback is not None:
            missing = column < 0
            column[missing] = self.gl[missing, self.keys[fallback]]
        return column

    def unknown(self, rng: np.random.Generator, company: np.ndarray[Any, np.dtype[np.int64]]) -> Any:
        """A not-existing account number index for each given company."""
        offset = (rng.random(len(company)) * self.unknown_count[company]).astype(np.int64)
        return self.unknown_start[company] + offset

    def append(self, numbers: list[str]) -> int:
        """Add personal account numbers; returns the index of the first."""
        first = len(self.strings)
        self.strings.extend(numbers)
        return first
