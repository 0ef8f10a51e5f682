"""The `duckdb` backend: ERP tables read by DuckDB's own scanners and handed to dlt as Arrow batches.

One in-memory DuckDB per extract ATTACHes the ERP through the `sqlite_scanner` or `postgres_scanner`
extension, loaded from the PyPI packages that ship them for this exact DuckDB version (no download at run
time). Each table is read through dlt's `sql_table`, so resource names, primary keys, merge, the incremental
cursor and its state are dlt's own; only the reading is swapped (`table_loader_class`).

What is read is what the pyarrow backend reads. Each table's SELECT is the one dlt and `adapt_query` build
for the pyarrow backend (the incremental window, SQLite's conformance checks that turn a value that does not
convert into NULL, JSON as text), compiled and run inside the ERP by `sqlite_query`/`postgres_query`; DuckDB
then casts each column to the type dlt's reflection gives it. SQLite returns every value as text that way,
so the SELECT renders numbers with all their digits and blobs as hex, and the casts parse them back. A full
load of a SQLite table whose values all convert reads the table through the scanner's own typed reading
instead, about 3x faster, where that reads the same (`ErpScan.reads_typed`).

One known difference: a SQLite REAL with more decimals than its NUMERIC column's scale is rounded from its
17-digit text here, from the binary value by SQLAlchemy; the two can differ in the last digit when the value
lies within about 1e-11 of a tie (x.xx5 for a scale of 2). Amounts stored at their scale convert alike.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb

from erpload.redact import redact
from erpload.sources.erp.settings import AUTO_BACKEND
from erpload.staging import quote_ident, sql_literal

if TYPE_CHECKING:
    import sqlalchemy as sa
    from dlt.sources.sql_database.helpers import BaseTableLoader

BACKEND = "duckdb"
#: the backend a database without a scanner (or a scanner that cannot be loaded) is read with
FALLBACK_BACKEND = "pyarrow"
#: SQLAlchemy dialect -> (DuckDB extension, ATTACH type, its query table function)
SCANNERS = {
    "sqlite": ("sqlite_scanner", "sqlite", "sqlite_query"),
    "postgresql": ("postgres_scanner", "postgres", "postgres_query"),
}
#: the import name of the PyPI package that ships an extension (duckdb-extension-sqlite-scanner, ...)
_PACKAGE = "duckdb_extension_{extension}"
_ATTACHED = "erp"


class ScannerUnavailable(Exception):
    """DuckDB cannot read this ERP itself; the message says why (never a password)."""


def has_scanner(dialect: str) -> bool:
    return dialect in SCANNERS


def extension_file(extension: str, directory: Path | None = None) -> Path:
    """The extension's file for the running DuckDB: in `directory` if given, else in its PyPI package.

    The packages hold `extensions/v<duckdb version>/<extension>.duckdb_extension`; a DuckDB of another
    version cannot load it, so a mismatch is said as such rather than left to a LOAD error.
    """
    name = f"{extension}.duckdb_extension"
    if directory is not None:
        path = directory / name
        if not path.is_file():
            raise ScannerUnavailable(f"{path} does not exist (sources.erp.duckdb_extensions)")
        return path
    package = _PACKAGE.format(extension=extension)
    try:
        root = Path(importlib.import_module(package).__file__ or "").parent / "extensions"
    except ImportError as exc:
        raise ScannerUnavailable(f"the package {package.replace('_', '-')} is not installed; install it with "
                                 f"`pip install {package.replace('_', '-')}=={duckdb.__version__}`") from exc
    path = root / f"v{duckdb.__version__}" / name
    if not path.is_file():
        built_for = ", ".join(sorted(p.name for p in root.glob("v*"))) or "no version"
        raise ScannerUnavailable(f"{package.replace('_', '-')} is built for DuckDB {built_for}, "
                                 f"not for the installed DuckDB {duckdb.__version__}; install the one built for it "
                                 f"with `pip install {package.replace('_', '-')}=={duckdb.__version__}`")
    return path


def _conninfo_value(value: object) -> str:
    # libpq's key=value syntax: single quotes, with ' and \ escaped
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def attach_target(url: sa.URL) -> str:
    """What DuckDB ATTACHes for the ERP at `url`: SQLite's file, or a libpq connection string without the
    password (which goes into a DuckDB secret: DuckDB's connection errors quote the string)."""
    if url.get_backend_name() == "sqlite":
        return url.database or ""
    keys = {"host": url.host, "port": url.port, "dbname": url.database, "user": url.username}
    # libpq parameters given in the URL's query (sslmode, host of a socket directory, ...)
    for key, value in url.query.items():
        keys[key] = value if isinstance(value, str) else value[-1]
    return " ".join(f"{key}={_conninfo_value(value)}" for key, value in keys.items() if value not in (None, ""))


class ErpScan:
    """An in-memory DuckDB with the ERP attached read-only; one cursor per table read."""

    def __init__(self, engine: sa.Engine, extension_dir: Path | None = None) -> None:
        dialect = engine.dialect.name
        if dialect not in SCANNERS:
            raise ScannerUnavailable(f"DuckDB has no scanner for {dialect} databases")
        extension, attach_type, self.query_function = SCANNERS[dialect]
        self.dialect = dialect
        self._convertible: dict[str, Sequence[str]] = {}
        path = extension_file(extension, extension_dir)
        # no download and no other extension behind our back: the one file above is all it loads
        self._con = duckdb.connect(config={"autoinstall_known_extensions": False,
                                           "autoload_known_extensions": False})
        try:
            self._con.execute("SET TimeZone = 'UTC'")  # Arrow's tz of TIMESTAMPTZ columns, as dlt stages them
            self._con.execute("SET enable_progress_bar = false")  # extract shows its own
            self._con.execute(f"LOAD {sql_literal(str(path))}")
        except duckdb.Error as exc:
            self.close()
            raise ScannerUnavailable(f"DuckDB could not load {path}: {exc}") from exc
        options = f"TYPE {attach_type}, READ_ONLY"
        try:
            if engine.url.password:
                # in this process's memory only; DuckDB shows it as 'redacted'
                self._con.execute(f"CREATE TEMPORARY SECRET erp_login (TYPE {attach_type}, "
                                  f"PASSWORD {sql_literal(engine.url.password)})")
                options += ", SECRET erp_login"
            self._con.execute(f"ATTACH {sql_literal(attach_target(engine.url))} AS {_ATTACHED} ({options})")
        except duckdb.Error as exc:
            self.close()
            raise ScannerUnavailable(f"DuckDB's {extension} could not open the ERP: {redact(str(exc))}") from None

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> ErpScan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, select_sql: str) -> str:
        """The FROM item that runs `select_sql` inside the ERP."""
        return f"{self.query_function}('{_ATTACHED}', {sql_literal(select_sql)})"

    def convertible_tables(self, primary_keys: Mapping[str, Sequence[str]]) -> None:
        """Tables (with their primary key) in whose extract window every value converts (the extract's probe
        found none that does not): a full load of such a SQLite table may use the scanner's typed reading."""
        self._convertible = dict(primary_keys)

    def reads_typed(self, table: sa.Table, types: Mapping[str, str | None]) -> bool:
        """Whether a full load of `table` can use the SQLite scanner's own typed reading: about 3x faster than
        text through `sqlite_query`, and exactly the same values where it applies.

        It applies where the extract's probe found every value convertible, the scanner reads each column as
        a type that converts exactly into the staged one, no timestamp carries a UTC offset (the scanner drops
        it), every value of a text or blob column is one (the scanner stops at a number in a JSON column) and
        every key converts (the scanner's error would not name the column, as extract reports it).
        """
        import sqlalchemy as sa
        from sqlalchemy.dialects import sqlite

        from erpload.sources.erp.conformance import conforms

        if self.dialect != "sqlite" or table.name not in self._convertible:
            return False
        cursor = self._con.cursor()
        try:
            scanned = {str(r[0]): str(r[1]) for r in
                       cursor.execute(f"DESCRIBE {_ATTACHED}.{quote_ident(table.name)}").fetchall()}
            for name, type_ in types.items():
                family = "DECIMAL" if type_ and type_.startswith("DECIMAL") else type_
                if scanned.get(name) not in _SCANNER_READS.get(family or "", ()):
                    return False
            odd: list[Any] = [sa.func.substr(c, 20).op("GLOB")("*[+-]*") for c in table.c
                              if types.get(c.name) == "TIMESTAMP"]
            # text and blobs where the column's affinity does not make them so (JSON has NUMERIC affinity)
            odd += [sa.func.typeof(c).not_in(["text", "null"]) for c in table.c
                    if types.get(c.name) == "VARCHAR" and not isinstance(c.type, sa.String)]
            odd += [sa.func.typeof(c).not_in(["blob", "null"]) for c in table.c if types.get(c.name) == "BLOB"]
            for key in self._convertible[table.name]:
                check = conforms(table.c[key])
                if check is not None:
                    odd.append(sa.and_(table.c[key].is_not(None), sa.func.coalesce(check, False) == False))  # noqa: E712
            if not odd:
                return True
            probe = sa.select(sa.literal(1)).select_from(table).where(sa.or_(*odd)).limit(1)
            sql = str(probe.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
            return cursor.execute(f"SELECT count(*) FROM {self.query(sql)}").fetchone() == (0,)
        finally:
            cursor.close()

    def batches(self, source: str, casts: list[Cast], not_null: set[str], chunk_size: int) -> Iterator[Any]:
        """Arrow record batches of `source` (a FROM item), each column cast as `casts` says.

        The batches' schema marks the columns in `not_null` as such, as dlt's hints do (a difference dlt
        would warn about for every table; the ERP enforces it, and staging's columns say it anyway).
        """
        import pyarrow as pa

        cursor = self._con.cursor()
        try:
            reader = cursor.execute(f"SELECT {', '.join(c.sql for c in casts)} FROM {source}"
                                    ).to_arrow_reader(chunk_size)
            schema = pa.schema([f.with_nullable(f.name not in not_null) for f in reader.schema])
            for batch in reader:
                yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)
        except duckdb.ConversionException as exc:
            raise _name_the_column(cursor, source, casts, exc) from exc
        except duckdb.Error as exc:
            import sqlalchemy as sa

            # the database failed (a value that does not convert is the ConversionException above): said as
            # SQLAlchemy says it for the pyarrow backend, so extract's report names the database, not a value
            raise sa.exc.OperationalError(None, None, exc) from exc
        finally:
            cursor.close()


