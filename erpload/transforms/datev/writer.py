"""Write EXTF files: the header line, the headings, and every data line built in DuckDB.

Each data line is one SQL string expression (fields formatted per column type, joined by `;`), so a
million bookings become lines in DuckDB's vectorised engine. The export fetches them as one Arrow
column whose values already end in CRLF: a file's body is then the column's UTF-8 buffer as it is,
and Python never holds a string per line; it only converts the bytes to Windows-1252.
The encoding is strict: by the time rows reach the writer, `transform` has folded or rejected every
character outside Windows-1252, so an encoding error here is a bug, not a `?`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from erpload.staging import sql_literal

from .spec import ENCODING, HEADER_VERSION, LINE_END, QUOTE, SEPARATOR, Column, Format

#: U+0080-U+009F in UTF-8: C2 is only ever a lead byte, so this pair is exactly one such character
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
#: SQL for the line end, appended to each line as the export fetches it
LINE_END_SQL = "chr(13) || chr(10)"


def _value_sql(column: Column, expr: str) -> str:
    """SQL for one field's value as written, without the quotes around text; NULL when empty.

    NULL is fine inside `concat()`, which skips it: an empty field is then nothing, or `""` for text."""
    if column.quoted:
        return f"replace(CAST({expr} AS VARCHAR), '{QUOTE}', '{QUOTE}{QUOTE}')"
    if column.kind in ("amount", "decimal"):
        return f"replace(CAST(CAST({expr} AS DECIMAL(18, {column.decimals})) AS VARCHAR), '.', ',')"
    if column.kind == "date":
        pattern = {"TTMM": "%d%m", "TTMMJJJJ": "%d%m%Y", "JJJJMMTT": "%Y%m%d"}[column.date_format or "TTMMJJJJ"]
        return f"strftime(CAST({expr} AS DATE), '{pattern}')"
    return f"CAST({expr} AS VARCHAR)"


def line_sql(fmt: Format, values: dict[str, str]) -> str:
    """One SQL expression producing a whole data line; `values` maps headings to SQL over the rows.

    Fields are formatted per column type: quoted text, decimal comma, DATEV dates; an empty field is
    nothing, or `""` for text, like DATEV's samples."""
    unknown = set(values) - set(fmt.headings)
    if unknown:
        raise KeyError(f"{fmt.name} has no column(s) {sorted(unknown)}")
    parts: list[str] = []
    constant = ""  # separators, quotes and empty fields between two values become one literal
    for number, column in enumerate(fmt.columns):
        if number:
            constant += SEPARATOR
        expr = values.get(column.heading)
        if expr is None:
            constant += QUOTE * 2 if column.quoted else ""
            continue
        if column.quoted:
            constant += QUOTE
        if constant:
            parts.append(sql_literal(constant))
        parts.append(_value_sql(column, expr))
        constant = QUOTE if column.quoted else ""
    if constant:
        parts.append(sql_literal(constant))
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


def file_bytes(header: Header, lines: Sequence[str] | pa.ChunkedArray) -> bytes:
    """The whole file: header, headings, data lines, each ending in CRLF, Windows-1252 (see `file_parts`)."""
    return b"".join(file_parts(header, lines))


def file_parts(header: Header, lines: Sequence[str] | pa.ChunkedArray) -> list[bytes | memoryview]:
    """The whole file as pieces to write one after the other: header, headings, data lines, each ending
    in CRLF, Windows-1252.

    `lines` are strings without a line end, or an Arrow string column whose values end in CRLF
    (`LINE_END_SQL`): its bytes are converted chunk by chunk, and an ASCII chunk is not copied at all."""
    head = LINE_END.join([header.line(), SEPARATOR.join(header.fmt.headings)]) + LINE_END
    if isinstance(lines, pa.ChunkedArray):
        return [to_cp1252(head.encode()), *(to_cp1252(chunk) for chunk in utf8_chunks(lines))]
    return [to_cp1252((head + "".join(line + LINE_END for line in lines)).encode())]


def utf8_chunks(column: pa.ChunkedArray) -> Iterator[memoryview]:
    """The values of a string column back to back, one view per Arrow chunk on the UTF-8 bytes it holds."""
    for chunk in column.chunks:
        if not len(chunk):
            continue
        if not pa.types.is_string(chunk.type) and not pa.types.is_large_string(chunk.type):
            raise TypeError(f"expected a string column, got {chunk.type}")
        _, offsets, data = chunk.buffers()
        bounds = memoryview(offsets).cast("q" if pa.types.is_large_string(chunk.type) else "i")
        yield memoryview(data)[bounds[chunk.offset]:bounds[chunk.offset + len(chunk)]]


def to_cp1252(utf8: bytes | memoryview) -> bytes | memoryview:
    """UTF-8 text as Windows-1252 bytes, strictly: a character cp1252 lacks raises UnicodeEncodeError."""
    text = str(utf8, "utf-8")
    if text.isascii():
        return utf8  # the same bytes in both
    if not _C1_UTF8.search(utf8):
        try:
            # Latin-1 equals cp1252 outside 0x80-0x9F and encodes ~9x faster; with no character of
            # that block in the text (checked above, on the UTF-8 bytes, where it is 10x cheaper than
            # on Latin-1 bytes), the bytes are exactly cp1252's.
            return text.encode("latin-1")
        except UnicodeEncodeError:
            pass  # a cp1252 letter beyond Latin-1 (€, „, ‰): the codec below maps it
    # the strict codec: raises on a C1 control character rather than write it as, say, '…'
    return text.encode(ENCODING)


def write_file(path: Path, parts: Sequence[bytes | memoryview]) -> None:
    """Write `parts` one after the other, atomically: a reader never sees half a file."""
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as f:
        f.writelines(parts)
    tmp.replace(path)
