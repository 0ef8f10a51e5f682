"""`map`'s conversions of ERP values to the canonical types: a value that does not convert is a reject.

A profile converts an ERP column with `CAST(x AS DATE) AS due_date`. In an ERP that stores such a
column as text (PostgreSQL `text`, where a type cannot keep out 'soon'), one bad value made DuckDB's
CAST fail the whole map. Each top-level `CAST(<expr> AS <type>) AS <column>` of a profile's select is
evaluated as TRY_CAST, beside a companion `<column>__unconverted` holding the text of a value that
did not convert (non-NULL in, NULL out). `record_unconverted` turns those into rejects naming entity,
key, column and value, and sets the record aside when the column is required; an optional column is
loaded empty. Casts inside expressions are left as they are: there a bad value still stops map, with
DuckDB's message.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import sqlglot
from sqlglot import exp

from erpload import canonical
from erpload.canonical import Entity
from erpload.rejects import rejects_sql
from erpload.staging import quote_ident as quote
from erpload.staging import sql_literal

SUFFIX = "__unconverted"
_TEXT_TYPES = {exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT, exp.DataType.Type.CHAR,
               exp.DataType.Type.NVARCHAR, exp.DataType.Type.NCHAR}


@lru_cache(maxsize=256)
def try_casts(sql: str) -> str:
    """The select with each top-level CAST to a non-text type as TRY_CAST plus its `__unconverted` companion.

    SQL without such a cast (or that is no plain select) comes back unchanged.

    >>> print(try_casts("select cast(d as date) as due_date, x from erp_raw.t"))
    SELECT TRY_CAST(d AS DATE) AS due_date, x, CASE WHEN NOT (d) IS NULL AND TRY_CAST(d AS DATE) IS NULL \
THEN CAST(d AS TEXT) END AS due_date__unconverted FROM erp_raw.t
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return sql
    if not isinstance(tree, exp.Select):
        return sql
    projections: list[exp.Expr] = []
    companions: list[exp.Expr] = []
    for projection in tree.expressions:
        cast = projection.this if isinstance(projection, exp.Alias) else None
        if type(cast) is not exp.Cast or cast.to.this in _TEXT_TYPES:
            projections.append(projection)
            continue
        operand, to = cast.this, cast.to
        try_cast = exp.TryCast(this=operand.copy(), to=to.copy())
        projections.append(exp.alias_(try_cast, projection.alias))
        failed = exp.and_(exp.not_(exp.Is(this=exp.paren(operand.copy()), expression=exp.null())),
                          exp.Is(this=try_cast.copy(), expression=exp.null()))
        unconverted = exp.Case(ifs=[exp.If(this=failed, true=exp.cast(operand.copy(), exp.DataType.Type.TEXT))])
        companions.append(exp.alias_(unconverted, projection.alias + SUFFIX))
    if not companions:
        return sql
    tree = tree.copy()
    tree.set("expressions", projections + companions)
    return tree.sql(dialect="duckdb")


def companion(column: str) -> str:
    return column + SUFFIX


def record_unconverted(con: duckdb.DuckDBPyConnection, rows: str, ent: Entity, companions: list[str],
                       run_id: str, target: str) -> int:
    """Rejects for the values in `rows` that did not convert; drops the companions. Records with a
    required column that did not convert are removed from `rows`. Returns the records concerned."""
    if not companions:
        return 0
    any_failed = " OR ".join(f"{quote(c)} IS NOT NULL" for c in companions)
    row = con.execute(f"SELECT count(*) FROM {rows} WHERE {any_failed}").fetchone()
    concerned = int(row[0]) if row else 0
    if concerned:
        key_text = " || '/' || ".join(f"coalesce(CAST({quote(k)} AS VARCHAR), '')" for k in ent.key)
        record = "to_json({" + ", ".join(f"{quote(c.name)}: {quote(c.name)}" for c in ent.columns
                                         if c.type != canonical.BYTES) + "})"
        for name in companions:
            col = ent.column(name.removesuffix(SUFFIX))
            consequence = ("the record is set aside: the column is required" if not col.nullable
                           else "the record is loaded with it empty")
            con.execute(rejects_sql(
                run_id, target, ent.name, record_key=key_text, field=sql_literal(col.name), value=quote(name),
                reason=f"{sql_literal(f'{col.name} ')} || {quote(name)} || "
                       f"{sql_literal(f' does not convert to {col.type}: {consequence}')}",
                fix=sql_literal(f"correct the value in the ERP, or convert it in the profile's SQL for {ent.name}"),
                record=record, code=sql_literal(f"{target}.not_converted.{col.name}"),
                source=f"FROM {rows} WHERE {quote(name)} IS NOT NULL"))
        required = [c for c in companions if not ent.column(c.removesuffix(SUFFIX)).nullable]
        if required:
            con.execute(f"DELETE FROM {rows} WHERE " + " OR ".join(f"{quote(c)} IS NOT NULL" for c in required))
    for name in companions:
        con.execute(f"ALTER TABLE {rows} DROP COLUMN {quote(name)}")
    return concerned
