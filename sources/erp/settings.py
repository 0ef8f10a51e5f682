"""Defaults of the ERP source."""

SOURCE_NAME = "erp"
DEFAULT_BACKEND = "pyarrow"
DEFAULT_CHUNK_SIZE = 50_000
