"""DATEV data rules on the real demo ERP: VAT ids check-digit validated, one main bank account per partner."""

from __future__ import annotations

from pathlib import Path

from erpload.transforms.datev.check import check_file
from erpload.transforms.datev.reader import read_extf, unquote
from erpload.transforms.datev.vat import vat_problem
from tests.utils import Workspace

_STAMP = "2026-11-30 10:00:00"


def _pipeline(ws: Workspace, *, export: bool = False) -> str:
    steps = [("extract",), ("map",), ("transform", "datev")]
    if export:
        steps.append(("export", "datev", "--out", "out"))
    output = ""
    for args in steps:
        result = ws.cli(*args)
        assert result.finished, result.output
        output += result.output
    return " ".join(output.split())


def _bad_check_digit(vat_id: str) -> str:
    """The VAT id with its last digit changed so that python-stdnum refuses it."""
    for digit in "0123456789":
        candidate = vat_id[:-1] + digit
        if candidate != vat_id and vat_problem(candidate):
            return candidate
    raise AssertionError(vat_id)


def test_two_primary_bank_accounts_give_one_main_bank_account_and_a_note(workspace: Workspace) -> None:
    vendor_id = workspace.erp("select vendor_id from vendor_bank_account where is_deleted = 0 "
                              "group by vendor_id having count(*) > 1 order by vendor_id limit 1")[0][0]
    workspace.erp("update vendor_bank_account set is_primary = 1 where vendor_id = ?", [vendor_id])
    vendor_no = str(workspace.erp("select vendor_no from vendor where vendor_id = ?", [vendor_id])[0][0])
    output = _pipeline(workspace, export=True)
    assert "vendors have more than one bank account marked primary in the ERP" in output
    files = sorted((workspace.root / "out").glob("EXTF_Debitoren_Kreditoren_*.csv"))
    assert files
    found = False
    for path in files:
        report = check_file(path)
        assert report.ok, [f for f in report.findings if f.severity == "error"][:3]
        extf = read_extf(Path(path).read_bytes())
        assert extf.heading is not None
        headings = [unquote(h) for h in extf.heading.fields]
        flags = [i for i, h in enumerate(headings) if h.startswith("Kennz. Hauptbankverb.")]
        for row in extf.rows:
            if unquote(row.fields[0]) == vendor_no:
                found = True
                assert [unquote(row.fields[i]) for i in flags].count("1") == 1
    assert found


def test_a_vat_id_with_a_wrong_check_digit_is_rejected_for_the_partner_and_its_eu_bookings(
        workspace: Workspace) -> None:
    _pipeline(workspace)
    row = workspace.query("select b.company_code, b.eu_vat_id from datev.bookings b where b.eu_vat_id like 'DE%' "
                          "or b.eu_vat_id like 'AT%' or b.eu_vat_id like 'FR%' or b.eu_vat_id like 'NL%' limit 1")
    assert row, "the demo books intra-EU lines with the partner's VAT id"
    company, vat_id = str(row[0][0]), str(row[0][1])
    bad = _bad_check_digit(vat_id)
    for table in ("customer", "vendor"):
        workspace.erp(f"update {table} set vat_id = ?, updated_at = ? where vat_id = ? and company_id = "
                      "(select company_id from company where company_code = ?)", [bad, _STAMP, vat_id, company])
    _pipeline(workspace)
    last = "(select run_id from rejects where target = 'datev' order by created_at desc limit 1)"
    partners = workspace.query(f"select reason, fix from rejects where target = 'datev' and entity = 'partners' "
                               f"and field = 'vat_id' and value = ? and run_id = {last}", [bad])
    assert partners
    assert all("check digit is wrong" in r and "VAT id in the ERP" in h for r, h in partners)
    bookings = workspace.query(f"select reason from rejects where target = 'datev' and entity = 'bookings' "
                               f"and field = 'eu_vat_id' and value = ? and run_id = {last}", [bad])
    assert bookings
    assert not workspace.scalar("select count(*) from datev.bookings where eu_vat_id = ?", [bad])
