"""The encoding policy for DATEV files: Windows-1252, and a declared table for everything else.

A DATEV file is Windows-1252. A character outside it is transliterated when this table names it
(ł→l, ř→r, ő→ö, dashes and quotes cp1252 lacks, odd blanks); control characters become a blank,
because DATEV forbids line breaks and tabs inside fields. A character the table does not name
(an emoji, a CJK word) rejects its record with the character named: never `?`, never dropped.

>>> fold("Łódź – Zoë ‐ Kraków")
('Lódz – Zoë - Kraków', 'Łź‐', '')
>>> fold("Teamevent 🎉")
('Teamevent 🎉', '', '🎉')
"""

from __future__ import annotations

import re
import unicodedata

from .spec import NOT_CP1252

#: Declared transliterations: letters of Central/Eastern European and Nordic names that cp1252
#: lacks, mapped to the nearest letter it has (keeping umlauts where the language has the same
#: sound, e.g. Hungarian ő → ö), plus punctuation and blanks.
TRANSLITERATION: dict[str, str] = {
    # Polish
    "ą": "a", "Ą": "A", "ć": "c", "Ć": "C", "ę": "e", "Ę": "E", "ł": "l", "Ł": "L", "ń": "n", "Ń": "N",
    "ś": "s", "Ś": "S", "ź": "z", "Ź": "Z", "ż": "z", "Ż": "Z",
    # Czech, Slovak
    "č": "c", "Č": "C", "ď": "d", "Ď": "D", "ě": "e", "Ě": "E", "ň": "n", "Ň": "N", "ř": "r", "Ř": "R",
    "ť": "t", "Ť": "T", "ů": "u", "Ů": "U", "ĺ": "l", "Ĺ": "L", "ľ": "l", "Ľ": "L", "ŕ": "r", "Ŕ": "R",
    # Hungarian
    "ő": "ö", "Ő": "Ö", "ű": "ü", "Ű": "Ü",
    # Romanian, Turkish, Baltic, Croatian, Slovenian
    "ă": "a", "Ă": "A", "ș": "s", "Ș": "S", "ş": "s", "Ş": "S", "ț": "t", "Ț": "T", "ţ": "t", "Ţ": "T",
    "ğ": "g", "Ğ": "G", "ı": "i", "İ": "I", "ā": "a", "Ā": "A", "ē": "e", "Ē": "E", "ė": "e", "Ė": "E",
    "ģ": "g", "Ģ": "G", "ī": "i", "Ī": "I", "į": "i", "Į": "I", "ķ": "k", "Ķ": "K", "ļ": "l", "Ļ": "L",
    "ņ": "n", "Ņ": "N", "ū": "u", "Ū": "U", "ų": "u", "Ų": "U", "đ": "d", "Đ": "D", "ĝ": "g", "ħ": "h",
    # dashes, quotes, primes and blanks cp1252 has no code for
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-",
    "\u201b": "'", "\u201f": '"', "\u2032": "'", "\u2033": '"',
    "\u2009": " ", "\u200a": " ", "\u2007": " ", "\u202f": " ", "\u2002": " ", "\u2003": " ",
    "\u200b": "",
    # control characters: DATEV forbids line breaks and tabs inside a field
    "\t": " ", "\r": " ", "\n": " ",
}

_TABLE = str.maketrans(TRANSLITERATION)
_NOT_CP1252 = re.compile(NOT_CP1252)


def fold(text: str) -> tuple[str, str, str]:
    """`text` made writable to cp1252: (new text, characters transliterated, characters that cannot be).

    When the third element is not empty the record must be rejected; the new text is then unusable.
    """
    if not _NOT_CP1252.search(text):
        return text, "", ""
    composed = unicodedata.normalize("NFC", text)
    mapped = [c for c in _NOT_CP1252.findall(composed) if c in TRANSLITERATION]
    folded = composed.translate(_TABLE)
    unmappable = "".join(dict.fromkeys(_NOT_CP1252.findall(folded)))
    return folded, "".join(mapped), unmappable


def describe(chars: str) -> str:
    """'😀' -> "'😀' (U+1F600)" for a reject reason."""
    return ", ".join(f"'{c}' (U+{ord(c):04X})" for c in chars)