#: staged type -> what the SQLite scanner may read a column as, for its value to convert exactly into it
_SCANNER_READS = {"BIGINT": ("BIGINT",), "BOOLEAN": ("BIGINT",), "DOUBLE": ("BIGINT", "DOUBLE"),
                  "DECIMAL": ("BIGINT", "DOUBLE"), "DATE": ("DATE",), "TIMESTAMP": ("TIMESTAMP",),
                  "VARCHAR": ("VARCHAR",), "BLOB": ("BLOB",)}


def duckdb_type_of_hint(hint: Mapping[str, Any]) -> str | None:
    """The DuckDB type dlt stages a column of this hint as (None: a type left as the scanner reads it)."""
    match hint.get("data_type"):
        case "bigint":
            return "BIGINT"
        case "double":
            return "DOUBLE"
        case "bool":
            return "BOOLEAN"
        case "text" | "json":
            return "VARCHAR"
        case "date":
            return "DATE"
        case "time":
            return "TIME"
        case "binary":
            return "BLOB"
        case "decimal":
            if hint.get("precision") is not None:
                return f"DECIMAL({hint['precision']},{hint.get('scale') or 0})"
            return "DECIMAL(38,9)"
        case "timestamp":
            return "TIMESTAMPTZ" if hint.get("timezone", True) else "TIMESTAMP"
    return None


