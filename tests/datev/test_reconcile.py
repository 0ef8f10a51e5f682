"""`erpload datev reconcile` and `erpload datev corrections` on the demo ERP, the way a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datev.test_export import BUILD, OUT, _build, _export, _exported_sales_invoice, _files, _now
from tests.utils import Prepared, Workspace


@pytest.fixture
def exported(workspace: Workspace, prepared: Prepared) -> Workspace:
    prepared.into(workspace, *BUILD)
    _export(workspace)
    return workspace


def test_exported_files_reconcile_with_the_erp(exported: Workspace) -> None:
    result = exported.cli("datev", "reconcile")
    assert result.finished, result.output
    assert "reconciled:" in result.output
    assert exported.scalar("select rejected from runs where command = 'datev reconcile'") == 0


def test_a_change_not_yet_exported_is_a_difference_naming_account_and_document(exported: Workspace) -> None:
    ws = exported
    invoice_no, month = _exported_sales_invoice(ws)
    ws.erp("update sales_invoice_line set net_amount = net_amount + 100, updated_at = ? where line_no = 1 and "
           "invoice_id = (select invoice_id from sales_invoice where invoice_no = ?)", [_now(), invoice_no])
    ws.erp("update sales_invoice set total_net = total_net + 100, total_gross = total_gross + 100, updated_at = ? "
           "where invoice_no = ?", [_now(), invoice_no])
    _build(ws)
    account = ws.scalar("select customer_no from erp.sales_invoices where invoice_no = ?", [invoice_no])
    result = ws.cli("datev", "reconcile", "--company", "1000")
    assert result.exit_code == 1, result.output
    assert "NOT reconciled" in result.output
    assert f"{invoice_no} (-100.00)" in result.output
    assert str(account) in result.output
    assert month in result.output
    # the export books the correction, and the books agree again
    assert "reconciled:" in _export(ws)
    assert ws.cli("datev", "reconcile").exit_code == 0


def test_numbers_with_slashes_held_back_or_reversed_reconcile(exported: Workspace) -> None:
    ws = exported
    invoice_no, _ = _exported_sales_invoice(ws)
    # renumbered in the ERP to a number DATEV refuses: the old number is gone, the new one held back
    ws.erp("update sales_invoice set invoice_no = ?, updated_at = ? where invoice_no = ?",
           [f"RE 2026/{invoice_no}#", _now(), invoice_no])
    _build(ws)
    assert ws.scalar("select count(*) from rejects where record_key like ?", [f"%/RE 2026/{invoice_no}#/%"])
    output = _export(ws)
    assert "0 changed in the ERP and booked again as they are now, 1 no longer booked" in output
    result = ws.cli("datev", "reconcile")
    assert result.finished, result.output


def test_a_file_changed_or_lost_after_export_fails_the_reconciliation(exported: Workspace) -> None:
    ws = exported
    first, second = _files(ws, "EXTF_Buchungsstapel_1000_*.csv")[:2]
    first.write_bytes(first.read_bytes().replace(b'"S"', b'"H"', 1))
    second.unlink()
    result = ws.cli("datev", "reconcile")
    assert result.exit_code == 1
    assert f"{first.name}: changed since it was written" in result.output
    assert f"{second.name}: listed in erpload.exports but missing" in result.output


def test_corrections_lists_what_was_reversed_and_rebooked(exported: Workspace) -> None:
    ws = exported
    assert "no corrections" in ws.cli("datev", "corrections", "--staging", str(ws.staging)).output
    invoice_no, _ = _exported_sales_invoice(ws)
    ws.erp("update sales_invoice set status = 'cancelled', cancelled_on = null, updated_at = ? where invoice_no = ?",
           [_now(), invoice_no])
    _build(ws)
    _export(ws)
    result = ws.cli("datev", "corrections", "--staging", str(ws.staging))
    assert result.finished
    assert f"sales_invoice/{invoice_no}" in result.output
    assert "not booked" in result.output
    reversed_in = Path(OUT) / str(ws.scalar("select file_name from datev_corrections"))
    assert (ws.root / reversed_in).exists()


def test_reconcile_before_any_export_says_what_to_do(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *BUILD)
    result = workspace.cli("datev", "reconcile")
    assert result.exit_code == 2
    assert "erpload export datev" in result.output


def test_reading_commands_without_a_staging_file_create_none(workspace: Workspace) -> None:
    for command in (("datev", "reconcile"), ("datev", "corrections")):
        result = workspace.cli(*command)
        assert result.exit_code == 2
        assert "there is no staging file" in result.output
    assert not workspace.staging.exists()
