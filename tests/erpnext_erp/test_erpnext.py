"""A third ERP shape, ERPNext's, through a profile written from the README: extract -> map -> DATEV files that check.

Only posted documents are in the books: drafts (docstatus 0) never; a submitted document that was
cancelled (docstatus 2) is booked with its Storno, so it nets to nothing; an amendment is booked; an
invoice whose supplier was deleted is a reject, never lost.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from erpload.targets import targets
from tests.erpnext_erp.erp import DELETED_SUPPLIER, create_erpnext_erp
from tests.utils import Workspace

PROFILE = str(Path(__file__).resolve().parent / "erpnext.toml")


def _erp(ws: Workspace, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(ws.erp_path) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The ERPNext-shaped ERP through extract, map, transform datev and export datev, once for this module."""
    root = tmp_path_factory.mktemp("erpnext")
    ws = Workspace(root=root, erp_path=root / "erpnext.sqlite")
    create_erpnext_erp(ws.erp_path)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv("ERPLOAD__TARGETS", "datev")  # this ERP feeds DATEV only (README: [erpload] targets)
        for args in (("extract",), ("map",), ("transform", "datev"), ("export", "datev", "--out", "out")):
            result = ws.cli(*args, profile=PROFILE)
            assert result.finished, result.output
    return ws


def test_the_datev_files_pass_datev_check(exported: Workspace) -> None:
    files = sorted((exported.root / "out").glob("EXTF_*.csv"))
    assert [f.name for f in files if "Buchungsstapel" in f.name] == [
        "EXTF_Buchungsstapel_MH_2026-03_01.csv", "EXTF_Buchungsstapel_MH_2026-04_01.csv"]
    result = exported.cli("datev", "check", *map(str, files))
    assert result.finished, result.output


def test_the_files_reconcile_with_the_erps_posted_ledger(exported: Workspace) -> None:
    result = exported.cli("datev", "reconcile", "--staging", str(exported.staging))
    assert result.finished, result.output


#: a booking row's effect on its account: Soll +, Haben -, and a Generalumkehr (GU) row counts the other way
_SIGNED = "(CASE WHEN debit_credit = 'S' THEN amount ELSE -amount END) * (CASE WHEN reversal THEN -1 ELSE 1 END)"


def test_drafts_are_never_booked_and_cancelled_documents_net_to_nothing(exported: Workspace) -> None:
    submitted = {str(name): int(str(status)) for name, status in _erp(exported, f"""
        select name, docstatus from "tabSales Invoice" where docstatus > 0
        union select name, docstatus from "tabPurchase Invoice" where docstatus > 0
            and supplier <> '{DELETED_SUPPLIER}'
        union select name, docstatus from "tabJournal Entry" where docstatus = 1""")}
    # a cancelled journal entry has no lines: the profile takes the G/L entries ERPNext has not cancelled
    events = {(str(doc), str(event)) for doc, event in exported.query(
        "select distinct document_no, event from datev.bookings")}
    assert {doc for doc, event in events if event == "posting"} == set(submitted)
    assert {doc for doc, event in events if event == "cancellation"} == {
        doc for doc, status in submitted.items() if status == 2}
    assert "ACC-SINV-2026-00005-1" in submitted  # the amendment of a cancelled invoice is booked
    text = "".join(f.read_text(encoding="cp1252") for f in (exported.root / "out").glob("EXTF_Buchungsstapel_*"))
    for draft in ("ACC-SINV-2026-00003", "ACC-SINV-2026-00007", "ACC-JV-2026-00004", "ACC-PINV-2026-00003",
                  "ACC-JV-2026-00003"):
        assert draft not in text


def test_bookings_carry_the_erp_amounts_and_the_credit_note_turns_the_side(exported: Workspace) -> None:
    erp_gross = {str(name): Decimal(str(gross)) if status == 1 else Decimal(0) for name, gross, status in _erp(
        exported, 'select name, grand_total, docstatus from "tabSales Invoice" where docstatus > 0')}
    # seen from the customer's account: an invoice is Soll, a return (negative in ERPNext) Haben
    booked = {str(doc): Decimal(str(total)) for doc, total in exported.query(
        f"select document_no, sum({_SIGNED}) from datev.bookings where document_kind = 'sales_invoice' group by all")}
    assert booked == erp_gross
    assert booked["ACC-SINV-2026-00006"] < 0


def test_the_lifecycle_is_translated(exported: Workspace) -> None:
    rows = dict(exported.query("select invoice_no, status || '/' || coalesce(cast(cancelled_on as varchar), '') || '/' "
                               "|| coalesce(replaces_no, '') from erp.sales_invoices"))
    assert rows["ACC-SINV-2026-00003"] == "draft//"
    assert rows["ACC-SINV-2026-00005"] == "cancelled/2026-03-13/"
    assert rows["ACC-SINV-2026-00005-1"] == "posted//ACC-SINV-2026-00005"


def test_an_invoice_of_a_deleted_supplier_is_a_reject_not_lost(exported: Workspace) -> None:
    rejects = exported.query("select field, reason from erpload.rejects where target = 'erp' "
                             "and entity = 'purchase_invoices' and record_key = 'MH/ACC-PINV-2026-00004'")
    assert rejects
    assert rejects[0][0] == "vendor_no"
    assert DELETED_SUPPLIER in str(rejects[0][1])  # the profile's vendor_no__erp_id names the missing supplier


