"""What a file Kombo returned is, and which employees it lists.

Kombo's real file names and contents are [UNVERIFIED] (vendor-apis.md §2.3), so the format is found from the
content, never the name: a first field `EXTF` is DATEV-Format (checked with erpload's checker), an
`[Allgemein]` section is a LODAS ASCII import (stored, not checked), anything else is `other`.

Personnel numbers:
- LODAS: the `[Satzbeschreibung]` says per record number which field is `pnr`; every line of that record in
  `[Stammdaten]` or `[Bewegungsdaten]` gives one.
- EXTF bookings (category 21): DATEV's booking columns hold no personnel number; a payroll booking names the
  employee in Belegfeld 1 as `LG<YYYYMM>-<personnel no>` (the convention of the Kombo fake; [UNVERIFIED] for
  Kombo itself). A file whose bookings follow no such convention lists no one, and is not compared.

>>> lodas = "\\r\\n".join(["[Allgemein]", "[Satzbeschreibung]", "1;u_lod_psd_mitarbeiter;pnr#psd;name#psd;",
...                     "[Stammdaten]", "1;7;Ng;"])
>>> format_of(lodas), personnel_numbers(lodas, "lodas")
('lodas', ['7'])
"""

from __future__ import annotations

import re
from typing import Literal

from erpload.transforms.datev.reader import read_extf

Format = Literal["extf", "lodas", "other"]
_PAYROLL_BELEG = re.compile(r"LG\d{6}-(.+)")
_SECTION = re.compile(r"\[([^\]]+)\]")


def format_of(content: str) -> Format:
    """The file's format, from its content."""
    text = content.lstrip("\ufeff \r\n\t")
    first = text.split(";", 1)[0].strip().strip('"')
    if first == "EXTF":
        return "extf"
    if text.split("\n", 1)[0].strip().lower() == "[allgemein]":
        return "lodas"
    return "other"


def personnel_numbers(content: str, fmt: Format, data: bytes | None = None) -> list[str] | None:
    """The personnel numbers the file lists, in file order without repeats; None when it lists none that
    erpload can read (then it is not compared)."""
    if fmt == "lodas":
        found = _lodas(content)
    elif fmt == "extf":
        found = _extf_bookings(data if data is not None else content.encode("cp1252", errors="replace"))
    else:
        return None
    return list(dict.fromkeys(found)) or None


def _lodas(content: str) -> list[str]:
    section = ""
    pnr_field: dict[str, int] = {}  # record number -> index of pnr in its data lines
    found = []
    for raw in content.splitlines():
        line = raw.strip()
        if not line or line.startswith(("//", "*")):
            continue
        if match := _SECTION.fullmatch(line):
            section = match.group(1).strip().lower()
            continue
        fields = [f.strip() for f in line.split(";")]
        if section == "satzbeschreibung" and len(fields) > 2:
            for index, name in enumerate(fields[2:], start=1):
                if name.split("#", 1)[0].lower() == "pnr":
                    pnr_field[fields[0]] = index
        elif section in ("stammdaten", "bewegungsdaten") and fields[0] in pnr_field:
            index = pnr_field[fields[0]]
            if index < len(fields) and fields[index]:
                found.append(fields[index])
    return found


def _extf_bookings(data: bytes) -> list[str]:
    extf = read_extf(data)
    if extf.header is None or extf.heading is None:
        return []
    header = extf.header.values
    if len(header) < 3 or header[2] != "21":
        return []
    headings = extf.heading.values
    if "Belegfeld 1" not in headings:
        return []
    column = headings.index("Belegfeld 1")
    found = []
    for row in extf.iter_rows():
        values = row.values
        if column < len(values) and (match := _PAYROLL_BELEG.fullmatch(values[column].strip())):
            found.append(match.group(1))
    return found
