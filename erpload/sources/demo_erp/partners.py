"""Business partners and people: customers, vendors with bank accounts, employees, and the
integration ids other systems gave them.

Built row by row (a few thousand rows even at large scales); the `Pool`s and arrays at the end
let the vectorized transaction generators pick partners by company.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from . import faults as fault_text
from . import identifiers, names
from .catalog import CATEGORY_ACCOUNT, DOMESTIC_CATEGORIES, FOREIGN_CATEGORIES
from .faults import FaultLog, split_budget
from .organisation import CURRENCY_CODES, CompanyInfo, Organisation, _stamp, master_count
from .schema import build_table, rows_to_columns, table_schemas
from .settings import CUSTOMERS, DATA_END, DATA_START, EMPLOYEES, EU_COUNTRIES, VENDORS
from .vectors import Bools, Ints

_CUSTOMER_COUNTRIES = {
    "de": (("DE", 72), ("AT", 8), ("NL", 4), ("PL", 3), ("CZ", 3), ("DK", 2), ("CH", 4), ("US", 3), ("GB", 1)),
    "da": (("DK", 78), ("DE", 8), ("SE", 5), ("NL", 3), ("PL", 2), ("US", 2), ("GB", 2)),
}
_VENDOR_COUNTRIES = {
    "de": (("DE", 78), ("AT", 5), ("NL", 3), ("PL", 3), ("CZ", 2), ("DK", 2), ("CH", 3), ("US", 3), ("GB", 1)),
    "da": (("DK", 75), ("DE", 12), ("SE", 6), ("NL", 3), ("US", 2), ("GB", 2)),
}
_CURRENCY = {"DE": "EUR", "AT": "EUR", "NL": "EUR", "CZ": "EUR", "DK": "DKK", "CH": "CHF", "US": "USD",
             "GB": "GBP", "SE": "SEK", "PL": "PLN"}
SCOPES = ("domestic", "eu", "third_country")
CATEGORIES = tuple(CATEGORY_ACCOUNT)
VENDOR_INVOICE_STYLES = 8


@dataclass(frozen=True)
class Pool:
    """Row indices grouped by company: rows[start[c] : start[c] + count[c]] belong to company c."""

    rows: Ints
    start: Ints
    count: Ints

    @staticmethod
    def of(company: Ints, mask: Bools, companies: int, fallback: Bools | None = None) -> Pool:
        """The rows where `mask` holds, grouped by company; a company with none uses `fallback`."""
        if fallback is not None:
            has_any = np.bincount(company[mask], minlength=companies) > 0
            mask = mask | (fallback & ~has_any[company])
        rows = np.flatnonzero(mask)
        rows = rows[np.argsort(company[rows], kind="stable")].astype(np.int64)
        count = np.bincount(company[rows], minlength=companies).astype(np.int64)
        return Pool(rows, np.cumsum(count) - count, count)

    def pick(self, rng: np.random.Generator, company: Ints) -> Ints:
        """A random row of each given company."""
        offset = (rng.random(len(company)) * self.count[company]).astype(np.int64)
        return np.asarray(self.rows[self.start[company] + offset], dtype=np.int64)


@dataclass
class PartnerArrays:
    """Customers or vendors as arrays (row index = id - 1)."""

    ids: Ints
    company: Ints
    currency: Ints
    scope: Ints
    term_id: Ints
    net_days: Ints
    discount_days: Ints
    discount_bp: Ints
    numbers: list[str]
    names: list[str]
    category: Ints
    style: Ints
    usable: Bools  # not deleted (and for vendors not blocked)
    active: Pool


@dataclass
class Partners:
    """Partner and employee tables, their arrays, and master-data integration ids."""

    tables: dict[str, pa.Table]
    customers: PartnerArrays
    vendors: PartnerArrays
    buyers: list[list[str]]  # employee names per company, for purchase orders
    references: list[dict[str, Any]]


def _weighted(rnd: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rnd.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _steuernummer(rnd: random.Random) -> str:
    return f"{rnd.randint(10, 99)}/{rnd.randint(100, 999)}/{rnd.randint(10000, 99999)}"


def _partner_row(
    rnd: random.Random, company: CompanyInfo, country: str, kind: str, number: str
) -> dict[str, Any]:
    """Fields customers and vendors share."""
    name = names.company_name(rnd, country, kind)
    street, zip_code, city, area = names.address(rnd, country)
    domestic = country == company.spec.country_code
    eu_foreign = not domestic and country in EU_COUNTRIES
    has_vat = eu_foreign or (domestic and rnd.random() < 0.6) or (country in ("CH", "GB") and rnd.random() < 0.8)
    tax_number = None
    if domestic and country == "DE" and rnd.random() < 0.25:
        tax_number = _steuernummer(rnd)
    elif country == "US" and rnd.random() < 0.6:
        tax_number = identifiers.us_ein(rnd)
    vat_id = identifiers.vat_id(rnd, country) if has_vat else None
    if domestic and country == "DK" and vat_id and rnd.random() < 0.5:
        tax_number = vat_id[2:]  # the CVR
    terms = company.payment_terms
    term = rnd.choices(terms, weights=[t.weight for t in terms])[0]
    currency = _CURRENCY[country]
    if country == "PL" and rnd.random() < 0.5:
        currency = "EUR"
    created = _stamp(rnd, dt.date(2012, 1, 1), dt.date(2025, 6, 30))
    return {
        "company_id": company.company_id,
        "name": name,
        "name_2": names.name_2(rnd, country) if rnd.random() < 0.12 else None,
        "street": street,
        "zip_code": zip_code,
        "city": city,
        "country_code": country,
        "vat_id": vat_id,
        "tax_number": tax_number,
        "email": names.business_email(rnd, name, country),
        "phone": names.phone(rnd, country, area),
        "payment_term_id": term.term_id,
        "currency_code": currency,
        "created_at": created,
        "updated_at": _stamp(rnd, max(created.date(), DATA_START), DATA_END),
        "is_deleted": int(rnd.random() < 0.03),
        # generator-only fields, dropped before building the table
        "_number": number,
        "_term": term,
        "_scope": 0 if domestic else 1 if country in EU_COUNTRIES else 2,
        "_language": company.language if domestic else "de" if country in ("DE", "AT", "CH") else "en",
    }


def _plant_partner_faults(
    rnd: random.Random, rows: list[dict[str, Any]], table: str, id_column: str, log: FaultLog
) -> None:
    """Overlong names, missing VAT ids of EU partners, emoji/CJK in names."""
    budget = split_budget(table, len(rows))
    order = list(range(len(rows)))
    rnd.shuffle(order)
    used: set[int] = set()
    for fault, count in budget.items():
        picked: list[int] = []
        for i in order:
            if len(picked) == count:
                break
            row = rows[i]
            eligible = fault != "missing_vat_id" or (row["_scope"] == 1 and row["vat_id"])
            if i not in used and eligible:
                picked.append(i)
                used.add(i)
        details = []
        for i in sorted(picked):
            row = rows[i]
            if fault == "overlong_name":
                row["name"] = fault_text.overlong_name(rnd, row["name"], row["_language"])
                details.append(f"{table} name has {len(row['name'])} characters; DATEV allows 50")
            elif fault == "missing_vat_id":
                row["vat_id"] = None
                details.append(f"{table} in {row['country_code']} (EU, not domestic) has no VAT id")
            else:
                column = "name_2" if rnd.random() < 0.5 else "name"
                row[column], chars = fault_text.with_unmappable(rnd, row[column] or "Filiale")
                details.append(fault_text.describe_unmappable(f"{table} {column}", chars))
        log.add(table, [rows[i][id_column] for i in sorted(picked)], fault, details)


def _arrays(rows: list[dict[str, Any]], id_column: str, companies: int, usable: Bools) -> PartnerArrays:
    company = np.array([r["company_id"] - 1 for r in rows], dtype=np.int64)
    return PartnerArrays(
        ids=np.array([r[id_column] for r in rows], dtype=np.int64),
        company=company,
        currency=np.array([CURRENCY_CODES.index(r["currency_code"]) for r in rows], dtype=np.int64),
        scope=np.array([r["_scope"] for r in rows], dtype=np.int64),
        term_id=np.array([r["_term"].term_id for r in rows], dtype=np.int64),
        net_days=np.array([r["_term"].net_days for r in rows], dtype=np.int64),
        discount_days=np.array([r["_term"].discount_days for r in rows], dtype=np.int64),
        discount_bp=np.array([r["_term"].discount_bp for r in rows], dtype=np.int64),
        numbers=[r["_number"] for r in rows],
        names=[r["name"] for r in rows],
        category=np.array([r.get("_category", 0) for r in rows], dtype=np.int64),
        style=np.array([r.get("_style", 0) for r in rows], dtype=np.int64),
        usable=usable,
        active=Pool.of(company, usable, companies),
    )


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return build_table(name, rows_to_columns(rows, table_schemas()[name].names))


def build_partners(seed: int, scale: float, org: Organisation, log: FaultLog) -> Partners:
    """Customers, vendors, vendor bank accounts, employees (count grows with sqrt(scale))."""
    rnd = random.Random(f"{seed}-partners")
    customers: list[dict[str, Any]] = []
    vendors: list[dict[str, Any]] = []
    banks: list[dict[str, Any]] = []
    employees: list[dict[str, Any]] = []
    references: list[dict[str, Any]] = []
    buyers: list[list[str]] = []

    def reference(object_type: str, object_id: int, system: str, external_id: str) -> None:
        references.append({"object_type": object_type, "object_id": object_id, "system_code": system,
                           "external_id": external_id, "updated_at": _stamp(rnd)})

    for company in org.companies:
        spec = company.spec
        if spec.country_code == "DE":
            reference("company", company.company_id, "kombo", "datev:" + identifiers.base62_id(rnd))
        reference("company", company.company_id, "papershift", identifiers.uuid4(rnd))
        if spec.country_code == "DK":
            reference("company", company.company_id, "telecomx", identifiers.hex_id(rnd))

        for i in range(master_count(CUSTOMERS, scale, spec.share, 6)):
            country = _weighted(rnd, _CUSTOMER_COUNTRIES[company.language])
            row = _partner_row(rnd, company, country, "customer", str(10**company.length + i + 1))
            row["customer_id"] = len(customers) + 1
            row["customer_no"] = row["_number"]
            row["credit_limit"] = (
                Decimal(rnd.choice((5000, 10000, 25000, 50000, 100000, 250000))) if rnd.random() < 0.75 else None
            )
            customers.append(row)

        for i in range(master_count(VENDORS, scale, spec.share, 6)):
            country = _weighted(rnd, _VENDOR_COUNTRIES[company.language])
            domestic = country == spec.country_code
            category = _weighted(rnd, DOMESTIC_CATEGORIES if domestic else FOREIGN_CATEGORIES)
            row = _partner_row(rnd, company, country, category, str(7 * 10**company.length + i + 1))
            row.update({
                "vendor_id": len(vendors) + 1, "vendor_no": row["_number"], "tax_scope": SCOPES[row["_scope"]],
                "default_gl_account_no": company.account_no[CATEGORY_ACCOUNT[category]],
                "is_blocked": int(rnd.random() < 0.03), "_category": CATEGORIES.index(category),
                "_style": rnd.randrange(VENDOR_INVOICE_STYLES),
            })
            vendors.append(row)

        people = []
        for i in range(master_count(EMPLOYEES, scale, spec.share, 4)):
            first, last = names.person(rnd, company.language)
            people.append(f"{first} {last}")
            birth = dt.date(1962, 1, 1) + dt.timedelta(days=rnd.randint(0, 15000))
            hire = dt.date(2008, 1, 1) + dt.timedelta(days=rnd.randint(0, 6840))
            end = hire + dt.timedelta(days=rnd.randint(200, 3000)) if rnd.random() < 0.12 else None
            if end and end > DATA_END:
                end = None
            street, zip_code, city, _ = names.address(rnd, spec.country_code)
            danish = spec.country_code == "DK"
            hours = rnd.choice(("37.00", "37.00", "30.00") if danish else ("40.00", "38.50", "40.00", "30.00", "20.00"))
            salary = rnd.randint(2800, 9500) * (7.46 if danish else 1.0) * float(hours) / (37 if danish else 40)
            employee_id = len(employees) + 1
            employees.append({
                "employee_id": employee_id, "company_id": company.company_id, "personnel_no": f"{i + 1:05d}",
                "first_name": first, "last_name": last, "email": names.person_email(first, last, company.domain),
                "birth_date": birth, "hire_date": hire, "termination_date": end, "street": street,
                "zip_code": zip_code, "city": city, "country_code": spec.country_code,
                "iban": identifiers.iban_at(rnd, identifiers.bank_for(rnd, spec.country_code)),
                "tax_id": identifiers.cpr(rnd, birth) if danish else identifiers.steuer_idnr(rnd),
                "cost_center_id": rnd.choice(company.cost_center_ids), "weekly_hours": Decimal(hours),
                "monthly_salary": Decimal(round(salary, 0)).quantize(Decimal("0.01")),
                "updated_at": _stamp(rnd, max(hire, DATA_START), DATA_END),
                "is_deleted": int(end is not None and end < DATA_START and rnd.random() < 0.3),
            })
            if rnd.random() < 0.7:
                reference("employee", employee_id, "papershift", identifiers.uuid4(rnd))
        buyers.append(people)

    for row in vendors:
        count = 1 if rnd.random() < 0.7 else 2
        for n in range(count):
            bank = identifiers.bank_for(rnd, row["country_code"] if n == 0 else rnd.choice(("DE", row["country_code"])))
            banks.append({
                "bank_account_id": len(banks) + 1, "vendor_id": row["vendor_id"],
                "iban": identifiers.iban_at(rnd, bank), "bic": bank.bic, "bank_name": bank.name,
                "account_holder": row["name"][:70], "is_primary": int(n == 0), "updated_at": row["updated_at"],
                "is_deleted": int(n == 1 and rnd.random() < 0.2),
            })

    _plant_partner_faults(rnd, customers, "customer", "customer_id", log)
    _plant_partner_faults(rnd, vendors, "vendor", "vendor_id", log)
    _plant_iban_faults(rnd, banks, log)

    for row in customers:
        company = org.companies[row["company_id"] - 1]
        if company.spec.country_code == "DK":
            reference("customer", row["customer_id"], "uniconta", str(20000 + row["customer_id"]))
        elif rnd.random() < 0.3:
            reference("customer", row["customer_id"], "maesn", identifiers.uuid4(rnd))
    for row in vendors:
        if org.companies[row["company_id"] - 1].spec.country_code != "DK" and rnd.random() < 0.3:
            reference("vendor", row["vendor_id"], "maesn", identifiers.uuid4(rnd))

    companies = len(org.companies)
    customer_active = np.array([not r["is_deleted"] for r in customers], dtype=bool)
    vendor_active = np.array([not (r["is_deleted"] or r["is_blocked"]) for r in vendors], dtype=bool)
    tables = {
        "customer": _table("customer", customers),
        "vendor": _table("vendor", vendors),
        "vendor_bank_account": _table("vendor_bank_account", banks),
        "employee": _table("employee", employees),
    }
    return Partners(
        tables,
        _arrays(customers, "customer_id", companies, customer_active),
        _arrays(vendors, "vendor_id", companies, vendor_active),
        buyers,
        references,
    )


def _plant_iban_faults(rnd: random.Random, banks: list[dict[str, Any]], log: FaultLog) -> None:
    """Wrong IBAN check digits on some vendor bank accounts."""
    count = split_budget("vendor_bank_account", len(banks))["invalid_iban"]
    picked = sorted(rnd.sample(range(len(banks)), count))
    details = []
    for i in picked:
        good = banks[i]["iban"]
        banks[i]["iban"] = identifiers.break_iban(rnd, good)
        details.append(f"IBAN {banks[i]['iban']} fails the mod-97 check (check digits should be {good[2:4]})")
    log.add("vendor_bank_account", [banks[i]["bank_account_id"] for i in picked], "invalid_iban", details)
