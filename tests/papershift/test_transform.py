"""`erpload transform papershift` on a hand-made erp dataset: one row per company with an integration id, its
active employees counted, a company without an id noted and an id that is no UUID set aside."""

from __future__ import annotations

from pathlib import Path

import duckdb

from erpload.runs import Run
from erpload.staging import ensure_framework_tables
from erpload.transforms.papershift.transform import transform

GOOD = "7C0D2A4E-3b1f-4c5d-9e8f-0a1b2c3d4e01"


def test_the_plan_has_one_row_per_company_with_an_integration_and_says_what_it_leaves_out(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "erpload.duckdb")) as con:
        ensure_framework_tables(con)
        con.execute("CREATE SCHEMA erp")
        con.execute("CREATE TABLE erp.companies (company_code VARCHAR, name VARCHAR, papershift_integration_id "
                    "VARCHAR)")
        con.execute(f"INSERT INTO erp.companies VALUES ('1000', 'Alpen GmbH', ' {GOOD} '), "
                    "('2000', 'Berg KG', 'not-a-uuid'), ('3000', 'Tal AG', NULL), ('4000', 'See AG', '')")
        con.execute("CREATE TABLE erp.employees (company_code VARCHAR, personnel_no VARCHAR, first_name VARCHAR, "
                    "last_name VARCHAR, termination_date DATE, is_deleted BOOLEAN)")
        con.execute("INSERT INTO erp.employees VALUES ('1000', '00101', 'Anna', 'Alt', NULL, false), "
                    "('1000', 'A-17', 'Bert', 'Bau', NULL, false), "                # active, no number Pulse matches
                    "('1000', '00103', 'Carl', 'Cord', DATE '2001-01-31', false), "  # left
                    "('1000', '00104', 'Dora', 'Dach', NULL, true), "                # deleted
                    "('2000', '1', 'Emil', 'Eck', NULL, false)")
        run = Run(command="transform papershift", profile=None)
        transform(con, run)
        again = Run(command="transform papershift", profile=None)
        transform(con, again)  # nothing changed in erp: nothing loaded
        rows = con.execute("SELECT company_code, integration_id, active_employees, numbered_employees, state "
                           "FROM papershift.integrations ORDER BY 1").fetchall()
        rejects = con.execute("SELECT record_key, field, value FROM rejects WHERE target = 'papershift'").fetchall()
    assert rows == [("1000", GOOD.lower(), 2, 1, "ready"), ("2000", "not-a-uuid", 1, 1, "bad_id")]
    assert rejects == [("2000", "papershift_integration_id", "not-a-uuid")] * 2  # once per run
    assert [(r.table, r.loaded, r.unchanged, r.rejected) for r in run.results] == [
        ("papershift.integrations", 2, 0, 1)]  # the plan's rows, the one with a bad id among them
    assert [(r.loaded, r.unchanged) for r in again.results] == [(0, 2)]
    notes = " ".join(run.notes)
    assert "2 companies without a Papershift DATEV integration id (3000, 4000)" in notes
    assert "1 active employee(s) have a personnel number that is not a whole number" in notes
