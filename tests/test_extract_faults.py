"""Bad ERP data never stops extract and is never dropped silently: each fault is loaded as far as it can
be, listed in erpload.rejects with the table, key, column, value and fix, and the run ends with 5."""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from erpload.exit_codes import ExitCode
from tests.utils import Prepared, Workspace


def _now_in_erp(minutes_ago: int = 5) -> str:
    """A cursor value just before now, as the demo ERP writes them (UTC)."""
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%d %H:%M:%S.%f")


def _extract_rejects(ws: Workspace) -> list[tuple[object, ...]]:
    """This staging file's extract rejects: (ERP table, record key, column, value, reason, fix)."""
    return ws.query("select entity, record_key, field, value, reason, fix from rejects where target = 'erp_raw' "
                    "and run_id = (select arg_max(run_id, finished_at) from runs where command = 'extract') "
                    "order by all")


def _current(ws: Workspace) -> list[tuple[object, ...]]:
    """What `current_rejects` holds of extract: (ERP table, record key, reason code)."""
    return ws.query("select entity, record_key, reason_code from current_rejects where target = 'erp_raw' "
                    "order by all")


def _stored_cursor(ws: Workspace, table: str) -> str:
    return str(ws.scalar("select cursor from runs where command = 'extract' and table_name = ? "
                         "order by finished_at desc limit 1", [f"erp_raw.{table}"]))


def _allow_null(ws: Workspace, table: str, column: str) -> None:
    """Rebuild an ERP table with `column` nullable (SQLite cannot drop NOT NULL in place)."""
    with sqlite3.connect(ws.erp_path) as con:
        ddl = con.execute("select sql from sqlite_master where name = ?", [table]).fetchone()[0]
        relaxed = re.sub(rf"({column}\s+\w+)\s+NOT NULL", r"\1", ddl).replace(f"CREATE TABLE {table}",
                                                                             f"CREATE TABLE {table}_new", 1)
        assert relaxed != ddl
        con.executescript(f"PRAGMA foreign_keys = OFF; BEGIN; {relaxed}; INSERT INTO {table}_new SELECT * FROM {table};"
                          f" DROP TABLE {table}; ALTER TABLE {table}_new RENAME TO {table}; COMMIT;")


def test_a_clean_erp_ends_with_0_and_no_rejects(workspace: Workspace) -> None:
    result = workspace.cli("extract")
    assert result.exit_code == ExitCode.OK, result.output
    assert _extract_rejects(workspace) == []


def test_a_future_cursor_is_loaded_reported_and_never_stops_the_table(workspace: Workspace, prepared: Prepared) -> None:
    ws = prepared.into(workspace, ("extract",))
    assert _extract_rejects(ws) == []  # the first extract was clean (exit 0)
    cursor_before = _stored_cursor(ws, "customer")
    ws.erp("update customer set name = 'Typo GmbH', updated_at = '2062-03-01 10:00:00.000000' where customer_id = 5")

    result = ws.cli("extract")

    assert result.exit_code == ExitCode.DATA, result.output
    assert ws.scalar("select name from erp_raw.customer where customer_id = 5") == "Typo GmbH"
    [(table, key, column, value, reason, fix)] = _extract_rejects(ws)
    assert (table, key, column, value) == ("customer", "5", "updated_at", "2062-03-01 10:00:00")
    assert "in the future" in str(reason)
    assert "correct updated_at" in str(fix)
    assert ws.run_results("extract")["erp_raw.customer"][2] == 1
    assert "2062" not in _stored_cursor(ws, "customer")
    assert _stored_cursor(ws, "customer") == cursor_before
    assert "2062" in result.output  # the summary's note

    # the table keeps loading incrementally: a later change to another row arrives
    ws.erp("update customer set name = 'Later GmbH', updated_at = ? where customer_id = 6", [_now_in_erp()])
    result = ws.cli("extract")
    assert result.exit_code == ExitCode.DATA, result.output  # the future row is reported until it is fixed
    assert ws.scalar("select name from erp_raw.customer where customer_id = 6") == "Later GmbH"
    assert [r[1] for r in _extract_rejects(ws)] == ["5"]
    assert ws.scalar("select count(*) from erp_raw.customer where customer_id in (5, 6)") == 2

    assert _current(ws) == [("customer", "5", "erp_raw.cursor.in_future")]  # two runs' rejects, one verdict

    # fixed in the ERP: reported no more, and the cursor follows the corrected value
    ws.erp("update customer set updated_at = ? where customer_id = 5", [_now_in_erp(1)])
    assert ws.cli("extract").exit_code == ExitCode.OK
    assert _current(ws) == []
    assert ws.scalar("select count(*) from rejects where target = 'erp_raw' and record_key = '5'") == 2  # history
    assert ws.scalar("select count(*) from erp_raw.customer where year(updated_at) = 2062") == 0
    # and the unchanged-table shortcut is back: a run without changes reads nothing
    assert ws.cli("extract").exit_code == ExitCode.OK
    assert sum(r[0] for r in ws.run_results("extract").values()) == 0