@dataclass(frozen=True)
class Cast:
    """How one column of the ERP's answer becomes the staged column."""

    name: str
    type_: str | None  # None: kept as the scanner reads it
    from_sqlite_text: bool

    @property
    def sql(self) -> str:
        column = quote_ident(self.name)
        if self.type_ is None:
            return column
        return f"{self.converted(column)} AS {column}"

    def converted(self, column: str) -> str:
        if self.from_sqlite_text and self.type_ == "BLOB":
            return f"unhex({column})"
        if self.from_sqlite_text and self.type_ == "BOOLEAN":
            return f"CAST(CAST({column} AS BIGINT) AS BOOLEAN)"
        if self.from_sqlite_text and self.type_ == "TIMESTAMP":
            # a text with a UTC offset is that instant in UTC, as SQLAlchemy and dlt read it (a plain cast drops
            # the offset); parsing every value that way would take twice as long
            offset = f"contains(substr({column}, 20), '+') OR contains(substr({column}, 20), '-')"
            return f"CASE WHEN {offset} THEN CAST(CAST({column} AS TIMESTAMPTZ) AS TIMESTAMP) " \
                   f"ELSE CAST({column} AS TIMESTAMP) END"
        return f"CAST({column} AS {self.type_})"


def _name_the_column(cursor: duckdb.DuckDBPyConnection, source: str, casts: list[Cast],
                     exc: duckdb.ConversionException) -> ValueError:
    """The failure of a cast, with the column that failed (in SQLite only a key column can: the others
    are read as NULL where they do not convert), in the words `erpload.steps.extract.read_failure` finds."""
    checked = [c for c in casts if c.type_ is not None]
    tries = ", ".join(f"bool_or({quote_ident(c.name)} IS NOT NULL AND TRY({c.converted(quote_ident(c.name))}) IS NULL)"
                      for c in checked)
    row = cursor.execute(f"SELECT {tries} FROM {source}").fetchone() if checked else None
    failed = [c for c, bad in zip(checked, row or (), strict=True) if bad]
    if not failed:
        return ValueError(str(exc))
    return ValueError(f"column '{failed[0].name}' holds a value that is no {failed[0].type_}: {exc}")


