"""SQL expressions the Maesn mappings share: record keys, proposal ids, amounts, rates and dates as Maesn writes them.

>>> amount_text("x")
'CAST(CAST(x AS DECIMAL(18,2)) AS VARCHAR)'
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from erpload.staging import sql_literal

#: the namespace of erpload's proposal ids: uuid5(NAMESPACE, record key) is the proposal's `id`
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://erpload.invalid/maesn/booking-proposal")


def record_key(*parts: str) -> str:
    """The parts (SQL expressions) joined with '/', never NULL: a missing part is ''."""
    return " || '/' || ".join(f"coalesce(CAST({p} AS VARCHAR), '')" for p in parts)


def proposal_id(key: str) -> str:
    """SQL for uuid5(NAMESPACE, key): the same UUID for the same record key, in every run and on every machine
    (Python's `uuid.uuid5` gives the same; the tests compare)."""
    h = f"sha1(unhex('{NAMESPACE.hex}') || encode({key}))"
    # version 5 in the 13th hex digit; the variant's two top bits 10 in the 17th
    variant = f"substr('89ab89ab89ab89ab', strpos('0123456789abcdef', substr({h}, 17, 1)), 1)"
    return (f"substr({h}, 1, 8) || '-' || substr({h}, 9, 4) || '-5' || substr({h}, 14, 3) || '-' || "
            f"{variant} || substr({h}, 18, 3) || '-' || substr({h}, 21, 12)")


def amount_text(column: str) -> str:
    """An amount as Maesn's strings: two decimals ("500.00", "-12.50")."""
    return f"CAST(CAST({column} AS DECIMAL(18,2)) AS VARCHAR)"


def rate_text(column: str) -> str:
    """A tax rate without trailing zeros ("19", "5.5", "0"), as the page's example writes it."""
    text = f"CAST({column} AS VARCHAR)"
    return (f"CASE WHEN {column} IS NOT NULL THEN CASE WHEN contains({text}, '.') "
            f"THEN rtrim(rtrim({text}, '0'), '.') ELSE {text} END END")


def date_text(column: str) -> str:
    """A date as Maesn's timestamps: midnight UTC ("2026-01-31T00:00:00Z")."""
    return f"strftime({column}, '%Y-%m-%dT00:00:00Z')"


def lookup(mapping: Mapping[str, str], column: str, otherwise: str = "NULL") -> str:
    """SQL mapping `column`'s value through `mapping`; `otherwise` (SQL) where it has no entry."""
    if not mapping:
        return otherwise
    whens = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in sorted(mapping.items()))
    return f"CASE {column} {whens} ELSE {otherwise} END"
