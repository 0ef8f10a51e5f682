"""`erpload transform datev`: the canonical `erp` dataset -> the `datev` dataset, checked, bad records set aside.

Four tables come out, one per file category: `datev.bookings` (Buchungsstapel), `datev.payment_terms`
(Zahlungsbedingungen), `datev.partners` (Debitoren/Kreditoren) and `datev.account_labels`
(Kontenbeschriftungen). Each is recomputed in full (DuckDB does a million bookings in seconds); what was
already exported is `export`'s business. Payment terms come before partners: a partner refers to its
payment term only when the term was kept.

Per table: text is made writable to Windows-1252 by the declared policy (`encoding`), free text is
cut to its column with a warning, then every field rule (from `records`) and every cross-record rule
(from `rules`) runs in SQL. A failing record goes to `erpload.rejects` with its reason and fix; a
document with one failing row is held back whole, so no file ever carries half an invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import duckdb
from pydantic import BaseModel
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban

from erpload.runs import Run, TableResult
from erpload.staging import FRAMEWORK_SCHEMA, scalar_int, sql_literal
from erpload.validation import (
    Check,
    count_changed,
    create_findings,
    field_checks,
    find_failures,
    free_text_limits,
    move_to_rejects,
    quote_ident,
)

from .bookings import PeriodUnit, bookings_sql, drop_zero_lines
from .encoding import describe, fold
from .master_data import MAX_BANK_ACCOUNTS, account_labels_sql, bank_column, partners_sql, payment_terms_sql
from .records import AccountLabel, Booking, PartnerWithBanks, PaymentTerm
from .rules import ACCOUNT_LABEL_RULES, BOOKING_RULES, PARTNER_RULES, PAYMENT_TERM_RULES
from .spec import NOT_CP1252
from .tax import TAX_RULE_COLUMNS, note_unjudged_keys
from .vat import find_vat_failures

TARGET = "datev"
SCHEMA = "datev"


@dataclass(frozen=True)
class _Table:
    name: str
    sql: str
    model: type[BaseModel]
    rules: list[Check]
    key_sql: str
    #: the columns of one record as DATEV sees it: a failure rejects all rows sharing them
    group_by: list[str]
    #: text columns that go into the file
    text_columns: tuple[str, ...]
    #: a record in the counts: a document for bookings, a row otherwise
    count_sql: str
    #: columns only the rules need: not kept in the dataset
    rule_columns: tuple[str, ...] = ()


def _tables(period: PeriodUnit) -> list[_Table]:
    return [
        _Table("bookings", bookings_sql(period), Booking, BOOKING_RULES,
               "r.company_code || '/' || r.document_kind || '/' || r.document_no || '/' || r.line_no "
               "|| CASE WHEN r.event = 'cancellation' THEN '/storno' ELSE '' END",
               ["company_code", "document_kind", "document_no"], ("booking_text",),
               "count(DISTINCT (company_code, document_kind, document_no))",
               ("document_date", "document_fiscal_year_start", "account_kind", "contra_kind", "tax_scope",
                "account_length", "imbalance", "account_known", "contra_known", "uses_deleted_account",
                "tax_code_known", *TAX_RULE_COLUMNS)),
        _Table("payment_terms", payment_terms_sql(), PaymentTerm, PAYMENT_TERM_RULES,
               "r.company_code || '/' || r.payment_term_code", [], ("name",), "count(*)", ("same_no_codes",)),
        # after payment_terms: its work table holds the terms kept (see `_transform_table`)
        _Table("partners", partners_sql(payment_terms=_work("payment_terms")), PartnerWithBanks, PARTNER_RULES,
               "r.company_code || '/' || r.role || '/' || r.account_no", [],
               ("name", "street", "city", "zip_code", "email", "phone", "tax_number",
                *(bank_column(n, f) for n in range(1, MAX_BANK_ACCOUNTS + 1) for f in ("bank_name", "holder"))),
               "count(*)", ("payment_term_code", "primary_bank_accounts")),
        _Table("account_labels", account_labels_sql(), AccountLabel, ACCOUNT_LABEL_RULES,
               "r.company_code || '/' || r.account_no", [], ("label",), "count(*)"),
    ]


_PENDING_REJECTS = "_datev_rejects"


def _work(table: str) -> str:
    """The temp table a `datev` table is built in; after its checks it holds only the records kept."""
    return f"_datev_{table}"


def run_transform(con: duckdb.DuckDBPyConnection, run: Run, period: PeriodUnit = "month") -> None:
    """Rebuild the `datev` dataset from `erp`; results go to `run`.

    The work happens in temp tables, outside a transaction (DuckDB is markedly slower on big temp tables
    inside one); only the outcome, the four tables and their rejects, is written in one transaction, so
    a failure leaves the dataset and `erpload.rejects` as they were.
    """
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_PENDING_REJECTS} AS SELECT * FROM {FRAMEWORK_SCHEMA}.rejects LIMIT 0")
    tables = _tables(period)
    for table in tables:
        run.add_timed(partial(_transform_table, con, table, run))
    con.begin()
    try:
        con.execute(f"INSERT INTO {FRAMEWORK_SCHEMA}.rejects BY NAME SELECT * FROM {_PENDING_REJECTS}")
        # row order carries no meaning here, and not keeping it lets DuckDB write in parallel
        con.execute("SET preserve_insertion_order = false")
        for table in tables:
            con.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{table.name} AS SELECT * FROM {_work(table.name)}")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        # a held connection goes on to `export`, which reads its lines in the order it stored them
        con.execute("RESET preserve_insertion_order")


def _transform_table(con: duckdb.DuckDBPyConnection, table: _Table, run: Run) -> TableResult:
    work = _work(table.name)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {work} AS {table.sql}")
    if table.name == "bookings":
        _drop_zero_lines(con, work, run)
    records_in = scalar_int(con, f"SELECT {table.count_sql} FROM {work}")
    create_findings(con)
    _fold_text(con, work, table, run)
    _cut_free_text(con, work, table, run)
    columns = _columns(con, work)
    checks = [c for c in field_checks(table.model, target="DATEV", code_prefix=f"{TARGET}.{table.name}")
              if c.field in columns] + table.rules
    find_failures(con, work, checks, table.key_sql)
    if table.name == "partners":
        _check_bank_accounts(con, work, table.key_sql)
        find_vat_failures(con, work, "vat_id", table.key_sql, "the partner's VAT id",
                          "correct the customer's or vendor's VAT id in the ERP (the EU's VIES service confirms one)",
                          "datev.vat_id.invalid")
    if table.name == "bookings":
        find_vat_failures(con, work, "eu_vat_id", table.key_sql, "EU-Mitgliedstaat u. UStID (the partner's VAT id)",
                          "correct the customer's or vendor's VAT id in the ERP (the EU's VIES service confirms one)",
                          "datev.vat_id.invalid")
    rejected = move_to_rejects(con, work, run_id=run.run_id, target=TARGET, entity=table.name,
                               group_by=table.group_by or None, rejects=_PENDING_REJECTS, suspects="_suspects")
    records_out = records_in - rejected
    if table.name == "partners":
        _note_unlinked_payment_terms(con, work, run)
        _note_main_bank_accounts(con, work, run)
    if table.name == "bookings":
        note_unjudged_keys(con, work, run)
    if table.rule_columns:
        for column in table.rule_columns:
            con.execute(f"ALTER TABLE {work} DROP COLUMN {quote_ident(column)}")
    changed = _changed_records(con, work, table, records_out)
    return TableResult(table=f"datev.{table.name}", loaded=changed, unchanged=records_out - changed,
                       rejected=rejected)


def _changed_records(con: duckdb.DuckDBPyConnection, work: str, table: _Table, records: int) -> int:
    """Records (documents for bookings) new or different since the last transform; all `records` the first time."""
    changed = count_changed(con, work, SCHEMA, table.name, table.count_sql)
    return records if changed is None else changed


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}


def _fold_text(con: duckdb.DuckDBPyConnection, work: str, table: _Table, run: Run) -> None:
    """Apply the encoding policy to the few values that need it; unmappable characters reject."""
    folded_chars: dict[str, int] = {}
    for column in table.text_columns:
        col = quote_ident(column)
        field = table.model.model_fields.get(column)
        extra = field.json_schema_extra if field and isinstance(field.json_schema_extra, dict) else {}
        label = str(extra.get("column", column))
        rows = con.execute(f"SELECT rowid, {col}, {table.key_sql} FROM {work} r "
                           f"WHERE regexp_matches({col}, {sql_literal(NOT_CP1252)})").fetchall()
        updates, failures = [], []
        for rid, value, key in rows:
            new, mapped, unmappable = fold(value)
            if unmappable:
                failures.append((rid, key, column, value,
                                 f"{label} '{value}' has {describe(unmappable)}, which a DATEV file (Windows-1252) "
                                 "cannot carry and erpload has no transliteration for",
                                 "replace or remove the character in the ERP", "datev.encoding.not_windows_1252"))
            else:
                updates.append((rid, new))
                for ch in mapped:
                    folded_chars[ch] = folded_chars.get(ch, 0) + 1
        if updates:
            con.execute("CREATE OR REPLACE TEMP TABLE _folded (rid BIGINT, value VARCHAR)")
            _insert_values(con, "_folded", updates)
            con.execute(f"UPDATE {work} SET {col} = f.value FROM _folded f WHERE {work}.rowid = f.rid")
        if failures:
            _append_findings(con, failures)
    if folded_chars:
        shown = ", ".join(f"{ch} x{n}" for ch, n in sorted(folded_chars.items(), key=lambda kv: -kv[1]))
        run.note(f"datev.{table.name}: transliterated {sum(folded_chars.values()):,} characters outside "
                 f"Windows-1252 ({shown})")


def _append_findings(con: duckdb.DuckDBPyConnection,
                     rows: Sequence[tuple[int, str, str, str, str, str, str]]) -> None:
    """Add (rid, record_key, field, value, reason, fix, code) rows to `_findings`."""
    _insert_values(con, "_findings", rows)


def _insert_values(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple[str | int | None, ...]]) -> None:
    """Insert `rows` as literals, a thousand per statement.

    Not executemany (DuckDB runs it once per row) and not a registered Arrow table or bound parameters:
    either makes DuckDB's Python client import pandas (~0.5 s), which nothing else here needs."""
    for start in range(0, len(rows), 1000):
        values = ", ".join("(" + ", ".join(map(sql_literal, row)) + ")" for row in rows[start:start + 1000])
        con.execute(f"INSERT INTO {table} VALUES {values}")


