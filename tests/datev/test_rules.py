"""The SQL checks compiled from the pydantic models say what the models say, record by record."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from erpload.transforms.datev.encoding import TRANSLITERATION, fold
from erpload.transforms.datev.records import Booking
from erpload.transforms.datev.spec import ENCODING
from erpload.validation import create_findings, field_checks, find_failures, move_to_rejects

_COLUMNS = {
    "company_code": "VARCHAR", "document_kind": "VARCHAR", "document_no": "VARCHAR", "line_no": "INTEGER",
    "posting_date": "DATE", "amount": "DECIMAL(18, 2)", "debit_credit": "VARCHAR", "currency_code": "VARCHAR",
    "rate": "DECIMAL(18, 6)", "base_amount": "DECIMAL(18, 2)", "base_currency": "VARCHAR", "account_no": "VARCHAR",
    "contra_account_no": "VARCHAR", "bu_key": "VARCHAR", "document_number": "VARCHAR",
    "document_number_2": "VARCHAR", "booking_text": "VARCHAR", "cost_center": "VARCHAR", "cost_unit": "VARCHAR",
    "document_link": "VARCHAR", "eu_vat_id": "VARCHAR", "service_date": "DATE", "tax_period_date": "DATE",
    "due_date": "DATE", "reversal": "BOOLEAN", "locked": "BOOLEAN",
}
# free text is cut to length before the checks run, so only the model looks at its length
_FREE_TEXT = {"booking_text"}

_chars = st.sampled_from(list("AZaz09$&%*+-/ ._#,äÜł\"';"))
_word = st.text(_chars, max_size=40)
_maybe_word = st.none() | _word
_digits = st.text(st.sampled_from(list("0123456789A")), max_size=11)
_money = st.decimals(min_value=Decimal("-10"), max_value=Decimal("12000000000"), places=2, allow_nan=False)

_booking = st.fixed_dictionaries({
    "company_code": st.just("1000"),
    "document_kind": st.sampled_from(["sales_invoice", "purchase_invoice", "journal_entry", "payment"]),
    "document_no": st.just("D1"),
    "line_no": st.integers(1, 5),
    "posting_date": st.just(date(2026, 3, 5)),
    "amount": _money,
    "debit_credit": st.sampled_from(["S", "H", "X"]),
    "currency_code": st.sampled_from(["EUR", "USD", "eur", "EURO"]),
    "rate": st.none() | st.decimals(min_value=Decimal("-1"), max_value=Decimal("20000"), places=6,
                                    allow_nan=False),
    "base_amount": st.none() | _money,
    "base_currency": st.none() | st.just("EUR"),
    "account_no": _digits,
    "contra_account_no": _digits,
    "bu_key": st.none() | _digits,
    "document_number": _word,
    "document_number_2": _maybe_word,
    "booking_text": st.none() | st.text(_chars, max_size=60),
    "cost_center": _maybe_word,
    "cost_unit": _maybe_word,
    "document_link": st.none() | st.text(_chars, max_size=230),
    "eu_vat_id": st.none() | st.sampled_from(["DE123456789", "ATU12345678", "de1", "X", "DE 123"]),
    "service_date": st.none() | st.just(date(2026, 3, 1)),
    "tax_period_date": st.none() | st.just(date(2026, 3, 5)),
    "due_date": st.none() | st.just(date(2026, 4, 5)),
    "reversal": st.booleans(),
    "locked": st.booleans(),
})


def _model_verdict(record: dict[str, Any]) -> set[str]:
    try:
        Booking(**record)
    except ValidationError as exc:
        return {str(e["loc"][0]) for e in exc.errors()} - _FREE_TEXT
    return set()


def _sql_verdicts(records: list[dict[str, Any]]) -> list[set[str]]:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f"{k} {v}" for k, v in _COLUMNS.items()) + ")")
    con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(_COLUMNS))})",
                    [[r[k] for k in _COLUMNS] for r in records])
    create_findings(con)
    checks = field_checks(Booking, target="DATEV", code_prefix="datev.bookings")
    find_failures(con, "t", checks, "CAST(r.rid AS VARCHAR)")
    verdicts: list[set[str]] = [set() for _ in records]
    for rid, field in con.execute("SELECT rid, field FROM _findings").fetchall():
        verdicts[rid].add(field)
    return verdicts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_booking, min_size=1, max_size=30))
def test_sql_checks_agree_with_the_model(records: list[dict[str, Any]]) -> None:
    assert _sql_verdicts(records) == [_model_verdict(r) for r in records]


def test_reasons_name_the_value_and_the_rule() -> None:
    record = {k: None for k in _COLUMNS} | {
        "company_code": "1000", "document_kind": "sales_invoice", "document_no": "D1", "line_no": 1,
        "posting_date": date(2026, 3, 5), "amount": Decimal("0.00"), "debit_credit": "S", "currency_code": "EUR",
        "account_no": "10000", "contra_account_no": "8400", "document_number": "RE 2026/01#",
        "reversal": False, "locked": False}
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f"{k} {v}" for k, v in _COLUMNS.items()) + ")")
    con.execute(f"INSERT INTO t VALUES ({', '.join('?' * len(_COLUMNS))})", [record[k] for k in _COLUMNS])
    create_findings(con)
    find_failures(con, "t", field_checks(Booking, target="DATEV", code_prefix="datev.bookings"), "'k'")
    reasons = dict(con.execute("SELECT field, reason FROM _findings").fetchall())
    assert reasons == {
        "amount": "Umsatz (ohne Soll/Haben-Kz) is 0.00; it must be above 0",
        "document_number": "Belegfeld 1 'RE 2026/01#' contains blank '#'; DATEV allows only "
                           "A-Z a-z 0-9 $ & % * + - /",
    }


def test_transliteration_table_writes_to_cp1252_and_leaves_cp1252_alone() -> None:
    for source, target in TRANSLITERATION.items():
        target.encode(ENCODING)  # every replacement is writable
        folded, mapped, unmappable = fold(f"x{source}y")
        assert (folded, mapped, unmappable) == (f"x{target}y", source, "")
    every_cp1252 = bytes(b for b in range(0x20, 0x100) if b not in (0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D))
    text = every_cp1252.decode(ENCODING)
    assert fold(text) == (text, "", "")


def test_unmappable_characters_are_named_never_replaced() -> None:
    folded, mapped, unmappable = fold("Kraków 東京 🚢 Łódź")
    assert unmappable == "東京🚢"
    assert mapped == "Łź"
    assert "?" not in folded


def _rejects_of(records: list[dict[str, Any]], *, suspects: str | None, late_finding: bool) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f"{k} {v}" for k, v in _COLUMNS.items()) + ")")
    con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(_COLUMNS))})",
                    [[r[k] for k in _COLUMNS] for r in records])
    con.execute("CREATE TABLE rejects (run_id VARCHAR, target VARCHAR, entity VARCHAR, record_key VARCHAR, "
                "field VARCHAR, value VARCHAR, reason VARCHAR, fix VARCHAR, record JSON, created_at TIMESTAMP, "
                "reason_code VARCHAR)")
    create_findings(con)
    # a finding made before the checks (as the encoding policy makes them) and, optionally, one after
    con.execute("INSERT INTO _findings VALUES (0, 'early', 'booking_text', NULL, 'early', NULL, 'test.early')")
    checks = field_checks(Booking, target="DATEV", code_prefix="datev.bookings")
    find_failures(con, "t", checks, "CAST(r.rid AS VARCHAR)")
    if late_finding:
        con.execute(f"INSERT INTO _findings VALUES ({len(records) - 1}, 'late', 'x', NULL, 'late', NULL, 'test.late')")
    move_to_rejects(con, "t", run_id="r", target="datev", entity="bookings", rejects="rejects", suspects=suspects)
    return con.execute("SELECT record_key, field, reason, CAST(record AS VARCHAR) FROM rejects ORDER BY ALL").fetchall()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_booking, min_size=1, max_size=20), st.booleans())
def test_rejects_read_from_the_suspects_equal_those_read_from_the_table(records: list[dict[str, Any]],
                                                                         late_finding: bool) -> None:
    from_table = _rejects_of(records, suspects=None, late_finding=late_finding)
    assert _rejects_of(records, suspects="_suspects", late_finding=late_finding) == from_table
    assert {"early", *(["late"] if late_finding else [])} <= {key for key, *_ in from_table}
