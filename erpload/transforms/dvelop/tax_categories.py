"""erpload's tax categories for d.velop's automatic tax code (seed: "Automatische Ermittlung des Steuerschlüssels").

d.velop proposes a tax code when the vendor's `tax_category_1` and the G/L account's `tax_category_2`
match exactly one tax code's pair. The page leaves the words to us; erpload uses:

- `tax_category_1`, who sells: NATIONAL (the seed's own example), EU or THIRD_COUNTRY, from the
  vendor's `tax_scope` and the tax code's `scope`. Reverse-charge and exempt tax codes get none: they
  are chosen by hand, never proposed.
- `tax_category_2`, at which rate: FULL (the company's standard rate, its highest), REDUCED (above 0,
  below the standard rate) or ZERO. A tax code has its own rate; a G/L account the rate of its
  automatic tax code, and no category without one.

So a domestic vendor's invoice on "Wareneingang 19 % Vorsteuer" (automatic V19, FULL) gets V19
(NATIONAL + FULL); the same goods from an Austrian vendor get IGE19 (EU + FULL).
"""

from __future__ import annotations

_SCOPE_TO_CATEGORY_1 = {"domestic": "NATIONAL", "eu": "EU", "third_country": "THIRD_COUNTRY"}


def _scope_case(column: str, otherwise: str) -> str:
    whens = " ".join(f"WHEN '{scope}' THEN '{cat}'" for scope, cat in _SCOPE_TO_CATEGORY_1.items())
    return f"CASE {column} {whens} ELSE {otherwise} END"


def vendor_category_1(tax_scope: str) -> str:
    """A vendor's tax_category_1; an unknown scope passes through in capitals (and fails the model's check)."""
    return _scope_case(tax_scope, f"upper({tax_scope})")


def tax_code_category_1(scope: str) -> str:
    """A tax code's tax_category_1; reverse charge, exempt and anything else: none."""
    return _scope_case(scope, "NULL")


def rate_category_2(rate: str, standard_rate: str) -> str:
    """tax_category_2 of a rate, given the company's standard rate."""
    return (f"CASE WHEN {rate} IS NULL THEN NULL WHEN {rate} = 0 THEN 'ZERO' "
            f"WHEN {rate} >= {standard_rate} THEN 'FULL' ELSE 'REDUCED' END")


def standard_rates_sql() -> str:
    """SELECT company_code, standard_rate: the highest rate among a company's tax codes in use."""
    return ("SELECT company_code, max(rate_percent) AS standard_rate FROM erp.tax_codes "
            "WHERE NOT coalesce(is_deleted, false) GROUP BY company_code")
