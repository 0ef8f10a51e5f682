"""Zahlungsbedingungen (category 46): canonical payment terms -> checked records -> EXTF file -> read back.

A small canonical `erp` in a real DuckDB file, the real transform, export, reader and checker; no demo
ERP, so the whole module runs in a few seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from erpload import canonical
from erpload.runs import Run
from erpload.staging import ensure_framework_tables
from erpload.transforms.datev.check import check_file
from erpload.transforms.datev.export import ExportPlan, publish, run_export
from erpload.transforms.datev.reader import read_extf
from erpload.transforms.datev.spec import PARTNERS, PAYMENT_TERMS
from erpload.transforms.datev.transform import run_transform

LONG_NAME = "Zahlbar innerhalb von 30 Tagen ohne Abzug, bei Lastschrift mit 2 % Skonto nach Absprache"

# code, name, net days, discount days, discount %, deleted, DATEV number mapped by the profile (datev_term_no)
TERMS: list[tuple[str, str, int, int | None, str | None, bool, int | None]] = [
    ("10", "Netto 30 Tage", 30, None, None, False, None),
    ("11", "2 % Skonto 10 Tage, netto 30 Tage", 30, 10, "2.00", False, None),
    ("12", "3,5 % Skonto 8 Tage, netto 45 Tage \u2013 Großkunden", 45, 8, "3.50", False, None),
    ("13", "Sofort ohne Abzug", 0, 0, "0.00", False, None),  # 0 % and 0 days: an ERP's way to say "no discount"
    ("14", LONG_NAME, 30, None, None, False, None),
    ("999", "Netto 90 Tage", 90, None, None, False, None),
    # codes as ERPs name them, with the number the profile maps
    ("NT30", "Netto 30 Tage", 30, None, None, False, 30),
    ("SK3-8", "3 % Skonto 8 Tage, netto 45 Tage", 45, 8, "3.00", False, 31),
    ("15", "Netto 15 Tage", 15, None, None, False, 40),  # a mapped number wins over a numeric code
    ("NT14", "Netto 14 Tage", 14, None, None, False, None),
    ("007", "Netto 7 Tage", 7, None, None, False, None),
    ("1000", "Netto 60 Tage", 60, None, None, False, None),
    ("NT99", "Netto 99 Tage", 99, None, None, False, 1200),
    ("NT0", "Netto ohne Nummer", 30, None, None, False, 0),
    # one number, two terms: a code that is 50 and a term mapped to 50
    ("50", "Netto 50 Tage", 50, None, None, False, None),
    ("NT50", "Netto 50 Tage (neu)", 50, None, None, False, 50),
    ("20", "2 % Skonto ohne Frist", 30, None, "2.00", False, None),
    ("21", "Skontotage ohne Prozent", 30, 10, None, False, None),
    ("22", "2 % Skonto 40 Tage, netto 30 Tage", 30, 40, "2.00", False, None),
    ("23", "Netto 21 Tage (gelöscht)", 21, None, None, True, None),
    ("NT21", "Netto 21 Tage (gelöscht)", 21, None, None, True, 11),  # deleted: its number 11 clashes with none
]
#: code -> the Nummer written for it
KEPT = {"10": "10", "11": "11", "12": "12", "13": "13", "14": "14", "999": "999", "NT30": "30", "SK3-8": "31",
        "15": "40"}


@dataclass
class Staging:
    con: duckdb.DuckDBPyConnection
    out: Path
    transform: Run
    plan: ExportPlan


def _erp(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA erp")
    for ent in canonical.ENTITIES:
        con.execute(canonical.create_table_sql(ent, "erp"))

    def insert(table: str, **values: Any) -> None:
        values |= {"erp_id": "1", "updated_at": date(2026, 1, 1), "_row_hash": 0, "_run_id": "test"}
        con.execute(f"INSERT INTO erp.{table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                    list(values.values()))

    for code, consultant in (("1000", 29098), ("3000", None)):  # 3000 is no DATEV client
        insert("companies", company_code=code, name="Test GmbH", country_code="DE", local_currency="EUR",
               datev_consultant_no=consultant, datev_client_no=consultant and 55003, fiscal_year_start_month=1,
               chart_of_accounts="SKR03", gl_account_length=4, datev_lock_batches=False)
    for code, name, net, days, percent, deleted, number in TERMS:
        insert("payment_terms", company_code="1000", payment_term_code=code, name=name, net_days=net,
               discount_days=days, discount_percent=Decimal(percent) if percent else None, is_deleted=deleted,
               datev_term_no=number)
    # 3000 is no DATEV client: its terms are not written, and their numbers clash with nothing
    insert("payment_terms", company_code="3000", payment_term_code="10", name="Netto 30 dage", net_days=30,
           is_deleted=False, datev_term_no=30)
    for no, term in (("10001", "11"), ("10002", "NT14"), ("10003", None), ("10004", "23"), ("10005", "NT30"),
                     ("10006", "15"), ("10007", "NT50")):
        insert("customers", company_code="1000", customer_no=no, name=f"Kunde {no}", country_code="DE",
               payment_term_code=term, is_deleted=False)


@pytest.fixture(scope="module")
def staging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staging]:
    """Transform and export once for the module; tests only read (or copy what they change)."""
    root = tmp_path_factory.mktemp("terms")
    con = duckdb.connect(str(root / "staging.duckdb"))
    ensure_framework_tables(con)
    _erp(con)
    transform = Run(command="transform datev", profile=None)
    run_transform(con, transform)
    out = root / "out"
    plan = run_export(con, Run(command="export datev", profile=None), out)
    publish(con, out)
    yield Staging(con, out, transform, plan)
    con.close()


def _terms_file(s: Staging) -> Path:
    [path] = sorted(s.out.glob("EXTF_Zahlungsbedingungen_*.csv"))
    return path


def _number(raw: str) -> int | None:
    return int(raw) if raw else None


def _differences(path: Path, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every field of every line of a Zahlungsbedingungen file against `datev.payment_terms`, read with the
    reader and parsed here, independently of the writer's SQL; returns what differs."""
    company = path.stem.split("_")[2]
    staged = {r[0]: r[1:] for r in con.execute(
        "SELECT payment_term_no, name, net_days, discount_days, discount_percent FROM datev.payment_terms "
        "WHERE company_code = ?", [company]).fetchall()}
    extf = read_extf(path.read_bytes())
    diffs = [f"{len(extf.rows)} lines, staging has {len(staged)}"] if len(extf.rows) != len(staged) else []
    filled = {"Nummer", "Bezeichnung", "Fälligkeitstyp", "Skonto 1%", "Skonto 1 Tage", "Fällig Tage"}
    for line in extf.rows:
        field = dict(zip(PAYMENT_TERMS.headings, line.values, strict=True))
        row = staged.get(field["Nummer"])
        if row is None:
            diffs.append(f"line {line.number}: Nummer {field['Nummer']!r} is not in staging")
            continue
        name, net_days, discount_days, discount_percent = row
        percent = _number(field["Skonto 1%"])
        written = (field["Bezeichnung"], _number(field["Fällig Tage"]), _number(field["Skonto 1 Tage"]),
                   None if percent is None else Decimal(percent) / 100)
        for heading, got, want in zip(("Bezeichnung", "Fällig Tage", "Skonto 1 Tage", "Skonto 1%"), written,
                                      (name, net_days, discount_days, discount_percent), strict=True):
            if got != want:
                diffs.append(f"line {line.number} {heading}: {got!r} != {want!r}")
        if field["Fälligkeitstyp"] != "1":
            diffs.append(f"line {line.number} Fälligkeitstyp: {field['Fälligkeitstyp']!r}")
        diffs += [f"line {line.number} {h} should be empty" for h, v in field.items() if h not in filled and v]
    return diffs


