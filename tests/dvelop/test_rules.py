"""The SQL the transform runs says what the d.velop models say, record by record.

For every request model, hypothesis writes records of the model's field types (valid and not);
the model validates each one as JSON, the transform's checks (constraints compiled to SQL, the
stdnum bulk check, the record rules in SQL) judge the same records in a DuckDB table, and both must
name the same fields.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from typing import Any, Literal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpload.transforms.dvelop import models
from erpload.transforms.dvelop.identifiers import find_identifier_failures
from erpload.transforms.dvelop.models import TARGET, Request
from erpload.transforms.dvelop.rules import record_rule_checks
from erpload.validation import create_findings, field_checks, find_failures, quote_ident
from tests.support.model_verdict import model_verdict

MODELS: list[type[Request]] = [
    models.Company, models.Vendor, models.VendorBankAccount, models.PaymentTerm, models.DocumentType,
    models.Currency, models.TaxCode, models.GlAccount, models.CostCenter, models.CostUnit,
    models.OtherDimension, models.CustomEntity, models.PurchaseOrder, models.PurchaseOrderLineItem,
    models.GoodsReceipt, models.GoodsReceiptLineItem, models.SurchargeType,
]

# values that hit the patterns, identifiers, vocabularies and record rules, and values that miss them
_TEXTS = ["", " ", "DE", "dk", "DEU", "EUR", "eur", "EURO", "NATIONAL", "EU", "FULL", "item", "pcs",
          "line_item_surcharge", "header_surcharge", "DE02100100100006820101", "DE03100100100006820101",
          "GB29NWBK60161331926819", "PBNKDEFF", "PBNKDEFFXXX", "PBNK", "DE136695976", "DE136695977",
          "ATU13585627", "CHE757411321MWST", "Müller & Søn GmbH"]
_text = st.sampled_from(_TEXTS) | st.text(max_size=6)


def _base(annotation: Any) -> Any:
    """The annotation without None."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else typing.Union[tuple(args)]  # noqa: UP007
    return annotation


def _literals(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    return [v for a in typing.get_args(annotation) for v in _literals(a)]


def _column(annotation: Any) -> tuple[str, st.SearchStrategy[Any]]:
    """The DuckDB type the transform gives such a field, and values for it."""
    base = _base(annotation)
    literals = _literals(base)
    if literals:
        if all(isinstance(v, int) for v in literals):
            return "INTEGER", st.sampled_from([*literals, 0, 9])
        return "VARCHAR", st.sampled_from([*literals, "other"]) | _text
    if base is bool:
        return "BOOLEAN", st.booleans()
    if base is int:
        return "INTEGER", st.integers(-3, 120)
    if base is float:
        return "DOUBLE", st.sampled_from([0.0, 100.0, 100.5, -0.5]) | st.floats(-10, 150, allow_nan=False)
    if base is date:
        return "VARCHAR", st.dates().map(date.isoformat)
    return "VARCHAR", _text


def _fields(model: type[Request]) -> dict[str, tuple[str, st.SearchStrategy[Any]]]:
    return {name: _column(info.annotation) for name, info in model.model_fields.items() if name != "line_items"}


def _records(model: type[Request]) -> st.SearchStrategy[list[dict[str, Any]]]:
    record = st.fixed_dictionaries({name: st.none() | values for name, (_, values) in _fields(model).items()})
    return st.lists(record, min_size=1, max_size=20)


def _model_verdict(model: type[Request], record: dict[str, Any]) -> tuple[set[str], set[str]]:
    return model_verdict(model, {k: v for k, v in record.items() if v is not None}, record)


def _sql_verdicts(model: type[Request], records: list[dict[str, Any]]) -> list[tuple[set[str], set[str]]]:
    fields = _fields(model)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f"{quote_ident(k)} {t}" for k, (t, _) in fields.items()) + ")")
    con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(fields))})", [[r[k] for k in fields]
                                                                               for r in records])
    key = "CAST(r.rid AS VARCHAR)"
    create_findings(con)
    find_failures(con, "t", field_checks(model, target=TARGET, code_prefix="dvelop.test"), key)
    find_identifier_failures(con, "t", model, "CAST(r.rowid AS VARCHAR)")
    create_findings(con, "_rule_findings")
    find_failures(con, "t", record_rule_checks(model), key, findings="_rule_findings")
    verdicts: list[tuple[set[str], set[str]]] = [(set(), set()) for _ in records]
    for table, part in (("_findings", 0), ("_rule_findings", 1)):
        for rid, field in con.execute(f"SELECT rid, field FROM {table}").fetchall():
            verdicts[rid][part].add(field)
    con.close()
    return verdicts


