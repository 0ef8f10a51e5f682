"""The Odoo-shaped ERP holds exactly the demo data: per business entity, counts, sums, keys and times."""

import hashlib

import duckdb
import pyarrow as pa
import pytest
import sqlalchemy as sa

from erpload.sources.demo_erp.generator import generate
from erpload.sources.odoo_erp import write_postgres
from erpload.sources.odoo_erp.writer import NotRepresentable, reshape_demo_tables

SCALE = 0.2


@pytest.fixture(scope="module")
def demo_data():
    return generate(seed=42, scale=SCALE)


@pytest.fixture(scope="module")
def demo(demo_data):
    """The demo tables, queryable with SQL."""
    con = duckdb.connect()
    for name, table in demo_data.tables.items():
        con.register(name, table)
    yield con
    con.close()


@pytest.fixture(scope="module")
def written(demo_data, postgres_url):
    counts = write_postgres(demo_data, postgres_url)
    return counts


@pytest.fixture(scope="module")
def odoo(written, postgres_url):
    # autocommit: an open read transaction would hold locks that block rewriting the tables
    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def rows(connection, sql):
    return [tuple(row) for row in connection.execute(sa.text(sql)).fetchall()]


def one(con, sql):
    """First value of a DuckDB or SQLAlchemy query."""
    if isinstance(con, duckdb.DuckDBPyConnection):
        return con.execute(sql).fetchone()[0]
    return con.execute(sa.text(sql)).scalar_one()


def test_written_counts_are_the_table_sizes(written, odoo):
    for table, count in written.items():
        assert one(odoo, f"select count(*) from {table}") == count, table


def test_customers_and_vendors_are_partners_with_a_rank(demo, odoo):
    assert one(odoo, "select count(*) from res_partner where customer_rank > 0") == one(
        demo, "select count(*) from customer"
    )
    assert one(odoo, "select count(*) from res_partner where supplier_rank > 0") == one(
        demo, "select count(*) from vendor"
    )
    assert one(odoo, "select count(*) from res_partner where customer_rank > 0 and supplier_rank > 0") == 0


def test_each_document_is_one_account_move_of_its_move_type(demo, odoo):
    by_type = dict(rows(odoo, "select move_type, count(*) from account_move group by move_type"))
    sales = dict(
        demo.execute(
            "select d.is_credit_note, count(*) from sales_invoice i join document_type d using (document_type_id) "
            "group by all"
        ).fetchall()
    )
    purchases = dict(
        demo.execute(
            "select d.is_credit_note, count(*) from purchase_invoice i join document_type d using (document_type_id) "
            "group by all"
        ).fetchall()
    )
    assert by_type.get("out_invoice", 0) == sales.get(0, 0)
    assert by_type.get("out_refund", 0) == sales.get(1, 0)
    assert by_type.get("in_invoice", 0) == purchases.get(0, 0)
    assert by_type.get("in_refund", 0) == purchases.get(1, 0)
    assert by_type["entry"] == one(demo, "select count(*) from journal_entry")
    assert sales.get(1, 0) > 0, "the sample should hold credit notes"


def test_invoice_and_journal_lines_are_account_move_lines(demo, odoo):
    def lines(move_types):
        return one(
            odoo,
            "select count(*) from account_move_line l join account_move m on m.id = l.move_id "
            f"where l.display_type = 'product' and m.move_type in ({move_types})",
        )

    assert lines("'out_invoice', 'out_refund'") == one(demo, "select count(*) from sales_invoice_line")
    assert lines("'in_invoice', 'in_refund'") == one(demo, "select count(*) from purchase_invoice_line")
    assert lines("'entry'") == one(demo, "select count(*) from journal_line")
    # every invoice also has its receivable/payable line, as Odoo books it
    assert one(odoo, "select count(*) from account_move_line where display_type = 'payment_term'") == one(
        odoo, "select count(*) from account_move where move_type <> 'entry'"
    )


def test_amounts_sum_to_the_demo_amounts(demo, odoo):
    assert rows(
        odoo,
        "select sum(l.price_subtotal), sum(l.price_total - l.price_subtotal), sum(l.quantity) "
        "from account_move_line l join account_move m on m.id = l.move_id "
        "where l.display_type = 'product' and m.move_type like 'out_%'",
    ) == [demo.execute("select sum(net_amount), sum(tax_amount), sum(quantity) from sales_invoice_line").fetchone()]
    assert rows(
        odoo,
        "select sum(amount_untaxed), sum(amount_tax), sum(amount_total) from account_move where move_type like 'in_%'",
    ) == [demo.execute("select sum(total_net), sum(total_tax), sum(total_gross) from purchase_invoice").fetchone()]
    assert rows(
        odoo,
        "select sum(l.debit), sum(l.credit), sum(l.amount_currency) "
        "from account_move_line l join account_move m on m.id = l.move_id where m.move_type = 'entry'",
    ) == [demo.execute("select sum(debit_lc), sum(credit_lc), sum(debit - credit) from journal_line").fetchone()]


def test_invoice_moves_balance_in_company_currency(odoo):
    unbalanced = one(
        odoo,
        "select count(*) from (select move_id from account_move_line l join account_move m on m.id = l.move_id "
        "where m.move_type <> 'entry' group by move_id having sum(l.balance) <> 0) x",
    )
    assert unbalanced == 0


