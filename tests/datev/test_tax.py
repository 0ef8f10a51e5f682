"""Tax in the Buchungsstapel: BU keys, tax amounts, automatic accounts and 0,00 lines, on the demo ERP.

One build of the demo ERP; then clean documents (those the first transform kept) get one tax fault each,
planted in the canonical `erp` dataset, and `transform datev` runs again. Every case is a document of its
own, so each assertion reads that document's fate only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from erpload.sources.demo_erp.charts import tax_codes
from erpload.transforms.datev.reader import read_extf
from erpload.transforms.datev.spec import BOOKINGS
from erpload.transforms.datev.tax import BU_KEYS
from tests.utils import Workspace, shared_workspace

Line = tuple[str, str, str, int]  # company, kind, document, line


@dataclass
class Planted:
    ws: Workspace
    output: str
    cases: dict[str, Line] = field(default_factory=dict)

    def rejects(self, case: str) -> list[tuple[str, str, str]]:
        """(field, reason, value) of every reject of the case's document in the last transform."""
        company, kind, doc, _ = self.cases[case]
        return [(str(f), str(r), str(v)) for f, r, v in self.ws.query(
            """select field, reason, value from rejects where target = 'datev' and entity = 'bookings'
               and run_id = (select arg_max(run_id, finished_at) from runs where command = 'transform datev')
               and record_key like ? order by all""", [f"{company}/{kind}/{doc}/%"])]

    def booked(self, case: str) -> list[tuple[int, str | None]]:
        company, kind, doc, _ = self.cases[case]
        return [(int(str(n)), None if k is None else str(k)) for n, k in self.ws.query(
            "select line_no, bu_key from datev.bookings where company_code = ? and document_kind = ? "
            "and document_no = ? order by line_no", [company, kind, doc])]


def _pick(con: duckdb.DuckDBPyConnection, used: set[tuple[str, str]], kind: str, where: str) -> Line:
    """A line of a document the first transform kept, not used by another case, meeting `where` (over the
    line `l`, its account `g` and the document's company)."""
    table = f"erp.{kind}_lines"
    rows = con.execute(f"""
        select b.company_code, b.document_no, b.line_no from datev.bookings b
        join {table} l on l.company_code = b.company_code and l.invoice_no = b.document_no and l.line_no = b.line_no
        left join erp.gl_accounts g on g.company_code = l.company_code and g.account_no = l.account_no
        where b.document_kind = '{kind}' and {where} order by all""").fetchall()
    for company, doc, line in rows:
        if (company, doc) not in used:
            used.add((company, doc))
            return str(company), kind, str(doc), int(line)
    raise AssertionError(f"the demo has no clean {kind} line with {where}")


def _set_line(con: duckdb.DuckDBPyConnection, line: Line, **values: object) -> None:
    """Change a canonical invoice line and move the document's totals along, so only the tax is wrong."""
    company, kind, doc, line_no = line
    sets = ", ".join(f"{k} = ?" for k in values)
    before = con.execute(f"select net_amount + tax_amount from erp.{kind}_lines where company_code = ? "
                         "and invoice_no = ? and line_no = ?", [company, doc, line_no]).fetchone()
    con.execute(f"update erp.{kind}_lines set {sets} where company_code = ? and invoice_no = ? and line_no = ?",
                [*values.values(), company, doc, line_no])
    after = con.execute(f"select net_amount + tax_amount from erp.{kind}_lines where company_code = ? "
                        "and invoice_no = ? and line_no = ?", [company, doc, line_no]).fetchone()
    assert before
    assert after
    con.execute(f"update erp.{kind}s set total_gross = total_gross + ? where company_code = ? and invoice_no = ?",
                [after[0] - before[0], company, doc])


def _plain_account(con: duckdb.DuckDBPyConnection, company: str) -> str:
    """An expense account of `company` that is no automatic account."""
    row = con.execute("select min(account_no) from erp.gl_accounts where company_code = ? and account_class = "
                      "'expense' and auto_tax_code is null and not is_blocked and not is_deleted", [company]).fetchone()
    assert row
    assert row[0]
    return str(row[0])


