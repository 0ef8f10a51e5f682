"""Minimal one-page PDF receipts (PDF 1.4, Helvetica, WinAnsiEncoding), written by hand.

Six objects (catalog, pages, page, font, content stream, info) and a cross-reference table
with exact byte offsets, so any PDF reader opens them. No timestamps other than the given
document date: the same input gives the same bytes.

>>> pdf = receipt_pdf("Rechnung RE-2026-000001", ["Betrag: 119,00 EUR"], dt.datetime(2026, 1, 5))
>>> pdf[:8], pdf[-5:]
(b'%PDF-1.4', b'%%EOF')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsiEncoding; characters outside cp1252 print as '?'."""
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def receipt_pdf(title: str, lines: Sequence[str], document_date: dt.datetime) -> bytes:
    """A one-page A4 PDF showing `title` in bold size and `lines` below it."""
    text = [b"BT /F1 16 Tf 56 770 Td ", _pdf_string(title), b" Tj ET\nBT /F1 11 Tf 56 730 Td 16 TL "]
    for line in lines:
        text += [_pdf_string(line), b" Tj T* "]
    text.append(b"ET")
    stream = b"".join(text)
    created = document_date.strftime("D:%Y%m%d%H%M%SZ")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Title " + _pdf_string(title) + b" /Producer (erpload demo ERP) /CreationDate ("
        + created.encode() + b") >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # binary comment marks the file as binary
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()  # each entry exactly 20 bytes
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF".encode()
    return bytes(out)


def format_amount(cents: int, language: str) -> str:
    """1234567 -> '12.345,67' (German/Danish notation)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", ".")
    return f"{sign}{grouped},{rest:02d}"