def _cut_free_text(con: duckdb.DuckDBPyConnection, work: str, table: _Table, run: Run) -> None:
    for column, limit in free_text_limits(table.model).items():
        col = quote_ident(column)
        cut = scalar_int(con, f"SELECT count(*) FROM {work} WHERE length({col}) > {limit}")
        if cut:
            con.execute(f"UPDATE {work} SET {col} = rtrim(left({col}, {limit})) WHERE length({col}) > {limit}")
            run.note(f"datev.{table.name}: {column} cut to {limit} characters in {cut:,} records")


def _drop_zero_lines(con: duckdb.DuckDBPyConnection, work: str, run: Run) -> None:
    """0,00 lines are not booked and never hold back their document; the summary counts them."""
    lines, empty = drop_zero_lines(con, work)
    if lines:
        run.note(f"datev.bookings: {lines:,} lines of 0,00 not booked (they move nothing, DATEV cannot book 0,00)"
                 + (f"; {empty:,} document{'s' if empty > 1 else ''} had only such lines and nothing to book"
                    if empty else ""))


def _note_unlinked_payment_terms(con: duckdb.DuckDBPyConnection, work: str, run: Run) -> None:
    """Partners whose payment term is not written (rejected, deleted or unknown) go without one: say so."""
    row = con.execute(f"""SELECT count(*), count(DISTINCT company_code || '/' || payment_term_code),
                                 string_agg(DISTINCT payment_term_code, ', ' ORDER BY payment_term_code)
                          FROM {work} WHERE payment_term_code IS NOT NULL AND payment_term_no IS NULL""").fetchone()
    if row and row[0]:
        run.note(f"datev.partners: {row[0]:,} customers and vendors go without Zahlungsbedingung, because their "
                 f"payment term is not in the Zahlungsbedingungen records ({row[1]} terms: {row[2]}; rejected, "
                 "deleted or unknown in the ERP - rejected ones are in erpload.rejects)")