def _plant(con: duckdb.DuckDBPyConnection) -> dict[str, Line]:
    used: set[tuple[str, str]] = set()
    purchase, sales = "purchase_invoice", "sales_invoice"
    taxed_plain = "l.tax_code = 'V19' and l.tax_amount <> 0 and g.auto_tax_code is null"
    cases: dict[str, Line] = {}

    cases["no_code"] = _pick(con, used, purchase, taxed_plain)
    _set_line(con, cases["no_code"], tax_code=None)
    cases["unknown_code"] = _pick(con, used, purchase, taxed_plain)
    _set_line(con, cases["unknown_code"], tax_code="XX99")
    cases["line_tax"] = _pick(con, used, purchase, taxed_plain)
    company, _, doc, line_no = cases["line_tax"]
    con.execute("update erp.purchase_invoice_lines set tax_amount = tax_amount + 1 where company_code = ? "
                "and invoice_no = ? and line_no = ?", [company, doc, line_no])
    con.execute("update erp.purchase_invoices set total_gross = total_gross + 1 where company_code = ? "
                "and invoice_no = ?", [company, doc])
    cases["auto_mismatch"] = _pick(con, used, purchase, "l.tax_code = 'V19' and g.auto_tax_code = 'V19'")
    _set_line(con, cases["auto_mismatch"], tax_code="V7", tax_amount=Decimal("7.00"), net_amount=Decimal("100.00"))
    cases["direction"] = _pick(con, used, sales, "l.tax_code = 'U19' and g.auto_tax_code = 'U19'")
    _set_line(con, cases["direction"], tax_code="V19")
    # a line without tax code on an automatic account is taxed as the account says: here it has no tax
    cases["no_code_on_auto"] = _pick(con, used, sales, "l.tax_code = 'U19' and g.auto_tax_code = 'U19'")
    _set_line(con, cases["no_code_on_auto"], tax_code=None, tax_amount=Decimal("0.00"))
    # every line a cent off: each within the line tolerance, the document beyond its own
    drift = _pick(con, used, purchase, """l.tax_code = 'V19' and (select count(*) from erp.purchase_invoice_lines x
        where x.company_code = l.company_code and x.invoice_no = l.invoice_no and x.tax_code = 'V19') >= 4""")
    cases["drift"] = drift
    for (line_no,) in con.execute("select line_no from erp.purchase_invoice_lines where company_code = ? and "
                                  "invoice_no = ? and tax_code = 'V19'", [drift[0], drift[2]]).fetchall():
        _set_line(con, (drift[0], purchase, drift[2], line_no), net_amount=Decimal("100.00"),
                  tax_amount=Decimal("19.01"))
    # net and tax cancel out: 0,00 gross, but it moves money between the expense and the tax account
    cases["gross_zero"] = _pick(con, used, purchase, taxed_plain)
    _set_line(con, cases["gross_zero"], net_amount=Decimal("-19.00"), tax_amount=Decimal("19.00"))
    # one cent off on one line only: rounding, booked
    cases["rounding"] = _pick(con, used, purchase, taxed_plain)
    _set_line(con, cases["rounding"], net_amount=Decimal("100.00"), tax_amount=Decimal("19.01"))

    # IGE19 is right with 19; the old demo key 94 (§ 13b) is refused (in another company)
    cases["ige_keyed_19"] = _pick(con, used, purchase, "l.tax_code = 'IGE19'")
    cases["ige_keyed_94"] = _pick(con, used, purchase,
                                  f"l.tax_code = 'IGE19' and l.company_code <> '{cases['ige_keyed_19'][0]}'")
    for case in ("ige_keyed_19", "ige_keyed_94"):
        _set_line(con, cases[case], account_no=_plain_account(con, cases[case][0]))
    con.execute("update erp.tax_codes set datev_bu_key = '94' where company_code = ? and tax_code = 'IGE19'",
                [cases["ige_keyed_94"][0]])
    cases["self_assessed"] = _pick(con, used, purchase, "l.tax_code = 'IGE19'")
    _set_line(con, cases["self_assessed"], tax_amount=Decimal("19.00"))
    # a 0 % code keyed like a taxed one would make DATEV add tax
    cases["exempt_keyed_9"] = _pick(con, used, purchase, "l.tax_code = 'EX0' and g.auto_tax_code is null")
    con.execute("update erp.tax_codes set datev_bu_key = '9' where company_code = ? and tax_code = 'EX0'",
                [cases["exempt_keyed_9"][0]])
    # a scope the reference has no key for: the ERP's key goes out, with a note
    cases["unjudged"] = _pick(con, used, purchase, "l.tax_code = 'V7' and g.auto_tax_code is null")
    con.execute("update erp.tax_codes set scope = 'third_country' where company_code = ? and tax_code = 'V7'",
                [cases["unjudged"][0]])
    # a wrongly keyed tax code holds back every line that would carry its key
    con.execute("update erp.tax_codes set datev_bu_key = '9' where company_code = '4000' and tax_code = 'RC19'")
    return cases


