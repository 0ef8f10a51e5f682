"""The DuckDB staging file: opening it, and erpload's own bookkeeping tables.

erpload's tables (runs, rejects, ...) live in the file's `main` schema, not in a schema named
`erpload`: DuckDB names a file's catalog after the file, so in the default `erpload.duckdb` a schema
`erpload` would make every `erpload.runs` ambiguous. In `main`, `select * from erpload.runs` works
in that file (catalog-qualified) and plain `runs` works in a staging file of any name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb

from erpload import interrupts
from erpload.errors import StagingError

FRAMEWORK_SCHEMA = "main"

_FRAMEWORK_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {FRAMEWORK_SCHEMA}.runs (
        run_id VARCHAR NOT NULL, command VARCHAR NOT NULL, profile VARCHAR, table_name VARCHAR NOT NULL,
        status VARCHAR NOT NULL, loaded BIGINT, unchanged BIGINT, rejected BIGINT, deleted BIGINT,
        sent BIGINT, failed BIGINT, cursor VARCHAR, started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL, duration_s DOUBLE, message VARCHAR, load_id VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {FRAMEWORK_SCHEMA}.rejects (
        run_id VARCHAR NOT NULL, target VARCHAR NOT NULL, entity VARCHAR NOT NULL, record_key VARCHAR,
        field VARCHAR, value VARCHAR, reason VARCHAR NOT NULL, fix VARCHAR, record JSON,
        created_at TIMESTAMP NOT NULL, reason_code VARCHAR)""",
    # how far `map` got per entity: the erp_raw load it has seen, and the SQL it saw it with
    f"""CREATE TABLE IF NOT EXISTS {FRAMEWORK_SCHEMA}.map_state (
        profile VARCHAR NOT NULL, entity VARCHAR NOT NULL, sql_hash VARCHAR NOT NULL, last_load_id VARCHAR,
        mapped_at TIMESTAMP NOT NULL, PRIMARY KEY (profile, entity))""",
)

_LOCK_PID = re.compile(r"PID (\d+)")

# DuckDB takes up to 80% of RAM by default; staging work spills to disk beyond this instead.
DEFAULT_MEMORY_LIMIT = "1GB"


def duckdb_config() -> dict[str, str | bool | int | float | list[str]]:
    """Settings for every connection to the staging file (erpload.memory_limit in dlt config)."""
    return {"memory_limit": str(dlt.config.get("erpload.memory_limit") or DEFAULT_MEMORY_LIMIT)}


def lock_error(path: Path, exc: BaseException) -> StagingError:
    pid = _LOCK_PID.search(str(exc))
    holder = f" (process {pid.group(1)})" if pid else ""
    return StagingError(
        f"the staging file {path} is open in another process{holder}; DuckDB allows one writer at a time",
        hint="close the duckdb shell, notebook or other erpload run using it, then run this command again",
    )


def is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


#: the connection `held_open` keeps for the commands of one process, by staging path
_held: dict[Path, duckdb.DuckDBPyConnection] = {}


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the staging file, turning a lock conflict into a message that says what to do.

    Inside `held_open(path)` this yields the held connection and leaves it open.
    """
    held = _held.get(path.resolve())
    if held is not None:
        with interrupts.cancels(held):
            yield held
        return
    con = _open(path, read_only=read_only)
    try:
        with interrupts.cancels(con):  # Ctrl-C or SIGTERM cancel its query in progress
            yield con
    finally:
        con.close()


@contextmanager
def held_open(path: Path) -> Iterator[None]:
    """Keep one connection to the staging file for every command this process runs meanwhile.

    `erpload run` chains extract, map, transform and export. Each on its own connection would
    re-read the file's metadata on open, start with a cold buffer cache and write a checkpoint on
    close; on one connection the file is opened and checkpointed once (an `erpload run --until map`
    after a 1% change at 1M journal lines: ~11 s → ~8 s). Re-entrant: an inner call is a no-op.
    """
    key = path.resolve()
    if key in _held:
        yield
        return
    _held[key] = _open(path, read_only=False)
    try:
        yield
    finally:
        _held.pop(key).close()


def _open(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise StagingError(f"the staging file {path} does not exist yet",
                           hint="run `erpload extract` (or `erpload demo`) first, or point --staging (erpload.staging "
                                "in .dlt/config.toml, ERPLOAD__STAGING) at the project's staging file")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only, config=duckdb_config())
    except duckdb.IOException as exc:
        if is_lock_error(exc):
            raise lock_error(path, exc) from exc
        raise StagingError(f"cannot open the staging file {path}: {exc}",
                           hint="check the path and its permissions, or set another with --staging (erpload.staging "
                                "in .dlt/config.toml, ERPLOAD__STAGING)") from exc


def ensure_framework_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in _FRAMEWORK_DDL:
        con.execute(ddl)
    # staging files made before runs.load_id existed
    con.execute(f"ALTER TABLE {FRAMEWORK_SCHEMA}.runs ADD COLUMN IF NOT EXISTS load_id VARCHAR")
    from erpload.rejects import create_current_rejects, migrate_rejects  # it builds on this module

    migrate_rejects(con)
    create_current_rejects(con)


def quote_ident(name: str) -> str:
    """`name` as a SQL identifier, whatever it holds."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str | int | float | Decimal | datetime | date | None) -> str:
    """`value` as a SQL literal (text with a NUL character: literals joined by `chr(0)`).

    erpload's own bookkeeping inlines its few values instead of binding them: DuckDB's Python client
    imports pandas (~0.5 s) for the first statement with parameters (or a registered Arrow table),
    and `erpload map` has no other reason to import it.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    # DuckDB's parser ends a statement's text at a NUL character, so it goes in as chr(0)
    return "'" + value.replace("'", "''").replace("\x00", "' || chr(0) || '") + "'"


def existing_tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    """The tables of one schema, in one query (information_schema costs ~35 ms a call mid-transaction)."""
    rows = con.execute(f"SELECT table_name FROM duckdb_tables() WHERE schema_name = {sql_literal(schema)}").fetchall()
    return {str(r[0]) for r in rows}


def existing_views(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    """The views of one schema (`current_rejects`, `ledger`)."""
    rows = con.execute(f"SELECT view_name FROM duckdb_views() WHERE schema_name = {sql_literal(schema)} "
                       "AND NOT internal").fetchall()
    return {str(r[0]) for r in rows}


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return table in existing_tables(con, schema)


def scalar_int(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The first column of the first row of `sql` as an int; 0 for no row or NULL (e.g. a count)."""
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
