"""A value a profile's cast cannot convert is a reject naming entity, key, column and value, never a failed map."""

from __future__ import annotations

from erpload.profiles import PROFILES_DIR
from tests.utils import Workspace

DEMO_TEXT = (PROFILES_DIR / "demo.toml").read_text(encoding="utf-8")
BAD_SERVICE_DATE = ("cast(case when i.invoice_id = 3 then 'soon' else cast(i.service_date as varchar) end as date) "
                    "as service_date")


def test_an_optional_column_that_does_not_convert_is_loaded_empty_and_reported(workspace: Workspace) -> None:
    text = DEMO_TEXT.replace("x.customer_no, i.invoice_date, i.service_date,",
                             f"x.customer_no, i.invoice_date, {BAD_SERVICE_DATE},", 1)
    assert text != DEMO_TEXT
    profile = workspace.root / "bad_dates.toml"
    profile.write_text(text.replace('name = "demo"', 'name = "bad_dates"', 1))
    assert workspace.cli("extract").finished

    result = workspace.cli("map", profile=str(profile))

    assert result.finished, result.output  # 5: the demo's planted faults are set aside too
    [(key, value, reason)] = workspace.query(
        "select record_key, value, reason from rejects where entity = 'sales_invoices' and field = 'service_date'")
    invoice_no = workspace.scalar("select invoice_no from erp.sales_invoices where erp_id = '3'")
    assert str(key).endswith(f"/{invoice_no}")
    assert value == "soon"
    assert "does not convert to DATE" in str(reason)
    assert "loaded with it empty" in str(reason)
    assert workspace.scalar("select service_date from erp.sales_invoices where erp_id = '3'") is None
    assert workspace.scalar("select count(*) from erp.sales_invoices where service_date is not null") > 0
    assert "with a value that does not convert" in result.output