@pytest.fixture(scope="module")
def planted(demo_erp_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planted]:
    with shared_workspace(tmp_path_factory.mktemp("tax"), demo_erp_template,
                          ("extract",), ("map",), ("transform", "datev")) as ws:
        with duckdb.connect(str(ws.staging)) as con:
            cases = _plant(con)
        result = ws.cli("transform", "datev")
        assert result.finished, result.output
        yield Planted(ws, result.output, cases)


def test_zero_rate_lines_on_automatic_accounts_get_bu_40(planted: Planted) -> None:
    ws = planted.ws
    rows = ws.query("""
        select b.bu_key, tc.rate_percent = 0 and a.rate_percent <> 0 as suppress, count(*)
        from datev.bookings b
        join (select 'sales_invoice' as kind, * from erp.sales_invoice_lines
              union all by name select 'purchase_invoice' as kind, * from erp.purchase_invoice_lines) l
          on l.kind = b.document_kind and l.company_code = b.company_code and l.invoice_no = b.document_no
         and l.line_no = b.line_no
        join erp.gl_accounts g on g.company_code = l.company_code and g.account_no = l.account_no
        join erp.tax_codes a on a.company_code = g.company_code and a.tax_code = g.auto_tax_code
        join erp.tax_codes tc on tc.company_code = l.company_code and tc.tax_code = l.tax_code
        group by all""")
    keys = {(k, bool(s)): int(str(n)) for k, s, n in rows}
    # the demo has exempt purchases on its 19 %/7 % goods accounts: every one carries 40, no other line does
    assert keys.get(("40", True), 0) > 0
    assert {k for k, s in keys if s} == {"40"}
    assert "40" not in {k for k, s in keys if not s}


def test_taxed_line_without_tax_code_is_rejected(planted: Planted) -> None:
    assert ("tax_code", "the line carries tax but has no tax code: DATEV would book the gross amount without a "
            "tax key, and the tax would be lost") in {(f, r) for f, r, _ in planted.rejects("no_code")}
    unknown = planted.rejects("unknown_code")
    assert [(f, v) for f, r, v in unknown if "unknown" in r] == [("tax_code", "XX99")]


def test_tax_amount_is_checked_per_line_and_per_document(planted: Planted) -> None:
    line = planted.rejects("line_tax")
    assert [f for f, r, _ in line if r.startswith("the line's tax is not 19,00 % of its net amount: tax code V19")] \
        == ["tax_amount"]
    assert not any("more than its total" in r for _, r, _ in line), "totals were moved along: tax is the fault"

    drift = planted.rejects("drift")
    assert [(f, v) for f, r, v in drift] == [("tax_amount", next(v for *_, v in drift))], drift
    assert drift[0][1].startswith("the invoice's tax of tax code V19 is not 19,00 % of its net amounts")
    assert drift[0][2].startswith("tax off by 0,0")

    assert planted.rejects("rounding") == []
    assert planted.booked("rounding")