def _sqlite_select(query: Any, types: Mapping[str, str | None]) -> Any:
    """`query` with what `sqlite_query` turns into text spelled so DuckDB reads it back exactly: numbers with
    17 significant digits (SQLite's own text has 15, which can change a REAL), blobs as hex."""
    import sqlalchemy as sa

    sub = query.subquery("scanned")
    columns = []
    for column in sub.c:
        type_ = types.get(column.name) or ""
        if type_ == "DOUBLE" or type_.startswith("DECIMAL"):
            columns.append(sa.case((sa.func.typeof(column) == "real", sa.func.printf("%!.17g", column)),
                                   else_=column).label(column.name))
        elif type_ == "BLOB":
            # hex(NULL) is '', which unhex would read as an empty blob
            columns.append(sa.case((column.is_(None), sa.null()), else_=sa.func.hex(column)).label(column.name))
        else:
            columns.append(column)
    return sa.select(*columns)


def staged_types(table: sa.Table, hints: Mapping[str, Mapping[str, Any]], sqlite: bool) -> dict[str, str | None]:
    """Column -> the DuckDB type it is staged as. A type dlt's reflection does not know (SQLite's REAL) has no
    hint, and the pyarrow backend lets the values decide: from PostgreSQL they come typed, and are left so; from
    SQLite they come as text, and take the type its SQLAlchemy type says."""
    from erpload.sources.erp import json_as_text
    from erpload.sources.erp.empty_tables import duckdb_type_of_sqlalchemy

    types = {}
    for column in table.c:
        type_ = duckdb_type_of_hint(hints.get(column.name, {}))
        if type_ is None and sqlite:
            type_ = duckdb_type_of_sqlalchemy(json_as_text(column.type))
        types[column.name] = type_
    return types


def scan_loader(scan: ErpScan) -> type[BaseTableLoader]:
    """dlt's table loader class that reads through `scan` (for `sql_table(table_loader_class=...)`)."""
    from dlt.sources.sql_database.helpers import BaseTableLoader

    class DuckDBScanLoader(BaseTableLoader):
        erp_scan: ClassVar[ErpScan] = scan

        def load_rows(self, backend_kwargs: dict[str, Any] | None = None) -> Iterator[Any]:
            scan = self.erp_scan
            query: Any = self.make_query()  # a Select: erpload's query adapter returns no text
            sqlite = scan.dialect == "sqlite"
            types = staged_types(self.table, self.columns, sqlite)
            names = [c.name for c in query.selected_columns]
            not_null = {name for name in names if self.columns.get(name, {}).get("nullable") is False}
            if self.last_value is None and scan.reads_typed(self.table, types):  # a full load
                casts = [Cast(name, types.get(name), from_sqlite_text=False) for name in names]
                source = f"{_ATTACHED}.{quote_ident(self.table.name)}"
            else:
                if sqlite:
                    query = _sqlite_select(query, types)
                casts = [Cast(name, types.get(name), sqlite) for name in names]
                source = scan.query(self.compile_query(query))
            yield from scan.batches(source, casts, not_null, self.chunk_size)

    return DuckDBScanLoader


def open_scan(requested: str, engine: sa.Engine, extension_dir: str | Path | None = None
              ) -> tuple[ErpScan | None, str | None]:
    """The scan to read the ERP through for the backend the user asked for, else why not.

    `auto` (the default) reads SQLite and PostgreSQL through DuckDB and every other database with pyarrow,
    which is no news; an explicit `duckdb`, or `auto` on a database with a scanner, that cannot be served
    returns the reason, for the run's summary. Any other backend is dlt's own: (None, None).
    """
    if requested not in (AUTO_BACKEND, BACKEND):
        return None, None
    if requested == AUTO_BACKEND and not has_scanner(engine.dialect.name):
        return None, None
    try:
        return ErpScan(engine, Path(extension_dir) if extension_dir else None), None
    except ScannerUnavailable as exc:
        return None, str(exc)


def dlt_backend(requested: str) -> str:
    """The dlt backend behind `requested`: the duckdb scan takes dlt's pyarrow hints, and so does its fallback."""
    return FALLBACK_BACKEND if requested in (AUTO_BACKEND, BACKEND) else requested
