"""Maesn transform on the demo ERP: real SQLite, real DuckDB, the real CLI for extract and map.

Per configured system: every posted document in its scope comes out as a proposal or a reject, every
payload (as the push framework builds it) is a valid proposal of that system, drafts and cancelled
documents never appear, proposal ids are uuid5 of the key, each rule's reject is reachable, an
unconfigured system gets no table, and a re-run loads nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pydantic import ValidationError

from erpload.errors import ConfigError
from erpload.fakes.maesn.models import SYSTEMS as FAKE_SYSTEMS
from erpload.fakes.maesn.models import BookingProposal, model_problems
from erpload.push.pusher import payload_sql
from erpload.runs import Run
from erpload.transforms.maesn.demo import demo_config, demo_environment
from erpload.transforms.maesn.expressions import NAMESPACE
from erpload.transforms.maesn.models import PROPOSALS, SYSTEMS, DatevUoBookingProposal, booking_types
from erpload.transforms.maesn.transform import run_transform
from tests.utils import Workspace, shared_workspace

#: per system, SQL over erp for the posted documents it takes under the demo configuration
IN_SCOPE = {
    "datev_uo": ("1000", ("INVOICE", "BILL"), False),
    "exact": ("2000", ("BILL",), False),
    "lexware_office": ("4000", ("INVOICE", "BILL"), False),
    "sevdesk": ("1000", ("INVOICE",), True),
    "xero": ("2000", ("INVOICE", "BILL"), False),
}


def _configure(mp: pytest.MonkeyPatch, config: dict[str, dict[str, Any]]) -> None:
    """`[destination.maesn.<system>]` as environment variables (maps and lists as JSON text)."""
    for name in [n for n in os.environ if n.startswith("DESTINATION__MAESN__")]:
        mp.delenv(name)
    for name, value in demo_environment(config).items():
        mp.setenv(name, value)


def _transform(staging: Path) -> Run:
    run = Run(command="transform maesn", profile=None)
    run_transform(staging, run)
    with duckdb.connect(str(staging)) as con:
        run.record(con)
    return run


def _counts(run: Run) -> dict[str, tuple[int, int, int]]:
    return {r.table.removeprefix("maesn."): (r.loaded, r.unchanged, r.rejected) for r in run.results}


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory, demo_erp_template: Path) -> Iterator[Workspace]:
    """The demo ERP extracted and mapped (by the CLI), configured with the demo's Maesn systems."""
    with shared_workspace(tmp_path_factory.mktemp("maesn"), demo_erp_template, ("extract",), ("map",)) as ws, \
            pytest.MonkeyPatch.context() as mp:
        _configure(mp, demo_config())
        yield ws


@pytest.fixture(scope="module")
def built(mapped: Workspace) -> tuple[Workspace, Run]:
    return mapped, _transform(mapped.staging)


def _in_scope_sql(system: str) -> str:
    company, types, credit_notes = IN_SCOPE[system]
    parts = []
    for booking_type, table in (("INVOICE", "sales_invoices"), ("BILL", "purchase_invoices")):
        if booking_type in types:
            parts.append(f"select company_code || '/{booking_type}/' || invoice_no as k from erp.{table} "
                         f"where status = 'posted' and company_code = '{company}'"
                         + ("" if credit_notes else " and not is_credit_note"))
    return " union all ".join(parts)


