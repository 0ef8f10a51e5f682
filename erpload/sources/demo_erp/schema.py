"""Arrow schemas read from `schema.sql`, and table building against them.

The DDL is the single source of truth: every generated table has exactly its columns, in its
order. Types map as INTEGER -> int64, VARCHAR/CHAR -> string, NUMERIC(p,s) -> decimal128(p,s),
DATE -> date32, TIMESTAMP -> timestamp('us') (naive, meaning UTC), BLOB -> binary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SCHEMA_SQL = Path(__file__).with_name("schema.sql")

_TABLE_RE = re.compile(r"CREATE TABLE (\w+) \((.*?)\n\);", re.S)
_COLUMN_RE = re.compile(r"^\s*(\w+)\s+(INTEGER|VARCHAR|CHAR|NUMERIC|DATE|TIMESTAMP|BLOB)(?:\((\d+)(?:,(\d+))?\))?")


def _arrow_type(sql_type: str, precision: str | None, scale: str | None) -> pa.DataType:
    if sql_type == "INTEGER":
        return pa.int64()
    if sql_type in ("VARCHAR", "CHAR"):
        return pa.string()
    if sql_type == "NUMERIC":
        return pa.decimal128(int(precision or 18), int(scale or 0))
    if sql_type == "DATE":
        return pa.date32()
    if sql_type == "TIMESTAMP":
        return pa.timestamp("us")
    return pa.binary()


@cache
def table_schemas() -> dict[str, pa.Schema]:
    """The Arrow schema of every table in `schema.sql`, in file order."""
    schemas: dict[str, pa.Schema] = {}
    for name, body in _TABLE_RE.findall(SCHEMA_SQL.read_text(encoding="utf-8")):
        fields = []
        for line in body.splitlines():
            match = _COLUMN_RE.match(line)
            # Table constraints (UNIQUE (...)) start with a keyword, not a column name + type.
            if match and match.group(1) not in ("UNIQUE", "PRIMARY", "FOREIGN"):
                fields.append(pa.field(match.group(1), _arrow_type(*match.group(2, 3, 4))))
        schemas[name] = pa.schema(fields)
    return schemas


def primary_keys() -> dict[str, str]:
    """The primary-key column of every table (the first column in this schema)."""
    return {name: schema.names[0] for name, schema in table_schemas().items()}


def scaled_decimal(values: np.ndarray[Any, Any], type_: pa.DataType, valid: Any = None) -> pa.Array:
    """A decimal128 array from integers that hold value x 10^scale (no float round trip)."""
    ints = np.ascontiguousarray(values, dtype=np.int64)
    words = np.empty((len(ints), 2), dtype=np.int64)
    words[:, 0] = ints
    words[:, 1] = ints >> 63  # sign extension into the high 64 bits
    array = pa.Array.from_buffers(type_, len(ints), [None, pa.py_buffer(words.tobytes())])
    if valid is not None:
        array = pc.if_else(pa.array(valid, pa.bool_()), array, pa.scalar(None, type_))
    return array


def unscaled(values: pa.Array | pa.ChunkedArray) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The integers value x 10^scale of a non-null decimal128 array (the inverse of `scaled_decimal`)."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    words = np.frombuffer(array.buffers()[1], dtype=np.int64).reshape(-1, 2)
    # the low 64 bits hold the value whenever it fits in int64, as every generated amount does
    return words[array.offset: array.offset + len(array), 0].copy()


def to_arrow(values: Any, type_: pa.DataType) -> pa.Array:
    """Convert one generated column to `type_`.

    Integer numpy arrays for decimal columns hold the value x 10^scale; numpy datetime64 arrays
    become dates/timestamps; Python lists (master data) go through `pa.array`.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == type_ else values.cast(type_)
    if isinstance(values, np.ndarray):
        if pa.types.is_decimal(type_) and values.dtype.kind in "iu":
            return scaled_decimal(values, type_)
        return pa.array(values, type=type_)
    return pa.array(list(values), type=type_)


def build_table(name: str, columns: Mapping[str, Any]) -> pa.Table:
    """A table of `name` from generated columns; exactly the schema's columns are required."""
    schema = table_schemas()[name]
    missing = [c for c in schema.names if c not in columns]
    extra = [c for c in columns if c not in schema.names]
    if missing or extra:
        raise ValueError(f"table {name}: missing columns {missing}, unexpected columns {extra}")
    arrays = [to_arrow(columns[field.name], field.type) for field in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def rows_to_columns(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    """Transpose master-data rows (dicts) into columns."""
    return {name: [row[name] for row in rows] for name in names}