def test_written_file_reads_back_as_staging_every_field(staging: Staging) -> None:
    path = _terms_file(staging)
    assert path.name == "EXTF_Zahlungsbedingungen_1000_01.csv"  # company 3000 is no DATEV client
    assert dict(staging.con.execute("SELECT payment_term_code, payment_term_no FROM datev.payment_terms").fetchall()
                ) == KEPT
    assert _differences(path, staging.con) == []
    data = path.read_bytes()
    assert data.endswith(b"\r\n")
    assert "\u2013 Großkunden".encode("cp1252") in data  # Windows-1252, the en dash too (0x96)
    header = read_extf(data).header
    assert header is not None
    assert header.fields[2:5] == ["46", '"Zahlungsbedingungen"', "2"]
    # the discount in hundredths without a comma, like DATEV's sample: 2,00 % -> 200, 3,50 % -> 350
    lines = {line.values[0]: line.values for line in read_extf(data).rows}
    assert lines["11"][3:8] == ["200", "10", "", "", "30"]
    assert lines["12"][3] == "350"
    assert lines["13"][3:8] == ["", "", "", "", "0"]  # "no discount" written as none
    # a long label is cut to its column, with a note, like every free text
    assert lines["14"][1] == LONG_NAME[:60].rstrip()
    assert any("payment_terms: name cut to 60" in note for note in staging.transform.notes)


