"""Restrict a profile's entity SQL to the rows whose ERP inputs changed since a load.

A canonical row of a plain select-join depends only on the erp_raw rows it joins. dlt stamps each
staged row with the `_dlt_load_id` of the load that last wrote it, so the rows where any joined
table has `_dlt_load_id > since` are exactly the canonical rows that may have changed. The filter
is written as one branch per joined table, united, rather than one OR: each branch's filter goes
down into that table's scan, so only changed rows are joined instead of every row. SQL with
aggregates, set operations, subqueries, CTEs or windows is not restricted (None): a row there can
depend on rows it does not join, so map recomputes it in full.

>>> print(restrict_to_changes("select x from erp_raw.t a join erp_raw.u b using (k) where y", "9"))
SELECT DISTINCT * FROM (SELECT x FROM erp_raw.t AS a JOIN erp_raw.u AS b USING (k) WHERE y AND a._dlt_load_id > '9'
UNION ALL SELECT x FROM erp_raw.t AS a JOIN erp_raw.u AS b USING (k) WHERE y AND b._dlt_load_id > '9') AS changed
>>> restrict_to_changes("select k, count(*) from erp_raw.t group by k", "1.5") is None
True
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

LOAD_ID_COLUMN = "_dlt_load_id"
_UNSAFE_ARGS = ("group", "having", "distinct", "with", "limit", "offset", "qualify", "order")


@lru_cache(maxsize=256)
def _parse(sql: str) -> exp.Expr | None:
    """The SQL's syntax tree, parsed once per SQL text (map asks for it more than once); do not modify it."""
    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return None


def input_tables(sql: str, dataset: str = "erp_raw") -> set[str] | None:
    """The `dataset` tables the SQL reads, or None if it cannot be told (then assume any may matter).

    >>> sorted(input_tables("select x from erp_raw.t a join erp_raw.u b using (k)"))
    ['t', 'u']
    """
    tree = _parse(sql)
    if tree is None:
        return None
    tables = list(tree.find_all(exp.Table))
    if any(t.db != dataset for t in tables):
        return None  # reads something else (a CTE, another schema): no safe answer
    return {t.name for t in tables}


def restrict_to_changes(sql: str, since: str, dataset: str = "erp_raw",
                        changed: set[str] | None = None) -> str | None:
    """The SQL restricted to rows with an input newer than load `since`; None when that is not safe.

    `changed`, when known, names the tables that received rows after `since`; branches for the
    others would find nothing and are left out.
    """
    tree = _parse(sql)
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
    branches = [
        tree.where(exp.GT(this=exp.column(LOAD_ID_COLUMN, table=s.alias_or_name),
                          expression=exp.Literal.string(since)), copy=True).sql(dialect="duckdb")
        for s in sources if changed is None or s.name in changed
    ]
    if not branches:
        branches = [tree.where(exp.false(), copy=True).sql(dialect="duckdb")]
    return "SELECT DISTINCT * FROM (" + "\nUNION ALL ".join(branches) + ") AS changed"
