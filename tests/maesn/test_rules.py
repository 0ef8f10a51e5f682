"""The SQL the Maesn transform runs says what the per-system models say, record by record.

For every model (each system's proposal header and line, the address and the receipt file), hypothesis
writes records of strings that hit and miss the models' patterns, lengths, vocabularies, currency list
and IBAN check; the model validates each one as JSON, the transform's checks (`rules`) judge the same
records in a DuckDB table, and both must name the same fields.
"""

from __future__ import annotations

import typing
import uuid
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from erpload.transforms.maesn.expressions import NAMESPACE
from erpload.transforms.maesn.models import (
    AMOUNT,
    DATEV_ACCOUNT,
    LABELS,
    RATE,
    SYSTEMS,
    Address,
    ReceiptFile,
    Strict,
    header_model,
    line_model,
)
from erpload.transforms.maesn.rules import find_iban_failures, model_checks
from erpload.validation import create_findings, find_failures, quote_ident
from tests.support.model_verdict import model_verdict

_TEXTS = ["", " ", "x", "500.00", "500", "-12.50", "1.5", "19", "5.5", "2026-01-31T00:00:00Z", "2026-01-31",
          str(uuid.uuid5(NAMESPACE, "1000/INVOICE/RE-1")), str(uuid.uuid4()), "EUR", "eur", "ZMW", "DKK", "8400",
          "84A", "1234567890", "DEBIT", "CREDIT", "debit", "DE02100100100006820101", "DE03100100100006820101",
          "RE-2026-0001.pdf", "scan", ".pdf", "Sankt Peter-Ording an der Nordsee", "Kiel", "a" * 256 + ".pdf",
          "c3a388a8" * 8]
_text = st.sampled_from(_TEXTS) | st.text(max_size=6)

#: (model, label, the payload around its fields for the model's verdict)
CASES: list[tuple[type[Strict], str]] = [
    *[(header_model(s), s) for s in SYSTEMS], *[(line_model(s), s) for s in SYSTEMS],
    (Address, "datev_uo"), (ReceiptFile, "datev_uo"),
]


def _flat(model: type[BaseModel]) -> list[str]:
    """The fields held in a work table's columns (nested lists are checked on their own)."""
    return [name for name in model.model_fields if name not in ("addresses", "lineItems")]


def _valid(model: type[BaseModel]) -> dict[str, str]:
    """A valid value for each required field of `model`."""
    values = {}
    for name, info in model.model_fields.items():
        if not info.is_required() or name in ("addresses", "lineItems"):
            continue
        pattern = next((getattr(m, "pattern", None) for m in info.metadata if getattr(m, "pattern", None)), None)
        literals = typing.get_args(info.annotation)
        values[name] = {AMOUNT: "1.00", RATE: "19", DATEV_ACCOUNT: "8400"}.get(pattern or "", "x")
        if literals:
            values[name] = str(literals[0])
        elif name == "id":
            values[name] = str(uuid.uuid5(NAMESPACE, "k"))
        elif name == "currency":
            values[name] = "EUR"
        elif name.endswith("Date"):
            values[name] = "2026-01-31T00:00:00Z"
        elif name == "name":
            values[name] = "x.pdf"
        elif name == "sha256":
            values[name] = "c3a388a8" * 8
    return values


def _context(model: type[Strict], system: str) -> dict[str, Any]:
    """What the model needs beside the judged fields: a valid line for a header."""
    if "lineItems" in model.model_fields:
        # sevdesk's line needs a net or a gross amount (a record rule, not a required field)
        return {"lineItems": [_valid(line_model(system)) | {"totalNetAmount": "1.00"}]}
    return {}


def _model_verdict(model: type[Strict], system: str, record: dict[str, Any]) -> tuple[set[str], set[str]]:
    return model_verdict(model, {k: v for k, v in record.items() if v is not None} | _context(model, system), record)


