"""Defaults of the ERP source."""

SOURCE_NAME = "erp"
#: DuckDB's scanner for SQLite and PostgreSQL, dlt's pyarrow backend for other databases (see duckdb_scan)
AUTO_BACKEND = "auto"
DEFAULT_BACKEND = AUTO_BACKEND
#: what `sources.erp.backend` may say: ours, and dlt's sql backends that run with erpload's dependencies
BACKENDS = (AUTO_BACKEND, "duckdb", "pyarrow", "sqlalchemy", "pandas")
DEFAULT_CHUNK_SIZE = 50_000
#: how far past now a cursor value may lie before extract distrusts it (clock skew, time zones)
DEFAULT_CURSOR_TOLERANCE_HOURS = 24.0
