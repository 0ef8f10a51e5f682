from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.uniconta.support import Telecom, serve_telecom
from tests.utils import Prepared, Workspace

PLANNED = (("extract",), ("map",), ("transform", "uniconta"))


#: what the Uniconta tests' ERP holds beside the demo ERP's Danish invoices (see `uniconta_erp`)
PLANTED = ("draft_early", "draft_last", "cancelled", "no_account")


def _plant(erp: Path) -> None:
    """The Danish company's Telecom X invoices as the tests need them: a draft in an early month and in the
    last, a cancelled one, and a customer whose Uniconta account is missing (the demo ERP at the tests' scale
    has none of these)."""
    with sqlite3.connect(erp) as con:
        rows = con.execute("""SELECT s.invoice_id, s.invoice_no, s.customer_id, substr(s.invoice_date, 1, 7)
                              FROM sales_invoice s JOIN company c ON c.company_id = s.company_id
                              JOIN external_reference t ON t.object_type = 'sales_invoice'
                               AND t.object_id = s.invoice_id AND t.system_code = 'telecomx'
                              WHERE c.country_code = 'DK' AND s.status = 'posted'
                              ORDER BY s.invoice_date, s.invoice_id""").fetchall()
        months = sorted({r[3] for r in rows})
        first_of = {m: next(r for r in rows if r[3] == m) for m in months}
        late = max(m for m in months if sum(1 for r in rows if r[3] == m) >= 2)
        con.execute("UPDATE sales_invoice SET status = 'draft' WHERE invoice_id IN (?, ?)",
                    (first_of[months[1]][0], first_of[late][0]))
        con.execute("UPDATE sales_invoice SET status = 'cancelled', cancelled_on = invoice_date WHERE invoice_id = ?",
                    (first_of[months[2]][0],))
        con.execute("DELETE FROM external_reference WHERE object_type = 'customer' AND system_code = 'uniconta' "
                    "AND object_id = ?", (first_of[months[3]][2],))


@pytest.fixture(scope="session")
def uniconta_prepared(tmp_path_factory: pytest.TempPathFactory, demo_erp_template: Path) -> Prepared:
    erp = tmp_path_factory.mktemp("uniconta_erp") / "demo_erp.sqlite"
    shutil.copyfile(demo_erp_template, erp)
    _plant(erp)
    return Prepared(tmp_path_factory, erp)


@pytest.fixture(scope="module")
def telecom_served() -> Iterator[Telecom]:
    with serve_telecom() as served:
        yield served


@pytest.fixture
def ws(tmp_path: Path, uniconta_prepared: Prepared, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A demo project on the planted ERP (`_plant`) after extract, map and transform uniconta."""
    erp = tmp_path / "demo_erp.sqlite"
    shutil.copyfile(uniconta_prepared.erp_template, erp)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ERPLOAD__DEMO_ERP", str(erp))
    monkeypatch.delenv("SOURCES__ERP__CREDENTIALS", raising=False)
    return uniconta_prepared.into(Workspace(root=tmp_path, erp_path=erp), *PLANNED)


@pytest.fixture
def telecom(telecom_served: Telecom, ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Telecom:
    # the invoice only Telecom X has goes into the last month with a draft (a month that is called)
    month = ws.scalar("select max(month) from uniconta.invoices where reason_code = 'draft'")
    telecom_served.seed(ws, monkeypatch, unknown_month=str(month))
    return telecom_served
