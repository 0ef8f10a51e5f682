"""The demo ERP generator: determinism, bookkeeping invariants, realistic content, planted faults."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from stdnum import iban as stdnum_iban
from stdnum.ch import vat as ch_vat
from stdnum.de import idnr
from stdnum.dk import cpr
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

from erpload.sources.demo_erp import DemoData, create_demo_erp, generate, write_sqlite
from erpload.sources.demo_erp.faults import DATA_RULE_FAULTS
from erpload.sources.demo_erp.schema import primary_keys, table_schemas
from erpload.sources.demo_erp.settings import EU_COUNTRIES, FAULTS, FAULTS_BY_TABLE

TRANSACTIONAL = ("sales_invoice", "sales_invoice_line", "purchase_invoice", "purchase_invoice_line",
                 "purchase_order", "purchase_order_line", "journal_entry", "journal_line")
DATEV_BELEGFELD = re.compile(r"^[A-Za-z0-9$&%*+\-/]{1,36}$")


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(seed=42, scale=1.0)


@pytest.fixture(scope="module")
def small() -> DemoData:
    return generate(seed=42, scale=0.1)


@pytest.fixture(scope="module")
def rows(demo: DemoData):
    """Each table as a list of dicts (scale 1 is small enough)."""
    return {name: table.to_pylist() for name, table in demo.tables.items()}


def faulted(demo: DemoData, table: str, fault: str | None = None) -> set[int]:
    faults = demo.faults.to_pylist()
    return {f["record_id"] for f in faults if f["table_name"] == table and (fault is None or f["fault"] == fault)}


def ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def sqlite_dump_sha(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()
    finally:
        connection.close()


def test_same_seed_and_scale_give_identical_bytes(small: DemoData):
    again = generate(seed=42, scale=0.1)
    for name, table in small.tables.items():
        assert ipc_bytes(table) == ipc_bytes(again.tables[name]), name
    assert ipc_bytes(small.faults) == ipc_bytes(again.faults)
    other = generate(seed=43, scale=0.1)
    assert ipc_bytes(other.tables["customer"]) != ipc_bytes(small.tables["customer"])


def test_sqlite_dump_is_deterministic(small: DemoData, tmp_path: Path):
    write_sqlite(small, tmp_path / "a.sqlite")
    write_sqlite(generate(seed=42, scale=0.1), tmp_path / "b.sqlite")
    assert sqlite_dump_sha(tmp_path / "a.sqlite") == sqlite_dump_sha(tmp_path / "b.sqlite")


def test_tables_have_exactly_the_schema_columns(demo: DemoData):
    assert list(demo.tables) == list(table_schemas())
    for name, schema in table_schemas().items():
        assert demo.tables[name].schema == schema, name
    assert demo.faults.column_names == ["table_name", "record_id", "fault", "detail"]


def test_every_table_is_non_empty_with_a_unique_primary_key(demo: DemoData):
    for name, key in primary_keys().items():
        column = demo.tables[name].column(key)
        assert len(column) > 0, name
        assert column.null_count == 0
        assert pc.count_distinct(column).as_py() == len(column), name


def test_journal_entries_balance_in_document_and_local_currency(demo: DemoData, rows):
    sums: dict[int, list[Decimal]] = {}
    for line in rows["journal_line"]:
        total = sums.setdefault(line["entry_id"], [Decimal(0)] * 4)
        for i, column in enumerate(("debit", "credit", "debit_lc", "credit_lc")):
            total[i] += line[column]
    unbalanced = {e for e, (d, c, dl, cl) in sums.items() if d != c or dl != cl}
    assert unbalanced == faulted(demo, "journal_entry", "unbalanced_entry")
    assert {e for e, (d, c, dl, cl) in sums.items() if d != c and dl != cl} == unbalanced


def test_local_amounts_are_document_amounts_divided_by_the_rate(rows):
    rates = {e["entry_id"]: e["exchange_rate"] for e in rows["journal_entry"]}
    foreign = 0
    for line in rows["journal_line"]:
        rate = rates[line["entry_id"]]
        for doc, local in (("debit", "debit_lc"), ("credit", "credit_lc")):
            expected = cents(line[doc] / rate)
            # the first counter line of an entry absorbs the rounding difference of the others
            assert abs(line[local] - expected) <= Decimal("0.05"), line
            if rate == 1:
                assert line[local] == line[doc]
        foreign += rate != 1
    assert foreign > 0


def test_invoice_totals_are_the_sum_of_their_lines(rows):
    for header, lines, amount in (("sales_invoice", "sales_invoice_line", "net_amount"),
                                  ("purchase_invoice", "purchase_invoice_line", "net_amount")):
        net: dict[int, Decimal] = {}
        tax: dict[int, Decimal] = {}
        for line in rows[lines]:
            net[line["invoice_id"]] = net.get(line["invoice_id"], Decimal(0)) + line[amount]
            tax[line["invoice_id"]] = tax.get(line["invoice_id"], Decimal(0)) + line["tax_amount"]
        for invoice in rows[header]:
            assert invoice["total_net"] == net[invoice["invoice_id"]]
            assert invoice["total_tax"] == tax[invoice["invoice_id"]]
            assert invoice["total_gross"] == invoice["total_net"] + invoice["total_tax"]


def cents(value: Decimal) -> Decimal:
    """Commercial rounding, as the ERP does."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_line_amounts_are_quantity_times_price(rows):
    for line in rows["sales_invoice_line"] + rows["purchase_invoice_line"]:
        assert line["net_amount"] == cents(line["quantity"] * line["unit_price"]), line
    for line in rows["purchase_order_line"]:
        expected = line["quantity_ordered"] * line["unit_price"] / line["price_unit"]
        assert line["net_amount"] == cents(expected), line


