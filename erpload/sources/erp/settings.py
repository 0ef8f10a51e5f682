"""Defaults of the ERP source."""

SOURCE_NAME = "erp"
#: DuckDB's scanner for SQLite and PostgreSQL, dlt's pyarrow backend for other databases (see duckdb_scan)
AUTO_BACKEND = "auto"
DEFAULT_BACKEND = AUTO_BACKEND
DEFAULT_CHUNK_SIZE = 50_000
#: how far past now a cursor value may lie before extract distrusts it (clock skew, time zones)
DEFAULT_CURSOR_TOLERANCE_HOURS = 24.0
