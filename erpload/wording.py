"""Counts in words: one place that knows "1 document" from "2 documents".

>>> plural(1, "document"), plural(1204, "document"), plural(0, "month")
('1 document', '1,204 documents', '0 months')
>>> plural(2, "entry", "entries"), plural(1, "record", verb=("waits", "wait"))
('2 entries', '1 record waits')
"""

from __future__ import annotations


def plural(n: int, singular: str, plural_form: str | None = None, *, verb: tuple[str, str] | None = None) -> str:
    """`n` with the noun in the number it needs (thousands separated); `verb` = (singular, plural) agrees with it."""
    noun = singular if n == 1 else (plural_form or singular + "s")
    text = f"{n:,} {noun}"
    if verb:
        text += " " + (verb[0] if n == 1 else verb[1])
    return text
