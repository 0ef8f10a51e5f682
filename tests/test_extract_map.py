"""Extract and map against the real demo ERP (SQLite) into a real DuckDB staging file."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from erpload import canonical
from erpload.cli.main import app
from erpload.profiles import load_profile
from tests.utils import Prepared, Workspace, table_fingerprint

DEMO = load_profile("demo")


#: the state most tests start from, copied from a session template (`prepared`): their subject is what follows
EXTRACT_MAP = (("extract",), ("map",))


def _extract_and_map(ws: Workspace) -> None:
    assert ws.cli("extract").finished
    assert ws.cli("map").finished


def test_first_run_stages_every_erp_row(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    staged = workspace.scalars([f'select count(*) from erp_raw."{spec.name}"' for spec in DEMO.tables])
    for spec, rows in zip(DEMO.tables, staged, strict=True):
        assert rows == workspace.erp(f"select count(*) from {spec.name}")[0][0], spec.name
    extract = workspace.run_results("extract")
    assert extract["erp_raw.journal_line"][0] == workspace.erp("select count(*) from journal_line")[0][0]


def test_counts_in_equal_counts_out_per_entity(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    results = workspace.run_results("map")
    assert {f"erp.{e}" for e in DEMO.entity_sql} == set(results)
    entities = list(DEMO.entity_sql)
    produced = workspace.scalars([f"select count(*) from ({DEMO.entity_sql[e]})" for e in entities])
    staged = workspace.scalars([f"select count(*) from erp.{e}" for e in entities])
    for entity, made, kept in zip(entities, produced, staged, strict=True):
        loaded, unchanged, rejected, _ = results[f"erp.{entity}"]
        assert loaded + unchanged + rejected == made, entity
        assert kept == loaded + unchanged, entity
    # every ERP journal line becomes exactly one canonical journal line or one reject (the demo plants
    # lines on accounts that do not exist: map sets them aside, naming the account)
    kept = workspace.scalar("select count(*) from erp.journal_lines")
    set_aside = workspace.scalar("select count(distinct record_key) from rejects where entity = 'journal_lines'")
    assert set_aside == workspace.erp("select count(*) from demo_fault where table_name = 'journal_line' "
                                      "and fault = 'unknown_account'")[0][0]
    assert kept + set_aside == workspace.erp("select count(*) from journal_line")[0][0]


def test_canonical_tables_have_the_model_types(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    for ent in canonical.ENTITIES:
        cols = dict(workspace.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'erp' and table_name = ?", [ent.name]))
        assert {c.name: c.type for c in ent.columns} == {k: v for k, v in cols.items() if not k.startswith("_")}


def test_amounts_survive_exactly(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    erp_sum = workspace.erp("select sum(cast(round(debit_lc * 100) as integer)) from journal_line")[0][0]
    # lines map sets aside (unknown accounts) carry their amount in the reject's record
    staged = workspace.scalar("select sum(debit_lc * 100)::BIGINT from erp.journal_lines")
    staged += workspace.scalar("select coalesce(sum(cast(record->>'debit_lc' as decimal(18,2)) * 100), 0)::BIGINT "
                               "from rejects where entity = 'journal_lines'")
    assert staged == erp_sum


def test_rerun_without_changes_loads_and_changes_nothing(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    before = {e: table_fingerprint(workspace, f"erp.{e}") for e in DEMO.entity_sql}
    raw_before = {t.name: table_fingerprint(workspace, f"erp_raw.{t.name}") for t in DEMO.tables}
    _extract_and_map(workspace)
    assert all(r[0] == 0 for r in workspace.run_results("extract").values())
    assert all(r[0] == 0 and r[3] == 0 for r in workspace.run_results("map").values())
    assert before == {e: table_fingerprint(workspace, f"erp.{e}") for e in DEMO.entity_sql}
    assert raw_before == {t.name: table_fingerprint(workspace, f"erp_raw.{t.name}") for t in DEMO.tables}


def test_a_deleted_staging_file_is_extracted_anew(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    first = {t: r[0] for t, r in workspace.run_results("extract").items()}
    # the user deletes the staging file and keeps .erpload/ (dlt's cursors) by accident
    workspace.staging.unlink()
    assert (workspace.root / ".erpload").exists()
    assert workspace.cli("extract").finished
    assert {t: r[0] for t, r in workspace.run_results("extract").items()} == first


def test_lost_local_state_is_restored_from_staging_without_duplicates(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    workspace.erp("update customer set city = 'Husum', updated_at = '2026-11-20 09:00:00.000001' "
                  "where customer_id = (select min(customer_id) from customer)")
    _extract_and_map(workspace)
    assert workspace.run_results("extract")["erp_raw.customer"][0] == 1
    raw_before = {t.name: _erp_content(workspace, t.name) for t in DEMO.tables}
    erp_before = {e: table_fingerprint(workspace, f"erp.{e}") for e in DEMO.entity_sql}

    # the local dlt state is lost; staging keeps the copy dlt wrote at the first run
    shutil.rmtree(workspace.root / ".erpload")
    _extract_and_map(workspace)

    # restored cursors: not a full re-read, and what was re-read merged into the same rows
    extract = workspace.run_results("extract")
    total = sum(workspace.erp(f"select count(*) from {t.name}")[0][0] for t in DEMO.tables)
    assert sum(r[0] for r in extract.values()) < total
    assert raw_before == {t.name: _erp_content(workspace, t.name) for t in DEMO.tables}
    assert erp_before == {e: table_fingerprint(workspace, f"erp.{e}") for e in DEMO.entity_sql}


def _erp_content(ws: Workspace, table: str) -> tuple[object, ...]:
    """Row count and content hash of an erp_raw table without dlt's columns (a re-read row gets a new load id)."""
    columns = [str(r[0]) for r in ws.query(
        "select column_name from information_schema.columns where table_schema = 'erp_raw' and table_name = ? "
        "and column_name not like '\\_dlt%' escape '\\'", [table])]
    return ws.query(f"select count(*), sum(hash({', '.join(columns)})) from erp_raw.{table}")[0]


