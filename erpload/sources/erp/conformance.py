"""Which stored values of a SQLite ERP convert to their column's declared type, in SQL.

SQLite is dynamically typed: a NUMERIC column can hold 'thirty', a DATE column '2025-02-30'. One such
value made the whole extract fail (SQLAlchemy's date parser raises, pyarrow refuses the text), and a
'yes' in a BOOLEAN column was read as True without a word. Here each declared type gets a SQLite
predicate that is true exactly for values the reading side converts faithfully. The extract reads a
value that fails it as NULL (`readable_columns`) and lists it for `erpload.rejects`
(`nonconforming_query`), both in the database, at bulk speed.

Other databases enforce their column types, so nothing here applies to them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa

#: what each check expects, for the reject's reason
_EXPECTED = {
    "integer": "a whole number",
    "number": "a number",
    "boolean": "0 or 1 (a boolean)",
    "date": "a date YYYY-MM-DD",
    "timestamp": "a timestamp YYYY-MM-DD HH:MM:SS",
}


def kind(column: sa.Column[Any]) -> str | None:
    """The check a column's declared type needs, or None when every stored value converts (text, blobs)."""
    type_ = column.type
    if isinstance(type_, sa.Boolean):
        return "boolean"
    if isinstance(type_, sa.Integer):
        return "integer"
    if isinstance(type_, sa.Numeric):  # also Float
        return "number"
    if isinstance(type_, sa.DateTime):
        return "timestamp"
    if isinstance(type_, sa.Date):
        return "date"
    return None


def expected(column: sa.Column[Any]) -> str:
    """What a value of the column must look like, in words (`numeric(18,2)` says its limit)."""
    what = _EXPECTED[kind(column) or "number"]
    type_ = column.type
    if isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float) and type_.precision is not None:
        what += f" that fits NUMERIC({type_.precision},{type_.scale or 0})"
    return what


@cache  # per reflected column: building the expression costs more than compiling it, once per table read
def conforms(column: sa.Column[Any]) -> Any | None:
    """SQLite predicate: the stored value converts to the column's type (None: no check needed).

    NULL never conforms; callers treat NULL on its own. The date checks round-trip through SQLite's
    date(): `date('2025-02-30', '+0 days')` is '2025-03-02', so an impossible day fails the equality.
    """
    c = column
    text_date = sa.func.substr(c, 1, 10)
    match kind(column):
        case "integer":
            return sa.func.typeof(c) == "integer"
        case "boolean":
            return sa.and_(sa.func.typeof(c) == "integer", c.in_([0, 1]))
        case "number":
            numeric = sa.func.typeof(c).in_(["integer", "real"])
            type_ = column.type
            if isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float) and type_.precision is not None:
                # the declared precision: NUMERIC(18,2) holds less than 10^16
                limit = sa.literal(10 ** (type_.precision - (type_.scale or 0)), sa.Float)
                return sa.and_(numeric, sa.func.abs(c) < limit)
            return numeric
        case "date":
            return sa.and_(sa.func.typeof(c) == "text", c == sa.func.date(c, "+0 days"), c >= "0001")
        case "timestamp":
            return sa.and_(sa.func.typeof(c) == "text", text_date == sa.func.date(text_date, "+0 days"),
                           sa.or_(sa.func.length(c) == 10, sa.func.datetime(c).is_not(None)), c >= "0001")
    return None


def readable(column: sa.Column[Any], primary_key: frozenset[str]) -> Any:
    """The column as the extract selects it: a value that would not convert is read as NULL.

    Primary key columns are read as they are: a row without its key cannot be merged, so a bad key
    fails the extract, naming the table and column (see `erpload.steps.extract`).
    """
    check = None if column.name in primary_key else conforms(column)
    if check is None:
        return column
    return sa.case((check, column), else_=sa.null()).label(column.name)


def relax_nullability(table: sa.Table, primary_key: tuple[str, ...]) -> list[str]:
    """Let checked columns hold NULL in staging (a value read as NULL may sit in a NOT NULL column of the
    ERP); returns the names of the columns it relaxed."""
    relaxed = [c.name for c in checked_columns(table, frozenset(primary_key)) if not c.nullable]
    for name in relaxed:
        table.c[name].nullable = True
    return relaxed


def checked_columns(table: sa.Table, primary_key: frozenset[str]) -> list[sa.Column[Any]]:
    return [c for c in table.c if c.name not in primary_key and kind(c) is not None]


def nonconforming_query(table: sa.Table, primary_key: tuple[str, ...], window: Any | None) -> Any | None:
    """Rows of `window` with a value that does not convert: the key as text ('/'-joined), then per
    checked column its stored value as text where it fails the check, else NULL. None: nothing to check."""
    columns = checked_columns(table, frozenset(primary_key))
    if not columns:
        return None
    # date() of an unparsable text is NULL, and so is the check: NULL counts as not converting
    bad: dict[str, Any] = {c.name: sa.and_(c.is_not(None), sa.func.coalesce(conforms(c), False) == False)  # noqa: E712
                           for c in columns}
    key_parts = [sa.func.coalesce(sa.cast(table.c[k], sa.Text), "") for k in primary_key]
    key: Any = key_parts[0]
    for part in key_parts[1:]:
        key = key + "/" + part
    query = sa.select(key.label("record_key"),
                      *(sa.case((bad[c.name], sa.cast(c, sa.Text)), else_=sa.null()).label(c.name) for c in columns)
                      ).select_from(table)
    # the window first: SQLite tests the terms in the order written, and the window's text comparison is ~10x
    # cheaper than the checks, which then run on the rows it reads only (a 1%-changed extract's probe)
    if window is not None:
        query = query.where(window)
    return query.where(sa.or_(*bad.values()))
