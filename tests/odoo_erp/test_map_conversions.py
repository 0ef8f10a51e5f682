"""PostgreSQL enforces column types, so a bad value lives in a text column a profile casts: map sets it aside."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from erpload.profiles import load_profile
from erpload.runs import Run
from erpload.steps.mapping import run_map
from tests.utils import Workspace

PROFILE = '''name = "text_dates"
[tables.h14_receipt]
primary_key = ["id"]
cursor = "updated_at"

[entities.goods_receipts]
sql = """
select '1000' as company_code, receipt_no, '70001' as vendor_no, cast(receipt_date as date) as receipt_date,
       'LS-' || receipt_no as delivery_note_no, cast(id as varchar) as erp_id, updated_at
from erp_raw.h14_receipt
"""
'''


def test_a_text_column_cast_to_date_sets_the_record_aside_instead_of_failing_map(
        workspace: Workspace, postgres_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.begin() as con:
        con.exec_driver_sql("DROP TABLE IF EXISTS h14_receipt")
        con.exec_driver_sql("CREATE TABLE h14_receipt (id integer PRIMARY KEY, receipt_no text, receipt_date text, "
                            "updated_at timestamp NOT NULL DEFAULT now())")
        con.exec_driver_sql("INSERT INTO h14_receipt (id, receipt_no, receipt_date) VALUES "
                            "(1, 'GR1', '2026-01-05'), (2, 'GR2', 'soon'), (3, 'GR3', '2025-02-30')")
    engine.dispose()
    profile_path = tmp_path / "text_dates.toml"
    profile_path.write_text(PROFILE)
    assert workspace.cli("extract", profile=str(profile_path), erp_url=postgres_url).exit_code == 0

    run = Run(command="map", profile="text_dates")
    run_map(workspace.staging, load_profile(str(profile_path)), run)

    assert [r.rejected for r in run.results] == [2]
    assert workspace.query("select receipt_no, receipt_date from erp.goods_receipts") == [
        ("GR1", __import__("datetime").date(2026, 1, 5))]
    rejects = workspace.query("select entity, record_key, field, value, reason from rejects where target = 'erp' "
                              "order by value")
    assert [r[:4] for r in rejects] == [("goods_receipts", "1000/GR3", "receipt_date", "2025-02-30"),
                                        ("goods_receipts", "1000/GR2", "receipt_date", "soon")]
    assert all("does not convert to DATE" in str(r[4]) and "set aside" in str(r[4]) for r in rejects)
