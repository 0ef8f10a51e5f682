"""The log of deliberate faults, and how many records of a table get one.

Every fault the generator plants is listed here with the table, the record's primary key, a
name from `settings.FAULTS` (or `DATA_RULE_FAULTS`) and a sentence a bookkeeper understands.
Downstream stages prove they catch exactly these records.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from stdnum import iban as stdnum_iban
from stdnum import vatin as stdnum_vatin

from .settings import FAULT_RATE, FAULTS, FAULTS_BY_TABLE
from .vectors import Bools, Ints

FAULT_SCHEMA = pa.schema(
    [("table_name", pa.string()), ("record_id", pa.int64()), ("fault", pa.string()), ("detail", pa.string())]
)

# Characters outside Windows-1252 with no sensible Latin transliteration.
UNMAPPABLE = ("🚢", "🌻", "☕", "🎄", "🎉", "⚓", "渋谷", "上海", "東京", "한국")


def fault_budget(rows: int) -> int:
    """How many records of a table with `rows` rows carry a fault."""
    return round(rows * FAULT_RATE)


def split_budget(table: str, rows: int) -> dict[str, int]:
    """The table's fault budget spread evenly over the faults it can carry."""
    kinds = FAULTS_BY_TABLE[table]
    total = fault_budget(rows)
    return {kind: total // len(kinds) + (1 if i < total % len(kinds) else 0) for i, kind in enumerate(kinds)}


def choose(rng: np.random.Generator, eligible: Bools, count: int, taken: Bools) -> Ints:
    """Up to `count` random eligible rows not yet taken (marks them taken), sorted."""
    candidates = np.flatnonzero(eligible & ~taken)
    count = min(count, len(candidates))
    picked = np.sort(rng.choice(candidates, size=count, replace=False)).astype(np.int64)
    taken[picked] = True
    return picked


@dataclass
class FaultLog:
    """Collects planted faults; `table()` returns them as the `faults` Arrow table."""

    _parts: list[pa.Table] = field(default_factory=list)

    def add(self, table: str, record_ids: Sequence[int] | Ints, fault: str, details: Sequence[str] | pa.Array) -> None:
        """Record that the rows `record_ids` of `table` carry `fault`."""
        if fault not in FAULTS and not any(fault in kinds for kinds in DATA_RULE_FAULTS.values()):
            raise ValueError(f"unknown fault {fault!r}")
        ids = pa.array(np.asarray(record_ids, dtype=np.int64), pa.int64())
        if len(ids) != len(details):
            raise ValueError("one detail per record")
        n = len(ids)
        self._parts.append(
            pa.table(
                [pa.array([table] * n, pa.string()), ids, pa.array([fault] * n, pa.string()),
                 pa.array(details, pa.string())],
                schema=FAULT_SCHEMA,
            )
        )

    def record_ids(self, table: str) -> Ints:
        """The ids of the records of `table` that carry a fault."""
        ids = [part.column("record_id").to_numpy() for part in self._parts
               if part.num_rows and part.column("table_name")[0].as_py() == table]
        return np.concatenate(ids).astype(np.int64) if ids else np.zeros(0, dtype=np.int64)

    def table(self) -> pa.Table:
        """All faults, ordered by table, record and fault."""
        if not self._parts:
            return FAULT_SCHEMA.empty_table()
        combined = pa.concat_tables(self._parts)
        return combined.sort_by([("table_name", "ascending"), ("record_id", "ascending"), ("fault", "ascending")])


_OVERLONG_SUFFIXES = {
    "de": ("Niederlassung Süddeutschland - Vertrieb, Service und Ersatzteillogistik für Industrieanlagen",
           "Zweigniederlassung Hamburg-Harburg, Geschäftsbereich Schiffsausrüstung und Hafentechnik",
           "vormals Müller & Schröder Handelsgesellschaft, Abteilung Zentraleinkauf und Rechnungsprüfung"),
    "da": ("Afdeling for Indkøb, Lagerstyring og Fakturakontrol, Region Hovedstaden og Sjælland",
           "tidligere Jørgensen & Søn Maskinhandel, Filial Nordjylland, Kreditorbogholderiet"),
    "en": ("European Distribution Center, Accounts Payable and Procurement Services Department",
           "formerly Hudson Valley Industrial Components Holding, Invoice Processing Unit"),
}


def overlong_name(rnd: random.Random, name: str, language: str) -> str:
    """`name` extended past DATEV's 50 characters to 60-110 characters."""
    target = rnd.randint(60, 110)
    long_name = f"{name} {rnd.choice(_OVERLONG_SUFFIXES[language])}"
    if len(long_name) > target:
        long_name = long_name[:target].rstrip(" ,-")
    return long_name


def with_unmappable(rnd: random.Random, text: str) -> tuple[str, str]:
    """`text` with one emoji or CJK word added; returns (new text, the added characters)."""
    chars = rnd.choice(UNMAPPABLE)
    return f"{text} {chars}", chars


def describe_unmappable(column: str, chars: str) -> str:
    """Detail text for an unmappable_character fault."""
    codes = ", ".join(f"U+{ord(c):04X}" for c in chars)
    return f"{column} contains '{chars}' ({codes}): not in Windows-1252 and no Latin transliteration"


def invalid_document_number(rnd: random.Random, number: str) -> str:
    """`number` as a careless clerk types it: blanks, dots, '#', '_', ',' or an umlaut."""
    variant = rnd.randint(0, 5)
    if variant == 0:
        return number.replace("-", " ", 1).replace("-", "/") + "#"
    if variant in (1, 2):
        separator = "." if variant == 1 else "_"
        if "-" in number or "/" in number:
            return number.replace("-", separator).replace("/", separator)
        return f"{number[:2]}{separator}{number[2:]}"
    if variant == 3:
        return f"Nr. {number}"
    if variant == 4:
        return f"{number},1"
    return "Ü" + number[1:] if number[:1].isalpha() else f"Ä-{number}"


def describe_document_number(column: str, number: str) -> str:
    """Detail text for an invalid_document_number fault."""
    bad = sorted({c for c in number if not (c.isascii() and (c.isalnum() or c in "$&%*+-/"))})
    shown = " ".join(repr(c) for c in bad)
    return f"{column} '{number}' has {shown}; DATEV Belegfeld 1 allows only A-Z a-z 0-9 $ & % * + - /"


#: Faults map and the targets' data rules must catch, planted once each (at any scale) into the finished
#: tables with their own random stream, so every other generated value stays as it was.
DATA_RULE_FAULTS: dict[str, tuple[str, ...]] = {
    "customer": ("key_with_trailing_blank", "invalid_country_code"),
    "vendor": ("invalid_vat_check_digit",),
    "vendor_bank_account": ("unnormalised_iban", "two_primary_bank_accounts"),
    "sales_invoice": ("orphan_invoice", "date_far_in_the_future"),
}


def _set(table: pa.Table, column: str, row: int, value: Any) -> pa.Table:
    values = table.column(column).to_pylist()
    values[row] = value
    index = table.schema.get_field_index(column)
    return table.set_column(index, table.schema.field(index), pa.array(values, table.schema.field(index).type))


def _bad_vat_check_digit(vat_id: str) -> str | None:
    """`vat_id` with its last digit changed so that python-stdnum refuses it; None if no digit does."""
    for digit in "0123456789":
        candidate = vat_id[:-1] + digit
        if candidate != vat_id and not stdnum_vatin.is_valid(candidate):
            return candidate
    return None


def plant_data_rule_faults(seed: int, tables: dict[str, pa.Table], log: FaultLog) -> dict[str, pa.Table]:
    """One record per `DATA_RULE_FAULTS` kind, never one that already carries a fault; returns new tables."""
    rnd = random.Random(seed * 7919 + 13)
    tables = dict(tables)
    faulted = {(r["table_name"], r["record_id"]) for r in log.table().select(["table_name", "record_id"]).to_pylist()}

    def pick(table: str, candidates: list[int], key: str) -> int:
        """A random row index of `table` among `candidates` whose record carries no fault yet."""
        ids = tables[table].column(key).to_pylist()
        free = [i for i in candidates if (table, ids[i]) not in faulted]
        row = rnd.choice(free)
        faulted.add((table, ids[row]))
        return row

    customers = tables["customer"]
    customer_ids = customers.column("customer_id").to_pylist()
    invoiced = set(tables["sales_invoice"].column("customer_id").to_pylist())
    row = pick("customer", [i for i, c in enumerate(customer_ids) if c in invoiced], "customer_id")
    number = customers.column("customer_no")[row].as_py()
    tables["customer"] = customers = _set(customers, "customer_no", row, number + " ")
    log.add("customer", [customer_ids[row]], "key_with_trailing_blank",
            [f"customer_no '{number} ' ends with a blank: without trimming it would be a second partner"])
    # a customer without invoices: its reject stands alone instead of holding back its invoices too
    row = pick("customer", [i for i, c in enumerate(customer_ids) if c not in invoiced], "customer_id")
    tables["customer"] = _set(customers, "country_code", row, "XX")
    log.add("customer", [customer_ids[row]], "invalid_country_code",
            ["country_code 'XX' is no ISO 3166-1 country"])

    vendors = tables["vendor"]
    vat_ids = vendors.column("vat_id").to_pylist()
    row = pick("vendor", [i for i, v in enumerate(vat_ids) if v and _bad_vat_check_digit(v)], "vendor_id")
    bad = _bad_vat_check_digit(vat_ids[row])
    tables["vendor"] = _set(vendors, "vat_id", row, bad)
    log.add("vendor", [vendors.column("vendor_id")[row].as_py()], "invalid_vat_check_digit",
            [f"VAT id {bad} fails its check digit (was {vat_ids[row]})"])

    banks = tables["vendor_bank_account"]
    bank_ids = banks.column("bank_account_id").to_pylist()
    ibans = banks.column("iban").to_pylist()
    row = pick("vendor_bank_account", [i for i, v in enumerate(ibans) if stdnum_iban.is_valid(v)], "bank_account_id")
    spaced = " ".join(ibans[row][i:i + 4] for i in range(0, len(ibans[row]), 4)).lower()
    tables["vendor_bank_account"] = banks = _set(banks, "iban", row, spaced)
    log.add("vendor_bank_account", [bank_ids[row]], "unnormalised_iban",
            [f"IBAN '{spaced}' is written with blanks and in lower case"])
    primary = banks.column("is_primary").to_pylist()
    row = pick("vendor_bank_account", [i for i, p in enumerate(primary) if not p], "bank_account_id")
    tables["vendor_bank_account"] = _set(banks, "is_primary", row, 1)
    log.add("vendor_bank_account", [bank_ids[row]], "two_primary_bank_accounts",
            ["a second bank account of the vendor is marked primary; DATEV takes one main bank account"])

    invoices = tables["sales_invoice"]
    invoice_ids = invoices.column("invoice_id").to_pylist()
    row = pick("sales_invoice", list(range(len(invoice_ids))), "invoice_id")
    missing = max(customer_ids) + 1000
    tables["sales_invoice"] = invoices = _set(invoices, "customer_id", row, missing)
    log.add("sales_invoice", [invoice_ids[row]], "orphan_invoice",
            [f"the invoice's customer (customer_id {missing}) does not exist"])
    row = pick("sales_invoice", list(range(len(invoice_ids))), "invoice_id")
    tables["sales_invoice"] = _set(invoices, "invoice_date", row, dt.date(9999, 12, 31))
    log.add("sales_invoice", [invoice_ids[row]], "date_far_in_the_future", ["invoice_date 9999-12-31"])
    return tables
