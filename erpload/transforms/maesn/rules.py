"""The checks of a Maesn proposal, derived from its models, as SQL over the transform's work tables.

`model_checks` compiles a model's field constraints (`erpload.validation.field_checks`), its currency
list and its record rules for the columns a work table has. Parts of the payload that are nested
(`addresses[]`, `files[]`) are checked on the flat rule columns they are built from (`nested_checks`).
IBANs are checked with python-stdnum once per distinct value (`find_iban_failures`). A reject names
the Maesn field, with `lineItems.`, `addresses.` or `files.` before it for a nested one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import duckdb
import pyarrow as pa
from pydantic import BaseModel
from stdnum import iban as stdnum_iban

from erpload.validation import Check, field_checks, quote_ident, sql_literal

from .currencies import CURRENCIES
from .models import Address, ReceiptFile, Strict


def _extra(model: type[BaseModel], name: str) -> dict[str, Any]:
    extra = model.model_fields[name].json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _is_required_check(check: Check) -> bool:
    col = quote_ident(check.field)
    return check.bad in (f"{col} IS NULL", f"{col} IS NULL OR {col} = ''")


def model_checks(model: type[Strict], label: str, present: set[str],
                 missing: Mapping[str, tuple[str, str]] | None = None, *, code_prefix: str) -> list[Check]:
    """The model's rules for the fields a work table has (`present`); `missing` rewords a required field's
    "is empty" (field -> reason SQL, fix) where the generic words would not say whose data is missing (the
    reason code stays the rule's). Reason codes start with `code_prefix`."""
    missing = missing or {}
    checks = []
    for check in field_checks(model, target=label, code_prefix=code_prefix):
        if check.field not in present:
            continue
        if check.field in missing and _is_required_check(check):
            reason, fix = missing[check.field]
            check = dataclasses.replace(check, reason=reason, fix=fix)
        checks.append(check)
    for name in model.model_fields:
        extra = _extra(model, name)
        if name in present and extra.get("one_of") == "currencies":
            col = quote_ident(name)
            allowed = ", ".join(sql_literal(c) for c in sorted(CURRENCIES))
            checks.append(Check(name, f"{col} NOT IN ({allowed})",
                                f"'currency ''' || {col} || ''' is not one Maesn takes (its list of ISO 4217 codes)'",
                                str(extra.get("fix", "")), col, code=f"{code_prefix}.currency.{name}"))
    checks += [Check(r.field, r.bad, r.reason, r.fix, f"CAST({quote_ident(r.field)} AS VARCHAR)", code=r.code)
               for r in model.record_rules]
    return checks


def _renamed(check: Check, path: str, columns: Mapping[str, str], prefix: str) -> Check:
    """A sub-model's check moved onto the work table's columns; its field shown as `path.field`."""
    def move(sql: str) -> str:
        for field, column in columns.items():
            sql = sql.replace(quote_ident(field), quote_ident(column))
        return sql

    reason = move(check.reason)
    return Check(f"{path}.{check.field}", move(check.bad), f"{prefix} || {reason}" if prefix else reason,
                 check.fix, move(check.value), code=check.code)


def nested_checks(model: type[BaseModel], path: str, label: str, columns: Mapping[str, str],
                  prefix: str = "") -> list[Check]:
    """Checks of a nested object built from rule columns (`columns`: its field -> the column), except
    "is empty": whether the object is there at all is the caller's rule."""
    return [_renamed(c, path, columns, prefix) for c in field_checks(model, target=label, code_prefix=f"maesn.{path}")
            if not _is_required_check(c) and c.field in columns]


def address_checks(label: str) -> list[Check]:
    """`addresses[].city`, checked on the contact's city; the reason names the contact."""
    return nested_checks(Address, "addresses", label, {"city": "contact_city"},
                         prefix="contact_role || ' ' || contact_no || ': '")


def receipt_checks(label: str, required: bool) -> list[Check]:
    """The receipt file: there is one (where `required`), and its name is one Maesn takes."""
    there = Check("files", "file_sha256 IS NULL",
                  "'the ' || CASE booking_type WHEN 'INVOICE' THEN 'invoice' ELSE 'bill' END || ' ' || number || "
                  f"' has no receipt file; {label} files the proposal with it'",
                  "attach the receipt (PDF) to the document in the ERP", "document_sha256",
                  code="maesn.files.no_receipt")
    names = nested_checks(ReceiptFile, "files", label, {"name": "file_name"})
    return [there, *names] if required else names


def has_lines() -> Check:
    return Check("lineItems", "line_count = 0", "'the document has no lines'",
                 "enter the document's lines in the ERP", code="maesn.documents.no_lines")


def find_iban_failures(con: duckdb.DuckDBPyConnection, table: str, model: type[BaseModel],
                       findings: str = "_findings") -> None:
    """Check every IBAN field of `model` in `table` with python-stdnum, once per distinct value; add a
    finding per failing row."""
    for name in model.model_fields:
        if _extra(model, name).get("identifier") != "iban":
            continue
        col = quote_ident(name)
        values = [str(r[0]) for r in con.execute(f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL")
                  .fetchall()]
        bad = [v for v in values if not stdnum_iban.is_valid(v)]
        if not bad:
            continue
        con.register("_bad_ibans", pa.table({"value": bad}))
        try:
            con.execute(f"""INSERT INTO {findings}
                            SELECT r.rowid, r._key, {sql_literal(name)}, r.{col},
                                   'the vendor ' || r.contact_no || '''s IBAN ''' || r.{col} ||
                                   ''' fails the IBAN check (ISO 13616: country, length or check digits)',
                                   {sql_literal(str(_extra(model, name).get("fix", "")))}, 'maesn.iban.invalid'
                            FROM {table} r JOIN _bad_ibans x ON x.value = r.{col}""")
        finally:
            con.unregister("_bad_ibans")
