"""Bulk-load DuckDB relations into PostgreSQL with COPY, the Odoo schema around them.

DuckDB writes each table as CSV (in parallel, to a temporary file) and psycopg2 streams it
into `COPY ... FROM STDIN`; no row passes through Python. CSV keeps NULL (unquoted empty)
apart from the empty string (quoted), and bytea travels in PostgreSQL's hex form.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from erpload.sources.odoo_erp import settings

SCHEMA_SQL = Path(__file__).with_name(settings.SCHEMA_SQL_NAME)
_TABLE_RE = re.compile(r"^CREATE TABLE (\w+) \(", re.M)


def schema_parts() -> tuple[str, str]:
    """schema.sql split into (tables, constraints and indexes)."""
    text = SCHEMA_SQL.read_text(encoding="utf-8")
    tables, marker, constraints = text.partition(settings.CONSTRAINTS_MARKER)
    if not marker:
        raise RuntimeError(f"{SCHEMA_SQL} lacks the line {settings.CONSTRAINTS_MARKER!r}")
    return tables, constraints.partition("\n")[2]  # the rest of the marker line is its comment


def table_names() -> list[str]:
    """The Odoo tables, in the order schema.sql creates them."""
    return _TABLE_RE.findall(schema_parts()[0])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _postgres_columns(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    return [(str(name), str(data_type)) for name, data_type in cursor.fetchall()]


def _csv_expression(column: str, data_type: str) -> str:
    if data_type == "bytea":
        return f"CASE WHEN {_quote(column)} IS NULL THEN NULL ELSE '\\x' || hex({_quote(column)}) END"
    return _quote(column)


def copy_table(duck: duckdb.DuckDBPyConnection, cursor: Any, table: str, source: str, workdir: Path) -> int:
    """COPY the DuckDB relation `source` into the PostgreSQL table `table`; returns the row count.

    Columns the relation does not have keep their PostgreSQL default; helper columns (`_...`)
    are not loaded; any other column PostgreSQL does not know is an error, so a typo in the
    reshaping SQL cannot drop data silently.
    """
    target_columns = _postgres_columns(cursor, table)
    source_columns = [str(row[0]) for row in duck.execute(f"DESCRIBE {source}").fetchall()]
    known = {name for name, _ in target_columns}
    unknown = [c for c in source_columns if not c.startswith("_") and c not in known]
    if unknown:
        raise RuntimeError(f"{source} has columns the Odoo table {table} lacks: {', '.join(unknown)}")
    columns = [(name, data_type) for name, data_type in target_columns if name in source_columns]
    select = ", ".join(_csv_expression(name, data_type) for name, data_type in columns)
    csv_path = workdir / f"{table}.csv"
    duck.execute(f"COPY (SELECT {select} FROM {source}) TO '{csv_path}' (FORMAT csv, HEADER false)")
    column_list = ", ".join(_quote(name) for name, _ in columns)
    with csv_path.open("rb") as csv_file:
        cursor.copy_expert(f"COPY {_quote(table)} ({column_list}) FROM STDIN WITH (FORMAT csv)", csv_file)
    csv_path.unlink()
    return int(cursor.rowcount)


def load_schema(duck: duckdb.DuckDBPyConnection, connection: Any, prefix: str = "odoo_") -> dict[str, int]:
    """Replace the Odoo tables in the database behind `connection` by the DuckDB tables `<prefix><table>`.

    Everything happens in one transaction: drop, create, copy, constraints, sequences.
    """
    tables_sql, constraints_sql = schema_parts()
    names = table_names()
    counts: dict[str, int] = {}
    with connection.cursor() as cursor, tempfile.TemporaryDirectory(prefix="odoo-erp-") as workdir:
        # fail instead of waiting forever for a session that still reads the old tables
        cursor.execute("SET LOCAL lock_timeout = '60s'")
        cursor.execute("DROP TABLE IF EXISTS " + ", ".join(_quote(n) for n in names) + " CASCADE")
        cursor.execute(tables_sql)
        for table in names:
            counts[table] = copy_table(duck, cursor, table, f"{prefix}{table}", Path(workdir))
        cursor.execute(constraints_sql)
        for table in names:
            if ("id", "integer") in _postgres_columns(cursor, table):
                # the serial must continue after the ids loaded explicitly
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), max(id)) FROM {_quote(table)} "
                    "HAVING max(id) IS NOT NULL",
                    (table,),
                )
        cursor.execute("ANALYZE")
    connection.commit()
    return counts
