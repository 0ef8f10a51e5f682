"""IBAN, BIC and VAT ids: checked with python-stdnum, per record by the models, in bulk for a table.

A model field marks the identifier it holds with the extra `identifier` ("iban", "bic" or "vat").
The model validates one value (`validate`); `find_identifier_failures` checks a whole table the
same way, once per distinct value, and adds a finding per failing row, so a million bank accounts
cost one `is_valid` call per distinct IBAN, not one per row and field.

>>> is_valid("iban", "DE02100100100006820101"), is_valid("iban", "DE03100100100006820101")
(True, False)
>>> is_valid("bic", "PBNKDEFF"), is_valid("vat", "DE136695976"), is_valid("vat", "DE136695977")
(True, True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pyarrow as pa
from pydantic import BaseModel
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import vatin as stdnum_vatin

from erpload.validation import quote_ident, sql_literal

Identifier = Literal["iban", "bic", "vat"]


@dataclass(frozen=True)
class _Kind:
    is_valid: Callable[[str], bool]
    #: why a value fails, after the value: "IBAN 'DE03…' <problem>"
    problem: str
    label: str


_KINDS: dict[str, _Kind] = {
    "iban": _Kind(stdnum_iban.is_valid, "fails the IBAN check (ISO 13616: country, length or check digits)", "IBAN"),
    "bic": _Kind(stdnum_bic.is_valid, "is not a valid BIC (ISO 9362: 8 or 11 letters and digits)", "BIC"),
    "vat": _Kind(stdnum_vatin.is_valid,
                 "is not a valid VAT id (country prefix, then the number with its check digits)", "VAT id"),
}


def is_valid(kind: str, value: str) -> bool:
    """Whether `value` is a valid identifier of `kind` (iban, bic or vat)."""
    return _KINDS[kind].is_valid(value)


def validator(kind: Identifier) -> Callable[[str | None], str | None]:
    """A pydantic AfterValidator for an identifier field (None passes: optional fields)."""

    def check(value: str | None) -> str | None:
        if value is not None and not is_valid(kind, value):
            raise ValueError(_KINDS[kind].problem)
        return value

    return check


def identifier_fields(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> identifier kind, for the model's fields that hold one."""
    found = {}
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        kind = extra.get("identifier")
        if isinstance(kind, str):
            found[name] = kind
    return found


def _fix(model: type[BaseModel], field: str) -> str:
    extra: Any = model.model_fields[field].json_schema_extra
    return str(extra.get("fix", "")) if isinstance(extra, dict) else ""


def find_identifier_failures(con: duckdb.DuckDBPyConnection, table: str, model: type[BaseModel], key_sql: str,
                             findings: str = "_findings") -> int:
    """Check every identifier field of `model` in `table`; add a finding per failing row. Returns how many."""
    bad: list[tuple[str, str, str, str, str]] = []
    for field, kind in identifier_fields(model).items():
        col = quote_ident(field)
        spec = _KINDS[kind]
        values = [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL").fetchall()]
        bad += [(field, v, f"{spec.label} '{v}' {spec.problem}", _fix(model, field), f"dvelop.{kind}.invalid")
                for v in values if not spec.is_valid(v)]
    if not bad:
        return 0
    names = ("field", "value", "reason", "fix", "code")
    con.register("_bad_identifiers", pa.table({n: [b[i] for b in bad] for i, n in enumerate(names)}))
    try:
        before = con.execute(f"SELECT count(*) FROM {findings}").fetchone()
        for field in sorted({b[0] for b in bad}):
            col = quote_ident(field)
            con.execute(f"""INSERT INTO {findings}
                            SELECT r.rowid, {key_sql}, x.field, x.value, x.reason, x.fix, x.code
                            FROM {table} r JOIN _bad_identifiers x
                              ON x.field = {sql_literal(field)} AND x.value = r.{col}""")
        after = con.execute(f"SELECT count(*) FROM {findings}").fetchone()
    finally:
        con.unregister("_bad_identifiers")
    return (int(after[0]) if after else 0) - (int(before[0]) if before else 0)
