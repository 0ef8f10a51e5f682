"""d.velop transform on the demo ERP: real SQLite, real DuckDB, the real CLI for extract and map.

Every record comes out loaded or rejected, the demo ERP's planted faults that reach d.velop fields
are rejected with their reason, every payload is a valid d.velop request object, and a re-run loads
nothing but what changed.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from erpload.fakes.dvelop.models import ENTITIES as FAKE_ENTITIES
from erpload.runs import Run
from erpload.transforms.dvelop.entities import entities
from erpload.transforms.dvelop.transform import run_transform
from tests.support.json_payloads import without_nulls
from tests.utils import Workspace, shared_workspace

ENTITIES = {e.name: e for e in entities()}

#: what each table should hold: the canonical records the transform considers (soft-deleted ones never)
RECORDS_IN = {
    "companies": "select count(*) from erp.companies",
    "vendors": "select count(*) from erp.vendors where not is_deleted",
    "vendor_bank_accounts": """select count(*) from erp.vendor_bank_accounts b join erp.vendors v
                               using (company_code, vendor_no) where not b.is_deleted and not v.is_deleted""",
    "payment_terms": "select count(*) from erp.payment_terms where not is_deleted",
    "document_types": "select count(*) from erp.document_types where ledger = 'purchase'",
    "currencies": "select (select count(*) from erp.companies) * (select count(*) from erp.currencies)",
    "tax_codes": "select count(*) from erp.tax_codes where direction = 'input' and not is_deleted",
    "gl_accounts": "select count(*) from erp.gl_accounts where not is_deleted and not is_blocked",
    "cost_centers": "select count(*) from erp.cost_centers where not is_deleted",
    "cost_units": "select count(*) from erp.cost_units where not is_deleted",
    "purchase_orders": "select count(*) from erp.purchase_orders",
    "goods_receipts": "select count(*) from erp.goods_receipts",
}


def _transform(staging: Path) -> Run:
    run = Run(command="transform dvelop", profile=None)
    run_transform(staging, run)
    with duckdb.connect(str(staging)) as con:
        run.record(con)
    return run


def _counts(run: Run) -> dict[str, tuple[int, int, int]]:
    return {r.table.removeprefix("dvelop."): (r.loaded, r.unchanged, r.rejected) for r in run.results}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, demo_erp_template: Path) -> Iterator[tuple[Workspace, Run]]:
    """One demo ERP extracted, mapped (by the CLI) and transformed; tests here only read it."""
    with shared_workspace(tmp_path_factory.mktemp("dvelop"), demo_erp_template, ("extract",), ("map",)) as ws:
        yield ws, _transform(ws.staging)


def _payloads(ws: Workspace, table: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(_key, _company_code, the request object) per row: to_json of the row without `_` columns, nulls dropped."""
    columns = [r[0] for r in ws.query(f"describe dvelop.{table}") if not str(r[0]).startswith("_")]
    struct = "{" + ", ".join(f'"{c}": t."{c}"' for c in columns) + "}"
    rows = ws.query(f"select _key, _company_code, to_json({struct}) from dvelop.{table} t order by _key")
    return [(str(k), str(c), without_nulls(json.loads(str(j)))) for k, c, j in rows]


def test_every_record_is_loaded_or_rejected(built: tuple[Workspace, Run]) -> None:
    ws, run = built
    counts = _counts(run)
    assert set(counts) == set(RECORDS_IN)
    for table, (loaded, unchanged, rejected) in counts.items():
        assert unchanged == 0, table
        assert loaded + rejected == ws.scalar(RECORDS_IN[table]), table
        assert loaded == ws.scalar(f"select count(*) from dvelop.{table}"), table
        assert rejected == ws.scalar("select count(distinct record_key) from rejects where target = 'dvelop' "
                                     "and entity = ? and run_id = ?", [table, run.run_id]), table
        assert loaded > 0, table
    assert sum(r for _, _, r in counts.values()) > 0


def test_entities_without_a_canonical_source_get_no_table(built: tuple[Workspace, Run]) -> None:
    ws, _ = built
    tables = {str(r[0]) for r in ws.query("select table_name from duckdb_tables() where schema_name = 'dvelop'")}
    assert tables == set(RECORDS_IN)
    assert not tables & {"other_dimensions", "custom_entities", "surcharge_types"}


