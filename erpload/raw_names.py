"""The `erp_raw` dataset and the names dlt gives ERP tables and columns in it (snake_case).

Light on purpose: `map` and the profile checks need the names without importing the extract's
pipeline machinery.
"""

from __future__ import annotations

from functools import lru_cache

from dlt.common.normalizers.naming.snake_case import NamingConvention

RAW_DATASET = "erp_raw"

_NAMING = NamingConvention()


@lru_cache(maxsize=4096)
def raw_name(name: str) -> str:
    """The name dlt gives an ERP table or column in erp_raw, which profile SQL must use.

    >>> raw_name("tabSales Invoice"), raw_name("customerID"), raw_name("IBAN")
    ('tab_sales_invoice', 'customer_id', 'iban')
    """
    return str(_NAMING.normalize_identifier(name))


def quoted_raw_name(name: str) -> str:
    """`raw_name` as a quoted SQL identifier."""
    return '"' + raw_name(name).replace('"', '""') + '"'