def test_account_numbers_have_the_company_length_and_datev_ranges(rows):
    length = {c["company_id"]: c["gl_account_length"] for c in rows["company"]}
    for account in rows["gl_account"]:
        assert re.fullmatch(r"\d+", account["account_no"])
        assert len(account["account_no"]) == length[account["company_id"]]
    for table, column, low, high in (("customer", "customer_no", 1, 7), ("vendor", "vendor_no", 7, 10)):
        for partner in rows[table]:
            n = length[partner["company_id"]]
            number = partner[column].rstrip(" ")  # the key_with_trailing_blank fault aside
            assert len(number) == n + 1
            assert low * 10**n <= int(number) <= high * 10**n - 1, (table, number)


def test_lines_post_to_known_accounts_except_listed_faults(demo: DemoData, rows):
    entry_company = {e["entry_id"]: e["company_id"] for e in rows["journal_entry"]}
    known = {(a["company_id"], a["account_no"]) for a in rows["gl_account"]}
    personal = {(c["company_id"], c["customer_no"]) for c in rows["customer"]}
    personal |= {(v["company_id"], v["vendor_no"]) for v in rows["vendor"]}
    unknown = set()
    for line in rows["journal_line"]:
        key = (entry_company[line["entry_id"]], line["account_no"])
        if line["account_type"] == "gl":
            if key not in known:
                unknown.add(line["line_id"])
        else:
            assert key in personal
    assert unknown == faulted(demo, "journal_line", "unknown_account")
    for header, lines, column in (("sales_invoice", "sales_invoice_line", "revenue_account_no"),
                                  ("purchase_invoice", "purchase_invoice_line", "expense_account_no")):
        company = {i["invoice_id"]: i["company_id"] for i in rows[header]}
        missing = {line["line_id"] for line in rows[lines] if (company[line["invoice_id"]], line[column]) not in known}
        assert missing == faulted(demo, lines, "unknown_account")


def test_every_fault_occurs_at_scale_1(demo: DemoData):
    data_rule_faults = {kind for kinds in DATA_RULE_FAULTS.values() for kind in kinds}
    assert set(demo.faults.column("fault").to_pylist()) == set(FAULTS) | data_rule_faults


def test_fault_rate_is_1_to_2_percent_per_faulty_table(demo: DemoData):
    faults = demo.faults.to_pylist()
    assert len({(f["table_name"], f["record_id"]) for f in faults}) == len(faults), "one fault per record"
    for table, kinds in FAULTS_BY_TABLE.items():
        assert {f["fault"] for f in faults if f["table_name"] == table} <= {*kinds, *DATA_RULE_FAULTS.get(table, ())}
        # the rate is the generator's: the data-rule faults are one record each, on top
        listed = [f for f in faults if f["table_name"] == table and f["fault"] in kinds]
        ids = set(demo.tables[table].column(primary_keys()[table]).to_pylist())
        assert {f["record_id"] for f in listed} <= ids
        assert 0.01 <= len(listed) / len(ids) <= 0.02, table


