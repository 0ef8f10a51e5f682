"""Check line 2, the column headings, against DATEV's official heading line (reference 1.6 and 8).

Exact = fine. A spelling other generators use and DATEV is reported to import (an `alt_heading` of the
spec, a known variant below, or a difference only in dashes, blanks, dots or case) = one warning for
the line. Anything else = an error naming the column, because a heading for the wrong column means the
file was built against another layout.

>>> from erpload.transforms.datev.spec import BOOKINGS
>>> expected_headings(BOOKINGS, 9)[39:41]
['EU-Land u. UStID', 'EU-Steuersatz']
>>> is_variant(21, BOOKINGS.columns[4], "Basisumsatz", "Basis-Umsatz")
True
"""

from __future__ import annotations

import re

from erpload.transforms.datev.findings import ERROR, WARNING, Finding, shorten
from erpload.transforms.datev.reader import Line, unquote
from erpload.transforms.datev.spec import Column, Format

#: Buchungsstapel columns 40/41 before formatversion 12 (reference 3.3).
_BEFORE_V12 = {40: "EU-Land u. UStID", 41: "EU-Steuersatz"}
#: Heading spellings seen in public generators whose files DATEV imports (reference 8: ledermann v9,
#: ameax v13), per category and 1-based column.
KNOWN_VARIANTS: dict[int, dict[int, tuple[str, ...]]] = {
    21: {
        40: ("EU-Land u. UStID", "EU-Land u. USt-IdNr."),
        41: ("EU-Steuersatz",),
        98: ("EU-Mitgliedstaat (Anzahlungen)",),
        103: ("Leerfeld",),
        112: ("Bezeichnung",),
        113: ("Kennzeichen",),
        116: ("Datum Zuord.", "Datum Zuord.Steuerperiode"),
        118: ("Generalumkehr",),
        122: ("BVV-Position (Betriebsvermögensvergleich)",),
        123: ("EU-Mitgliedstaat u. UStID (Ursprung)",),
    },
}
_NOISE = re.compile(r"[\s\-\u2013\u2014.]+")
_ERRORS_LISTED = 10


def expected_headings(fmt: Format, version: int) -> list[str]:
    """DATEV's heading line for `version` of the format (the current one when the version is unknown)."""
    count = fmt.column_count(version) or len(fmt.columns)
    headings = fmt.headings[:count]
    if fmt.category == 21 and version < 12:
        for index, heading in _BEFORE_V12.items():
            if index <= count:
                headings[index - 1] = heading
    return headings


def _normalize(heading: str) -> str:
    return _NOISE.sub("", heading).casefold()


def is_variant(category: int, column: Column, got: str, expected: str) -> bool:
    """True when `got` is a tolerated spelling of the heading `expected` of `column`."""
    return (
        got == column.alt_heading
        or got in KNOWN_VARIANTS.get(category, {}).get(column.index, ())
        or _normalize(got) == _normalize(expected)
    )


def check_headings(line: Line | None, fmt: Format, version: int) -> list[Finding]:
    """Findings for line 2 of a file of `fmt` in formatversion `version`."""
    if line is None:
        return [Finding(ERROR, "the file has no line 2 with the column headings", line=2,
                        rule="heading.missing")]
    expected = expected_headings(fmt, version)
    got = [unquote(h) for h in line.fields]
    findings: list[Finding] = []
    if any(h.startswith('"') for h in line.fields):
        findings.append(Finding(WARNING, "the headings are written in quotes; DATEV writes line 2 without quotes",
                                line=2, rule="heading.quoted"))
    if len(got) != len(expected):
        findings.append(Finding(
            ERROR,
            f"line 2 has {len(got)} headings, but {fmt.name} formatversion {version} has {len(expected)} columns",
            line=2, rule="heading.count"))
    variants: list[tuple[int, str, str]] = []
    wrong: list[tuple[int, str, str]] = []
    for column, have, want in zip(fmt.columns, got, expected, strict=False):
        if have == want:
            continue
        (variants if is_variant(fmt.category, column, have, want) else wrong).append((column.index, have, want))
    for index, have, want in wrong[:_ERRORS_LISTED]:
        findings.append(Finding(
            ERROR,
            f"heading {have!r} where DATEV's heading line has {want!r}; the columns are probably in the wrong order "
            "or from another format version",
            line=2, column=index, heading=want, value=shorten(have), rule="heading.wrong"))
    if len(wrong) > _ERRORS_LISTED:
        findings.append(Finding(ERROR, f"{len(wrong) - _ERRORS_LISTED} more headings differ from DATEV's heading line",
                                line=2, rule="heading.wrong"))
    if variants:
        index, have, want = variants[0]
        more = f" and {len(variants) - 1} more" if len(variants) > 1 else ""
        findings.append(Finding(
            WARNING,
            f"{len(variants)} headings are spelled differently from DATEV's heading line, e.g. column {index} "
            f"{have!r} instead of {want!r}{more}; other generators write them so and DATEV reads the columns by "
            "position, but DATEV's exact headings are safer",
            line=2, column=index, heading=want, value=shorten(have), rule="heading.variant"))
    return findings