def _faults(ws: Workspace, table: str, fault: str) -> list[str]:
    with sqlite3.connect(ws.erp_path) as con:
        rows = con.execute("select record_id from demo_fault where table_name = ? and fault = ?", [table, fault])
        return [str(r[0]) for r in rows]


def _rejects(ws: Workspace, run: Run, entity: str) -> dict[str, list[tuple[str, str, str]]]:
    rows = ws.query("select record_key, field, reason, fix from rejects where target = 'dvelop' and entity = ? "
                    "and run_id = ?", [entity, run.run_id])
    found: dict[str, list[tuple[str, str, str]]] = {}
    for key, field, reason, fix in rows:
        found.setdefault(str(key), []).append((str(field), str(reason), str(fix)))
    return found


def test_invalid_ibans_are_rejected_with_the_iban_named(built: tuple[Workspace, Run]) -> None:
    ws, run = built
    ids = _faults(ws, "vendor_bank_account", "invalid_iban")
    assert ids
    faulty = ws.query("select company_code || '/' || vendor_no || '/' || iban, iban from erp.vendor_bank_accounts "
                      f"where erp_id in ({', '.join('?' * len(ids))}) and not is_deleted", ids)
    rejects = _rejects(ws, run, "vendor_bank_accounts")
    assert faulty
    assert {str(k) for k, _ in faulty} <= set(rejects)
    for key, iban in faulty:
        assert rejects[str(key)] == [("iban", f"IBAN '{iban}' fails the IBAN check (ISO 13616: country, length or "
                                      "check digits)", "correct the vendor's IBAN in the ERP")]
        assert ws.scalar("select count(*) from dvelop.vendor_bank_accounts where _key = ?", [key]) == 0


def test_an_eu_vendor_without_vat_id_is_rejected(built: tuple[Workspace, Run]) -> None:
    ws, run = built
    ids = _faults(ws, "vendor", "missing_vat_id")
    assert ids
    faulty = ws.query(f"select company_code || '/' || vendor_no, country_code from erp.vendors "
                      f"where erp_id in ({', '.join('?' * len(ids))}) and not is_deleted", ids)
    rejects = _rejects(ws, run, "vendors")
    assert faulty
    for key, country in faulty:
        assert rejects[str(key)] == [(
            "vat_id", f"the vendor in {country} has tax category EU (intra-community acquisition) but no VAT id; "
            "d.velop recognises the vendor and checks its invoices by it", "store the vendor's VAT id in the ERP")]


def test_overlong_names_pass_because_dvelop_documents_no_length(built: tuple[Workspace, Run]) -> None:
    ws, _ = built
    ids = _faults(ws, "vendor", "overlong_name")
    assert ids
    names = ws.query(f"select v.name, d.name from erp.vendors v join dvelop.vendors d "
                     f"on d._key = v.company_code || '/' || v.vendor_no "
                     f"where v.erp_id in ({', '.join('?' * len(ids))})", ids)
    assert names
    assert all(len(str(a)) > 50 and a == b for a, b in names)


def test_only_planted_faults_are_rejected(built: tuple[Workspace, Run]) -> None:
    """The demo ERP is clean apart from its planted faults: nothing else is set aside."""
    ws, run = built
    reasons = {(str(e), str(f)) for e, f in ws.query(
        "select distinct entity, field from rejects where target = 'dvelop' and run_id = ?", [run.run_id])}
    assert reasons == {("vendor_bank_accounts", "iban"), ("vendors", "vat_id")}


@pytest.mark.parametrize("table", sorted(RECORDS_IN))
def test_every_payload_is_a_valid_request_object_for_us_and_the_fake(built: tuple[Workspace, Run], table: str) -> None:
    ws, _ = built
    entity = ENTITIES[table]
    payloads = _payloads(ws, table)
    assert payloads
    for key, company, payload in payloads:
        record = entity.model.model_validate_json(json.dumps(payload))  # strict: JSON types as the API wants them
        FAKE_ENTITIES[table].model.model_validate_json(json.dumps(payload))  # and as the loopback fake reads it
        assert key == "/".join(str(payload[f]) for f in entity.key)
        assert company == payload.get("company_id", payload.get("id"))
        assert record.model_dump(exclude_none=True, mode="json") == payload
    assert ws.scalar(f"select count(distinct _key) = count(*) and count(_key) = count(*) from dvelop.{table}")