def test_faults_are_where_they_are_listed(demo: DemoData, rows):
    overlong = {c["customer_id"] for c in rows["customer"] if len(c["name"]) > 50}
    assert overlong == faulted(demo, "customer", "overlong_name")
    assert all(60 <= len(c["name"]) <= 110 for c in rows["customer"] if c["customer_id"] in overlong)
    company_country = {c["company_id"]: c["country_code"] for c in rows["company"]}
    for table, key in (("customer", "customer_id"), ("vendor", "vendor_id")):
        missing = {p[key] for p in rows[table] if p["country_code"] in EU_COUNTRIES and not p["vat_id"]
                   and p["country_code"] != company_country[p["company_id"]]}
        assert missing == faulted(demo, table, "missing_vat_id")
    bad_iban = {b["bank_account_id"] for b in rows["vendor_bank_account"] if not stdnum_iban.is_valid(b["iban"])}
    assert bad_iban == faulted(demo, "vendor_bank_account", "invalid_iban")
    zero = {line["line_id"] for line in rows["journal_line"] if line["debit"] == 0 and line["credit"] == 0}
    assert zero == faulted(demo, "journal_line", "zero_amount")
    old = {e["entry_id"] for e in rows["journal_entry"] if e["posting_date"].year < 2025}
    assert old == faulted(demo, "journal_entry", "date_outside_fiscal_year")
    for table, column in (("sales_invoice", "invoice_no"), ("purchase_invoice", "vendor_invoice_no"),
                          ("journal_entry", "entry_no")):
        key = primary_keys()[table]
        invalid = {r[key] for r in rows[table] if not DATEV_BELEGFELD.match(r[column])}
        assert invalid == faulted(demo, table, "invalid_document_number"), table


def unmappable(text: str | None) -> bool:
    """Outside Windows-1252 and not a Latin letter a transliteration could handle."""
    return any(ord(ch) > 0x2FF and not _cp1252(ch) for ch in text or "")


