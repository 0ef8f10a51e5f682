"""`erpload transform uniconta`: the plan a user reads before anything is sent. Every Telecom X invoice the ERP
knows gets a verdict; each one left out for a reason a bookkeeper can act on is a reject with its fix."""

from __future__ import annotations

import duckdb

from erpload.exit_codes import ExitCode
from tests.utils import Workspace


def verdicts(ws: Workspace) -> dict[str, tuple[str, str | None]]:
    return {str(k): (str(v), None if r is None else str(r)) for k, v, r in
            ws.query("select _key, verdict, reason_code from uniconta.invoices")}


def test_every_telecom_x_invoice_of_the_erp_has_a_verdict_and_each_left_out_one_a_reject(ws: Workspace) -> None:
    erp = {str(r[0]).lower(): str(r[1]) for r in ws.query(
        "select telecomx_invoice_id, status from erp.sales_invoices s join erp.companies c using (company_code) "
        "where c.telecomx_reseller_id is not null and s.telecomx_invoice_id is not null")}
    plan = verdicts(ws)
    assert set(plan) == set(erp)
    reasons = {r for _, r in plan.values()}
    assert {"draft", "cancelled", "no_account"} <= reasons  # what the tests' ERP plants (conftest._plant)
    for key, (verdict, reason) in plan.items():
        if erp[key] != "posted":
            assert (verdict, reason) == ("omit", erp[key])
    rejects = {str(k): (str(f), str(h)) for k, f, h in ws.query(
        "select record_key, field, fix from erpload.rejects where target = 'uniconta'")}
    assert set(rejects) == {k for k, (v, _) in plan.items() if v != "export"}
    no_account = next(k for k, (_, r) in plan.items() if r == "no_account")
    assert rejects[no_account][0] == "customer_no"
    assert "Uniconta debtor account" in rejects[no_account][1]
    # the months: one row per month with the omitted ids listed for the call
    month_of = {str(k): m for k, m in ws.query("select _key, month from uniconta.invoices")}
    for month, to_omit, omit_ids, to_export in ws.query(
            "select month, to_omit, invoices_to_omit, to_export from uniconta.months"):
        assert len(omit_ids) == to_omit  # type: ignore[arg-type]
        assert to_export == sum(1 for k, (v, _) in plan.items() if v == "export" and month_of[k] == month)


def test_an_invoice_id_erpload_cannot_name_holds_its_month_and_a_shared_id_is_left_out(ws: Workspace) -> None:
    rows = ws.query("select invoice_no, telecomx_invoice_id, strftime(invoice_date, '%Y-%m') from erp.sales_invoices "
                    "where telecomx_invoice_id is not null and status = 'posted' order by invoice_date limit 3")
    (bad_no, _, bad_month), (first_no, shared, _), (second_no, _, _) = rows
    with duckdb.connect(str(ws.staging)) as con:  # as a profile with a broken mapping would write erp
        con.execute("update erp.sales_invoices set telecomx_invoice_id = 'TX-42' where invoice_no = ?", [bad_no])
        con.execute("update erp.sales_invoices set telecomx_invoice_id = ? where invoice_no = ?", [shared, second_no])
    result = ws.cli("transform", "uniconta")
    assert result.exit_code == ExitCode.DATA, result.output
    assert ws.scalar("select state from uniconta.months where month = ?", [bad_month]) == "held"
    assert ws.scalar("select verdict from uniconta.invoices where _key = 'tx-42'") == "hold"
    assert ws.scalar("select count(*) from uniconta.invoices where _key = ? and reason_code = 'duplicate_id'",
                     [str(shared).lower()]) == 2
    assert "month(s) held" in " ".join(result.output.split())
    assert ws.scalar("select count(*) from erpload.rejects where target = 'uniconta' and field = 'telecomx_invoice_id' "
                     "and run_id = (select max(run_id) from erpload.rejects)") == 3
    assert first_no != second_no