def test_self_assessed_tax_codes_expect_no_tax_on_the_invoice(planted: Planted) -> None:
    reasons = [r for f, r, _ in planted.rejects("self_assessed") if f == "tax_amount"]
    assert reasons == ["tax code IGE19 is self-assessed (intra-EU acquisition or reverse charge § 13b): the vendor "
                       "invoices without tax and DATEV books both taxes from the BU key, but the line carries tax"]


def test_a_line_off_its_automatic_account_tax_is_rejected(planted: Planted) -> None:
    mismatch = planted.rejects("auto_mismatch")
    assert any(f == "tax_code" and r.startswith("tax code V7 on an automatic account (Automatikkonto) of tax code "
               "V19") for f, r, _ in mismatch), mismatch
    direction = planted.rejects("direction")
    assert ("tax_code", "tax code V19 is input tax (Vorsteuer), for purchases, but the line is on a sales invoice",
            "V19") in direction
    no_code = planted.rejects("no_code_on_auto")
    assert any(r.startswith("the line's tax is not 19,00 % of its net amount: tax code U19 (the automatic "
                            "account's; the line has none)") for _, r, _ in no_code), no_code


def test_bu_keys_follow_the_reference_table(planted: Planted) -> None:
    *_, line = planted.cases["ige_keyed_19"]
    assert (line, "19") in planted.booked("ige_keyed_19")
    assert ("bu_key", "tax code IGE19 (input, eu, 19,00 %) carries BU key 94; DATEV's key for it is 19", "94") \
        in planted.rejects("ige_keyed_94")
    # every RC19 line of company 4000 on a plain account is held back, none goes out with key 9
    ws = planted.ws
    rc19 = ws.query("""select distinct r.reason from rejects r
                       where r.run_id = (select arg_max(run_id, finished_at) from runs
                                         where command = 'transform datev')
                       and r.field = 'bu_key' and r.record_key like '4000/%' and r.reason like '%RC19%'""")
    assert rc19 == [("tax code RC19 (input, reverse_charge, 19,00 %) carries BU key 9; DATEV's key for it is 94 "
                     "(95 without Vorsteuer deduction, 46 for a service from another EU country)",)]
    assert ws.scalar("select count(*) from datev.bookings where company_code = '4000' and bu_key = '9' "
                     "and document_kind = 'purchase_invoice' and document_no in (select invoice_no from "
                     "erp.purchase_invoice_lines where tax_code = 'RC19' and company_code = '4000')") == 0
    assert ws.scalar("select count(*) from datev.bookings where bu_key = '46'") > 0  # RC19 in 1000 and 2000


def test_keys_of_zero_rate_codes_and_keys_without_reference(planted: Planted) -> None:
    assert ("bu_key", "tax code EX0 (input, exempt, 0,00 %) carries BU key 9; DATEV's key for it is none", "9") \
        in planted.rejects("exempt_keyed_9")
    *_, line = planted.cases["unjudged"]
    assert (line, "8") in planted.booked("unjudged")
    assert "lines carry a BU key erpload has no reference for (tax codes V7 key 8)" in planted.output


