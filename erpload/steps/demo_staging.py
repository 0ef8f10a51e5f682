"""`erpload demo` writes only into a staging file of its own: never into one another profile's ERP filled.

Demo data merged into a project's staging file would reach its DATEV files and vendors as made-up companies,
so a file that shows another profile (its runs, its map state, or erp_raw tables the demo ERP does not have)
is refused before the demo opens it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from erpload.errors import ConfigError
from erpload.profiles import load_profile
from erpload.raw_names import RAW_DATASET, raw_name
from erpload.staging import FRAMEWORK_SCHEMA, connect, existing_tables

DEMO_PROFILE = "demo"
#: listed when a file holds tables of another ERP; the rest are counted
TABLES_NAMED = 5


def refuse_foreign_staging(staging_path: Path) -> None:
    """Raise a ConfigError naming the other profile when the staging file belongs to one; a missing file is new."""
    if not staging_path.exists():
        return
    with connect(staging_path, read_only=True) as con:
        profiles = _other_profiles(con)
        foreign = _foreign_raw_tables(con)
    if not profiles and not foreign:
        return
    if profiles:
        owner = ", ".join(f"'{p}'" for p in profiles)
        evidence = f"belongs to profile {owner} (its runs in erpload.runs)"
    else:
        shown = ", ".join(f"{RAW_DATASET}.{t}" for t in foreign[:TABLES_NAMED])
        more = f" and {len(foreign) - TABLES_NAMED} more" if len(foreign) > TABLES_NAMED else ""
        evidence = f"holds ERP tables the demo ERP does not have ({shown}{more}): another ERP was extracted into it"
    raise ConfigError(
        f"the staging file {staging_path} {evidence}; the demo would mix its made-up companies into that data",
        hint="run the demo into a staging file of its own, e.g. `erpload demo --staging demo.duckdb` "
             "(or in another folder); `erpload run` works on this project's own ERP")


def _other_profiles(con: duckdb.DuckDBPyConnection) -> list[str]:
    tables = existing_tables(con, FRAMEWORK_SCHEMA)
    selects = [f"SELECT profile FROM {FRAMEWORK_SCHEMA}.{t}" for t in ("runs", "map_state") if t in tables]
    if not selects:
        return []
    rows = con.execute(f"SELECT DISTINCT profile FROM ({' UNION ALL '.join(selects)}) "
                       f"WHERE profile IS NOT NULL AND profile <> '{DEMO_PROFILE}' ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


def _foreign_raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    demo_tables = {raw_name(t.name) for t in load_profile(DEMO_PROFILE).tables}
    staged = existing_tables(con, RAW_DATASET)
    return sorted(t for t in staged if t not in demo_tables and not t.startswith("_dlt"))