def test_write_date_is_updated_at_to_the_microsecond(demo, odoo):
    demo_customers = sorted(
        demo.execute(
            "select c.company_code, x.customer_no, x.updated_at, x.created_at "
            "from customer x join company c using (company_id)"
        ).fetchall()
    )
    odoo_customers = sorted(
        rows(
            odoo,
            "select c.x_company_code, p.ref, p.write_date, p.create_date from res_partner p "
            "join res_company c on c.id = p.company_id where p.customer_rank > 0",
        )
    )
    assert odoo_customers == demo_customers
    assert any(row[2].microsecond for row in odoo_customers), "the sample should have microseconds"
    demo_lines = sorted(
        demo.execute(
            "select e.entry_no, l.line_no, l.updated_at from journal_line l join journal_entry e using (entry_id)"
        ).fetchall()
    )
    odoo_lines = sorted(
        rows(
            odoo,
            "select m.name, l.sequence, l.write_date from account_move_line l join account_move m on m.id = l.move_id "
            "where m.move_type = 'entry'",
        )
    )
    assert odoo_lines == demo_lines


def test_soft_deleted_rows_are_inactive(demo, odoo):
    for demo_sql, odoo_sql in (
        (
            "select customer_no from customer where is_deleted <> 0",
            "select ref from res_partner where customer_rank > 0 and not active",
        ),
        (
            "select vendor_no from vendor where is_deleted <> 0",
            "select ref from res_partner where supplier_rank > 0 and not active",
        ),
        (
            "select c.company_code || '/' || a.account_no from gl_account a join company c using (company_id) "
            "where a.is_deleted <> 0",
            "select c.x_company_code || '/' || a.code from account_account a join res_company c on c.id = a.company_id "
            "where not a.active",
        ),
        (
            "select personnel_no from employee where is_deleted <> 0",
            "select registration_number from hr_employee where not active",
        ),
    ):
        assert sorted(rows(odoo, odoo_sql)) == sorted(demo.execute(demo_sql).fetchall())
    assert one(demo, "select count(*) from gl_account where is_deleted <> 0") > 0


def test_attachments_keep_their_bytes_with_odoo_sha1(demo, odoo):
    demo_files = sorted(demo.execute("select file_name, content from attachment").fetchall())
    odoo_files = rows(odoo, "select name, db_datas, checksum from ir_attachment")
    assert sorted((name, bytes(content)) for name, content, _ in odoo_files) == demo_files
    for _, content, checksum in odoo_files:
        assert checksum == hashlib.sha1(bytes(content)).hexdigest()


def test_unknown_accounts_are_kept_as_text(demo, odoo):
    unknown = sorted(
        demo.execute(
            "select l.revenue_account_no from sales_invoice_line l join sales_invoice i using (invoice_id) "
            "where not exists (select 1 from gl_account a where a.company_id = i.company_id "
            "and a.account_no = l.revenue_account_no)"
        ).fetchall()
    )
    assert unknown, "the demo data should plant unknown_account faults"
    kept = sorted(
        rows(
            odoo,
            "select l.x_account_code from account_move_line l join account_move m on m.id = l.move_id "
            "where m.move_type like 'out_%' and l.display_type = 'product' and l.account_id is null",
        )
    )
    assert kept == unknown


def test_writing_again_replaces_the_erp(demo_data, postgres_url, written):
    assert write_postgres(demo_data, postgres_url) == written


def test_refuses_data_odoo_cannot_hold(demo_data):
    tables = dict(demo_data.tables)
    company = tables["company"]
    column = company.schema.get_field_index("fiscal_year_start_month")
    tables["company"] = company.set_column(
        column, company.schema.field(column), pa.array([13] * company.num_rows, pa.int64())
    )
    with pytest.raises(NotRepresentable, match="fiscal_year_start_month"):
        reshape_demo_tables(tables)


def test_lifecycle_is_the_move_state_with_cancel_date_and_replaced_move(demo, odoo):
    """draft/posted/cancel in account_move.state; the cancellation day and the replaced move as x_ fields."""
    def key(row):
        return row[:3]

    odoo_moves = sorted(rows(odoo, """
        select c.x_company_code, m.move_type = 'entry', m.name, m.state, m.x_cancel_date, replaced.name,
               replaced.move_type = 'entry'
        from account_move m join res_company c on c.id = m.company_id
        left join account_move replaced on replaced.id = m.x_amended_from_id"""), key=key)
    state = "case status when 'cancelled' then 'cancel' else status end"
    demo_moves = sorted(demo.execute(f"""
        select c.company_code, false, i.invoice_no, {state}, i.cancelled_on, i.amended_from,
               case when i.amended_from is not null then false end
        from sales_invoice i join company c using (company_id)
        union all
        select c.company_code, false, i.internal_no, {state}, i.cancelled_on, i.amended_from,
               case when i.amended_from is not null then false end
        from purchase_invoice i join company c using (company_id)
        union all
        select c.company_code, true, e.entry_no, {state}, e.cancelled_on, e.amended_from,
               case when e.amended_from is not null then true end
        from journal_entry e join company c using (company_id)""").fetchall(), key=key)
    assert odoo_moves == demo_moves
    assert {move[3] for move in odoo_moves} == {"draft", "posted", "cancel"}
    assert any(move[5] for move in odoo_moves), "the sample should hold amendments"
