"""The demo ERP's document lifecycle: drafts, cancellations after posting, amendments, discarded drafts."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from erpload.sources.demo_erp import DemoData, generate, write_sqlite
from erpload.sources.demo_erp.settings import DATA_END, DRAFT_WINDOW_DAYS

# (table, document number, document date, line table)
DOCUMENTS = (
    ("sales_invoice", "invoice_no", "invoice_date", "sales_invoice_line"),
    ("purchase_invoice", "internal_no", "invoice_date", "purchase_invoice_line"),
    ("journal_entry", "entry_no", "posting_date", "journal_line"),
)
KEYS = {"sales_invoice": "invoice_id", "purchase_invoice": "invoice_id", "journal_entry": "entry_id"}


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(seed=42, scale=1.0)


@pytest.fixture(scope="module")
def sql(demo: DemoData):
    con = duckdb.connect()
    for name, table in demo.tables.items():
        con.register(name, table)
    con.register("demo_fault", demo.faults)
    yield con
    con.close()


def kinds(sql, table: str, number: str) -> dict[str, int]:
    """How many documents of each lifecycle kind `table` holds."""
    return dict(sql.execute(f"""
        select case when amended_from is not null then 'amendment'
                    when status = 'cancelled' and cancelled_on is not null then 'cancelled_after_posting'
                    when status = 'cancelled' then 'discarded_draft'
                    else status end, count(*)
        from {table} group by all""").fetchall())


@pytest.mark.parametrize(("table", "number", "day", "lines"), DOCUMENTS)
def test_every_kind_occurs_at_realistic_rates(sql, table, number, day, lines):
    counts = kinds(sql, table, number)
    originals = sum(counts.values()) - counts["amendment"]
    assert 0.01 <= counts["draft"] / originals <= 0.02, counts
    assert 0.005 <= (counts["cancelled_after_posting"]) / originals <= 0.015, counts
    assert counts["amendment"] >= 2, counts
    assert counts["discarded_draft"] >= 1, counts
    assert counts["posted"] / originals > 0.95


@pytest.mark.parametrize(("table", "number", "day", "lines"), DOCUMENTS)
def test_status_and_cancelled_on_are_consistent(sql, table, number, day, lines):
    assert {r[0] for r in sql.execute(f"select distinct status from {table}").fetchall()} == {
        "draft", "posted", "cancelled"}
    # cancelled_on only on cancelled documents, never before the document date, never after the data's end
    assert sql.execute(f"""select count(*) from {table} where cancelled_on is not null
                           and (status <> 'cancelled' or cancelled_on < {day} or cancelled_on > ?)""",
                       [DATA_END]).fetchone()[0] == 0
    # drafts are recent and were never cancelled
    window_start = DATA_END - timedelta(days=DRAFT_WINDOW_DAYS)
    drafts = sql.execute(f"select min({day}), count(*) filter (where cancelled_on is not null) from {table} "
                         "where status = 'draft'").fetchone()
    assert drafts[0] > window_start
    assert drafts[1] == 0
    # some cancellations take effect in a later month than the document's, some in the same one
    months = sql.execute(f"""
        select count(*) filter (where date_trunc('month', cancelled_on) > date_trunc('month', {day})),
               count(*) filter (where date_trunc('month', cancelled_on) = date_trunc('month', {day}))
        from {table} where cancelled_on is not null""").fetchone()
    assert months[0] > 0
    assert months[1] > 0
    # a cancellation touches the document: it was last changed on or after the cancellation day
    assert sql.execute(f"select count(*) from {table} where cancelled_on is not null "
                       "and cast(updated_at as date) < cancelled_on").fetchone()[0] == 0


@pytest.mark.parametrize(("table", "number", "day", "lines"), DOCUMENTS)
def test_amendments_replace_a_cancelled_document_of_the_same_company(sql, table, number, day, lines):
    pairs = sql.execute(f"""
        select a.{number}, a.status, a.cancelled_on, a.{day}, o.{number}, o.status, o.cancelled_on, o.company_id,
               a.company_id, a.updated_at >= o.updated_at
        from {table} a left join {table} o on o.{number} = a.amended_from and o.company_id = a.company_id
        where a.amended_from is not null""").fetchall()
    assert pairs
    for new_no, new_status, new_cancelled, new_day, old_no, old_status, old_cancelled, old_co, new_co, later in pairs:
        assert old_no is not None, f"{new_no} points at no document of its company"
        assert new_no == f"{old_no}-1"  # ERPNext's numbering of an amended document
        assert (new_status, new_cancelled) == ("posted", None)
        assert old_status == "cancelled"
        assert old_cancelled is not None, "only a posted document that was cancelled is amended"
        assert new_day == old_cancelled
        assert old_co == new_co
        assert later
    # a document is replaced at most once, and a replacement is not itself replaced
    assert sql.execute(f"select count(*) - count(distinct (company_id, amended_from)) from {table} "
                       "where amended_from is not null").fetchone()[0] == 0


def test_most_amendments_change_the_amount(sql):
    changed = {}
    for table, amount in (("sales_invoice", "total_gross"), ("purchase_invoice", "total_gross")):
        changed[table] = sql.execute(f"""
            select count(*) filter (where a.{amount} <> o.{amount}), count(*)
            from {table} a join {table} o on o.company_id = a.company_id
             and o.{'invoice_no' if table == 'sales_invoice' else 'internal_no'} = a.amended_from""").fetchone()
    changed["journal_entry"] = sql.execute("""
        with totals as (select entry_id, sum(debit) as debit from journal_line group by all)
        select count(*) filter (where ta.debit <> tb.debit), count(*)
        from journal_entry a join journal_entry o on o.company_id = a.company_id and o.entry_no = a.amended_from
        join totals ta on ta.entry_id = a.entry_id join totals tb on tb.entry_id = o.entry_id""").fetchone()
    for table, (different, total) in changed.items():
        assert total > 0, table
        assert different > 0, table
    assert sum(d for d, _ in changed.values()) / sum(t for _, t in changed.values()) > 0.5


def test_amendment_lines_are_the_originals_lines_with_at_most_one_changed(sql):
    for table, number, _, lines in DOCUMENTS[:2]:
        differences = sql.execute(f"""
            with pairs as (select a.invoice_id as new_id, o.invoice_id as old_id from {table} a
                           join {table} o on o.company_id = a.company_id and o.{number} = a.amended_from),
            new_lines as (select p.old_id, n.* from pairs p join {lines} n on n.invoice_id = p.new_id),
            old_lines as (select o.* from {lines} o where o.invoice_id in (select old_id from pairs))
            select o.invoice_id,
                   count(*) filter (where n.quantity <> o.quantity or n.net_amount <> o.net_amount),
                   count(*) filter (where n.description <> o.description or n.unit_price <> o.unit_price
                                    or n.tax_code_id is distinct from o.tax_code_id or n.line_id is null
                                    or o.line_id is null)
            from old_lines o full join new_lines n on n.old_id = o.invoice_id and n.line_no = o.line_no
            group by all""").fetchall()
        assert differences
        for _, changed, other in differences:
            assert changed <= 1
            assert other == 0


def test_only_documents_with_no_planted_fault_change_their_lifecycle(sql):
    for table, _, _, lines in DOCUMENTS:
        key = KEYS[table]
        faulted = sql.execute(f"""
            select count(*) from {table} d
            where (d.status <> 'posted' or d.amended_from is not null)
              and (d.{key} in (select record_id from demo_fault where table_name = '{table}')
                   or d.{key} in (select l.{key} from {lines} l join demo_fault f
                                  on f.table_name = '{lines}' and f.record_id = l.line_id))""").fetchone()[0]
        assert faulted == 0, table


def test_only_posted_documents_are_paid(sql):
    # a payment line's text ends with the paid document's number (numbers repeat across companies)
    paid = set(sql.execute("""
        select distinct e.company_id, regexp_extract(l.line_text, '(\\S+)$') from journal_line l
        join journal_entry e using (entry_id) where e.source = 'bank'""").fetchall())
    not_posted = set(sql.execute("select company_id, invoice_no from sales_invoice "
                                 "where status <> 'posted'").fetchall())
    assert not_posted
    assert not paid & not_posted
    replacements = set(sql.execute("select company_id, invoice_no from sales_invoice "
                                   "where amended_from is not null").fetchall())
    assert paid & replacements, "a replacement invoice is an ordinary posted invoice: some get paid"


def test_credit_notes_exist_for_sales_and_purchases(sql):
    for table in ("sales_invoice", "purchase_invoice"):
        credit_notes = sql.execute(f"""
            select count(*) filter (where i.status = 'posted'), min(i.total_gross)
            from {table} i join document_type d using (document_type_id) where d.is_credit_note <> 0""").fetchone()
        assert credit_notes[0] > 5, table
        assert credit_notes[1] >= 0, "credit notes carry positive amounts"


def test_a_tiny_demo_still_has_every_kind(tmp_path: Path):
    """Scale 0.1 is what the profile tests run: every lifecycle path must be in it."""
    small = generate(seed=42, scale=0.1)
    con = duckdb.connect()
    for name, table in small.tables.items():
        con.register(name, table)
    for table, number, _, _ in DOCUMENTS:
        assert set(kinds(con, table, number)) == {
            "posted", "draft", "cancelled_after_posting", "amendment", "discarded_draft"}, table
    # the lifecycle columns survive the SQLite file as SQLAlchemy reads them
    write_sqlite(small, tmp_path / "demo.sqlite")
    connection = sqlite3.connect(tmp_path / "demo.sqlite")
    try:
        stored = connection.execute("select cancelled_on, amended_from from journal_entry where status = 'cancelled' "
                                    "and cancelled_on is not null").fetchall()
        assert stored
        assert all(date.fromisoformat(day) for day, _ in stored)
    finally:
        connection.close()


def test_danish_replacements_get_their_own_telecomx_id(sql):
    ids = sql.execute("""
        select i.amended_from is not null, count(r.external_id), count(distinct r.external_id), count(*)
        from sales_invoice i join company c using (company_id)
        left join external_reference r on r.object_type = 'sales_invoice' and r.object_id = i.invoice_id
             and r.system_code = 'telecomx'
        where c.country_code = 'DK' group by all order by all""").fetchall()
    assert [row[0] for row in ids] == [False, True]
    for _, with_id, distinct, total in ids:
        assert with_id == distinct == total