def _cp1252(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def test_unmappable_characters_only_in_listed_records(demo: DemoData, rows):
    for table, key in primary_keys().items():
        if table == "attachment":
            continue
        found = {r[key] for r in rows[table] if any(isinstance(v, str) and unmappable(v) for v in r.values())}
        assert found == faulted(demo, table, "unmappable_character"), table


def test_texts_carry_national_characters(demo: DemoData):
    text = "\n".join(
        value for table in demo.tables.values() for column in table.columns if pa.types.is_string(column.type)
        for value in column.to_pylist() if value
    )
    for ch in "äöüÄÖÜßæøåØłřé":
        assert ch in text, ch
    assert any(ord(ch) >= 0x1F300 for ch in text), "an emoji"
    assert "Ł" in text or "ł" in text


def test_identifiers_have_valid_check_digits(demo: DemoData, rows):
    bad_vat = faulted(demo, "vendor", "invalid_vat_check_digit")
    for table in ("company", "customer", "vendor"):
        for row in rows[table]:
            vat = row["vat_id"]
            if vat is None or (table == "vendor" and row["vendor_id"] in bad_vat):
                continue
            if vat.startswith("CHE"):
                assert ch_vat.is_valid(vat), vat
            elif vat.startswith("GB"):
                assert gb_vat.is_valid(vat), vat
            else:
                assert eu_vat.is_valid(vat), vat
    broken = faulted(demo, "vendor_bank_account", "invalid_iban")
    for account in rows["vendor_bank_account"]:
        assert stdnum_iban.is_valid(account["iban"]) != (account["bank_account_id"] in broken)
    primary = [a["vendor_id"] for a in rows["vendor_bank_account"] if a["is_primary"]]
    second = [a["vendor_id"] for a in rows["vendor_bank_account"]
              if a["bank_account_id"] in faulted(demo, "vendor_bank_account", "two_primary_bank_accounts")]
    assert sorted(primary) == sorted([v["vendor_id"] for v in rows["vendor"]] + second)
    for employee in rows["employee"]:
        assert stdnum_iban.is_valid(employee["iban"])
        valid = cpr.is_valid if employee["country_code"] == "DK" else idnr.is_valid
        assert valid(employee["tax_id"]), employee["tax_id"]


def test_companies_match_the_group_setup(rows):
    companies = {c["company_code"]: c for c in rows["company"]}
    assert companies["1000"]["datev_consultant_no"] == 29098
    assert companies["1000"]["datev_client_no"] == 55003
    assert (companies["2000"]["chart_of_accounts"], companies["2000"]["gl_account_length"]) == ("SKR04", 6)
    assert companies["2000"]["fiscal_year_start_month"] == 7
    assert companies["3000"]["local_currency"] == "DKK"
    assert companies["3000"]["datev_client_no"] is None
    assert companies["3000"]["tax_number"] == companies["3000"]["vat_id"][2:]
    assert companies["4000"]["gl_account_length"] == 8
    assert sum(c["datev_lock_batches"] for c in rows["company"]) <= 1


def test_exchange_rates_have_realistic_magnitudes(rows):
    rates = {(r["base_currency"], r["currency_code"]): r["rate"] for r in rows["exchange_rate"]}
    assert Decimal("0.95") < rates["EUR", "USD"] < Decimal("1.25")
    assert Decimal("7.40") < rates["EUR", "DKK"] < Decimal("7.52")
    assert Decimal("0.12") < rates["DKK", "EUR"] < Decimal("0.14")
    local = {c["company_id"]: c["local_currency"] for c in rows["company"]}
    for table in ("sales_invoice", "purchase_invoice", "journal_entry"):
        documents = rows[table]
        for document in documents:
            assert (document["exchange_rate"] == 1) == (document["currency_code"] == local[document["company_id"]])
        foreign = sum(d["exchange_rate"] != 1 for d in documents) / len(documents)
        assert 0.05 < foreign < 0.2, table


def test_dates_and_timestamps_lie_in_the_past(demo: DemoData):
    far = faulted(demo, "sales_invoice", "date_far_in_the_future")
    invoices = demo.tables["sales_invoice"]
    keep = pc.invert(pc.is_in(invoices.column("invoice_id"), pa.array(sorted(far), pa.int64())))
    for name, table in {**demo.tables, "sales_invoice": invoices.filter(keep)}.items():
        for field in table.schema:
            column = table.column(field.name)
            if pa.types.is_timestamp(field.type):
                assert pc.max(column).as_py().isoformat() < "2026-11-01", (name, field.name)
            if pa.types.is_date(field.type) and field.name not in ("due_date", "termination_date"):
                assert str(pc.max(column).as_py()) <= "2026-10-31", (name, field.name)


def test_purchase_orders_have_surcharges_and_receipts(rows):
    lines = {line["po_line_id"]: line for line in rows["purchase_order_line"]}
    kinds = {line["line_type"] for line in lines.values()}
    assert kinds == {"item", "line_surcharge", "header_surcharge"}
    for line in lines.values():
        if line["line_type"] == "line_surcharge":
            target = lines[line["surcharged_line_id"]]
            assert target["line_type"] == "item"
            assert target["po_id"] == line["po_id"]
        assert (line["surcharge_category"] is None) == (line["line_type"] == "item")
    for receipt_line in rows["goods_receipt_line"]:
        assert lines[receipt_line["po_line_id"]]["quantity_received"] == receipt_line["quantity"]
    linked = [i for i in rows["purchase_invoice"] if i["po_id"] is not None]
    assert len(linked) > 0.1 * len(rows["purchase_invoice"])


def test_external_references_use_the_systems_formats(rows):
    refs = rows["external_reference"]
    kombo = [r["external_id"] for r in refs if r["system_code"] == "kombo"]
    assert len(kombo) == 3
    assert all(re.fullmatch(r"datev:[A-Za-z0-9]{24}", k) for k in kombo)
    telecomx = [r for r in refs if r["system_code"] == "telecomx"]
    assert {r["object_type"] for r in telecomx} == {"company", "sales_invoice"}
    assert all(re.fullmatch(r"[0-9a-f]{24}", r["external_id"]) for r in telecomx)
    assert {r["object_type"] for r in refs if r["system_code"] == "maesn"} == {"customer", "vendor"}
    assert any(r["system_code"] == "uniconta" for r in refs)


def pdf_is_valid(content: bytes) -> bool:
    """Header, trailer and every xref offset pointing at its object."""
    if not (content.startswith(b"%PDF-") and content.endswith(b"%%EOF")):
        return False
    start = int(content.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    if not content[start:].startswith(b"xref\n"):
        return False
    header, *entries = content[start:].split(b"trailer")[0].split(b"\n")[1:-1]
    first, count = map(int, header.split())
    assert len(entries) == count
    for number, entry in enumerate(entries[1:], start=first + 1):
        offset = int(entry[:10])
        if not content[offset:].startswith(f"{number} 0 obj".encode()):
            return False
    return True


def test_attachments_are_real_pdfs(rows):
    attachments = rows["attachment"]
    # one receipt per invoice at scale 1; an amendment has none (its original's PDF shows the old number)
    originals = [i for table in ("sales_invoice", "purchase_invoice") for i in rows[table] if not i["amended_from"]]
    assert len(attachments) == len(originals)
    assert {i["attachment_id"] for i in originals} == {a["attachment_id"] for a in attachments}
    for attachment in attachments:
        content = attachment["content"]
        assert pdf_is_valid(content), attachment["file_name"]
        assert attachment["size_bytes"] == len(content)
        assert attachment["sha256"] == hashlib.sha256(content).hexdigest()
        assert attachment["file_name"].endswith(".pdf")


def test_scale_controls_volume(demo: DemoData, small: DemoData):
    assert small.tables["journal_line"].num_rows < 500
    double = generate(seed=42, scale=2.0)
    for name in TRANSACTIONAL:
        ratio = double.tables[name].num_rows / demo.tables[name].num_rows
        assert 1.8 < ratio < 2.2, (name, ratio)
    assert double.tables["customer"].num_rows < 1.5 * demo.tables["customer"].num_rows
    assert 2_700 <= demo.tables["journal_line"].num_rows <= 3_300


def test_sqlite_stores_sqlalchemy_text_formats(small: DemoData, tmp_path: Path):
    path = tmp_path / "demo.sqlite"
    write_sqlite(small, path)
    connection = sqlite3.connect(path)
    try:
        stamps = [r[0] for r in connection.execute("SELECT updated_at FROM journal_line")]
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", s) for s in stamps)
        dates = [r[0] for r in connection.execute("SELECT posting_date FROM journal_entry")]
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in dates)
        stored = connection.execute("SELECT SUM(debit), SUM(credit) FROM journal_line").fetchone()
        assert Decimal(str(round(stored[0], 2))) == sum(small.tables["journal_line"].column("debit").to_pylist())
        rates = [Decimal(str(r[0])).quantize(Decimal("0.000001")) for r in
                 connection.execute("SELECT rate FROM exchange_rate ORDER BY rate_id")]
        assert rates == small.tables["exchange_rate"].column("rate").to_pylist()
        faults = connection.execute("SELECT COUNT(*) FROM demo_fault").fetchone()[0]
        assert faults == small.faults.num_rows
        for name, table in small.tables.items():
            columns = [r[1] for r in connection.execute(f"PRAGMA table_info({name})")]
            assert columns == table.column_names
            assert connection.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0] == table.num_rows
    finally:
        connection.close()