def _note_main_bank_accounts(con: duckdb.DuckDBPyConnection, work: str, run: Run) -> None:
    """Vendors with two bank accounts marked primary: DATEV takes one main bank account, say which."""
    row = con.execute(f"SELECT count(*), string_agg(account_no, ', ' ORDER BY account_no) FILTER (rn <= 5) FROM "
                      f"(SELECT *, row_number() OVER (ORDER BY account_no) AS rn FROM {work} "
                      "WHERE primary_bank_accounts > 1)").fetchone()
    if row and row[0]:
        run.note(f"datev.partners: {row[0]:,} vendors have more than one bank account marked primary in the ERP "
                 f"(e.g. {row[1]}); the first by IBAN is their main bank account (Kennz. Hauptbankverb.) in the "
                 "file - mark one primary in the ERP")


def _check_bank_accounts(con: duckdb.DuckDBPyConnection, work: str, key_sql: str) -> None:
    """IBAN check digits and BIC form, with python-stdnum, once per distinct value."""
    ibans = [r[0] for r in con.execute(
        f"SELECT DISTINCT b.iban FROM (SELECT unnest(bank_accounts) AS b FROM {work})").fetchall()]
    bics = [r[0] for r in con.execute(
        f"SELECT DISTINCT b.bic FROM (SELECT unnest(bank_accounts) AS b FROM {work}) WHERE b.bic IS NOT NULL"
    ).fetchall()]
    bad = [("iban", v, "IBAN '" + v + "' fails the ISO 13616 check (wrong check digits, length or country)",
            "correct the vendor's IBAN in the ERP", "datev.partner.invalid_iban")
           for v in ibans if v is None or not stdnum_iban.is_valid(v)]
    bad += [("bic", v, f"BIC '{v}' is not a valid SWIFT code (8 or 11 characters)",
             "correct the vendor's BIC in the ERP", "datev.partner.invalid_bic")
            for v in bics if not stdnum_bic.is_valid(v)]
    if not bad:
        return
    con.execute("CREATE OR REPLACE TEMP TABLE _bad_bank (field VARCHAR, value VARCHAR, reason VARCHAR, "
                "fix VARCHAR, code VARCHAR)")
    _insert_values(con, "_bad_bank", bad)
    con.execute(f"""INSERT INTO _findings
                    SELECT r.rowid, {key_sql}, x.field, x.value, x.reason, x.fix, x.code
                    FROM {work} r, LATERAL (SELECT unnest(r.bank_accounts) AS b) u
                    JOIN _bad_bank x ON (x.field = 'iban' AND x.value IS NOT DISTINCT FROM u.b.iban)
                                     OR (x.field = 'bic' AND x.value = u.b.bic)""")
