"""Empty ERP tables get an empty staging table, so profiles can join them before they hold rows.

dlt creates a destination table only when rows arrive; a profile that joins an ERP table that is
empty today would fail with "table does not exist". The column types follow SQLAlchemy's
reflection, the way dlt maps them, so dlt later merges rows into the table as if it had made it.
"""

from __future__ import annotations

import sqlalchemy as sa
from dlt.common.normalizers.naming.snake_case import NamingConvention


def duckdb_type_of_sqlalchemy(col_type: sa.types.TypeEngine[object]) -> str:
    """The DuckDB type dlt would give a reflected SQLAlchemy column type."""
    if isinstance(col_type, sa.Boolean):
        return "BOOLEAN"
    if isinstance(col_type, sa.Integer):
        return "BIGINT"
    if isinstance(col_type, sa.Float):
        return "DOUBLE"
    if isinstance(col_type, sa.Numeric):
        if col_type.precision is not None:
            return f"DECIMAL({col_type.precision},{col_type.scale or 0})"
        return "DECIMAL(38,9)"
    if isinstance(col_type, sa.DateTime):
        return "TIMESTAMP WITH TIME ZONE" if col_type.timezone else "TIMESTAMP"
    if isinstance(col_type, sa.Date):
        return "DATE"
    if isinstance(col_type, sa.Time):
        return "TIME"
    if isinstance(col_type, sa.LargeBinary | sa.types._Binary):
        return "BLOB"
    if isinstance(col_type, sa.JSON):
        return "JSON"
    return "VARCHAR"


def create_table_ddl(table: sa.Table, staged_name: str, dataset: str) -> str:
    """DDL for an empty staging table of a reflected ERP table; column names normalised the way dlt names them."""
    naming = NamingConvention()
    cols = ", ".join(f'"{naming.normalize_identifier(c.name)}" {duckdb_type_of_sqlalchemy(c.type)}'
                     for c in table.columns)
    cols += ', "_dlt_load_id" VARCHAR'  # as dlt stamps every row (see erpload.steps.extract)
    return f'CREATE TABLE IF NOT EXISTS {dataset}."{staged_name}" ({cols})'