def test_three_changed_rows_move_by_merge(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    ids = [str(r[0]) for r in workspace.erp(
        "select customer_id from customer where is_deleted = 0 order by customer_id limit 3")]
    workspace.erp(f"update customer set city = 'Flensburg', updated_at = '2026-11-20 09:00:00.000001' "
                  f"where customer_id in ({', '.join(ids)})")
    total = workspace.scalar("select count(*) from erp.customers")

    _extract_and_map(workspace)

    extract = workspace.run_results("extract")
    assert extract["erp_raw.customer"][0] == 3
    assert sum(r[0] for r in extract.values()) == 3
    mapped = workspace.run_results("map")
    assert mapped["erp.customers"][:2] == (3, total - 3)
    assert sum(r[0] for r in mapped.values()) == 3
    last_map = workspace.scalar("select max(_run_id) from erp.customers")
    changed = {r[0] for r in workspace.query("select erp_id from erp.customers where _run_id = ?", [last_map])}
    assert changed == set(ids)
    assert workspace.scalar("select count(*) from erp.customers") == total
    assert workspace.scalar("select count(distinct (company_code, customer_no)) from erp.customers") == total
    assert {r[0] for r in workspace.query(
        "select city from erp.customers where erp_id in (?, ?, ?)", ids)} == {"Flensburg"}


def test_the_newest_row_changed_again_is_extracted(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    # the one row at the cursor's last value moves past it: no other row changes, no row count changes
    newest = workspace.erp("select customer_id, updated_at from customer order by updated_at desc limit 2")
    assert newest[0][1] != newest[1][1]
    workspace.erp("update customer set city = 'Husum', updated_at = '2026-11-30 10:00:00.000000' "
                  "where customer_id = ?", [newest[0][0]])
    _extract_and_map(workspace)
    assert workspace.run_results("extract")["erp_raw.customer"][0] == 1
    assert workspace.scalar("select city from erp.customers where erp_id = ?", [str(newest[0][0])]) == "Husum"


def test_insert_and_soft_delete_are_carried_through(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    vendor_id = workspace.erp("select vendor_id from vendor where is_deleted = 0 limit 1")[0][0]
    workspace.erp("update vendor set is_deleted = 1, updated_at = '2026-11-21 08:00:00.000000' where vendor_id = ?",
                  [vendor_id])
    company_id, length = workspace.erp("select company_id, gl_account_length from company limit 1")[0]
    new_no = str(10 ** (length + 1) - 1)
    workspace.erp(
        "insert into vendor (vendor_id, company_id, vendor_no, name, country_code, tax_scope, created_at, "
        "updated_at) values (999999, ?, ?, 'Neuer Lieferant GmbH', 'DE', 'domestic', '2026-11-21 08:00:00', "
        "'2026-11-21 08:00:00')", [company_id, new_no])

    _extract_and_map(workspace)

    assert workspace.run_results("extract")["erp_raw.vendor"][0] == 2
    assert workspace.run_results("map")["erp.vendors"][0] == 2
    assert workspace.scalar("select is_deleted from erp.vendors where erp_id = ?", [str(vendor_id)]) is True
    assert workspace.scalar("select name from erp.vendors where erp_id = '999999'") == "Neuer Lieferant GmbH"
    assert workspace.scalar("select vendor_no from erp.vendors where erp_id = '999999'") == new_no


@pytest.mark.parametrize("text_timestamp", ["2026-11-22 07:00:00", "2026-11-22T07:00:00", "2026-11-22 07:00:00.000"])
def test_sqlite_text_timestamps_in_any_format_are_not_missed(workspace: Workspace, text_timestamp: str) -> None:
    """SQLite keeps timestamps as text: a row written at the last cursor without microseconds must still move."""
    workspace.erp("update cost_center set updated_at = '2026-11-22 07:00:00.000000' where cost_center_id = "
                  "(select min(cost_center_id) from cost_center)")
    _extract_and_map(workspace)
    workspace.erp("update cost_center set description = 'Nachzügler', updated_at = ? where cost_center_id = "
                  "(select max(cost_center_id) from cost_center)", [text_timestamp])
    _extract_and_map(workspace)
    assert workspace.run_results("extract")["erp_raw.cost_center"][0] == 1
    assert workspace.scalar("select count(*) from erp.cost_centers where name = 'Nachzügler'") == 1


def test_status_shows_last_runs(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    result = workspace.cli("status")  # one line per run (tests/test_status.py), the tables with --detail
    assert result.finished
    assert "erp.journal_lines" not in result.stdout
    result = workspace.cli("status", "--detail")
    assert result.finished
    assert "erp_raw.journal_line" in result.stdout
    assert "erp.journal_lines" in result.stdout


def test_incremental_map_agrees_with_a_full_recompute(workspace: Workspace, prepared: Prepared) -> None:
    """A change in a joined lookup table reaches every canonical row that joins it."""
    prepared.into(workspace, *EXTRACT_MAP)
    term_id, term_code = workspace.erp("select payment_term_id, term_code from payment_term "
                                       "where payment_term_id in (select payment_term_id from customer) limit 1")[0]
    workspace.erp("update payment_term set term_code = 'NEU' || term_code, updated_at = '2026-11-22 11:00:00.000000' "
                  "where payment_term_id = ?", [term_id])
    workspace.erp("update journal_line set line_text = 'korrigiert', updated_at = '2026-11-22 11:00:00.000000' "
                  "where line_id % 50 = 3")
    users = workspace.erp("select count(*) from customer where payment_term_id = ?", [term_id])[0][0]

    _extract_and_map(workspace)
    incremental = workspace.run_results("map")
    assert incremental["erp.customers"][0] == users
    assert incremental["erp.payment_terms"][0] == 1
    assert incremental["erp.payment_terms"][3] == 1  # the row under the old code is gone
    assert incremental["erp.journal_lines"][0] == workspace.erp(
        "select count(*) from journal_line where line_id % 50 = 3")[0][0]
    assert workspace.scalar("select count(*) from erp.customers where payment_term_code = ?",
                            ["NEU" + term_code]) == users

    assert workspace.cli("map", "--full").finished
    full = workspace.run_results("map")
    assert all(r[0] == 0 and r[3] == 0 for r in full.values()), full


def test_full_map_finds_rows_gone_from_the_erp(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    workspace.erp("delete from goods_receipt_line where receipt_line_id = (select min(receipt_line_id) "
                  "from goods_receipt_line)")
    # a physical delete is invisible to cursor-based extraction; a full reload of the table shows it
    with duckdb.connect(str(workspace.staging)) as con:
        con.execute("delete from erp_raw.goods_receipt_line where receipt_line_id = "
                    "(select min(receipt_line_id) from erp_raw.goods_receipt_line)")
    assert workspace.cli("map", "--full").finished
    assert workspace.run_results("map")["erp.goods_receipt_lines"][3] == 1


def test_new_row_at_exactly_the_last_cursor_value_is_not_missed(workspace: Workspace, prepared: Prepared) -> None:
    """Unchanged tables are skipped before reading; a new row sharing the last cursor value must not be."""
    prepared.into(workspace, *EXTRACT_MAP)
    last = workspace.erp("select max(updated_at) from cost_unit")[0][0]
    company_id = workspace.erp("select company_id from cost_unit limit 1")[0][0]
    workspace.erp("insert into cost_unit (cost_unit_id, company_id, code, description, updated_at, is_deleted) "
                  "values (777777, ?, 'KT-NEU', 'Neues Projekt', ?, 0)", [company_id, last])
    _extract_and_map(workspace)
    assert workspace.run_results("extract")["erp_raw.cost_unit"][0] == 1
    assert workspace.scalar("select name from erp.cost_units where erp_id = '777777'") == "Neues Projekt"


def test_runs_record_the_dlt_load_of_each_extracted_table(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, *EXTRACT_MAP)
    load_ids = {r[0] for r in workspace.query("select load_id from runs where command = 'extract'")}
    assert load_ids == {r[0] for r in workspace.query("select load_id from erp_raw._dlt_loads")}


def test_two_staging_files_in_one_directory_keep_their_own_cursors(workspace: Workspace) -> None:
    assert workspace.cli("extract").finished
    other = workspace.root / "other.duckdb"
    result = CliRunner().invoke(app, ["extract", "--staging", str(other), "--erp-url", workspace.erp_url, "-q"])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("select count(*) from erp_raw.journal_line").fetchone() == (
            workspace.erp("select count(*) from journal_line")[0][0],)


def test_a_table_staged_by_an_older_model_is_mapped_anew(workspace: Workspace, prepared: Prepared) -> None:
    """A staging file from before a canonical column was added: map rebuilds that table, it does not fail."""
    prepared.into(workspace, *EXTRACT_MAP)
    content = "select count(*), sum(hash(t)) from (select * exclude (_run_id) from erp.payment_terms) t"
    expected = workspace.query(content)
    with duckdb.connect(str(workspace.staging)) as con:
        con.execute("ALTER TABLE erp.payment_terms DROP COLUMN datev_term_no")
    result = workspace.cli("map")
    assert result.exit_code == 0, result.output
    assert "erp.payment_terms was mapped anew in full" in result.output
    columns = [r[0] for r in workspace.query(
        "select column_name from information_schema.columns where table_schema = 'erp' "
        "and table_name = 'payment_terms' order by ordinal_position")]
    assert columns == canonical.table_columns(canonical.entity("payment_terms"))
    assert workspace.query(content) == expected
