"""The writer on its own: field formats, quoting, field counts and the byte-exact encoding."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pyarrow as pa
import pytest

from erpload.transforms.datev.reader import read_extf
from erpload.transforms.datev.spec import BOOKINGS
from erpload.transforms.datev.writer import Header, file_bytes, line_sql


def _line(values: dict[str, str]) -> str:
    row = duckdb.sql(f"SELECT {line_sql(BOOKINGS, values)}").fetchone()
    assert row is not None
    return str(row[0])


def test_fields_are_formatted_by_column_type() -> None:
    line = _line({
        "Umsatz (ohne Soll/Haben-Kz)": "CAST(1234.5 AS DECIMAL(18, 2))",
        "Soll/Haben-Kennzeichen": "'S'",
        "Kurs": "CAST(0.83 AS DECIMAL(18, 6))",
        "Konto": "'10000'",
        "Belegdatum": "DATE '2026-03-05'",
        "Buchungstext": "'Schäkel \"verzinkt\"; 10 mm'",
        "Leistungsdatum": "DATE '2026-02-28'",
        "BU-Schlüssel": "NULL",
    })
    fields = read_extf(("x\r\ny\r\n" + line + "\r\n").encode("cp1252")).rows[0].fields
    assert len(fields) == len(BOOKINGS.columns)
    by_heading = dict(zip(BOOKINGS.headings, fields, strict=True))
    assert by_heading["Umsatz (ohne Soll/Haben-Kz)"] == "1234,50"
    assert by_heading["Soll/Haben-Kennzeichen"] == '"S"'
    assert by_heading["Kurs"] == "0,830000"
    assert by_heading["Konto"] == "10000"
    assert by_heading["Belegdatum"] == "0503"
    assert by_heading["Buchungstext"] == '"Schäkel ""verzinkt""; 10 mm"'
    assert by_heading["Leistungsdatum"] == "28022026"
    assert by_heading["BU-Schlüssel"] == '""'  # empty text is written as "", like DATEV's samples
    assert by_heading["Skonto"] == ""  # empty numbers as nothing


def test_unknown_heading_fails_loudly() -> None:
    with pytest.raises(KeyError, match="Umsatz"):
        line_sql(BOOKINGS, {"Umsatz": "1"})


def test_file_is_cp1252_with_crlf_and_a_17_digit_timestamp() -> None:
    header = Header(BOOKINGS, 29098, 55003, date(2025, 7, 1), 6, chart="04", period_start=date(2026, 3, 1),
                    period_end=date(2026, 3, 31), label="Buchungen 2026-03", locked=True, currency="EUR",
                    created_at=datetime(2026, 3, 31, 23, 59, 58, 123456))
    data = file_bytes(header, ['"€ \u2013 \u201eZoë\u201c"'])
    assert data.endswith(b'"\x80 \x96 \x84Zo\xeb\x93"\r\n')
    first = data.split(b"\r\n")[0].decode("cp1252").split(";")
    assert len(first) == 31
    assert first[5] == "20260331235958123"
    assert first[12:16] == ["20250701", "6", "20260301", "20260331"]
    assert first[20] == "1"  # Festschreibung written explicitly
    assert data.count(b"\r\n") == 3
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_a_c1_control_character_is_never_written_as_a_cp1252_letter() -> None:
    header = Header(BOOKINGS, 29098, 55003, date(2026, 1, 1), 4)
    # U+0085 would be byte 0x85 in Latin-1, which cp1252 shows as '…': the writer must refuse it
    with pytest.raises(UnicodeEncodeError):
        file_bytes(header, ["\x85"])


def test_an_arrow_column_of_lines_gives_the_same_bytes_as_strings() -> None:
    header = Header(BOOKINGS, 29098, 55003, date(2026, 1, 1), 4, created_at=datetime(2026, 1, 2, 3, 4, 5))
    lines = ["plain ascii", '"Schäkel ""A4"""', "€ \u2013 \u201eZoë\u201c", ""]
    # two chunks, sliced: the bytes are taken from each chunk's own offsets
    column = pa.chunked_array([pa.array(["dropped\r\n", *(x + "\r\n" for x in lines[:2])]),
                               pa.array([x + "\r\n" for x in lines[2:]])]).slice(1)
    assert file_bytes(header, column) == file_bytes(header, lines)
    with pytest.raises(UnicodeEncodeError):
        file_bytes(header, pa.chunked_array([pa.array(["ok\r\n"]), pa.array(["\x85\r\n"])]))
