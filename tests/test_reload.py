"""Rows deleted in the ERP, `erpload extract --reload`, and load packages left behind: real SQLite ERP, real DuckDB,
real dlt CLI and real killed subprocesses."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from erpload.exit_codes import ExitCode
from erpload.load_packages import data_files
from tests.utils import Prepared, Workspace

BIN = Path(sys.executable).parent
PIPELINES = Path(".erpload/erpload.duckdb/pipelines")


def _ok(ws: Workspace, *args: str) -> str:
    result = ws.cli(*args)
    assert result.finished, result.output
    assert "Traceback" not in _text(result.output)
    return _text(result.output)


def _text(output: str) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(output.split())


def _lone_vendor(ws: Workspace) -> int:
    """A vendor no document refers to (only its bank accounts do)."""
    rows = ws.erp("""select vendor_id from vendor v where not exists (select 1 from purchase_invoice i
                     where i.vendor_id = v.vendor_id) and not exists (select 1 from purchase_order o
                     where o.vendor_id = v.vendor_id) and not exists (select 1 from goods_receipt g
                     where g.vendor_id = v.vendor_id) order by vendor_id limit 1""")
    assert rows, "the demo ERP has a vendor without documents"
    return int(rows[0][0])  # type: ignore[call-overload]


def test_a_deleted_row_stays_until_its_table_is_reloaded_then_leaves_erp_raw_and_erp(workspace: Workspace) -> None:
    ws = workspace
    _ok(ws, "extract")
    _ok(ws, "map")
    vendor_id = _lone_vendor(ws)
    accounts = ws.erp("select count(*) from vendor_bank_account where vendor_id = ?", [vendor_id])[0][0]
    ws.erp("delete from vendor_bank_account where vendor_id = ?", [vendor_id])
    ws.erp("delete from vendor where vendor_id = ?", [vendor_id])

    # a cursor never sees a deletion: a plain extract keeps the row (documented in the README)
    _ok(ws, "extract")
    assert ws.scalar("select count(*) from erp_raw.vendor where vendor_id = ?", [vendor_id]) == 1

    output = _ok(ws, "extract", "--reload", "vendor", "--reload", "vendor_bank_account")
    assert ws.scalar("select count(*) from erp_raw.vendor where vendor_id = ?", [vendor_id]) == 0
    assert ws.scalar("select count(*) from erp_raw.vendor") == ws.erp("select count(*) from vendor")[0][0]
    loaded, _, _, deleted = ws.run_results("extract")["erp_raw.vendor"]
    assert (loaded, deleted) == (ws.erp("select count(*) from vendor")[0][0], 1)
    assert ws.run_results("extract")["erp_raw.vendor_bank_account"][3] == accounts
    assert f"reloaded in full: erp_raw.vendor (1 vanished), erp_raw.vendor_bank_account ({accounts} vanished)" \
        in output
    # the other tables stayed incremental: nothing changed there, nothing was read
    assert ws.run_results("extract")["erp_raw.customer"][0] == 0

    assert ws.scalar("select count(*) from erp.vendors where erp_id = ?", [str(vendor_id)]) == 1
    output = _ok(ws, "map")
    assert ws.scalar("select count(*) from erp.vendors where erp_id = ?", [str(vendor_id)]) == 0
    assert ws.run_results("map")["erp.vendors"][3] == 1
    assert ws.run_results("map")["erp.vendor_bank_accounts"][3] == accounts
    assert "erp.vendors was evaluated in full: erp_raw.vendor was reloaded" in output
    # once mapped, a reload is done with: the next map is incremental again
    assert "was reloaded" not in _ok(ws, "map")


def test_reload_by_erp_raw_name_and_all(workspace: Workspace) -> None:
    ws = workspace
    _ok(ws, "extract")
    ws.erp("delete from employee where employee_id = (select min(employee_id) from employee)")
    _ok(ws, "extract", "--reload", "employee", "--reload", "employee")
    assert ws.run_results("extract")["erp_raw.employee"][3] == 1

    output = _ok(ws, "extract", "--reload", "all")
    results = ws.run_results("extract")
    tables = [str(r[0]) for r in ws.erp("select name from sqlite_master where type = 'table'")]
    for table, (loaded, unchanged, _, deleted) in results.items():
        erp_table = table.removeprefix("erp_raw.")
        assert erp_table in tables
        assert (loaded, unchanged, deleted) == (ws.erp(f"select count(*) from {erp_table}")[0][0], 0, 0), table
    assert ws.scalar("select count(*) from extract_reloads where done_at is null") == 0
    assert "reloaded in full: erp_raw.company" in output


def test_reload_of_a_table_the_profile_does_not_have_is_a_config_error(workspace: Workspace) -> None:
    result = workspace.cli("extract", "--reload", "vendors_typo")
    assert result.exit_code == ExitCode.CONFIG
    assert "--reload vendors_typo: profile 'demo' extracts no such table" in _text(result.output)
    assert "vendor, vendor_bank_account" in _text(result.output)
    assert "Traceback" not in _text(result.output)


def test_the_old_dlt_cli_drop_leaves_a_package_the_next_extract_drops_with_a_note(workspace: Workspace) -> None:
    ws = workspace
    _ok(ws, "extract")
    staged = ws.scalar("select count(*) from erp_raw.vendor")
    # the README's old procedure, answered on a terminal as a user would
    primary, secondary = pty.openpty()
    drop = subprocess.Popen([str(BIN / "dlt"), "pipeline", "--pipelines-dir", str(PIPELINES), "erpload_extract",
                             "drop", "vendor"], stdin=secondary, stdout=secondary, stderr=secondary, cwd=ws.root)
    os.close(secondary)
    os.write(primary, b"y\n")
    assert drop.wait(timeout=120) == 0
    os.close(primary)
    leftovers = list((ws.root / PIPELINES / "erpload_extract" / "load" / "normalized").iterdir())
    assert leftovers, "dlt's CLI drop leaves its package pending"
    assert (ws.root / "erpload_extract.duckdb").exists()

    result = ws.cli("extract")
    assert result.exit_code in (ExitCode.OK, ExitCode.DATA), result.output
    assert "Traceback" not in result.output
    assert "bug in erpload" not in result.output
    assert "meant to drop vendor) was dropped" in _text(result.output)
    assert "erpload extract --reload vendor" in _text(result.output)
    assert "erpload_extract.duckdb" in _text(result.output)
    assert ws.scalar("select count(*) from erp_raw.vendor") == staged
    # and from then on extracts are plain again
    assert "was dropped" not in _ok(ws, "extract")


def test_an_extract_killed_while_loading_leaves_a_package_the_next_extract_drops(workspace: Workspace) -> None:
    ws = workspace
    _ok(ws, "extract")
    ws.erp("delete from employee where employee_id = (select min(employee_id) from employee)")
    pending = [ws.root / PIPELINES / "erpload_extract" / p for p in ("normalize/extracted", "load/normalized")]
    env = {**os.environ, "ERPLOAD__DEMO_ERP": str(ws.erp_path)}
    extract = subprocess.Popen([str(BIN / "erpload"), "extract", "--quiet", "--staging", str(ws.staging),
                                "--erp-url", ws.erp_url, "--reload", "all"],
                               cwd=ws.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any(p.is_dir() and any(p.iterdir()) for p in pending):
        assert extract.poll() is None, "the extract ended before its package was seen"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    extract.send_signal(signal.SIGKILL)
    extract.wait()

    result = ws.cli("extract")
    assert result.exit_code in (ExitCode.OK, ExitCode.DATA), result.output
    assert "Traceback" not in _text(result.output)
    assert ") was dropped: an interrupted run" in _text(result.output)
    # the reload the killed extract began is done by this one: the deleted employee is gone
    assert "reloaded again, because the extract that began reloading was stopped" in _text(result.output)
    assert ws.scalar("select count(*) from extract_reloads where done_at is null") == 0
    for table in ("vendor", "journal_line", "employee"):
        assert ws.scalar(f"select count(*) from erp_raw.{table}") == ws.erp(f"select count(*) from {table}")[0][0]
    assert not data_files(ws.root / PIPELINES)


@pytest.fixture
def exported(workspace: Workspace, prepared: Prepared) -> Workspace:
    prepared.into(workspace, ("extract",), ("map",), ("transform", "datev"))
    _ok(workspace, "export", "datev", "--out", "out")
    return workspace


def test_a_deleted_exported_invoice_is_reversed_by_the_next_export_after_a_reload(exported: Workspace) -> None:
    ws = exported
    row = ws.query("""select s.invoice_no, strftime(e.period_start, '%Y-%m') from datev_exported e
                      join erp.sales_invoices s on e.record_key = 'sales_invoice/' || s.invoice_no
                       and s.company_code = e.company_code
                      where e.company_code = '1000' and s.status = 'posted' and s.cancelled_on is null
                      order by e.record_key limit 1""")[0]
    invoice_no, month = str(row[0]), str(row[1])
    ws.erp("delete from sales_invoice_line where invoice_id = (select invoice_id from sales_invoice "
           "where invoice_no = ?)", [invoice_no])
    ws.erp("delete from sales_invoice where invoice_no = ?", [invoice_no])

    _ok(ws, "extract", "--reload", "sales_invoice", "--reload", "sales_invoice_line")
    _ok(ws, "map")
    assert ws.scalar("select count(*) from erp.sales_invoices where invoice_no = ?", [invoice_no]) == 0
    _ok(ws, "transform", "datev")
    output = _ok(ws, "export", "datev", "--out", "out")
    assert "1 no longer booked in the ERP" in output
    assert ws.query("select record_key, action from datev_corrections") == [
        (f"sales_invoice/{invoice_no}", "reversed")]
    from erpload.transforms.datev.reader import read_extf

    latest = sorted((ws.root / "out").glob(f"EXTF_Buchungsstapel_1000_{month}_*.csv"))[-1]
    rows = [line.values for line in read_extf(latest.read_bytes()).rows if line.values[10] == invoice_no]
    assert rows
    assert {v[117] for v in rows} == {"1"}


def test_no_load_package_data_is_left_after_extract(workspace: Workspace) -> None:
    ws = workspace
    _ok(ws, "extract")
    _ok(ws, "extract", "--reload", "employee")
    assert (ws.root / PIPELINES / "erpload_extract").is_dir()
    assert data_files(ws.root / PIPELINES) == []
    # the merge staging dataset is emptied too: the staging file holds each row once
    assert ws.scalar("select count(*) from erp_raw_staging.employee") == 0


def test_a_partner_deleted_after_its_export_is_reported_once_as_kept_by_datev(exported: Workspace) -> None:
    ws = exported
    rows = ws.query("""select e.record_key, c.erp_id from datev_exported e join erp.customers c
                       on c.company_code = e.company_code and e.record_key like '%/' || c.customer_no
                       where e.category = 16 and e.company_code = '1000' and not exists (
                           select 1 from erp.sales_invoices i
                           where i.company_code = c.company_code and i.customer_no = c.customer_no)
                       order by e.record_key limit 1""")
    assert rows, "the demo ERP has an exported customer without invoices"
    record_key, customer_id = rows[0]
    key = f"1000/{record_key}"
    ws.erp("create table saved_customer as select * from customer where customer_id = ?", [customer_id])
    ws.erp("delete from customer where customer_id = ?", [customer_id])
    _ok(ws, "extract", "--reload", "customer")
    _ok(ws, "map")
    _ok(ws, "transform", "datev")
    result = ws.cli("export", "datev", "--out", "out")
    assert result.exit_code == ExitCode.DATA, result.output
    assert "1 Debitoren_Kreditoren records exported before are gone from the ERP" in _text(result.output)
    reject = ws.query("select entity, reason, fix from rejects where record_key = ?", [key])
    assert len(reject) == 1
    assert reject[0][0] == "partners"
    assert "DATEV keeps it" in str(reject[0][1])
    assert "lock or delete it in DATEV by hand" in str(reject[0][2])
    # reported once: the next export says nothing more about it, and it stays a current reject
    _ok(ws, "export", "datev", "--out", "out")
    assert ws.scalar("select count(*) from rejects where record_key = ?", [key]) == 1
    assert ws.scalar("select count(*) from current_rejects where record_key = ?", [key]) == 1

    # back in the ERP: written again, and no longer a current reject
    ws.erp("insert into customer select * from saved_customer")
    ws.erp("update customer set updated_at = ? where customer_id = ?",
           [datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), customer_id])
    for command in (("extract",), ("map",), ("transform", "datev"), ("export", "datev", "--out", "out")):
        _ok(ws, *command)
    assert ws.scalar("select action from datev_exported where company_code = '1000' and record_key = ? "
                     "order by exported_at desc limit 1", [record_key]) == "booked"
    assert ws.scalar("select count(*) from current_rejects where record_key = ?", [key]) == 0