def test_line_ids_are_unique_across_companies_and_surcharges_point_at_lines(built: tuple[Workspace, Run]) -> None:
    ws, _ = built
    assert ws.scalar("select count(distinct po_no) < count(*) from (select distinct company_code, po_no "
                     "from erp.purchase_orders)"), "the demo ERP reuses order numbers across companies"
    for table in ("purchase_orders", "goods_receipts"):
        ids = ws.query(f"select l.id from dvelop.{table}, unnest(line_items) as u(l)")
        assert ids
        assert len({i for (i,) in ids}) == len(ids)
    surcharges = ws.query("""select l.type, l.surcharged_line_item_id, l.item,
                                    list_contains(list_transform(line_items, x -> x.id), l.surcharged_line_item_id)
                             from dvelop.purchase_orders, unnest(line_items) as u(l) where l.type <> 'item'""")
    assert {t for t, *_ in surcharges} == {"header_surcharge", "line_item_surcharge"}
    for kind, target, item, points_in_order in surcharges:
        assert item == ""
        assert (target is not None and points_in_order) if kind == "line_item_surcharge" else target is None


def test_one_bad_line_holds_back_its_whole_order(built: tuple[Workspace, Run], tmp_path: Path) -> None:
    ws, _ = built
    staging = tmp_path / "copy.duckdb"
    shutil.copyfile(ws.staging, staging)
    with duckdb.connect(str(staging)) as con:
        (bad_item_po, bad_item_line), (bad_tax_po, bad_tax_line) = con.execute(
            """select company_code || '/' || po_no, line_no from erp.purchase_order_lines
               where line_type = 'item' and line_no > 1 order by company_code, po_no limit 2""").fetchall()
        con.execute("""update erp.purchase_order_lines set item_no = null
                       where company_code || '/' || po_no = ? and line_no = ?""", [bad_item_po, bad_item_line])
        con.execute("""update erp.purchase_order_lines set tax_code = 'U19'
                       where company_code || '/' || po_no = ? and line_no = ?""", [bad_tax_po, bad_tax_line])
        orders = int(con.execute("select count(*) from erp.purchase_orders").fetchone()[0])  # type: ignore[index]
    run = _transform(staging)
    assert _counts(run)["purchase_orders"][2] == 2
    with duckdb.connect(str(staging)) as con:
        kept = {k for (k,) in con.execute("select _key from dvelop.purchase_orders").fetchall()}
        rejects = con.execute("select record_key, field, reason from rejects where entity = 'purchase_orders' "
                              "and run_id = ? order by record_key", [run.run_id]).fetchall()
    assert len(kept) == orders - 2
    assert not kept & {bad_item_po, bad_tax_po}
    assert sorted(rejects) == sorted([
        (bad_item_po, "line_items.item", f"line {bad_item_line}: the article line has no article number"),
        (bad_tax_po, "line_items.tax_code_id",
         f"line {bad_tax_line}: input tax code 'U19' is not one in use at company {bad_tax_po.split('/')[0]}"),
    ])


def test_rerun_loads_nothing_and_a_changed_vendor_loads_one(workspace: Workspace) -> None:
    ws = workspace
    for args in (("extract",), ("map",)):
        assert ws.cli(*args).finished
    first = _counts(_transform(ws.staging))
    assert all(loaded > 0 for loaded, _, _ in first.values())
    again = _counts(_transform(ws.staging))
    assert {t: c[0] for t, c in again.items()} == dict.fromkeys(first, 0)
    assert {t: c[1] + c[2] for t, c in again.items()} == {t: c[0] + c[2] for t, c in first.items()}

    vendor_id, = ws.erp("""select vendor_id from vendor where is_deleted = 0 and vat_id is not null
                           order by vendor_id limit 1""")[0]
    ws.erp("update vendor set city = 'Neustadt', updated_at = '2026-10-31 23:00:00' where vendor_id = ?",
           [vendor_id])
    for args in (("extract",), ("map",)):
        assert ws.cli(*args).finished
    changed = _counts(_transform(ws.staging))
    assert {t: c[0] for t, c in changed.items()} == dict.fromkeys(first, 0) | {"vendors": 1}
    assert ws.scalar("select v.city from dvelop.vendors v join erp.vendors e "
                     "on v._key = e.company_code || '/' || e.vendor_no where e.erp_id = ?", [str(vendor_id)]) \
        == "Neustadt"