def test_an_erpnext_table_name_in_a_select_gets_duckdbs_hint_and_the_erp_raw_name(
        exported: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPLOAD__TARGETS", "datev")
    text = Path(PROFILE).read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace("from erp_raw.tab_company co\n", 'from erp_raw."tabCompany" co\n', 1),
                     encoding="utf-8")
    result = exported.cli("map", profile=str(wrong))
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # as one line, however the console wrapped it
    assert "Table with name tabCompany does not exist" in said
    assert 'Did you mean "tab_company"' in said  # DuckDB's own hint, kept
    assert "erp_raw holds it as erp_raw.tab_company" in said
    assert "run `erpload extract`" not in said


def test_run_feeds_only_the_configured_targets_and_a_second_run_books_nothing_twice(
        exported: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(exported.root)
    monkeypatch.setenv("ERPLOAD__TARGETS", "datev")
    monkeypatch.setenv("ERPLOAD__DATEV__OUT", str(exported.root / "out"))
    files = sorted(p.name for p in (exported.root / "out").glob("EXTF_*.csv"))
    result = exported.cli("run", profile=PROFILE)
    assert result.finished, result.output
    others = ", ".join(name for name in targets() if name != "datev")
    assert f"{others} skipped: not in [erpload] targets" in " ".join(result.output.split())
    assert sorted(p.name for p in (exported.root / "out").glob("EXTF_*.csv")) == files


def test_a_draft_posted_and_an_exported_invoice_cancelled_in_the_erp_reach_the_books(
        exported: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(exported.root)
    monkeypatch.setenv("ERPLOAD__TARGETS", "datev")
    monkeypatch.setenv("ERPLOAD__DATEV__OUT", str(exported.root / "out"))
    before = {p.name for p in (exported.root / "out").glob("EXTF_Buchungsstapel_*.csv")}
    with sqlite3.connect(exported.erp_path) as con:  # submit the draft, cancel an exported invoice
        con.execute("""update "tabSales Invoice" set docstatus = 1, modified = '2026-04-05 10:00:00'
                       where name = 'ACC-SINV-2026-00003'""")
        con.execute("""update "tabSales Invoice" set docstatus = 2, modified = '2026-04-06 10:00:00'
                       where name = 'ACC-SINV-2026-00002'""")
    result = exported.cli("run", profile=PROFILE)
    assert result.finished, result.output
    new = sorted({p.name for p in (exported.root / "out").glob("EXTF_Buchungsstapel_*.csv")} - before)
    assert new, result.output  # the changes go into new files of their periods
    text = "".join((exported.root / "out" / name).read_text(encoding="cp1252") for name in new)
    assert "ACC-SINV-2026-00003" in text
    assert "ACC-SINV-2026-00002" in text  # its Storno
    net = {str(doc): Decimal(str(total)) for doc, total in exported.query(
        f"select document_no, sum({_SIGNED}) from datev.bookings "
        "where document_no in ('ACC-SINV-2026-00002', 'ACC-SINV-2026-00003') group by all")}
    assert net == {"ACC-SINV-2026-00002": Decimal(0), "ACC-SINV-2026-00003": Decimal("1178.10")}
    files = sorted((exported.root / "out").glob("EXTF_*.csv"))
    check = exported.cli("datev", "check", *map(str, files))
    assert check.exit_code == 0, check.output
    reconcile = exported.cli("datev", "reconcile", "--staging", str(exported.staging))
    assert reconcile.exit_code == 0, reconcile.output


def test_a_row_moved_from_the_cursor_value_past_it_is_seen(tmp_path: Path) -> None:
    """ERPNext rows often share one `modified` (a bulk import): updating one of them keeps the count there."""
    import sqlalchemy as sa

    from erpload.sources.erp import has_nothing_new

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'erp.sqlite'}")
    with engine.begin() as con:
        con.execute(sa.text('CREATE TABLE "tabItem" (name TEXT PRIMARY KEY, modified DATETIME)'))
        con.execute(sa.text("INSERT INTO \"tabItem\" VALUES ('a', '2026-04-02 09:00:00.000000'), "
                            "('b', '2026-04-02 09:00:00.000000')"))
    last = datetime(2026, 4, 2, 9)
    with engine.connect() as con:
        assert has_nothing_new(con, "tabItem", "modified", last, boundary_rows=2)
    with engine.begin() as con:
        con.execute(sa.text("UPDATE \"tabItem\" SET modified = '2026-04-05 10:00:00' WHERE name = 'a'"))
    with engine.connect() as con:
        assert not has_nothing_new(con, "tabItem", "modified", last, boundary_rows=2)


def test_with_every_target_map_names_what_dvelop_still_needs(exported: Workspace,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERPLOAD__TARGETS", raising=False)  # the default: every target
    result = exported.cli("map", profile=PROFILE)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "purchase_orders (read by dvelop)" in said
    assert "[erpload] targets" in said
    assert "Traceback" not in said