def _sql_verdicts(model: type[Strict], system: str, records: list[dict[str, Any]]) -> list[tuple[set[str], set[str]]]:
    fields = _flat(model)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (_key VARCHAR, contact_no VARCHAR, "
                + ", ".join(f"{quote_ident(k)} VARCHAR" for k in fields) + ")")
    con.executemany(f"INSERT INTO t VALUES ('k', '70001', {', '.join('?' * len(fields))})",
                    [[r[k] for k in fields] for r in records])
    checks = model_checks(model, LABELS[system], set(fields), code_prefix="maesn.test")
    rules = len(model.record_rules)
    create_findings(con)
    find_failures(con, "t", checks[:len(checks) - rules], "CAST(r.rid AS VARCHAR)")
    find_iban_failures(con, "t", model)
    create_findings(con, "_rule_findings")
    find_failures(con, "t", checks[len(checks) - rules:], "CAST(r.rid AS VARCHAR)", findings="_rule_findings")
    verdicts: list[tuple[set[str], set[str]]] = [(set(), set()) for _ in records]
    for table, part in (("_findings", 0), ("_rule_findings", 1)):
        for rid, field in con.execute(f"SELECT rid, field FROM {table}").fetchall():
            verdicts[rid][part].add(field)
    con.close()
    return verdicts


def _agreeing(model: type[Strict], system: str, records: list[dict[str, Any]]) -> None:
    for record, (sql_fields, sql_rules) in zip(records, _sql_verdicts(model, system, records), strict=True):
        model_fields, model_rules = _model_verdict(model, system, record)
        assert model_fields == sql_fields, record
        assert model_rules == (sql_rules if not sql_fields else set()), record


@pytest.mark.parametrize(("model", "system"), CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_sql_checks_agree_with_the_model(model: type[Strict], system: str) -> None:
    fields = _flat(model)
    valid = _valid(model)
    record = st.fixed_dictionaries({name: st.none() | st.just(valid.get(name, "x")) | _text for name in fields})

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(record, min_size=1, max_size=20))
    def agree(records: list[dict[str, Any]]) -> None:
        _agreeing(model, system, records)

    agree()


def test_a_valid_record_passes_both_and_each_kind_of_fault_fails_both() -> None:
    """The agreement above means something: these break a pattern, a length, the currency list, a vocabulary,
    the IBAN check and a record rule, and both sides say so."""
    datev, sevdesk = header_model("datev_uo"), header_model("sevdesk")
    base = {k: None for k in _flat(datev)} | _valid(datev)
    invoice = {k: None for k in _flat(sevdesk)} | _valid(sevdesk)
    cases: list[tuple[type[Strict], str, dict[str, Any], tuple[set[str], set[str]]]] = [
        (datev, "datev_uo", base, (set(), set())),
        (datev, "datev_uo", base | {"totalGrossAmount": "500", "currency": "ZMW", "iban": "DE03100100100006820101"},
         ({"totalGrossAmount", "currency", "iban"}, set())),
        (datev, "datev_uo", base | {"contactAccountNumber": "84A", "id": str(uuid.uuid4())},
         ({"contactAccountNumber", "id"}, set())),
        (Address, "datev_uo", {"city": "Sankt Peter-Ording an der Nordsee"}, ({"city"}, set())),
        (sevdesk, "sevdesk", invoice | {"debitCreditIndicator": "debit", "contactName": "x"},
         ({"debitCreditIndicator"}, set())),
        (sevdesk, "sevdesk", invoice, (set(), {"contactName"})),
        (line_model("sevdesk"), "sevdesk", {k: None for k in _flat(line_model("sevdesk"))}
         | {"accountNumber": "8400", "description": "x"}, (set(), {"totalNetAmount"})),
    ]
    for model, system, record, expected in cases:
        assert _model_verdict(model, system, record) == expected, record
        assert _sql_verdicts(model, system, [record]) == [expected], record
