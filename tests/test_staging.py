"""The staging file's connection handling: one connection held for a whole `erpload run`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from erpload.errors import StagingError
from erpload.staging import connect, held_open, sql_literal


def test_held_open_shares_one_connection_and_releases_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with held_open(path):
        with connect(path) as first:
            first.execute("CREATE TEMP TABLE scratch AS SELECT 42 AS x")
        with connect(path, read_only=True) as second:
            # a temp table lives in its connection: seeing it proves the connection is the same, still open
            assert second.execute("SELECT x FROM scratch").fetchone() == (42,)
        with held_open(path), connect(path) as nested:
            assert nested is second
    # released: a new connection of its own, without the temp table
    with connect(path) as fresh:
        assert fresh.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'scratch'").fetchone() == (0,)


def test_held_open_names_the_lock_holder_clearly(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    duckdb.connect(str(path)).close()
    script = f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('open', flush=True); time.sleep(60)"
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "open"
            with pytest.raises(StagingError) as caught, held_open(path):
                pass
            assert "open in another process" in caught.value.message
        finally:
            holder.kill()


@pytest.mark.parametrize("value", ["plain", "it's", "", "ä ø ł 🙂", "nul \x00 inside", "\x00", 0, -17, 2.5, None,
                                   True])
def test_sql_literal_round_trips_through_duckdb(value: object) -> None:
    got = duckdb.connect().execute(f"SELECT {sql_literal(value)}").fetchone()  # type: ignore[arg-type]
    assert got == (value,)
