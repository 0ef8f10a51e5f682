"""SQL expressions every d.velop mapping uses: record keys, line ids, compacted identifiers, number text.

>>> record_key("company_code", "vendor_no")
"coalesce(CAST(company_code AS VARCHAR), '') || '/' || coalesce(CAST(vendor_no AS VARCHAR), '')"
"""

from __future__ import annotations

#: joins the parts of a record key (`_key`) and of the line ids built from keys
KEY_SEPARATOR = "/"


def record_key(*parts: str) -> str:
    """The parts (SQL expressions) joined with '/', never NULL: a missing part is '' (and fails a check)."""
    return f" || '{KEY_SEPARATOR}' || ".join(f"coalesce(CAST({p} AS VARCHAR), '')" for p in parts)


def line_id(company: str, document: str, line_no: str) -> str:
    """A line's d.velop id: company, document number and line number, so it is unique in the whole bucket
    (d.velop wants purchase-order and goods-receipt line ids unique across all documents, and two companies
    may number their documents alike)."""
    return f"CASE WHEN {line_no} IS NOT NULL THEN {record_key(company, document, line_no)} END"


def compact(column: str) -> str:
    """An IBAN, BIC or VAT id without blanks, dots and dashes, in capitals; '' becomes NULL."""
    return f"nullif(upper(regexp_replace({column}, '[ .\\-]', '', 'g')), '')"


def decimal_text(column: str) -> str:
    """A decimal as d.velop's String numbers look ("20.00"): at least two decimals, no trailing zeros beyond."""
    text = f"CAST({column} AS VARCHAR)"
    padded = f"CASE WHEN contains({text}, '.') THEN {text} ELSE {text} || '.00' END"
    return f"CASE WHEN {column} IS NOT NULL THEN regexp_replace({padded}, '(\\.[0-9]{{2}}[0-9]*?)0+$', '\\1') END"


def not_deleted(alias: str) -> str:
    """The canonical soft-delete flag, read as 'still in use'."""
    return f"NOT coalesce({alias}.is_deleted, false)"
