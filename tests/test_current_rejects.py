"""`rejects` keeps every run's verdicts; `current_rejects` shows the latest one per target, entity and record,
each with a reason code that names the rule, not the value."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from erpload.staging import ensure_framework_tables
from tests.utils import Prepared, Workspace

TRANSFORMED = (("extract",), ("map",), ("transform", "datev"), ("transform", "dvelop"))
#: a reason code: lower-case dotted words (a field name may carry its own capitals, e.g. maesn's `taxCode`)
CODE = re.compile(r"[a-z0-9_]+(\.[A-Za-z0-9_]+)+")


def _finished(ws: Workspace, *args: str) -> None:
    result = ws.cli(*args)
    assert result.finished, result.output


def _runs_in(ws: Workspace, table: str, target: str) -> int:
    return int(ws.scalar(f"select count(distinct run_id) from {table} where target = ?", [target]))  # type: ignore[call-overload]


def test_a_transform_run_again_shows_its_rejects_once(workspace: Workspace, prepared: Prepared) -> None:
    ws = prepared.into(workspace, *TRANSFORMED)
    first = ws.query("select entity, record_key, field, reason_code from rejects where target = 'datev' order by all")
    assert first, "the demo ERP has faults DATEV rejects"

    _finished(ws, "transform", "datev")

    assert _runs_in(ws, "rejects", "datev") == 2  # the history keeps both runs
    assert ws.scalar("select count(*) from rejects where target = 'datev'") == 2 * len(first)
    current = ws.query("select entity, record_key, field, reason_code from current_rejects where target = 'datev' "
                       "order by all")
    assert current == first
    latest = ws.scalar("select run_id from runs where command = 'transform datev' order by started_at desc limit 1")
    assert ws.query("select distinct run_id from current_rejects where target = 'datev'") == [(latest,)]


def test_a_record_fixed_in_the_erp_leaves_the_view_and_stays_in_the_history(workspace: Workspace,
                                                                            prepared: Prepared) -> None:
    ws = prepared.into(workspace, *TRANSFORMED)
    key = str(ws.scalar("select record_key from current_rejects where reason_code = 'datev.partners.max_length.name' "
                        "and record_key like '%/customer/%' order by 1 limit 1"))
    company, _, customer_no = key.split("/")
    others = ws.scalar("select count(*) from current_rejects where target = 'datev' and record_key <> ?", [key])

    changed_at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    ws.erp("update customer set name = 'Koch & Partner GmbH', updated_at = ? where customer_no = ? "
           "and company_id = (select company_id from company where company_code = ?)",
           [changed_at, customer_no, company])
    for command in (("extract",), ("map",), ("transform", "datev")):
        _finished(ws, *command)

    assert ws.scalar("select count(*) from current_rejects where record_key = ?", [key]) == 0
    assert ws.scalar("select count(*) from current_rejects where target = 'datev'") == others
    assert ws.scalar("select count(*) from rejects where record_key = ? and reason_code = "
                     "'datev.partners.max_length.name'", [key]) == 1


def test_the_current_rejects_group_into_a_handful_of_reason_codes(workspace: Workspace, prepared: Prepared) -> None:
    ws = prepared.into(workspace, *TRANSFORMED)
    codes = ws.query("select reason_code, count(*) from current_rejects group by 1 order by 2 desc")
    reasons = int(ws.scalar("select count(distinct reason) from current_rejects"))  # type: ignore[call-overload]
    assert len(codes) * 2 <= reasons  # the reasons carry values, the codes only the rule
    assert len(codes) <= 25
    assert all(CODE.fullmatch(str(code)) for code, _ in codes), codes
    assert {str(code).split(".")[0] for code, _ in codes} == {"erp", "datev", "dvelop"}


def test_every_writer_fills_the_reason_code(workspace: Workspace, prepared: Prepared) -> None:
    """Extract, map and every target's transform that the demo ERP gives rejects (push-side writers: see
    tests/push/test_current_rejects.py)."""
    transforms = (("transform", t) for t in ("datev", "dvelop", "uniconta", "papershift", "kombo"))
    ws = prepared.into(workspace, ("extract",), ("map",), *transforms)
    targets = {str(t) for (t,) in ws.query("select distinct target from rejects")}
    assert {"erp", "datev", "dvelop"} <= targets
    assert ws.query("select target, entity, reason from rejects where reason_code is null") == []
    assert ws.query("select fix from rejects where fix is null or fix = '' limit 1") == []


def test_a_staging_file_from_before_reason_codes_is_migrated(tmp_path: Path) -> None:
    path = f"{tmp_path}/old.duckdb"
    with duckdb.connect(path) as con:
        con.execute("""CREATE TABLE rejects (run_id VARCHAR NOT NULL, target VARCHAR NOT NULL, entity VARCHAR NOT NULL,
                       record_key VARCHAR, field VARCHAR, value VARCHAR, reason VARCHAR NOT NULL, hint VARCHAR,
                       record JSON, created_at TIMESTAMP NOT NULL)""")
        con.execute("INSERT INTO rejects VALUES ('r1', 'datev', 'bookings', 'k', 'f', 'v', 'why', 'do this', NULL, "
                    "now())")
        ensure_framework_tables(con)
        ensure_framework_tables(con)  # twice: the migration is done once
        columns = [r[0] for r in con.execute("DESCRIBE rejects").fetchall()]
        old = con.execute("SELECT fix, reason_code FROM current_rejects").fetchall()
    assert "hint" not in columns
    assert columns[-1] == "reason_code"
    assert old == [("do this", None)]  # kept, with no code: the rule was not recorded then


def test_a_record_map_set_aside_leaves_the_view_once_fixed_in_the_erp(workspace: Workspace,
                                                                      prepared: Prepared) -> None:
    ws = prepared.into(workspace, ("extract",), ("map",))
    key = str(ws.scalar("select record_key from current_rejects where reason_code = 'erp.country_code.not_iso_3166' "
                        "and entity = 'customers' order by 1 limit 1"))
    company, customer_no = key.split("/")
    others = ws.scalar("select count(*) from current_rejects where record_key <> ?", [key])

    _finished(ws, "map")  # nothing changed: the verdict stands
    assert ws.scalar("select count(*) from current_rejects where record_key = ?", [key]) == 1

    changed_at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    ws.erp("update customer set country_code = 'DK', updated_at = ? where customer_no = ? "
           "and company_id = (select company_id from company where company_code = ?)",
           [changed_at, customer_no, company])
    _finished(ws, "extract")
    _finished(ws, "map")

    assert ws.scalar("select count(*) from erp.customers where company_code = ? and customer_no = ?",
                     [company, customer_no]) == 1
    assert ws.scalar("select count(*) from current_rejects where record_key = ?", [key]) == 0
    assert ws.scalar("select count(*) from current_rejects where record_key <> ?", [key]) == others
    assert ws.scalar("select count(*) from rejects where record_key = ?", [key]) == 1  # the history keeps it
