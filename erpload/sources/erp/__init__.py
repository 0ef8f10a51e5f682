"""The ERP source: the tables a profile lists, read incrementally from any SQLAlchemy database.

SQLAlchemy and dlt's sql_database are imported where they are used: commands that only need this
package's defaults (every command reads them through `erpload.settings`) do not pay ~0.3 s for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import dlt

from erpload.sources.erp.settings import DEFAULT_BACKEND, DEFAULT_CHUNK_SIZE, SOURCE_NAME

if TYPE_CHECKING:
    import sqlalchemy as sa
    from dlt.extract.resource import DltResource

    from erpload.sources.erp.duckdb_scan import ErpScan


def sqlite_cursor_bound(last: datetime | date) -> str:
    """The text lower bound that keeps every SQLite row at or after `last`, whatever its text format.

    SQLite stores timestamps as text and compares them as text, so SQLAlchemy's bound
    '2026-01-05 10:00:00.000000' would miss a row written as '2026-01-05 10:00:00'. Cutting the
    bound to whole seconds ('2026-01-05 10:00:00', or the bare date at midnight) sorts at or before
    every spelling of the same or a later instant: ' ' and 'T' separators, with or without a
    fraction. The bound may let in rows from the same second or, for 'T' spellings, the same day;
    dlt's incremental drops those by their real value. A plain text comparison keeps an index on
    the cursor column usable.

    >>> sqlite_cursor_bound(datetime(2026, 1, 5, 10, 0, 0, 500))
    '2026-01-05 10:00:00'
    >>> sqlite_cursor_bound(datetime(2026, 1, 5))
    '2026-01-05'
    """
    if isinstance(last, datetime) and last.time() != datetime.min.time():
        return last.strftime("%Y-%m-%d %H:%M:%S")
    return last.strftime("%Y-%m-%d")


def json_as_text(sql_type: Any) -> Any:
    """JSON columns are staged as their JSON text (see `adapt_query`)."""
    import sqlalchemy as sa

    return sa.Text() if isinstance(sql_type, sa.JSON) else sql_type


def adapt_query(query: Any, table: sa.Table, incremental: Any, engine: sa.Engine,
                primary_key: Sequence[str] = ()) -> Any:
    """Adjust dlt's SELECT for what the database stores.

    JSON columns are read as text: the pyarrow backend would otherwise turn each JSON object into
    a struct holding every key seen in the batch (slow, and it changes the document). In SQLite, a
    value that does not convert to its column's type is read as NULL (`conformance.readable`; the
    extract lists it in erpload.rejects), and text timestamps get an index-friendly lower bound that
    misses no spelling (`sqlite_cursor_bound`).
    """
    import sqlalchemy as sa

    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        from erpload.sources.erp.conformance import readable

        keys = frozenset(primary_key)
        columns = [sa.cast(c, sa.Text).label(c.name) if isinstance(c.type, sa.JSON) else readable(c, keys)
                   for c in table.c]
        query = query.with_only_columns(*columns)
    elif any(isinstance(c.type, sa.JSON) for c in table.c):
        query = query.with_only_columns(
            *(sa.cast(c, sa.Text).label(c.name) if isinstance(c.type, sa.JSON) else c for c in table.c))
    if not sqlite or incremental is None or incremental.last_value is None:
        return query
    last = incremental.last_value
    if not isinstance(last, datetime | date):
        return query
    # compare as text on purpose (see sqlite_cursor_bound): bind the bound as a string, not a datetime
    # (a fresh select keeps the columns chosen above but drops dlt's text-unsafe WHERE)
    return sa.select(*query.selected_columns).select_from(table).where(
        cursor_filter(table, incremental.cursor_path, last, "sqlite"))


def cursor_filter(table: Any, cursor: str, last: Any, dialect: str) -> Any:
    """The WHERE that selects rows at or after the last cursor value, as `adapt_query` builds it, and
    rows without a cursor value (dlt's `on_cursor_value_missing="include"`: read on every run)."""
    import sqlalchemy as sa

    column = table.c[cursor]
    if dialect == "sqlite" and isinstance(last, datetime | date):
        return sa.or_(column >= sa.literal(sqlite_cursor_bound(last), sa.Text), column.is_(None))
    return sa.or_(column >= last, column.is_(None))


def has_nothing_new(con: sa.Connection, table_name: str, cursor: str, last: Any, boundary_rows: int) -> bool:
    """True when the only rows at or after the last cursor value are the ones dlt already has.

    dlt keeps the keys of the rows that sit exactly at the last cursor value. An insert or an
    update moves a row to or past that value: no row past it, and no more rows at it than dlt
    keeps, prove nothing changed and the table need not be read at all. The cursor values are
    compared in Python, as dlt compares them, because SQLite's text bound also admits older rows
    of the same second. A row without a cursor value is read on every run (dlt cannot tell whether
    it changed), and so is one whose value does not parse (SQLite text such as 'soon', which the
    extract reads as NULL and reports): either means the table must be read.
    """
    import sqlalchemy as sa

    type_: Any = sa.DateTime() if isinstance(last, datetime) else sa.Date() if isinstance(last, date) else None
    table = sa.table(table_name, sa.column(cursor, type_))
    query = sa.select(table.c[cursor]).where(cursor_filter(table, cursor, last, con.dialect.name))
    result = con.execute(query)
    try:
        at_last = 0
        for value in result.scalars():
            if value is None:
                return False
            if value < last:
                continue
            # a row past the last value is new to dlt; one more row at it is too (an update of the
            # only row at the last value moves it past: equal counts alone would miss that)
            at_last += value == last
            if value > last or at_last > boundary_rows:
                return False
        return True
    except (ValueError, TypeError):  # SQLAlchemy's parser on a value that is no date
        return False
    finally:
        result.close()


@dlt.source(name=SOURCE_NAME)
def erp(
    credentials: Any = dlt.secrets.value,
    tables: Sequence[tuple[str, Sequence[str], str | None]] = (),
    backend: str = DEFAULT_BACKEND,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_batch: Callable[[str, int], None] | None = None,
    metadata: Any = None,
    scan: ErpScan | None = None,
) -> list[DltResource]:
    """ERP tables as dlt resources: merged on their primary key, incremental on their cursor.

    Args:
        credentials: SQLAlchemy URL or Engine (`sources.erp.credentials`).
        tables: (table name, primary key columns, cursor column or None) per table.
        backend: dlt's sql backend ("pyarrow" is about 10x dlt's default "sqlalchemy" for big tables);
            "auto" and "duckdb" without a `scan` read with "pyarrow".
        chunk_size: rows per batch read from the database.
        on_batch: called with (table, rows) for each batch read, for progress display.
        metadata: an `sqlalchemy.MetaData` with the tables already reflected (one reflection for
            all tables instead of one per table).
        scan: read every table through this DuckDB scan of the ERP (`duckdb_scan`), with the
            pyarrow backend's queries and column types; `backend` is then ignored.
    """
    from dlt.sources.sql_database import sql_table

    from erpload.sources.erp.duckdb_scan import dlt_backend, scan_loader

    loader_class = scan_loader(scan) if scan is not None else None
    backend = dlt_backend(backend)

    resources = []
    for name, primary_key, cursor in tables:
        resource = sql_table(
            credentials=credentials,
            table=name,
            metadata=metadata,
            backend=backend,  # type: ignore[arg-type]
            chunk_size=chunk_size,
            reflection_level="full",
            # a row without a cursor value is loaded (and reported by erpload.steps.extract), not an error
            incremental=dlt.sources.incremental(cursor, on_cursor_value_missing="include") if cursor else None,
            primary_key=list(primary_key),
            write_disposition="merge" if cursor else "replace",
            query_adapter_callback=partial(adapt_query, primary_key=tuple(primary_key)),
            type_adapter_callback=json_as_text,
            table_loader_class=loader_class,
        )
        if on_batch is not None:
            resource.add_map(_batch_counter(name, on_batch))
        resources.append(resource)
    return resources


def _batch_counter(table: str, on_batch: Callable[[str, int], None]) -> Callable[[Any], Any]:
    def count(batch: Any) -> Any:
        on_batch(table, batch.num_rows if hasattr(batch, "num_rows") else 1)
        return batch

    return count
