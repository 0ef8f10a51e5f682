"""Compare what two staging files hold of the ERP: the same tables, columns, types and rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from erpload.raw_names import RAW_DATASET

#: differs by design between two staging files: the load that wrote the row
LOAD_ID = "_dlt_load_id"


def _columns(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str, str, str]]:
    rows = con.execute("SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                       "WHERE table_catalog = ? AND table_schema = ? AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' "
                       "ORDER BY table_name, ordinal_position", [catalog, RAW_DATASET]).fetchall()
    return [(str(t), str(c), str(d), str(n)) for t, c, d, n in rows]


@dataclass
class Comparison:
    #: erp_raw table -> its columns on both sides (name, type, nullability, in order), or its rows only one side has
    differences: dict[str, object] = field(default_factory=dict)
    tables: int = 0
    rows: int = 0  # in the left file: a comparison of empty files proves nothing


def compare_erp_raw(left: Path, right: Path) -> Comparison:
    """Every erp_raw table of two staging files: columns first, then rows both ways with EXCEPT ALL (the load
    id that wrote a row aside)."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{left}' AS l (READ_ONLY)")
        con.execute(f"ATTACH '{right}' AS r (READ_ONLY)")
        columns = {"l": _columns(con, "l"), "r": _columns(con, "r")}
        tables = sorted({c[0] for c in columns["l"]} | {c[0] for c in columns["r"]})
        result = Comparison(tables=len(tables))
        for table in tables:
            shape = {side: [c[1:] for c in cols if c[0] == table] for side, cols in columns.items()}
            if shape["l"] != shape["r"]:
                result.differences[table] = shape
                continue
            names = ", ".join(f'"{c[0]}"' for c in shape["l"] if c[0] != LOAD_ID)

            def only_in(a: str, b: str, names: str = names, table: str = table) -> int:
                row = con.execute(f'SELECT count(*) FROM (SELECT {names} FROM {a}.{RAW_DATASET}."{table}" '
                                  f'EXCEPT ALL SELECT {names} FROM {b}.{RAW_DATASET}."{table}")').fetchone()
                return int(row[0]) if row else -1

            left_only, right_only = only_in("l", "r"), only_in("r", "l")
            if left_only or right_only:
                result.differences[table] = {"only left": left_only, "only right": right_only}
            count = con.execute(f'SELECT count(*) FROM l.{RAW_DATASET}."{table}"').fetchone()
            result.rows += int(count[0]) if count else 0
    return result