def _agreeing(model: type[Request], records: list[dict[str, Any]]) -> None:
    for record, (sql_fields, sql_rules) in zip(records, _sql_verdicts(model, records), strict=True):
        model_fields, model_rules = _model_verdict(model, record)
        assert model_fields == sql_fields, record
        # the model applies its record rules only to records whose fields are valid
        assert model_rules == (sql_rules if not sql_fields else set()), record


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_sql_checks_agree_with_the_model(model: type[Request]) -> None:
    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_records(model))
    def agree(records: list[dict[str, Any]]) -> None:
        _agreeing(model, records)

    agree()


def test_every_constraint_and_rule_is_exercised() -> None:
    """The agreement above means something: these records break each kind of check, and both sides say so."""
    vendor = {"company_id": "1000", "id": "70001", "name": "Müller", "address": "Hafenstraße 1", "city": "Kiel",
              "zip_code": "24103", "country": "DE", "email": None, "vat_id": None, "registration_id": None,
              "payment_terms_id": None, "tax_category_1": "NATIONAL"}
    cases: list[tuple[type[Request], dict[str, Any], tuple[set[str], set[str]], dict[str, Any]]] = [
        (models.Vendor, vendor, ({"country", "name"}, set()), {"country": "Deutschland", "name": ""}),
        (models.Vendor, vendor, ({"vat_id"}, set()), {"vat_id": "DE136695977"}),
        (models.Vendor, vendor, (set(), {"vat_id"}), {"tax_category_1": "EU"}),
        (models.Vendor, vendor, ({"tax_category_1"}, set()), {"tax_category_1": "INLAND"}),
        (models.PaymentTerm, {"company_id": "1000", "id": "SK2", "net_days": 30, "cashback_days1": None,
                              "cashback_percentage1": 2.0, "name": None}, (set(), {"cashback_percentage1"}), {}),
        (models.PaymentTerm, {"company_id": "1000", "id": "SK2", "net_days": -1, "cashback_days1": 10,
                              "cashback_percentage1": 120.0, "name": None},
         ({"net_days", "cashback_percentage1"}, set()), {}),
        (models.VendorBankAccount, {"company_id": "1000", "vendor_id": "70001", "id": "x",
                                    "iban": "DE03100100100006820101", "bic": "PBNK", "primary": None},
         ({"iban", "bic", "primary"}, set()), {}),
    ]
    for model, base, expected, change in cases:
        record = {k: None for k in _fields(model)} | base | change
        assert _model_verdict(model, record) == expected
        assert _sql_verdicts(model, [record]) == [expected]


def test_reasons_say_what_is_wrong_in_a_bookkeepers_words() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (country VARCHAR, address VARCHAR, tax_category_1 VARCHAR, company_id VARCHAR, "
                "id VARCHAR, name VARCHAR, city VARCHAR, zip_code VARCHAR, vat_id VARCHAR)")
    con.execute("INSERT INTO t VALUES ('Deutschland', '', 'EU', '1000', '70001', 'Müller', 'Kiel', '24103', NULL)")
    create_findings(con)
    checks = [*field_checks(models.Vendor, target=TARGET, code_prefix="dvelop.vendors"),
              *record_rule_checks(models.Vendor)]
    find_failures(con, "t", checks, "'k'")
    reasons = {f: (r, h) for f, r, h in con.execute("SELECT field, reason, fix FROM _findings").fetchall()}
    assert reasons == {
        "address": ("vendor address is empty; d.velop needs it",
                    "enter the vendor's street and house number in the ERP"),
        "country": ("vendor country 'Deutschland' is not an ISO 3166-1 alpha-2 country code (DE, DK, ...)",
                    "store the vendor's country as an ISO 3166 2-letter code"),
        "vat_id": ("the vendor in Deutschland has tax category EU (intra-community acquisition) but no VAT id; "
                   "d.velop recognises the vendor and checks its invoices by it",
                   "store the vendor's VAT id in the ERP"),
    }