def _payloads(ws: Workspace, system: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(_key, _company_code, payload) per proposal, the payload built by the push framework itself."""
    with duckdb.connect(str(ws.staging), read_only=True) as con:
        rows = con.execute(payload_sql(con, "maesn", system) + " ORDER BY _key").fetchall()
    return [(str(k), str(c), json.loads(str(p))) for k, c, _, p in rows]


def _rejects(ws: Workspace, run: Run, system: str) -> dict[str, list[tuple[str, str, str]]]:
    rows = ws.query("select record_key, field, reason, fix from rejects where target = 'maesn' and entity = ? "
                    "and run_id = ?", [system, run.run_id])
    found: dict[str, list[tuple[str, str, str]]] = {}
    for key, field, reason, fix in rows:
        found.setdefault(str(key), []).append((str(field), str(reason), str(fix)))
    return found


def test_every_document_in_scope_is_proposed_or_rejected(built: tuple[Workspace, Run]) -> None:
    ws, run = built
    counts = _counts(run)
    assert set(counts) == set(SYSTEMS)
    for system, (loaded, unchanged, rejected) in counts.items():
        assert unchanged == 0, system
        in_scope = {str(k) for (k,) in ws.query(_in_scope_sql(system))}
        out = {str(k) for (k,) in ws.query(f"select _key from maesn.{system}")}
        rejected_keys = set(_rejects(ws, run, system))
        assert loaded == len(out) > 0, system
        assert rejected == len(rejected_keys), system
        assert out | rejected_keys == in_scope, system
        assert not out & rejected_keys, system


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_payload_is_a_valid_proposal_of_its_system(built: tuple[Workspace, Run], system: str) -> None:
    ws, _ = built
    model = PROPOSALS[system]
    payloads = _payloads(ws, system)
    assert payloads
    for key, company, payload in payloads:
        proposal = model.model_validate_json(json.dumps(payload))  # strict: JSON strings where Maesn has them
        assert proposal.model_dump(mode="json", by_alias=True, exclude_none=True) == payload
        assert set(payload) <= {"booking_type", "booking_proposal", "files", "folder_management"}
        assert payload["booking_type"] in booking_types(system)
        assert key == f"{company}/{payload['booking_type']}/{key.split('/', 2)[2]}"
        assert "companyId" not in payload["booking_proposal"]
        assert re.fullmatch(r"-?\d+\.\d\d", payload["booking_proposal"]["totalGrossAmount"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", payload["booking_proposal"]["bookingProposalDate"])
        for line in payload["booking_proposal"]["lineItems"]:
            assert all(isinstance(v, str) for v in line.values())
        for receipt in payload.get("files", []):
            assert receipt["name"].endswith(".pdf")
            assert receipt["mime_type"] == "application/pdf"
        assert len(payload.get("files", [])) == 1 or system != "datev_uo"  # DATEV UO: never without its receipt
    assert all(("folder_management" in p) == (system == "datev_uo") for _, _, p in payloads)
    assert sum("files" in p for _, _, p in payloads) >= len(payloads) - 1  # the demo ERP has one invoice without


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_maesn_fake_takes_every_payload_without_a_problem_or_an_unused_field(
        built: tuple[Workspace, Run], system: str) -> None:
    """The fake's reading of the contract (written apart from the transform, from the same seed) finds nothing to
    refuse and no field the system would ignore in what the transform built."""
    ws, _ = built
    target = FAKE_SYSTEMS[system]
    for key, _company, payload in _payloads(ws, system):
        assert payload["booking_type"] in target.booking_types, key
        proposal, problems = model_problems(BookingProposal, payload["booking_proposal"], "bookingProposal")
        assert not problems, (key, problems)
        assert isinstance(proposal, BookingProposal)
        assert not target.problems(proposal), (key, target.problems(proposal))
        assert not target.unused_fields(payload["booking_proposal"], "folder_management" in payload), key


def test_a_proposal_carries_the_invoice_as_the_erp_has_it(built: tuple[Workspace, Run]) -> None:
    ws, _ = built
    key, number, gross, city, customer_no = ws.query(
        """select company_code || '/INVOICE/' || invoice_no, invoice_no, total_gross, c.city, customer_no
           from erp.sales_invoices i join erp.customers c using (company_code, customer_no)
           where company_code = '1000' and status = 'posted' and not is_credit_note order by invoice_no limit 1""")[0]
    lines = ws.query("""select description, net_amount, net_amount + tax_amount, account_no, cost_center_code
                        from erp.sales_invoice_lines where company_code = '1000' and invoice_no = ? order by line_no""",
                     [number])
    payload = dict((k, p) for k, _, p in _payloads(ws, "datev_uo"))[str(key)]
    proposal = payload["booking_proposal"]
    assert payload["booking_type"] == "INVOICE"
    assert proposal["number"] == number
    assert proposal["totalGrossAmount"] == f"{gross:.2f}"
    assert proposal["addresses"] == [{"city": city}]
    assert proposal["contactAccountNumber"] == customer_no
    assert proposal["ledgerName"] == "Rechnungsausgang"
    assert [(li["description"], li["totalNetAmount"], li["totalGrossAmount"], li["accountNumber"],
             li.get("dimension1")) for li in proposal["lineItems"]] == [
        (d, f"{n:.2f}", f"{g:.2f}", a, c) for d, n, g, a, c in lines]
    assert payload["folder_management"] == demo_config()["datev_uo"]["folder_management"]
    sevdesk = {k: p for k, _, p in _payloads(ws, "sevdesk")}
    credit_notes = {str(k) for (k,) in ws.query("select company_code || '/INVOICE/' || invoice_no from "
                                                "erp.sales_invoices where company_code = '1000' and is_credit_note "
                                                "and status = 'posted'")}
    assert credit_notes
    assert {k for k, p in sevdesk.items() if p["booking_proposal"]["debitCreditIndicator"] == "CREDIT"} == credit_notes
    assert not credit_notes & {str(k) for (k,) in ws.query("select _key from maesn.datev_uo")}


def test_only_posted_documents_are_proposed(built: tuple[Workspace, Run]) -> None:
    ws, _ = built
    not_posted = {str(k) for (k,) in ws.query(
        """select company_code || '/INVOICE/' || invoice_no from erp.sales_invoices where status <> 'posted'
           union all
           select company_code || '/BILL/' || invoice_no from erp.purchase_invoices where status <> 'posted'""")}
    assert {k.split("/")[0] for k in not_posted} >= {"1000", "2000"}, "the demo ERP has drafts and cancellations"
    for system in SYSTEMS:
        keys = {str(k) for (k,) in ws.query(f"select _key from maesn.{system}")}
        assert not keys & not_posted, system
    assert not ws.query("select record_key from rejects where target = 'maesn' and record_key in (select unnest(?))",
                        [sorted(not_posted)])


def test_proposal_ids_are_uuid5_of_the_key(built: tuple[Workspace, Run]) -> None:
    ws, _ = built
    rows = ws.query("select _key, booking_proposal.id from maesn.datev_uo")
    assert rows
    assert all(str(uuid.uuid5(NAMESPACE, str(k))) == i for k, i in rows)
    assert len({i for _, i in rows}) == len(rows)


def test_out_of_scope_documents_are_noted_not_rejected(built: tuple[Workspace, Run]) -> None:
    ws, run = built
    notes = "\n".join(run.notes)
    assert re.search(r"maesn\.exact: \d+ sales invoices not proposed: Exact takes bills only", notes)
    assert re.search(r"maesn\.sevdesk: \d+ bills not proposed: sevdesk takes invoices only", notes)
    assert re.search(r"maesn\.datev_uo: \d+ credit notes? not proposed: Maesn documents no credit note", notes)
    assert not [k for k in _rejects(ws, run, "exact") if "/INVOICE/" in k]
    assert not [k for k in _rejects(ws, run, "sevdesk") if "/BILL/" in k]


def test_demo_rejects_are_missing_contact_ids_and_planted_faults_only(built: tuple[Workspace, Run]) -> None:
    ws, run = built
    fields = {(str(e), str(f)) for e, f in ws.query(
        "select distinct entity, field from rejects where target = 'maesn' and run_id = ?", [run.run_id])}
    assert fields <= {(s, "contactId") for s in SYSTEMS} | {("datev_uo", "iban")}
    for key, found in _rejects(ws, run, "xero").items():
        for field, reason, fix in found:
            if field == "contactId":
                assert re.fullmatch(r"the (customer|vendor) \d+ has no Maesn contact id", reason), key
                assert fix == "add it in the ERP's external references for system 'maesn'"


# --- every rule's reject, on a copy with faults planted in the canonical data -------------------------------------

@pytest.fixture(scope="module")
def faulty(mapped: Workspace, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run, dict[str, str]]:
    """A copy of the staging file with one fault per rule, each in its own document; transformed."""
    staging = tmp_path_factory.mktemp("faulty") / "erpload.duckdb"
    shutil.copyfile(mapped.staging, staging)
    planted: dict[str, str] = {}
    with duckdb.connect(str(staging)) as con:
        invoices = [str(r[0]) for r in con.execute(
            """select invoice_no from erp.sales_invoices i join erp.customers c using (company_code, customer_no)
               where company_code = '1000' and status = 'posted' and not is_credit_note
                 and c.maesn_contact_id is not null order by invoice_no""").fetchall()]
        customers = {str(a): str(b) for a, b in con.execute(
            "select invoice_no, customer_no from erp.sales_invoices where company_code = '1000'").fetchall()}

        def take(fault: str) -> str:
            # one document per fault, its customer used by no other planted document
            used = {customers[n] for n in planted.values()}
            number = next(n for n in invoices if n not in planted.values() and customers[n] not in used)
            planted[fault] = number
            return number

        long_city = "Sankt Peter-Ording an der Nordsee"  # 33 characters
        con.execute("update erp.customers set city = ? where company_code = '1000' and customer_no = ?",
                    [long_city, customers[take("city")]])
        con.execute("update erp.sales_invoices set currency_code = 'ZMW' where company_code = '1000' "
                    "and invoice_no = ?", [take("currency")])
        con.execute("update erp.documents set file_name = 'scan' where company_code = '1000' and sha256 = "
                    "(select document_sha256 from erp.sales_invoices where company_code = '1000' and invoice_no = ?)",
                    [take("file_name")])
        con.execute("update erp.sales_invoices set document_sha256 = null where company_code = '1000' "
                    "and invoice_no = ?", [take("receipt")])
        con.execute("delete from erp.sales_invoice_lines where company_code = '1000' and invoice_no = ?",
                    [take("lines")])
        # a customer number that is not a DATEV account, and (the profile's join finding no customer) no name
        con.execute("update erp.sales_invoices set customer_no = customer_no || 'A' where company_code = '1000' "
                    "and invoice_no = ?", [take("account")])
    with pytest.MonkeyPatch.context() as mp:
        config = demo_config()
        # one G/L account of Lexware Office's company left out of its map
        config["lexware_office"]["account_ids"].pop("84000000")
        config["exact"]["tax_codes"].pop("V19")  # and Exact's VAT code for 19 % input tax
        config["datev_uo"]["company_codes"] = config["sevdesk"]["company_codes"] = ["1000"]
        _configure(mp, config)
        run = _transform(staging)
    return staging, run, planted


def _reject_of(staging: Path, run: Run, system: str, key: str) -> list[tuple[str, str, str, str]]:
    with duckdb.connect(str(staging), read_only=True) as con:
        rows = con.execute("select field, value, reason, fix from rejects where target = 'maesn' and entity = ? "
                           "and run_id = ? and record_key = ? order by field", [system, run.run_id, key]).fetchall()
    return [(str(f), str(v), str(r), str(h)) for f, v, r, h in rows]


def test_each_rule_rejects_its_fault_with_the_field_and_the_fix(faulty: tuple[Path, Run, dict[str, str]]) -> None:
    staging, run, planted = faulty
    key = {fault: f"1000/INVOICE/{number}" for fault, number in planted.items()}
    city = _reject_of(staging, run, "datev_uo", key["city"])
    assert [(f, r) for f, _, r, _ in city] == [
        ("addresses.city", f"customer {_customer(staging, planted['city'])}: city 'Sankt Peter-Ording an der "
                           "Nordsee' has 33 characters; DATEV Unternehmen Online allows 30")]
    assert "shorten the city in the customer's or vendor's address" in city[0][3]
    assert _reject_of(staging, run, "sevdesk", key["city"]) == []  # sevdesk takes no address
    for system in ("datev_uo", "sevdesk"):
        (currency,) = _reject_of(staging, run, system, key["currency"])
        assert currency[:3] == ("currency", "ZMW", "currency 'ZMW' is not one Maesn takes (its list of ISO 4217 codes)")
        (name,) = _reject_of(staging, run, system, key["file_name"])
        assert name[:2] == ("files.name", "scan")
        assert "is not a file name with an extension" in name[2]
        (lines,) = _reject_of(staging, run, system, key["lines"])
        assert lines[0] == "lineItems"
        assert lines[2] == "the document has no lines"
    (receipt,) = _reject_of(staging, run, "datev_uo", key["receipt"])
    assert receipt[0] == "files"
    assert receipt[2] == (f"the invoice {planted['receipt']} has no receipt file; DATEV Unternehmen Online files "
                          "the proposal with it")
    assert _reject_of(staging, run, "sevdesk", key["receipt"]) == []  # sevdesk books it without
    with duckdb.connect(str(staging), read_only=True) as con:
        assert con.execute("select files from maesn.sevdesk where _key = ?", [key["receipt"]]).fetchall() == [(None,)]
    (account,) = _reject_of(staging, run, "datev_uo", key["account"])
    assert account[0] == "contactAccountNumber"
    assert "is not a DATEV personal account number (digits only, at most 9)" in account[2]
    (contact,) = _reject_of(staging, run, "sevdesk", key["account"])
    assert contact[0] == "contactName"
    assert contact[2] == "the invoice names no contact; sevdesk needs its id or its name"
    lexware = [r for rs in _rejects_all(staging, run, "lexware_office") for r in rs if r[0] == "lineItems.accountId"]
    assert lexware
    assert all(re.fullmatch(r"line \d+: G/L account 84000000 has no Lexware Office posting category id in "
                            r"\[destination\.maesn\.lexware_office\] account_ids", r[2]) for r in lexware)
    assert all("to account_ids under [destination.maesn.lexware_office]" in r[3] for r in lexware)
    exact = [r for rs in _rejects_all(staging, run, "exact") for r in rs if r[0] == "lineItems.taxCode"]
    assert exact
    assert {(r[1], r[2].split(": ", 1)[1]) for r in exact} == {
        ("V19", "tax code 'V19' has no Exact tax code in [destination.maesn.exact] tax_codes")}


def _customer(staging: Path, number: str) -> str:
    with duckdb.connect(str(staging), read_only=True) as con:
        row = con.execute("select customer_no from erp.sales_invoices where company_code = '1000' and invoice_no = ?",
                          [number]).fetchone()
    assert row
    return str(row[0])


def _rejects_all(staging: Path, run: Run, system: str) -> list[list[tuple[str, str, str, str]]]:
    with duckdb.connect(str(staging), read_only=True) as con:
        keys = [str(k) for (k,) in con.execute("select distinct record_key from rejects where target = 'maesn' "
                                               "and entity = ? and run_id = ?", [system, run.run_id]).fetchall()]
    return [_reject_of(staging, run, system, k) for k in keys]


def test_conservation_holds_with_faults(faulty: tuple[Path, Run, dict[str, str]]) -> None:
    staging, run, planted = faulty
    assert planted
    with duckdb.connect(str(staging), read_only=True) as con:
        for result in run.results:
            out = con.execute(f"select count(*) from {result.table}").fetchone()
            rejected = con.execute("select count(distinct record_key) from rejects where target = 'maesn' "
                                   "and entity = ? and run_id = ?", [result.table.split(".")[1], run.run_id]).fetchone()
            assert out is not None
            assert rejected is not None
            assert (result.loaded + result.unchanged, result.rejected) == (out[0], rejected[0])
    per_table = {r.table: r.rejected for r in run.results}
    assert per_table["maesn.datev_uo"] >= len(planted)  # every planted fault reaches DATEV UO


def test_the_models_refuse_what_the_sql_rules_refuse() -> None:
    """The single source: the same limits said by the model for one record."""
    valid = {"bookingProposalDate": "2026-01-31T00:00:00Z", "currency": "EUR", "number": "RE-1",
             "totalGrossAmount": "119.00", "id": str(uuid.uuid5(NAMESPACE, "1000/INVOICE/RE-1")),
             "contactAccountNumber": "10001", "ledgerName": "Rechnungsausgang",
             "lineItems": [{"accountNumber": "8400", "description": "x", "totalGrossAmount": "119.00",
                            "totalNetAmount": "100.00"}]}
    DatevUoBookingProposal.model_validate_json(json.dumps(valid))
    changes: list[dict[str, Any]] = [
        {"addresses": [{"city": "x" * 31}]}, {"currency": "ZMW"}, {"totalGrossAmount": "119"},
        {"totalGrossAmount": 119.0}, {"contactAccountNumber": "10001A"}, {"lineItems": []}, {"id": "not-a-uuid"},
        {"iban": "DE03100100100006820101"}]
    for change in changes:
        with pytest.raises(ValidationError):
            DatevUoBookingProposal.model_validate_json(json.dumps(valid | change))


# --- configuration -----------------------------------------------------------------------------------------------

def test_unconfigured_systems_get_no_table(mapped: Workspace, tmp_path: Path) -> None:
    staging = tmp_path / "erpload.duckdb"
    shutil.copyfile(mapped.staging, staging)
    with pytest.MonkeyPatch.context() as mp:
        _configure(mp, demo_config())
        _transform(staging)
        _configure(mp, {"sevdesk": {"company_codes": "1000"}})
        run = _transform(staging)
    assert [r.table for r in run.results] == ["maesn.sevdesk"]
    with duckdb.connect(str(staging), read_only=True) as con:
        tables = {str(r[0]) for r in con.execute("select table_name from duckdb_tables() "
                                                 "where schema_name = 'maesn'").fetchall()}
    assert tables == {"sevdesk"}


def test_no_system_configured_is_a_config_error_naming_the_keys(mapped: Workspace, tmp_path: Path) -> None:
    staging = tmp_path / "erpload.duckdb"
    shutil.copyfile(mapped.staging, staging)
    with pytest.MonkeyPatch.context() as mp:
        _configure(mp, {})
        with pytest.raises(ConfigError) as none:
            _transform(staging)
        _configure(mp, {"xero": {"company_codes": ["2000"]}})
        with pytest.raises(ConfigError) as lacking:
            _transform(staging)
    assert "no Maesn accounting system is configured" in none.value.message
    assert "[destination.maesn.datev_uo]" in none.value.message
    assert none.value.hint
    assert "ledger_name_invoice" in none.value.hint
    assert "destination.maesn.xero.bank_account_id" in lacking.value.message


def test_rerun_loads_nothing_and_keeps_the_ids(mapped: Workspace, tmp_path: Path) -> None:
    staging = tmp_path / "erpload.duckdb"
    shutil.copyfile(mapped.staging, staging)
    with pytest.MonkeyPatch.context() as mp:
        _configure(mp, demo_config())
        first = _counts(_transform(staging))
        with duckdb.connect(str(staging), read_only=True) as con:
            ids = con.execute("select _key, booking_proposal.id from maesn.datev_uo order by 1").fetchall()
        again = _counts(_transform(staging))
    assert {s: c[0] for s, c in again.items()} == dict.fromkeys(first, 0)
    # the copy holds the module's first transform already: its records count as unchanged both times
    assert {s: c[1] for s, c in again.items()} == {s: c[0] + c[1] for s, c in first.items()}
    assert all(c[1] > 0 for c in again.values())
    with duckdb.connect(str(staging), read_only=True) as con:
        assert con.execute("select _key, booking_proposal.id from maesn.datev_uo order by 1").fetchall() == ids
