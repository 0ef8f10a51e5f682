"""The log of deliberate faults, and how many records of a table get one.

Every fault the generator plants is listed here with the table, the record's primary key, a
name from `settings.FAULTS` and a sentence a bookkeeper understands. Downstream stages prove they
catch exactly these records.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

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
        if fault not in FAULTS:
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