def test_create_demo_erp_is_atomic_and_keeps_an_existing_file(tmp_path: Path):
    path = tmp_path / "sub" / "erp.sqlite"
    counts = create_demo_erp(path, scale=0.1)
    assert counts["journal_line"] > 0
    assert [p.name for p in path.parent.iterdir()] == ["erp.sqlite"]
    modified = path.stat().st_mtime_ns
    assert create_demo_erp(path, scale=0.2) == counts
    assert path.stat().st_mtime_ns == modified
    bigger = create_demo_erp(path, scale=0.2, overwrite=True)
    assert bigger["journal_line"] > counts["journal_line"]


def test_scale_must_be_positive():
    with pytest.raises(ValueError, match="scale"):
        generate(scale=0)


def test_data_rule_faults_are_where_they_are_listed(demo: DemoData, rows):
    def one(table: str, fault: str) -> int:
        (record,) = faulted(demo, table, fault)
        return record

    customers = {c["customer_id"]: c for c in rows["customer"]}
    assert customers[one("customer", "key_with_trailing_blank")]["customer_no"].endswith(" ")
    assert customers[one("customer", "invalid_country_code")]["country_code"] == "XX"
    vendor = next(v for v in rows["vendor"] if v["vendor_id"] == one("vendor", "invalid_vat_check_digit"))
    assert not eu_vat.is_valid(vendor["vat_id"])
    banks = {b["bank_account_id"]: b for b in rows["vendor_bank_account"]}
    iban = banks[one("vendor_bank_account", "unnormalised_iban")]["iban"]
    assert " " in iban
    assert iban != iban.upper()
    assert stdnum_iban.is_valid(iban)
    second = banks[one("vendor_bank_account", "two_primary_bank_accounts")]
    assert sum(b["is_primary"] for b in rows["vendor_bank_account"] if b["vendor_id"] == second["vendor_id"]) == 2
    invoices = {i["invoice_id"]: i for i in rows["sales_invoice"]}
    assert invoices[one("sales_invoice", "orphan_invoice")]["customer_id"] not in customers
    assert str(invoices[one("sales_invoice", "date_far_in_the_future")]["invoice_date"]) == "9999-12-31"
