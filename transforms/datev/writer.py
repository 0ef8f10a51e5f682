"""Write EXTF files: the header line, the headings, and every data line built in DuckDB.

Each data line is one SQL string expression (fields formatted per column type, joined by `;`), so a
million bookings become lines in DuckDB's vectorised engine; Python only joins and encodes them.
The encoding is strict: by the time rows reach the writer, `transform` has folded or rejected every
character outside Windows-1252, so an encoding error here is a bug, not a `?`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .spec import ENCODING, HEADER_VERSION, LINE_END, SEPARATOR, Column, Format

_C1_BLOCK = re.compile(rb"[\x80-\x9f]")


def _text(expr: str) -> str:
    return f"'\"' || replace(coalesce(CAST({expr} AS VARCHAR), ''), '\"', '\"\"') || '\"'"


def field_sql(column: Column, expr: str | None) -> str:
    """SQL for one field as written: quoted text, decimal comma, DATEV dates; '' (or `""`) when empty."""
    if expr is None:
        return "'\"\"'" if column.quoted else "''"
    if column.quoted:
        return _text(expr)
    if column.kind in ("amount", "decimal"):
        return f"coalesce(replace(CAST(CAST({expr} AS DECIMAL(18, {column.decimals})) AS VARCHAR), '.', ','), '')"
    if column.kind == "date":
        pattern = {"TTMM": "%d%m", "TTMMJJJJ": "%d%m%Y", "JJJJMMTT": "%Y%m%d"}[column.date_format or "TTMMJJJJ"]
        return f"coalesce(strftime(CAST({expr} AS DATE), '{pattern}'), '')"
    return f"coalesce(CAST({expr} AS VARCHAR), '')"


def line_sql(fmt: Format, values: dict[str, str]) -> str:
    """One SQL expression producing a whole data line; `values` maps headings to SQL over the rows."""
    unknown = set(values) - set(fmt.headings)
    if unknown:
        raise KeyError(f"{fmt.name} has no column(s) {sorted(unknown)}")
    parts: list[str] = []
    constant: list[str] = []  # runs of empty fields become one literal
    for column in fmt.columns:
        expr = values.get(column.heading)
        if expr is None:
            constant.append('""' if column.quoted else "")
            continue
        if constant:
            parts.append("'" + SEPARATOR.join(constant) + SEPARATOR + "'")
            constant = []
        parts.append(field_sql(column, expr))
        parts.append(f"'{SEPARATOR}'")
    if constant:
        parts.append("'" + SEPARATOR.join(constant) + "'")
    elif parts:
        parts.pop()  # no separator after the last field
    # one concat() call: a chain of || would copy the growing line once per field
    return "concat(" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class Header:
    """What line 1 says: the client, its fiscal year and account length, and (for bookings) the period."""

    fmt: Format
    consultant_no: int
    client_no: int
    fiscal_year_start: date
    account_length: int
    chart: str = ""
    period_start: date | None = None
    period_end: date | None = None
    label: str = ""
    locked: bool = False
    currency: str = ""
    created_at: datetime | None = None

    def line(self) -> str:
        created = self.created_at or datetime.now()
        stamp = created.strftime("%Y%m%d%H%M%S") + f"{created.microsecond // 1000:03d}"
        bookings = self.fmt.category == 21

        def day(d: date | None) -> str:
            return d.strftime("%Y%m%d") if d else ""

        fields = [
            '"EXTF"', str(HEADER_VERSION), str(self.fmt.category), f'"{self.fmt.name}"', str(self.fmt.version),
            stamp, "", '"RE"', '"erpload"', '""', str(self.consultant_no), str(self.client_no),
            day(self.fiscal_year_start), str(self.account_length), day(self.period_start), day(self.period_end),
            f'"{self.label}"', '""', "1" if bookings else "", "0" if bookings else "",
            "1" if self.locked else "0", f'"{self.currency}"', "", '""', "", "", f'"{self.chart}"', "", "", '""',
            '"erpload"',
        ]
        return SEPARATOR.join(fields)


def file_bytes(header: Header, lines: list[str]) -> bytes:
    """The whole file: header, headings, data lines, each ending in CRLF, Windows-1252."""
    text = LINE_END.join([header.line(), SEPARATOR.join(header.fmt.headings), *lines]) + LINE_END
    try:
        # Latin-1 equals cp1252 outside 0x80-0x9F and encodes ~9x faster; if no byte lands in that
        # block, the bytes are exactly cp1252's. Otherwise the strict cp1252 codec decides (and
        # raises on a C1 control character rather than write it as, say, '…').
        data = text.encode("latin-1")
        if not _C1_BLOCK.search(data):
            return data
    except UnicodeEncodeError:
        pass
    return text.encode(ENCODING)


def write_file(path: Path, data: bytes) -> None:
    """Write atomically: a reader never sees half a file."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
