"""The ERP source: the tables a profile lists, read incrementally from any SQLAlchemy database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import dlt
import sqlalchemy as sa
from dlt.extract.resource import DltResource
from dlt.sources.sql_database import sql_table

from sources.erp.settings import DEFAULT_BACKEND, DEFAULT_CHUNK_SIZE, SOURCE_NAME

# How SQLite text timestamps are compared: normalised to millisecond text on both sides, so
# '2026-01-01 10:00:00', '2026-01-01T10:00:00' and '...00.000000' all compare as the same instant.
_SQLITE_TIME = "%Y-%m-%d %H:%M:%f"


def compare_sqlite_cursor_as_time(query: Any, table: sa.Table, incremental: Any, engine: sa.Engine) -> Any:
    """Rewrite the incremental WHERE for SQLite, which would otherwise compare timestamps as text.

    The rewrite can only widen the selection to the whole millisecond of the last cursor value;
    dlt's incremental then drops the rows it already has, so nothing is loaded twice.
    """
    if engine.dialect.name != "sqlite" or incremental is None or incremental.last_value is None:
        return query
    last = incremental.last_value
    if not isinstance(last, datetime | date):
        return query
    column = table.c[incremental.cursor_path]
    last_text = last.isoformat(sep=" ") if isinstance(last, datetime) else last.isoformat()
    return table.select().where(
        sa.func.strftime(_SQLITE_TIME, column) >= sa.func.strftime(_SQLITE_TIME, sa.literal(last_text))
    )


@dlt.source(name=SOURCE_NAME)
def erp(
    credentials: Any = dlt.secrets.value,
    tables: Sequence[tuple[str, Sequence[str], str | None]] = (),
    backend: str = DEFAULT_BACKEND,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_batch: Callable[[str, int], None] | None = None,
) -> list[DltResource]:
    """ERP tables as dlt resources: merged on their primary key, incremental on their cursor.

    Args:
        credentials: SQLAlchemy URL or Engine (`sources.erp.credentials`).
        tables: (table name, primary key columns, cursor column or None) per table.
        backend: dlt's sql backend; "pyarrow" is about 10x the default "sqlalchemy" for big tables.
        chunk_size: rows per batch read from the database.
        on_batch: called with (table, rows) for each batch read, for progress display.
    """
    resources = []
    for name, primary_key, cursor in tables:
        resource = sql_table(
            credentials=credentials,
            table=name,
            backend=backend,  # type: ignore[arg-type]
            chunk_size=chunk_size,
            reflection_level="full",
            incremental=dlt.sources.incremental(cursor) if cursor else None,
            primary_key=list(primary_key),
            write_disposition="merge" if cursor else "replace",
            query_adapter_callback=compare_sqlite_cursor_as_time,
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