def test_a_missing_cursor_value_is_loaded_and_reported(workspace: Workspace) -> None:
    ws = workspace
    _allow_null(ws, "customer", "updated_at")
    ws.erp("update customer set name = 'No Time AG', updated_at = NULL where customer_id = 3")

    result = ws.cli("extract")

    assert result.exit_code == ExitCode.DATA, result.output
    assert ws.scalar("select name from erp_raw.customer where customer_id = 3") == "No Time AG"
    assert ws.scalar("select count(*) from erp_raw.customer") == ws.erp("select count(*) from customer")[0][0]
    [(table, key, column, value, reason, _)] = _extract_rejects(ws)
    assert (table, key, column, value) == ("customer", "3", "updated_at", None)
    assert "no updated_at" in str(reason)

    # the table keeps loading incrementally; the row without a cursor is read (and its change seen) each run
    ws.erp("update customer set name = 'Later GmbH', updated_at = ? where customer_id = 6", [_now_in_erp()])
    ws.erp("update customer set name = 'Still No Time AG' where customer_id = 3")
    assert ws.cli("extract").exit_code == ExitCode.DATA
    assert ws.scalar("select name from erp_raw.customer where customer_id = 6") == "Later GmbH"
    assert ws.scalar("select name from erp_raw.customer where customer_id = 3") == "Still No Time AG"


BAD_VALUES = [
    # (ERP table, key column, column, stored value, how SQLite stores it back as text)
    pytest.param("customer", "customer_id", "credit_limit", "thirty", "thirty", id="text-in-numeric"),
    pytest.param("customer", "customer_id", "is_deleted", "yes", "yes", id="text-in-integer"),
    pytest.param("customer", "customer_id", "is_vip", "yes", "yes", id="text-in-boolean"),
    pytest.param("customer", "customer_id", "is_vip", 2, "2", id="two-in-boolean"),
    pytest.param("sales_invoice", "invoice_id", "due_date", "0000-00-00", "0000-00-00", id="zero-date"),
    pytest.param("sales_invoice", "invoice_id", "service_date", "2025-02-30", "2025-02-30", id="impossible-date"),
    pytest.param("customer", "customer_id", "created_at", "2025-02-30 10:00:00", "2025-02-30 10:00:00",
                 id="impossible-timestamp"),
    pytest.param("sales_invoice", "invoice_id", "total_net", 12345678901234567.5, "12345678901234568",
                 id="beyond-numeric-18-2"),
]


@pytest.mark.parametrize(("table", "key", "column", "value", "as_text"), BAD_VALUES)
def test_a_value_that_does_not_convert_is_a_reject_and_the_rest_loads(
        workspace: Workspace, table: str, key: str, column: str, value: object, as_text: str) -> None:
    ws = workspace
    ws.erp("alter table customer add column is_vip BOOLEAN")  # the demo ERP keeps flags in INTEGER columns
    ws.erp("update customer set is_vip = 0")
    ws.erp(f"update {table} set {column} = ? where {key} = 3", [value])

    result = ws.cli("extract")

    assert result.exit_code == ExitCode.DATA, result.output
    [(entity, record_key, field, stored, reason, fix)] = _extract_rejects(ws)
    assert (entity, record_key, field, stored) == (table, "3", column, as_text)
    assert as_text in str(reason)
    assert f"correct {column}" in str(fix)
    assert ws.scalar(f"select {column} from erp_raw.{table} where {key} = 3") is None
    for other in (table, "journal_line", "customer"):  # the rest of the table and every other table
        assert ws.scalar(f"select count(*) from erp_raw.{other}") == ws.erp(f"select count(*) from {other}")[0][0]
    assert ws.run_results("extract")[f"erp_raw.{table}"][2] == 1
    assert f"erp_raw.{table}.{column}" in result.output  # the summary's note