def test_a_changed_field_in_the_file_is_caught(staging: Staging, tmp_path: Path) -> None:
    """The comparison above can fail: one Skonto value changed in a copy of the file is reported."""
    copy = tmp_path / _terms_file(staging).name
    copy.write_bytes(_terms_file(staging).read_bytes().replace(b";200;10;", b";300;10;"))
    assert _differences(copy, staging.con) == ["line 4 Skonto 1%: Decimal('3') != Decimal('2.00')"]


def test_written_file_passes_the_checker_without_findings(staging: Staging) -> None:
    report = check_file(_terms_file(staging))
    assert report.ok
    assert [(f.where, f.message) for f in report.findings] == []


_NO_NUMBER = "payment_terms.datev_term_no"  # the fix for a term without a DATEV number names the profile column


@pytest.mark.parametrize(("code", "field", "reason", "fix"), [
    # no datev_term_no and a code that is no number 1-999
    ("NT14", "payment_term_no", "Nummer 'NT14' is not a number 1-999 without leading zeros", _NO_NUMBER),
    ("007", "payment_term_no", "Nummer '007' is not a number 1-999", _NO_NUMBER),
    ("1000", "payment_term_no", "Nummer '1000' is not a number 1-999", "never cuts or renumbers"),
    # a mapped number out of range
    ("NT99", "payment_term_no", "Nummer '1200' is not a number 1-999", _NO_NUMBER),
    ("NT0", "payment_term_no", "Nummer '0' is not a number 1-999", _NO_NUMBER),
    # one number for two terms: both go, DATEV could not tell them apart
    ("50", "payment_term_no", "Nummer 50 is given to 2 payment terms of company 1000 (50, NT50)", _NO_NUMBER),
    ("NT50", "payment_term_no", "Nummer 50 is given to 2 payment terms of company 1000 (50, NT50)", _NO_NUMBER),
    ("20", "discount_days", "a cash discount of 2,00 % without discount days", "discount days"),
    ("21", "discount_percent", "10 discount days without a discount percentage", "discount percentage"),
    ("22", "discount_days", "the discount period (40 days) ends after the payment is due (30 days)",
     "before the due date"),
])
def test_a_bad_payment_term_is_rejected_with_reason_and_fix(staging: Staging, code: str, field: str, reason: str,
                                                            fix: str) -> None:
    rows = staging.con.execute("SELECT field, reason, fix, value FROM rejects WHERE target = 'datev' "
                               "AND entity = 'payment_terms' AND record_key = ?", [f"1000/{code}"]).fetchall()
    assert [r[0] for r in rows] == [field]
    assert reason in rows[0][1]
    assert fix in rows[0][2]
    # never cut or renumbered into the file either
    numbers = {line.values[0] for line in read_extf(_terms_file(staging).read_bytes()).rows}
    tried = rows[0][3] if field == "payment_term_no" else code
    assert tried not in numbers
    assert tried[:3] not in numbers


def test_partners_refer_only_to_payment_terms_in_the_file(staging: Staging) -> None:
    [path] = sorted(staging.out.glob("EXTF_Debitoren_Kreditoren_1000_*.csv"))
    column = PARTNERS.column("Zahlungsbedingung").index - 1
    written = {line.values[0]: line.values[column] for line in read_extf(path.read_bytes()).rows}
    # a partner refers to its term by code and gets the term's number; NT14 and NT50 were rejected, 23 is
    # deleted: no dangling reference
    assert written == {"10001": "11", "10002": "", "10003": "", "10004": "", "10005": "30", "10006": "40",
                       "10007": ""}
    [note] = [n for n in staging.transform.notes if "without Zahlungsbedingung" in n]
    assert "3 customers and vendors" in note
    assert "23, NT14, NT50" in note


def test_the_file_is_on_record_and_a_second_export_writes_nothing(staging: Staging) -> None:
    name = _terms_file(staging).name
    manifest = {f["file"]: f for f in json.loads((staging.out / "manifest.json").read_text())["files"]}
    assert (manifest[name]["category"], manifest[name]["rows"]) == (46, len(KEPT))
    assert staging.con.execute("SELECT category, rows FROM exports WHERE file_name = ?", [name]).fetchall() == [
        (46, len(KEPT))]
    assert staging.con.execute("SELECT count(*) FROM datev_exported WHERE category = 46").fetchone() == (len(KEPT),)
    # the terms come first: DATEV must know them before a Debitoren/Kreditoren file refers to them
    assert [f.category for f in staging.plan.files] == [46, 16]

    again = run_export(staging.con, Run(command="export datev", profile=None), staging.out, dry_run=True)
    assert again.files == []
