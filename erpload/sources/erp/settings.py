"""Defaults of the ERP source."""

SOURCE_NAME = "erp"
DEFAULT_BACKEND = "pyarrow"
DEFAULT_CHUNK_SIZE = 50_000
#: how far past now a cursor value may lie before extract distrusts it (clock skew, time zones)
DEFAULT_CURSOR_TOLERANCE_HOURS = 24.0
