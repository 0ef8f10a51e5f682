"""A run's row in erpload.runs survives what the step before it left unfinished on a held connection."""

from __future__ import annotations

from pathlib import Path

import duckdb

from erpload.runs import Run
from erpload.staging import connect, held_open


def test_a_run_recorded_after_a_step_left_its_transaction_open_is_kept_and_the_unfinished_work_is_not(
        tmp_path: Path) -> None:
    staging = tmp_path / "erpload.duckdb"
    run = Run(command="extract", profile="demo")
    run.interrupt("SIGTERM")
    with held_open(staging):  # as `erpload run` holds it across its steps
        with connect(staging) as con:
            con.execute("BEGIN TRANSACTION")  # a step stopped halfway
            con.execute("CREATE TABLE half_done AS SELECT 1 AS a")
        run.record_in(staging)
    with duckdb.connect(str(staging), read_only=True) as con:
        assert con.execute("SELECT run_id, status FROM runs").fetchall() == [(run.run_id, "interrupted")]
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half_done'").fetchone() == (0,)
