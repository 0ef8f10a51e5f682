"""The DATEV EXTF format (header version 700), declared once for the writer and the checker.

The facts live in `extf_spec.json`, a copy of the project's researched reference (see its `sources`):
31 header fields and, per format category, every column with its heading, type, length and quoting.
This module turns them into typed, immutable specs.

>>> BOOKINGS.category, BOOKINGS.version, len(BOOKINGS.columns)
(21, 13, 125)
>>> BOOKINGS.column("Belegfeld 1").max_length
36
>>> FORMATS[16].columns[0].heading
'Konto'
>>> PAYMENT_TERMS.column("Skonto 1%").kind, PAYMENT_TERMS.verified, len(DIVERSE_ADDRESSES.columns)
('number', False, 191)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

HEADER_VERSION = 700
ENCODING = "cp1252"
LINE_END = "\r\n"
SEPARATOR = ";"
QUOTE = '"'
HEADER_FIELD_COUNT = 31
FILE_NAME = re.compile(r'^EXTF_[^\\/:*?"<>|]+\.csv$')

Kind = Literal["text", "amount", "decimal", "number", "account", "date", "timestamp", "empty", "unknown"]

_RAW: dict[str, Any] = json.loads((Path(__file__).with_name("extf_spec.json")).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Column:
    """One field of a line: its 1-based position, line-2 heading and rules."""

    index: int
    heading: str
    kind: Kind
    quoted: bool
    required: bool = False
    max_length: int | None = None
    decimals: int = 0
    date_format: str | None = None
    regex: str | None = None
    portal_regex: str | None = None
    allowed: tuple[str, ...] = ()
    alt_heading: str | None = None
    required_for: tuple[int, ...] = ()
    note: str = ""

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        return re.compile(self.regex) if self.regex else None


@dataclass(frozen=True)
class Format:
    """A format category (Buchungsstapel, Debitoren/Kreditoren, ...) in one format version."""

    category: int
    name: str
    version: int
    columns: tuple[Column, ...]
    #: column counts of other versions a reader accepts, e.g. Buchungsstapel 9-12
    other_versions: dict[int, int] = field(default_factory=dict)
    #: verified = types and lengths come from DATEV's definitions, not only from a sample file
    verified: bool = True

    @property
    def headings(self) -> list[str]:
        return [c.heading for c in self.columns]

    def column(self, heading: str) -> Column:
        for col in self.columns:
            if col.heading == heading:
                return col
        raise KeyError(f"{self.name} has no column {heading!r}")

    def column_count(self, version: int) -> int | None:
        """Number of columns of `version` of this category, None when the version is unknown."""
        if version == self.version:
            return len(self.columns)
        return self.other_versions.get(version)


def _kind(raw_type: str) -> Kind:
    return {
        "date_yyyymmdd": "date",
        "number_or_amount": "unknown",
    }.get(raw_type, raw_type)  # type: ignore[return-value]


def _column(raw: dict[str, Any]) -> Column:
    return Column(
        index=raw["index"],
        heading=raw.get("heading") or raw["name"],
        kind=_kind(raw["type"]),
        quoted=bool(raw.get("quoted")),
        required=bool(raw.get("required")),
        max_length=raw.get("max_length"),
        decimals=raw.get("decimals") or 0,
        date_format=raw.get("date_format") or ("JJJJMMTT" if raw["type"] == "date_yyyymmdd" else None),
        regex=raw.get("regex"),
        portal_regex=raw.get("regex_portal"),
        allowed=tuple(raw.get("allowed") or ()),
        alt_heading=raw.get("alt_heading"),
        required_for=tuple(raw.get("required_for_categories") or ()),
        note=raw.get("note", ""),
    )


def _format(category: str, raw: dict[str, Any]) -> Format:
    other = {int(v): info["column_count"] for v, info in raw.get("older_versions", {}).items()}
    if category == "20":
        other[2] = 3  # formatversion 2 = the first three columns, still written by common generators
    other.pop(raw["formatversion"], None)
    return Format(
        category=int(category),
        name=raw["name"],
        version=raw["formatversion"],
        columns=tuple(_column(c) for c in raw["columns"]),
        other_versions=other,
        verified="not verified" not in raw.get("note", ""),
    )


HEADER: tuple[Column, ...] = tuple(_column(h) for h in _RAW["header"])
FORMATS: dict[int, Format] = {int(k): _format(k, v) for k, v in _RAW["formats"].items()}
BOOKINGS = FORMATS[21]
PARTNERS = FORMATS[16]
ACCOUNT_LABELS = FORMATS[20]
#: 46 and 48: known only from DATEV's sample files; kinds and lengths are inferred (see their notes)
PAYMENT_TERMS = FORMATS[46]
DIVERSE_ADDRESSES = FORMATS[48]

#: Characters of Windows-1252 above 0x7F that are not Latin-1 (0x80-0x9F block); with 0x20-0x7E and
#: 0xA0-0xFF they are every printable character a DATEV file can carry.
CP1252_EXTRA = "".join(
    bytes([b]).decode(ENCODING) for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D))
#: A regex class (for DuckDB's RE2 and Python's re) matching one character a DATEV file cannot carry.
NOT_CP1252 = "[^\\x20-\\x7E\\xA0-\\xFF" + CP1252_EXTRA + "]"
