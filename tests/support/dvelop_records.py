"""A `dvelop` dataset of N vendors with one bank account each, in the shape `erpload transform dvelop`
writes (`_key`, `_company_code`, then d.velop's fields): for push tests and the push benchmark."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from stdnum import iban

VENDOR_COLUMNS = """_key VARCHAR NOT NULL, _company_code VARCHAR, company_id VARCHAR, id VARCHAR, name VARCHAR,
    address VARCHAR, city VARCHAR, zip_code VARCHAR, country VARCHAR, email VARCHAR, vat_id VARCHAR,
    registration_id VARCHAR, payment_terms_id VARCHAR, tax_category_1 VARCHAR"""
BANK_COLUMNS = """_key VARCHAR NOT NULL, _company_code VARCHAR, company_id VARCHAR, vendor_id VARCHAR, id VARCHAR,
    iban VARCHAR, bic VARCHAR, "primary" BOOLEAN"""


def _german_iban(n: int) -> str:
    bban = f"37040044{n:010d}"
    return f"DE{iban.calc_check_digits('DE00' + bban)}{bban}"


def write_vendors(con: duckdb.DuckDBPyConnection, n: int, *, companies: tuple[str, ...] = ("1000", "2000")) -> None:
    """(Re)create dvelop.vendors and dvelop.vendor_bank_accounts with `n` vendors spread over `companies`."""
    company = [companies[i % len(companies)] for i in range(n)]
    vendor_id = [str(70000 + i) for i in range(n)]
    vendors = pa.table({
        "_key": [f"{c}/{v}" for c, v in zip(company, vendor_id, strict=True)],
        "_company_code": company, "company_id": company, "id": vendor_id,
        "name": [f"Lieferant {i} Müller & Søn GmbH" for i in range(n)],
        "address": [f"Hauptstraße {i % 200 + 1}" for i in range(n)],
        "city": ["Flensburg" if i % 3 else "Aabenraa" for i in range(n)],
        "zip_code": [f"{24937 + i % 50}" for i in range(n)],
        "country": ["DE" if i % 3 else "DK" for i in range(n)],
        "email": [f"rechnung{i}@lieferant.example" if i % 2 else None for i in range(n)],
        "vat_id": [f"DE{100000000 + i}" if i % 3 else None for i in range(n)],
        "registration_id": [None] * n,
        "payment_terms_id": ["30N" if i % 4 else None for i in range(n)],
        "tax_category_1": ["inland" if i % 3 else "eu" for i in range(n)],
    })
    banks = pa.table({
        "_key": [f"{c}/{v}/1" for c, v in zip(company, vendor_id, strict=True)],
        "_company_code": company, "company_id": company, "vendor_id": vendor_id, "id": ["1"] * n,
        "iban": [_german_iban(i) for i in range(n)], "bic": ["COBADEFFXXX"] * n, "primary": [True] * n,
    })
    con.execute("CREATE SCHEMA IF NOT EXISTS dvelop")
    con.execute(f"CREATE OR REPLACE TABLE dvelop.vendors ({VENDOR_COLUMNS})")
    con.execute(f"CREATE OR REPLACE TABLE dvelop.vendor_bank_accounts ({BANK_COLUMNS})")
    con.register("_vendors", vendors)
    con.register("_banks", banks)
    con.execute("INSERT INTO dvelop.vendors SELECT * FROM _vendors")
    con.execute("INSERT INTO dvelop.vendor_bank_accounts SELECT * FROM _banks")
    con.unregister("_vendors")
    con.unregister("_banks")