def test_zero_lines_are_not_booked_and_hold_nothing_back(planted: Planted) -> None:
    ws = planted.ws
    zero_lines = ws.query("""
        select company_code, 'sales_invoice', invoice_no from erp.sales_invoice_lines
        where net_amount = 0 and tax_amount = 0
        union all
        select company_code, 'purchase_invoice', invoice_no from erp.purchase_invoice_lines
        where net_amount = 0 and tax_amount = 0""")
    assert zero_lines, "the demo plants 0,00 lines"
    company, kind, doc, _ = planted.cases["gross_zero"]
    assert ws.scalar("select count(*) from rejects where target = 'datev' and reason like 'Umsatz%above 0%' "
                     "and record_key not like ?", [f"{company}/{kind}/{doc}/%"]) == 0
    exported = {(str(c), str(k), str(d)) for c, k, d in ws.query(
        "select distinct company_code, document_kind, document_no from datev.bookings")}
    rejected = {tuple(str(r[0]).split("/")[:3]) for r in ws.query(
        "select record_key from rejects where target = 'datev' and entity = 'bookings'")}
    datev_companies = {str(r[0]) for r in ws.query("select company_code from erp.companies "
                                                   "where datev_client_no is not null")}
    for company, kind, doc in zero_lines:
        key = (str(company), str(kind), str(doc))
        if key[0] in datev_companies:
            assert key in exported or key in rejected
    # a line whose net and tax cancel out is no 0,00 line: held back, never dropped
    assert {"amount", "tax_amount"} <= {f for f, _, _ in planted.rejects("gross_zero")}
    booked_zero = ws.scalar("select count(*) from datev.bookings where amount = 0")
    assert booked_zero == 0
    assert "lines of 0,00 not booked" in planted.output


def test_records_in_equal_records_out_plus_rejected(planted: Planted) -> None:
    ws = planted.ws
    loaded, unchanged, rejected, _ = ws.run_results("transform datev")["datev.bookings"]
    # in the books: posted documents, and posted ones cancelled later; a document of 0,00 lines only is not
    booked = "(status = 'posted' or (status = 'cancelled' and cancelled_on is not null))"
    documents_in = ws.scalar(f"""
        with lines as (
            select 'sales_invoice' as kind, company_code, invoice_no as doc, net_amount + tax_amount as amount
            from erp.sales_invoice_lines join erp.sales_invoices using (company_code, invoice_no)
            where {booked}
            union all
            select 'purchase_invoice', company_code, invoice_no, net_amount + tax_amount
            from erp.purchase_invoice_lines join erp.purchase_invoices using (company_code, invoice_no)
            where {booked}
            union all
            select 'journal_entry', company_code, entry_no, debit - credit
            from erp.journal_lines join erp.journal_entries using (company_code, entry_no) where {booked})
        select count(distinct (kind, company_code, doc)) from lines join erp.companies using (company_code)
        where datev_client_no is not null and amount <> 0""")
    assert loaded + unchanged + rejected == documents_in
    assert loaded + unchanged == ws.scalar("select count(distinct (company_code, document_kind, document_no)) "
                                           "from datev.bookings")


def test_a_bu_40_line_round_trips_through_export_and_check(planted: Planted) -> None:
    ws = planted.ws
    result = ws.cli("export", "datev", "--out", "out/datev")
    assert result.finished, result.output
    bu_column = BOOKINGS.column("BU-Schlüssel").index - 1
    with_40 = []
    for path in sorted((ws.root / "out/datev").glob("EXTF_Buchungsstapel_*.csv")):
        rows = read_extf(path.read_bytes()).rows
        if any(r.values[bu_column] == "40" for r in rows):
            with_40.append(path)
    assert with_40
    check = ws.cli("datev", "check", str(with_40[0]))
    assert check.exit_code == 0, check.output
    written = sum(1 for p in with_40 for r in read_extf(p.read_bytes()).rows if r.values[bu_column] == "40")
    assert written == ws.scalar("select count(*) from datev.bookings where bu_key = '40'")


def test_the_demo_tax_codes_carry_the_reference_keys() -> None:
    expected = {(d, s, rate): keys for d, s, rate, keys, _ in BU_KEYS}
    taxed_keys = {k for keys in expected.values() for k in keys}
    for chart in ("SKR03", "SKR04"):
        for code in tax_codes(chart):
            rate = code.rate_bp // 100
            if rate == 0:
                assert code.datev_bu_key is None or code.datev_bu_key not in taxed_keys, code
            else:
                assert code.datev_bu_key in expected[(code.direction, code.scope, rate)], code
    assert {c.code: c.datev_bu_key for c in tax_codes("SKR03")}["IGE19"] == "19"