def test_a_value_corrected_in_the_erp_leaves_the_current_rejects(workspace: Workspace, prepared: Prepared) -> None:
    ws = prepared.into(workspace, ("extract",))
    for customer_id, minutes_ago in ((3, 3), (4, 10)):
        ws.erp("update customer set credit_limit = 'thirty', updated_at = ? where customer_id = ?",
               [_now_in_erp(minutes_ago), customer_id])
    assert ws.cli("extract").exit_code == ExitCode.DATA
    assert _current(ws) == [("customer", "3", "erp_raw.value_not_converted"),
                            ("customer", "4", "erp_raw.value_not_converted")]

    ws.erp("update customer set credit_limit = 30000, updated_at = ? where customer_id = 3", [_now_in_erp(1)])
    result = ws.cli("extract")

    assert result.exit_code == ExitCode.OK, result.output  # row 4 is behind the cursor: not read again
    assert ws.scalar("select credit_limit from erp_raw.customer where customer_id = 3") == 30000
    assert _current(ws) == [("customer", "4", "erp_raw.value_not_converted")]  # still wrong, still shown


def test_a_bad_value_in_a_not_null_column_of_an_older_staging_file_loads(workspace: Workspace,
                                                                        prepared: Prepared) -> None:
    ws = prepared.into(workspace, ("extract",))
    assert _extract_rejects(ws) == []  # the first extract was clean (exit 0)
    # staging files written before erpload read bad values as NULL declare the ERP's NOT NULL columns so
    with __import__("duckdb").connect(str(ws.staging)) as con:
        for schema in ("erp_raw", "erp_raw_staging"):
            con.execute(f"alter table {schema}.customer alter column created_at set not null")
    ws.erp("update customer set created_at = '2025-02-31 08:00:00', updated_at = ? where customer_id = 4",
           [_now_in_erp()])

    result = ws.cli("extract")

    assert result.exit_code == ExitCode.DATA, result.output
    assert ws.scalar("select created_at from erp_raw.customer where customer_id = 4") is None
    assert [r[:3] for r in _extract_rejects(ws)] == [("customer", "4", "created_at")]


def test_a_value_dlt_cannot_read_names_table_and_column_not_staging(workspace: Workspace, tmp_path: object) -> None:
    ws = workspace
    # a key column is read as stored (a row without its key cannot be merged): the extract stops, naming it
    ws.erp("create table odd (k INTEGER, label VARCHAR(10), updated_at TIMESTAMP, PRIMARY KEY (k, label))")
    ws.erp("insert into odd values (1, 'a', '2026-01-01 00:00:00'), ('x', 'b', '2026-01-01 00:00:00')")
    profile = ws.root / "odd.toml"
    profile.write_text('name = "odd"\n[tables.odd]\nprimary_key = ["k", "label"]\ncursor = "updated_at"\n')

    result = ws.cli("extract", profile=str(profile))

    assert result.exit_code == ExitCode.SOURCE, result.output
    assert "ERP table odd, column k" in result.output
    assert "staging file" not in result.output.split("fix:")[0]


def test_a_cursor_that_is_no_time_is_loaded_and_reported_on_every_run(workspace: Workspace, prepared: Prepared) -> None:
    ws = prepared.into(workspace, ("extract",))
    assert _extract_rejects(ws) == []  # the first extract was clean (exit 0)
    ws.erp("update customer set name = 'Soon GmbH', updated_at = 'soon' where customer_id = 7")

    for _ in range(2):  # the text sorts after every timestamp: the row is in every window until fixed
        result = ws.cli("extract")
        assert result.exit_code == ExitCode.DATA, result.output
        assert [r[:4] for r in _extract_rejects(ws)] == [("customer", "7", "updated_at", "soon")]
        assert ws.scalar("select name from erp_raw.customer where customer_id = 7") == "Soon GmbH"


def test_a_future_cursor_restored_with_lost_local_state_is_set_back_too(workspace: Workspace) -> None:
    ws = workspace
    ws.erp("update customer set updated_at = '2062-03-01 10:00:00.000000' where customer_id = 5")
    assert ws.cli("extract").exit_code == ExitCode.DATA
    assert ws.cli("extract").exit_code == ExitCode.DATA  # staging's copy of dlt's state now holds 2062

    # the local state is lost: dlt restores the copy in staging, whose cursor is the untrusted 2062
    shutil.rmtree(ws.root / ".erpload")
    ws.erp("update customer set name = 'Later GmbH', updated_at = ? where customer_id = 6", [_now_in_erp()])
    result = ws.cli("extract")

    assert result.exit_code == ExitCode.DATA, result.output
    assert ws.scalar("select name from erp_raw.customer where customer_id = 6") == "Later GmbH"
    assert "2062" not in _stored_cursor(ws, "customer")
