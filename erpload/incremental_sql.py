"""Restrict a profile's entity SQL to the rows whose ERP inputs changed since a load.

A canonical row of a plain select-join depends only on the erp_raw rows it joins. dlt stamps each
staged row with the `_dlt_load_id` of the load that last wrote it, so adding
`WHERE (a._dlt_load_id > since OR b._dlt_load_id > since ...)` over every joined table yields
exactly the canonical rows that may have changed. SQL with aggregates, set operations, subqueries,
CTEs or windows is not restricted (None): a row there can depend on rows it does not join, so map
recomputes it in full.

>>> print(restrict_to_changes("select x from erp_raw.t a join erp_raw.u b using (k) where y", "9"))
SELECT x FROM erp_raw.t AS a JOIN erp_raw.u AS b USING (k) WHERE y AND (a._dlt_load_id > '9' OR b._dlt_load_id > '9')
>>> restrict_to_changes("select k, count(*) from erp_raw.t group by k", "1.5") is None
True
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

LOAD_ID_COLUMN = "_dlt_load_id"
_UNSAFE_ARGS = ("group", "having", "distinct", "with", "limit", "offset", "qualify", "order")


def restrict_to_changes(sql: str, since: str, dataset: str = "erp_raw") -> str | None:
    """The SQL restricted to rows with an input newer than load `since`; None when that is not safe."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(tree, exp.Select) or any(tree.args.get(a) for a in _UNSAFE_ARGS):
        return None
    if tree.find(exp.Subquery, exp.Window, exp.AggFunc, exp.Union, exp.Lateral, exp.Unnest):
        return None
    from_ = tree.args.get("from_") or tree.args.get("from")
    if from_ is None:
        return None
    sources = [from_.this, *(j.this for j in tree.args.get("joins") or [])]
    if not all(isinstance(s, exp.Table) and s.db == dataset for s in sources):
        return None
    changed = [
        exp.GT(this=exp.column(LOAD_ID_COLUMN, table=s.alias_or_name), expression=exp.Literal.string(since))
        for s in sources
    ]
    return str(tree.where(exp.or_(*changed), copy=True).sql(dialect="duckdb"))
