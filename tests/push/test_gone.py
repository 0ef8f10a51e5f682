"""A record d.velop holds that is deleted in the ERP: d.velop keeps it (no delete in its API); reported once."""

from __future__ import annotations

from erpload.exit_codes import ExitCode
from tests.push.conftest import BUCKET, DvelopCase
from tests.utils import Prepared, Workspace


def _run(ws: Workspace, *args: str) -> int:
    result = ws.cli(*args)
    assert result.finished, result.output
    return result.exit_code


def test_a_vendor_deleted_in_the_erp_stays_at_dvelop_and_is_reported_once(workspace: Workspace, prepared: Prepared,
                                                                           dvelop: DvelopCase) -> None:
    ws = prepared.into(workspace, ("extract",), ("map",), ("transform", "dvelop"))
    _run(ws, "push", "dvelop")
    vendor_id, company, vendor_no = ws.erp(
        """select v.vendor_id, c.company_code, v.vendor_no from vendor v join company c using (company_id)
           where not exists (select 1 from purchase_invoice i where i.vendor_id = v.vendor_id)
             and not exists (select 1 from purchase_order o where o.vendor_id = v.vendor_id)
             and not exists (select 1 from goods_receipt g where g.vendor_id = v.vendor_id)
             and v.is_deleted = 0 order by v.vendor_id limit 1""")[0]
    key = f"{company}/{vendor_no}"
    assert ws.scalar("select count(*) from dvelop.vendors where _key = ?", [key]) == 1
    held = [r for r in dvelop.fake.records(BUCKET, "vendors") if str(r.get("id")) == str(vendor_no)]
    assert held

    ws.erp("delete from vendor_bank_account where vendor_id = ?", [vendor_id])
    ws.erp("delete from vendor where vendor_id = ?", [vendor_id])
    _run(ws, "extract", "--reload", "vendor", "--reload", "vendor_bank_account")
    _run(ws, "map")
    _run(ws, "transform", "dvelop")
    result = ws.cli("push", "dvelop")
    assert result.exit_code == ExitCode.DATA, result.output
    text = " ".join(result.output.split())
    assert "dvelop keeps them, erpload sends no deletes" in text
    reject = ws.query("select reason, fix from rejects where target = 'dvelop' and entity = 'vendors' "
                      "and record_key = ?", [key])
    assert len(reject) == 1
    assert "dvelop keeps it" in str(reject[0][0])
    assert "deactivate or delete it in dvelop by hand" in str(reject[0][1])
    assert ws.query("select reason_code from current_rejects where target = 'dvelop' and record_key = ?", [key]) == [
        ("push.gone",)]
    # d.velop still holds it: nothing was withdrawn
    assert [r for r in dvelop.fake.records(BUCKET, "vendors") if str(r.get("id")) == str(vendor_no)] == held

    # reported once
    assert _run(ws, "push", "dvelop") == ExitCode.OK
    assert ws.scalar("select count(*) from rejects where target = 'dvelop' and record_key = ?", [key]) == 1
