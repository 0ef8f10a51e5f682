"""Write a generated demo ERP into a SQLite file.

Values are stored the way SQLAlchemy's SQLite dialect reads them back: TIMESTAMP as text
'YYYY-MM-DD HH:MM:SS.ffffff' (always six fraction digits), DATE as 'YYYY-MM-DD', NUMERIC as
the exact decimal text (SQLite's NUMERIC affinity keeps it as a number). The extra table
`demo_fault` lists the planted faults; it documents the demo and is not part of the ERP.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from .generator import DemoData, generate
from .schema import SCHEMA_SQL, table_schemas

_DEMO_FAULT_DDL = """
CREATE TABLE demo_fault (
    fault_id    INTEGER PRIMARY KEY,
    table_name  VARCHAR(40) NOT NULL,
    record_id   INTEGER NOT NULL,
    fault       VARCHAR(40) NOT NULL,
    detail      VARCHAR(400) NOT NULL
);
"""
# Bulk load into a fresh file: no rollback journal, no fsync; a crash just leaves a file we discard.
_PRAGMAS = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA locking_mode = EXCLUSIVE;
PRAGMA temp_store = MEMORY;
PRAGMA cache_size = -262144;
"""
_CHUNK_ROWS = 100_000


def _python_column(column: pa.ChunkedArray) -> list[Any]:
    """One column as Python values in the SQLite text formats."""
    type_ = column.type
    if pa.types.is_timestamp(type_):
        # Arrow prints microsecond timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff', always six digits
        column = column.cast(pa.timestamp("us")).cast(pa.string())
    elif pa.types.is_date(type_) or pa.types.is_decimal(type_):
        column = column.cast(pa.string())
    return column.to_pylist()  # type: ignore[no-any-return]


def _rows(table: pa.Table) -> Iterator[tuple[Any, ...]]:
    """The table's rows as tuples, converted chunk by chunk to bound memory."""
    for start in range(0, table.num_rows, _CHUNK_ROWS):
        chunk = table.slice(start, _CHUNK_ROWS)
        yield from zip(*(_python_column(c) for c in chunk.columns), strict=True)


def _insert(connection: sqlite3.Connection, name: str, table: pa.Table) -> None:
    columns = ", ".join(table.column_names)
    marks = ", ".join("?" * table.num_columns)
    connection.executemany(f"INSERT INTO {name} ({columns}) VALUES ({marks})", _rows(table))


def write_sqlite(data: DemoData, path: Path) -> None:
    """Create the SQLite database at `path` (replacing any file there) from schema.sql and `data`."""
    path = Path(path)
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(_PRAGMAS)
        connection.executescript(SCHEMA_SQL.read_text(encoding="utf-8") + _DEMO_FAULT_DDL)
        with connection:  # one transaction for everything
            for name, table in data.tables.items():
                _insert(connection, name, table)
            faults = data.faults
            fault_ids = pa.array(range(1, faults.num_rows + 1), pa.int64())
            _insert(connection, "demo_fault", faults.add_column(0, "fault_id", fault_ids))
        with connection:
            # ERPs index their change timestamps, so incremental readers fetch only what changed;
            # created after the load, which is faster than maintaining them during it
            for name in data.tables:
                connection.execute(f"CREATE INDEX ix_{name}_updated_at ON {name} (updated_at)")
    finally:
        connection.close()


def table_counts(path: Path) -> dict[str, int]:
    """Rows per ERP table of an existing demo database."""
    connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {
            name: int(connection.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]) for name in table_schemas()
        }
    finally:
        connection.close()


def create_demo_erp(path: Path, *, seed: int = 42, scale: float = 1.0, overwrite: bool = False) -> dict[str, int]:
    """Generate the demo ERP into the SQLite file `path`; returns rows per table.

    An existing file is kept (and its counts returned) unless `overwrite`. The database is
    written to a temporary file beside `path` and renamed into place, so an interrupted run
    never leaves a half-written database behind.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        return table_counts(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = generate(seed=seed, scale=scale)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write_sqlite(data, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return {name: table.num_rows for name, table in data.tables.items()}
