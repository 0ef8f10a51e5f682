"""Any canonical record becomes a valid DATEV line or a reject with a reason: never an exception, never a
line the checker refuses. Hypothesis writes the records; transform, export and checker are the real ones."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpload import canonical
from erpload.runs import Run
from erpload.staging import ensure_framework_tables
from erpload.transforms.datev.check import check_file
from erpload.transforms.datev.export import publish, run_export
from erpload.transforms.datev.transform import run_transform

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=70)
_number = st.text(st.sampled_from(list("AZaz09-/.# _,ÄłÜ$%&*+\"")), min_size=0, max_size=40)
_money = st.decimals(min_value=Decimal("-100000"), max_value=Decimal("99999999999"), places=2, allow_nan=False)

_line = st.fixed_dictionaries({
    "description": _text,
    "net_amount": _money,
    "tax_amount": st.sampled_from([Decimal("0.00"), Decimal("19.00")]),
    "account_no": st.sampled_from(["8400", "84000000", "840000", "9999", "84A0", ""]),
    "tax_code": st.sampled_from(["U19", "IGL0", "NOPE", None]),
    "cost_center_code": st.none() | _number,
    "cost_unit_code": st.none() | st.sampled_from(["KT1", "P25 001", "P25-001"]),
})

_invoice = st.fixed_dictionaries({
    "invoice_no": _number,
    "is_credit_note": st.booleans(),
    "customer_no": st.sampled_from(["10001", "1000001", "100000001", "7000", "10x01"]),
    "invoice_date": st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    "service_date": st.none() | st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    "currency_code": st.sampled_from(["EUR", "USD", "CHF"]),
    "exchange_rate": st.sampled_from([Decimal("1"), Decimal("1.076"), Decimal("0.000001"), Decimal("12345.678901"),
                                      Decimal("0")]),
    "header_text": st.none() | _text,
    "document_sha256": st.none() | st.just("ab" * 32),
    "lines": st.lists(_line, min_size=1, max_size=4),
    "total_delta": st.sampled_from([Decimal("0"), Decimal("0"), Decimal("0.01")]),
})


def _erp(con: duckdb.DuckDBPyConnection, account_length: int, fy_month: int, invoices: list[dict[str, Any]]) -> None:
    con.execute("CREATE SCHEMA erp")
    for ent in canonical.ENTITIES:
        con.execute(canonical.create_table_sql(ent, "erp"))

    def insert(table: str, **values: Any) -> None:
        values |= {"erp_id": "1", "updated_at": date(2026, 1, 1), "_row_hash": 0, "_run_id": "test"}
        cols = ", ".join(values)
        con.execute(f"INSERT INTO erp.{table} ({cols}) VALUES ({', '.join('?' * len(values))})", list(values.values()))

    insert("companies", company_code="1000", name="Test GmbH", country_code="DE", local_currency="EUR",
           datev_consultant_no=29098, datev_client_no=55003, fiscal_year_start_month=fy_month,
           chart_of_accounts="SKR03", gl_account_length=account_length, datev_lock_batches=False)
    for no in ("10001", "1000001", "100000001", "7000", "10x01"):
        insert("customers", company_code="1000", customer_no=no, name="Kunde Łódź 🚢"[: 8 + len(no) % 5],
               country_code="AT", vat_id="ATU12345678", is_deleted=False)
    for no in ("8400", "84000000", "840000", "9999", "84A0"):
        insert("gl_accounts", company_code="1000", account_no=no, name="Erlöse", account_class="revenue",
               is_blocked=False, is_deleted=False)
    insert("tax_codes", company_code="1000", tax_code="U19", name="USt 19", rate_percent=Decimal(19),
           direction="output", scope="domestic", datev_bu_key="3", is_deleted=False)
    insert("tax_codes", company_code="1000", tax_code="IGL0", name="igL", rate_percent=Decimal(0),
           direction="output", scope="eu", is_deleted=False)
    for i, inv in enumerate(invoices):
        lines = inv["lines"]
        gross = sum((ln["net_amount"] + ln["tax_amount"] for ln in lines), Decimal(0)) + inv["total_delta"]
        insert("sales_invoices", company_code="1000", invoice_no=f"{inv['invoice_no']}{i}",
               document_type_code="AR", is_credit_note=inv["is_credit_note"], customer_no=inv["customer_no"],
               invoice_date=inv["invoice_date"], service_date=inv["service_date"],
               due_date=inv["invoice_date"] + timedelta(days=30), currency_code=inv["currency_code"],
               exchange_rate=inv["exchange_rate"], total_net=gross, total_tax=Decimal(0), total_gross=gross,
               header_text=inv["header_text"], document_sha256=inv["document_sha256"], status="posted")
        for n, ln in enumerate(lines, 1):
            insert("sales_invoice_lines", company_code="1000", invoice_no=f"{inv['invoice_no']}{i}", line_no=n,
                   quantity=Decimal(1), unit_price=ln["net_amount"], **ln)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(account_length=st.integers(4, 8), fy_month=st.integers(1, 12),
       invoices=st.lists(_invoice, min_size=1, max_size=6))
def test_any_invoice_is_a_valid_line_or_a_reject(tmp_path: Path, account_length: int, fy_month: int,
                                                 invoices: list[dict[str, Any]]) -> None:
    con = duckdb.connect()
    ensure_framework_tables(con)
    _erp(con, account_length, fy_month, invoices)
    run = Run(command="transform datev", profile=None)
    run_transform(con, run)
    written = {r[0] for r in con.execute("SELECT DISTINCT document_no FROM datev.bookings").fetchall()}
    # record key: company/kind/document_no/line_no, and document numbers may hold '/'
    rejected = {r[0].split("/", 2)[2].rsplit("/", 1)[0] for r in con.execute(
        "SELECT record_key FROM rejects WHERE entity = 'bookings'").fetchall()}
    numbers = {f"{inv['invoice_no']}{i}" for i, inv in enumerate(invoices)}
    # an invoice of 0,00 lines only, whose total agrees, has nothing to book: a note, neither line nor reject
    nothing = {f"{inv['invoice_no']}{i}" for i, inv in enumerate(invoices)
               if not inv["total_delta"] and all(ln["net_amount"] == ln["tax_amount"] == 0 for ln in inv["lines"])}
    assert written | rejected == numbers - nothing
    if nothing - written - rejected:
        assert any("nothing to book" in note for note in run.notes)
    assert not written & rejected
    assert con.execute("SELECT count(*) FROM rejects WHERE reason IS NULL OR reason = '' "
                       "OR fix IS NULL").fetchone() == (0,)

    out = tmp_path / f"out-{account_length}-{fy_month}-{len(invoices)}"
    plan = run_export(con, Run(command="export datev", profile=None), out)
    publish(con, out)
    for exported in plan.files:
        report = check_file(out / exported.file)
        assert not report.errors, [(f.heading, f.value, f.message) for f in report.errors]
