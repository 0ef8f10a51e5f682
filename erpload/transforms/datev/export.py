"""`erpload export datev`: the `datev` dataset -> EXTF files, each booking exported once, every file on record.

The ledger `erpload.datev_exported` holds, per exported record (a document's posting or cancellation
for bookings, an account for master data), the hash of the lines it was written as and the file. From it
(`corrections` judges each booking record):
- a record not in the ledger is new: it goes into a new file for its company and period (a period
  exported before gets a file with the next sequence number, never a rewrite);
- a record in the ledger with the same hash is unchanged: nothing is written;
- a record that changed or is no longer booked after its export is corrected in the next file of its
  period: Generalumkehr of the version exported, then the version now (or reported, with
  `corrections = "report"`); `--reexport PERIOD` writes one replacement for a period's files instead;
- master data (Zahlungsbedingungen, Debitoren/Kreditoren, Kontenbeschriftungen) that is new or changed is
  written again: DATEV updates accounts and payment terms on import. Payment terms come first, so the
  terms a Debitoren/Kreditoren file refers to are in DATEV when it is imported.
Every file lands in `erpload.exports`, and `manifest.json` beside the files is derived from it (sha256,
rows, Soll and Haben totals, period, run). `dry_run` computes all of it and writes and marks nothing.

A file becomes visible only after the ledger that records it is committed: `run_export` writes it into the
folder's pending area, the caller commits, then `publish` renames it and writes the manifest from the ledger,
all under the folder's lock (`export_folder`). A kill before the commit leaves unrecorded pending files, which
the next export deletes (their bookings are still new); a kill after it leaves recorded ones, which the next
export publishes. So no booking is ever in two visible files, and the manifest lists each file on record once.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from erpload import progress
from erpload.errors import ConfigError
from erpload.rejects import clear_judged_fine, rejects_sql
from erpload.runs import Run, TableResult
from erpload.staging import FRAMEWORK_SCHEMA, existing_tables, scalar_int, sql_literal
from erpload.wording import plural

from .corrections import (
    CORRECTIONS,
    EXPORTED,
    LATEST,
    RECORD_KEY,
    ROWS,
    CorrectionMode,
    ensure_tables,
    judge_sql,
    keep_rows,
    last_transform,
    reversal_rows_sql,
    summary_sql,
)
from .export_folder import kill_point, prepare_pending, publish, recover, taken_names
from .layouts import ACCOUNT_LABEL_VALUES, BOOKING_VALUES, PARTNER_VALUES, PAYMENT_TERM_VALUES
from .spec import ACCOUNT_LABELS, BOOKINGS, PARTNERS, PAYMENT_TERMS, Format
from .writer import LINE_END_SQL, Header, file_parts, line_sql, write_file

__all__ = ["ExportPlan", "ExportedFile", "publish", "run_export"]  # publish: after the caller's commit

_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {FRAMEWORK_SCHEMA}.exports (
        run_id VARCHAR NOT NULL, target VARCHAR NOT NULL, company_code VARCHAR NOT NULL, category INTEGER NOT NULL,
        file_name VARCHAR NOT NULL, path VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, rows BIGINT NOT NULL,
        debit_total DECIMAL(18, 2), credit_total DECIMAL(18, 2), period_start DATE, period_end DATE,
        reexport BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL)""",
    # a replacement file (--reexport) stands for the files of its period it replaces: those are not read again
    f"ALTER TABLE {FRAMEWORK_SCHEMA}.exports ADD COLUMN IF NOT EXISTS replaced_by VARCHAR",
)

@dataclass(frozen=True)
class _Company:
    """What a file's header needs of its company, read once per export."""

    code: str
    consultant_no: int
    client_no: int
    fy_month: int
    account_length: int
    chart: str
    currency: str
    locked: bool

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, code: str) -> _Company:
        row = con.execute(f"""SELECT company_code, datev_consultant_no, datev_client_no, fiscal_year_start_month,
                                     gl_account_length, chart_of_accounts, local_currency, datev_lock_batches
                              FROM erp.companies WHERE company_code = {sql_literal(code)}""").fetchone()
        if not row:
            raise ConfigError(f"company '{code}' is missing from erp.companies", hint="run `erpload map` again")
        code, consultant, client, fy_month, length, chart, currency, locked = row
        # DATEV wants the chart's number ("03", "04"); a non-SKR chart leaves the field empty
        skr = chart[-2:] if chart and chart.startswith("SKR") else ""
        return cls(code, consultant, client, fy_month, length, skr, currency, bool(locked))

    def fiscal_year_start(self, day: date) -> date:
        return date(day.year - (day.month < self.fy_month), self.fy_month, 1)

    def header(self, fmt: Format, created: datetime, fiscal_year_start: date, period_start: date | None = None,
               period_end: date | None = None, label: str = "") -> Header:
        return Header(fmt=fmt, consultant_no=self.consultant_no, client_no=self.client_no,
                      fiscal_year_start=fiscal_year_start, account_length=self.account_length, chart=self.chart,
                      period_start=period_start, period_end=period_end, label=label, locked=self.locked,
                      currency=self.currency if fmt.category == BOOKINGS.category else "", created_at=created)


@dataclass(frozen=True)
class _Category:
    fmt: Format
    table: str
    values: dict[str, str]
    record_key: str
    order_by: str
    file_stem: str


_BOOKINGS = _Category(BOOKINGS, "bookings", BOOKING_VALUES, RECORD_KEY,
                      "posting_date, document_kind, document_no, event DESC, line_no", "Buchungsstapel")
_MASTER_DATA = (
    _Category(PAYMENT_TERMS, "payment_terms", PAYMENT_TERM_VALUES, "payment_term_no",
              "CAST(payment_term_no AS INTEGER)", "Zahlungsbedingungen"),
    _Category(PARTNERS, "partners", PARTNER_VALUES, "role || '/' || account_no", "account_no",
              "Debitoren_Kreditoren"),
    _Category(ACCOUNT_LABELS, "account_labels", ACCOUNT_LABEL_VALUES, "account_no", "account_no",
              "Kontenbeschriftungen"),
)


@dataclass
class ExportedFile:
    """One file written (or, in a dry run, that would be written): what the manifest and `exports` say."""

    file: str
    company: str
    category: int
    rows: int
    sha256: str
    debit_total: str | None
    credit_total: str | None
    period_start: str | None
    period_end: str | None
    run_id: str
    reexport: bool
    created_at: str


@dataclass
class ExportPlan:
    files: list[ExportedFile] = field(default_factory=list)
    changed_after_export: int = 0


def _month(period: str) -> date:
    try:
        return datetime.strptime(period, "%Y-%m").date()
    except ValueError:
        raise ConfigError(f"period '{period}' is not a month", hint="give it as YYYY-MM, e.g. 2026-03") from None


def run_export(con: duckdb.DuckDBPyConnection, run: Run, out_dir: Path, *, companies: list[str] | None = None,
               period: str | None = None, reexport: str | None = None, dry_run: bool = False,
               corrections: CorrectionMode = "reverse") -> ExportPlan:
    """Write what is new (see the module doc) into `out_dir`; returns what was (or would be) written."""
    # values are inlined, never bound, in this module: DuckDB's Python client imports pandas (~0.5 s) for
    # the first statement with parameters
    built = existing_tables(con, "datev")
    missing = [c.table for c in (_BOOKINGS, *_MASTER_DATA) if c.table not in built]
    if missing:
        raise ConfigError("the datev dataset has not been built yet", hint="run `erpload transform datev` first")
    for ddl in _DDL:
        con.execute(ddl)
    ensure_tables(con)
    if period and reexport:
        raise ConfigError("--period and --reexport both choose a period", hint="give only --reexport PERIOD")
    chosen = reexport or period
    only_month = _month(chosen) if chosen else None
    known = {r[0] for r in con.execute(f"SELECT DISTINCT company_code FROM datev.bookings UNION "
                                       f"SELECT DISTINCT company_code FROM datev.partners UNION "
                                       f"SELECT DISTINCT company_code FROM {EXPORTED}").fetchall()}
    for company in companies or []:
        if company not in known:
            raise ConfigError(f"company '{company}' has nothing in the datev dataset",
                              hint=f"choose one of {', '.join(sorted(known))}, or check that the company has "
                              "DATEV consultant and client numbers")
    if not dry_run:
        recover(con, out_dir, run)
    plan = ExportPlan()
    now = datetime.now()
    created = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the header stamp has milliseconds
    held_run = last_transform(con)
    with _Files(con, run, plan, out_dir, created, dry_run) as files:
        for code in sorted(set(companies or known)):
            co = _Company.load(con, code)
            if reexport and only_month:
                _replace_period(con, run, files, co, only_month)
                continue
            _export_bookings(con, run, files, co, only_month, corrections, held_run)
            for category in _MASTER_DATA:
                _export_master_data(con, run, files, co, category)
    if plan.changed_after_export:
        run.note(f"{plan.changed_after_export:,} exported records changed or were cancelled in the ERP afterwards "
                 "and were not corrected in DATEV (see erpload.rejects and `erpload datev corrections`)")
    if not dry_run:
        kill_point("written")
    return plan


def _stage_lines(con: duckdb.DuckDBPyConnection, category: _Category, company: str) -> None:
    """Temp table `_lines`: each row of the category with its line as written and its record key."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _lines AS
                    SELECT *, {category.record_key} AS record_key, {line_sql(category.fmt, category.values)} AS line
                    FROM datev.{category.table} WHERE company_code = {sql_literal(company)}""")


def _export_bookings(con: duckdb.DuckDBPyConnection, run: Run, files: _Files, co: _Company, only_month: date | None,
                     mode: CorrectionMode, held_run: str | None) -> None:
    """New documents booked; changed, cancelled and vanished ones corrected or reported (see `corrections`)."""
    plan, created, dry_run = files.plan, files.created, files.dry_run
    company = sql_literal(co.code)
    month = sql_literal(only_month)
    where = f"AND period_start <= {month} AND period_end >= {month}" if only_month else ""
    # one pass over the company's bookings: each line as written (with its CRLF) and its hash, and only
    # what the files need besides (a wide copy of the dataset would spill to disk at a million rows).
    # Stored in file order: sorting here, in parallel, is cheaper than sorting the fetch, and a full
    # export then reads the lines as they lie (a scan keeps insertion order)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _lines AS
                    SELECT * EXCLUDE (line), md5_number(line_no || ':' || line) AS line_hash,
                           line || {LINE_END_SQL} AS line
                    FROM (SELECT period_start, period_end, fiscal_year_start, posting_date, document_kind, document_no,
                                 event, line_no, amount, base_amount, debit_credit, {RECORD_KEY} AS record_key,
                                 {line_sql(BOOKINGS, BOOKING_VALUES)} AS line
                          FROM datev.bookings WHERE company_code = {company} {where})
                    ORDER BY period_start, {_BOOKINGS.order_by}""")
    # a record's fingerprint: the md5 of each line with its number, combined without sorting (xor).
    # A record's lines share one date, so it lies in one period.
    con.execute("""CREATE OR REPLACE TEMP TABLE _docs AS
                   SELECT record_key, any_value(period_start) AS period_start,
                          printf('%016x%016x', bit_xor(CAST(line_hash >> 64 AS UBIGINT)),
                                 bit_xor(CAST(line_hash & 18446744073709551615 AS UBIGINT))) AS content_hash
                   FROM _lines GROUP BY record_key""")
    period = None
    if only_month:
        bounds = con.execute(f"SELECT min(period_start), max(period_end) FROM datev.bookings "
                             f"WHERE period_start <= {month} AND period_end >= {month}").fetchone()
        period = (str(bounds[0]), str(bounds[1])) if bounds and bounds[0] else (str(only_month), str(only_month))
    con.execute(f"CREATE OR REPLACE TEMP TABLE _judged AS {judge_sql(co.code, held_run, period)}")
    if not dry_run:
        _keep_unkept_rows(con, co.code, run.run_id)
    counts = dict(con.execute("SELECT verdict, count(*) FROM _judged GROUP BY verdict").fetchall())
    new, unchanged = int(counts.get("new", 0)), int(counts.get("unchanged", 0))
    # corrected by bookings where DATEV's version is on record to be reversed; reported otherwise
    reverse = "rows_kept" if mode == "reverse" else "FALSE"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _corrected AS
                    SELECT * FROM _judged WHERE verdict IN ('changed', 'gone') AND {reverse}""")
    corrected = scalar_int(con, "SELECT count(*) FROM _corrected")
    reported = scalar_int(con, f"SELECT count(*) FROM _judged WHERE verdict IN ('changed', 'gone') AND NOT {reverse}")
    if reported:
        _report_corrections(con, run, co.code, reverse, dry_run)
        plan.changed_after_export += reported
    if not dry_run:
        # a correction reported before is settled once DATEV's version is current again or was corrected now
        clear_judged_fine(con, """(SELECT record_key FROM _judged WHERE verdict IN ('new', 'unchanged')
                                   UNION ALL SELECT record_key FROM _corrected)""",
                          f"{company} || '/' || v.record_key", run_id=run.run_id, target="datev",
                          entity="corrections")
    if held := int(counts.get("held", 0)):
        run.note(f"company {co.code}: {plural(held, 'exported document', verb=('fails', 'fail'))} a check now (see "
                 f"erpload.rejects); DATEV keeps the version exported before until the ERP fixes "
                 f"{'it' if held == 1 else 'them'}")
    result = TableResult(table=f"datev bookings {co.code}", loaded=new, unchanged=unchanged, rejected=reported)
    # the lines to write: every new or changed record's lines, and the reversal of every corrected version
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _reversals AS
                    {reversal_rows_sql(co.code, '_corrected')}""")
    reversing = scalar_int(con, "SELECT count(*) FROM _reversals")
    everything = not corrected and new == scalar_int(con, "SELECT count(*) FROM _docs")
    fresh = """(SELECT l.* FROM _lines l SEMI JOIN
                  (SELECT record_key FROM _judged WHERE verdict = 'new'
                   UNION ALL SELECT record_key FROM _corrected WHERE verdict = 'changed') j USING (record_key))"""
    if reversing:
        gu = f"""SELECT period_start, period_end, fiscal_year_start, posting_date, document_kind, document_no, event,
                        line_no, amount, base_amount, debit_credit, record_key,
                        {line_sql(BOOKINGS, BOOKING_VALUES)} || {LINE_END_SQL} AS line, 0 AS part FROM _reversals"""
        out = f"""(SELECT * EXCLUDE (line_hash), 1 AS part FROM {fresh} UNION ALL {gu})"""
        # a record's reversal right before its new lines
        order = "ORDER BY period_start, posting_date, document_kind, document_no, event DESC, part, line_no"
    else:
        out = "_lines" if everything else fresh
        # a join need not keep the order `_lines` is stored in: only a whole export skips the sort
        order = "" if everything else f"ORDER BY period_start, {_BOOKINGS.order_by}"
    periods = con.execute(f"""SELECT period_start, any_value(period_end), any_value(fiscal_year_start), count(*),
                                     sum(coalesce(base_amount, amount)) FILTER (WHERE debit_credit = 'S'),
                                     sum(coalesce(base_amount, amount)) FILTER (WHERE debit_credit = 'H')
                              FROM {out} o GROUP BY period_start ORDER BY period_start""").fetchall()
    # the previous company's files are written by now: one company's lines in memory at a time
    files.wait()
    # one pass: the lines to write, in file order, each ending in CRLF; files are slices
    lines = con.execute(f"SELECT line FROM {out} o {order}").to_arrow_table().column("line")
    written: list[tuple[date, str]] = []
    offset = 0
    for period_start, period_end, fy_start, rows, debit, credit in periods:
        header = co.header(BOOKINGS, created, fy_start, period_start=period_start, period_end=period_end,
                           label=f"Buchungen {period_start:%Y-%m}")
        stem = f"EXTF_{_BOOKINGS.file_stem}_{co.code}_{period_start:%Y-%m}"
        name = files.add(stem, header, lines.slice(offset, rows), rows, co.code, False, _money(debit),
                         _money(credit))
        offset += rows
        written.append((period_start, name))
    con.execute("CREATE OR REPLACE TEMP TABLE _written (period_start DATE, file_name VARCHAR)")
    if written:
        con.execute("INSERT INTO _written VALUES " + ", ".join(
            f"({sql_literal(start)}, {sql_literal(name)})" for start, name in written))
    if written and not dry_run:
        _record_bookings(con, run, co.code, created)
    run.add(result)
    if corrected:
        _note_corrections(con, run, co.code, dry_run, created)
        run.add(TableResult(table=f"datev corrections {co.code}", loaded=corrected))


def _replace_period(con: duckdb.DuckDBPyConnection, run: Run, files: _Files, co: _Company, month: date) -> None:
    """`--reexport`: one file holding what erpload has booked for the period, to import *instead of* its files.

    Beside them it would double every booking, so it is only for files that never reached DATEV (or whose
    batches were deleted there), and refused where batches are festgeschrieben: those can't be deleted."""
    company = sql_literal(co.code)
    replaced = con.execute(f"""SELECT file_name, period_start, period_end FROM {FRAMEWORK_SCHEMA}.exports
                               WHERE target = 'datev' AND category = 21 AND company_code = {company}
                                 AND period_start <= {sql_literal(month)} AND period_end >= {sql_literal(month)}
                                 AND replaced_by IS NULL ORDER BY file_name""").fetchall()
    if not replaced:
        run.note(f"company {co.code}: nothing was exported for the period of {month:%Y-%m}; nothing to replace")
        return
    names = [str(r[0]) for r in replaced]
    if co.locked:
        raise ConfigError(
            f"company {co.code} festschreibt its batches (datev_lock_batches): {', '.join(names)} cannot be deleted "
            "in DATEV once imported, so a replacement beside them would book everything twice",
            hint="changes and cancellations are corrected by `erpload export datev` itself (Generalumkehr + "
                 "rebooking); a file lost before its import is still in the export folder, its sha256 in "
                 "manifest.json")
    period_start = replaced[0][1]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _held_now AS
                    SELECT record_key, content_hash AS exported_hash, rows_kept FROM {LATEST}
                    WHERE company_code = {company} AND category = 21 AND action = 'booked'
                      AND period_start = {sql_literal(period_start)}""")
    unkept = scalar_int(con, "SELECT count(*) FROM _held_now WHERE NOT rows_kept")
    if unkept:
        raise ConfigError(f"{unkept:,} records of the period were exported by an older erpload that kept no copy of "
                          "their rows", hint="run `erpload export datev` once (it keeps the rows of records that "
                          "did not change), then replace the period again")
    body = f"""SELECT *, {line_sql(BOOKINGS, BOOKING_VALUES)} || {LINE_END_SQL} AS line
               FROM {ROWS} k SEMI JOIN _held_now h
                 ON k.record_key = h.record_key AND k.content_hash = h.exported_hash
               WHERE k.company_code = {company}"""
    totals = con.execute(f"""SELECT count(*), sum(coalesce(base_amount, amount)) FILTER (WHERE debit_credit = 'S'),
                                    sum(coalesce(base_amount, amount)) FILTER (WHERE debit_credit = 'H'),
                                    any_value(period_end), any_value(fiscal_year_start)
                             FROM ({body})""").fetchone()
    rows, debit, credit, period_end, fy_start = totals if totals else (0, None, None, None, None)
    files.wait()
    lines = con.execute(f"SELECT line FROM ({body}) ORDER BY {_BOOKINGS.order_by}").to_arrow_table().column("line")
    header = co.header(BOOKINGS, files.created, fy_start or co.fiscal_year_start(period_start),
                       period_start=period_start, period_end=period_end or replaced[0][2],
                       label=f"Ersatz {period_start:%Y-%m}")
    stem = f"EXTF_{_BOOKINGS.file_stem}_{co.code}_{period_start:%Y-%m}"
    name = files.add(stem, header, lines, int(rows), co.code, True, _money(debit), _money(credit))
    if not files.dry_run:
        con.execute(f"""UPDATE {FRAMEWORK_SCHEMA}.exports SET replaced_by = {sql_literal(name)}
                        WHERE target = 'datev' AND company_code = {company}
                          AND file_name IN ({", ".join(map(sql_literal, names))})""")
        con.execute(f"""INSERT INTO {EXPORTED} BY NAME
                        SELECT {company} AS company_code, 21 AS category, record_key, exported_hash AS content_hash,
                               {sql_literal(period_start)} AS period_start, {sql_literal(name)} AS file_name,
                               {sql_literal(run.run_id)} AS run_id, {sql_literal(files.created)} AS exported_at,
                               'booked' AS action, true AS rows_kept
                        FROM _held_now""")
    run.note(f"{name} replaces {', '.join(names)}: import it INSTEAD of them, only if they never reached DATEV or "
             "after deleting their batches there; imported beside them it would book the period twice")
    run.add(TableResult(table=f"datev bookings {co.code} (replacement)", loaded=scalar_int(
        con, "SELECT count(DISTINCT record_key) FROM _held_now")))


def _keep_unkept_rows(con: duckdb.DuckDBPyConnection, company: str, run_id: str) -> None:
    """Versions exported by an erpload that kept no rows: when DATEV's version is still the current one, keep it."""
    con.execute("""CREATE OR REPLACE TEMP TABLE _unkept AS SELECT record_key, content_hash FROM _judged
                   WHERE verdict = 'unchanged' AND NOT rows_kept""")
    if not scalar_int(con, "SELECT count(*) FROM _unkept"):
        return
    keep_rows(con, company, run_id, "_unkept")
    con.execute(f"""UPDATE {EXPORTED} e SET rows_kept = true FROM _unkept u
                    WHERE e.company_code = {sql_literal(company)} AND e.category = 21
                      AND e.record_key = u.record_key AND e.content_hash = u.content_hash""")
    con.execute("UPDATE _judged SET rows_kept = true WHERE verdict = 'unchanged'")


def _record_bookings(con: duckdb.DuckDBPyConnection, run: Run, company: str, created: datetime) -> None:
    """The ledger of what was written (`_written`): reversals of DATEV's versions, then the versions booked,
    with their rows."""
    co, run_id, at = sql_literal(company), sql_literal(run.run_id), sql_literal(created)
    con.execute(f"""INSERT INTO {EXPORTED} BY NAME
                    SELECT {co} AS company_code, 21 AS category, c.record_key, c.exported_hash AS content_hash,
                           c.exported_period AS period_start, f.file_name, {run_id} AS run_id, {at} AS exported_at,
                           'reversed' AS action, true AS rows_kept
                    FROM _corrected c JOIN _written f ON f.period_start = c.exported_period""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _booked AS
                   SELECT record_key, content_hash, period_start FROM _judged WHERE verdict = 'new'
                   UNION ALL SELECT record_key, content_hash, period_start FROM _corrected WHERE verdict = 'changed'""")
    con.execute(f"""INSERT INTO {EXPORTED} BY NAME
                    SELECT {co} AS company_code, 21 AS category, b.record_key, b.content_hash, b.period_start,
                           f.file_name, {run_id} AS run_id, {at} AS exported_at, 'booked' AS action,
                           true AS rows_kept
                    FROM _booked b JOIN _written f USING (period_start)""")
    keep_rows(con, company, run.run_id, "_booked")


def _note_corrections(con: duckdb.DuckDBPyConnection, run: Run, company: str, dry_run: bool,
                      created: datetime) -> None:
    """Say what was corrected, and list each correction in erpload.datev_corrections."""
    row = con.execute("SELECT count(*) FILTER (WHERE verdict = 'changed'), count(*) FILTER (WHERE verdict = 'gone') "
                      "FROM _corrected").fetchone()
    changed, gone = (int(row[0]), int(row[1])) if row else (0, 0)
    verb = "would reverse" if dry_run else "reversed"
    run.note(f"company {company}: {verb} (Generalumkehr) {changed + gone:,} exported records: {changed:,} changed "
             f"in the ERP and booked again as they are now, {gone:,} no longer booked in the ERP (cancelled, back "
             "to draft or deleted); see `erpload datev corrections`")
    if dry_run:
        return
    _insert_corrections(con, run, company, "_corrected", "reversed", created)


def _insert_corrections(con: duckdb.DuckDBPyConnection, run: Run, company: str, records: str, action: str,
                        created: datetime) -> None:
    """One row per record in `records` with DATEV's version and the ERP's current one side by side, and the
    file the correction went into (`_written`) when it was booked."""
    written = "_written" if action == "reversed" else "(SELECT NULL::DATE AS period_start, NULL AS file_name)"
    old = summary_sql(f"""(SELECT k.* FROM {ROWS} k JOIN {records} c
                             ON k.record_key = c.record_key AND k.content_hash = c.exported_hash
                           WHERE k.company_code = {sql_literal(company)})""")
    new = summary_sql("(SELECT b.*, " + RECORD_KEY + " AS record_key FROM datev.bookings b WHERE company_code = "
                      f"{sql_literal(company)} AND {RECORD_KEY} IN (SELECT record_key FROM {records}))")
    con.execute(f"""INSERT INTO {CORRECTIONS}
                    SELECT {sql_literal(run.run_id)}, {sql_literal(company)}, c.record_key,
                           CASE WHEN {sql_literal(action)} = 'reversed' AND c.verdict = 'changed'
                                THEN 'reversed and rebooked' ELSE {sql_literal(action)} END,
                           CASE c.verdict WHEN 'changed' THEN 'changed in the ERP after export'
                                ELSE 'no longer booked in the ERP (cancelled, back to draft or deleted)' END,
                           c.exported_hash, c.content_hash, o.day, n.day, o.amount, n.amount, o.accounts, n.accounts,
                           f.file_name, {sql_literal(created)}
                    FROM {records} c LEFT JOIN ({old}) o USING (record_key) LEFT JOIN ({new}) n USING (record_key)
                    LEFT JOIN {written} f ON f.period_start = c.exported_period""")


def _money(value: object) -> str:
    return str(value) if value is not None else "0.00"


def _report_corrections(con: duckdb.DuckDBPyConnection, run: Run, company: str, reverse: str,
                        dry_run: bool) -> None:
    """Records DATEV holds another version of, not corrected by bookings (`reverse` false): reported once per change."""
    co = sql_literal(company)
    why = ("'corrections = \"report\" is set'" if reverse == "FALSE" else
           "'the version DATEV holds was exported by an older erpload, which kept no copy to reverse'")
    # once per change: a record's change is reported again only when the ERP changes it again
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _reported AS
                    SELECT j.* FROM _judged j WHERE j.verdict IN ('changed', 'gone') AND NOT {reverse}
                      AND NOT EXISTS (SELECT 1 FROM {CORRECTIONS} c
                                      WHERE c.company_code = {co} AND c.record_key = j.record_key
                                        AND c.action = 'reported' AND c.old_hash = j.exported_hash
                                        AND c.new_hash IS NOT DISTINCT FROM j.content_hash)""")
    if dry_run:
        return
    _insert_corrections(con, run, company, "_reported", "reported", datetime.now())
    con.execute(rejects_sql(
        run.run_id, "datev", "corrections", record_key=f"{co} || '/' || c.record_key", field="'booking'",
        value="""coalesce(strftime(c.old_date, '%d.%m.%Y'), '?') || ' '
                    || coalesce(CAST(c.old_amount AS VARCHAR), '?') || ' ' || coalesce(c.old_accounts, '')
                    || ' -> ' || coalesce(strftime(c.new_date, '%d.%m.%Y') || ' '
                    || CAST(c.new_amount AS VARCHAR) || ' ' || c.new_accounts, 'not booked')""",
        reason=f"""CASE WHEN c.new_hash IS NULL THEN 'exported, then cancelled or withdrawn in the ERP; '
                     ELSE 'exported, then changed in the ERP; ' END
                 || 'DATEV still holds the exported version: not corrected, because ' || {why}""",
        fix=sql_literal("book the correction in DATEV by hand (Generalumkehr of the exported lines, then the new ones; "
                        'see `erpload datev corrections`), or set corrections = "reverse"'),
        code="'datev.export.changed_after_exported'",
        source=f"""FROM {CORRECTIONS} c WHERE c.run_id = {sql_literal(run.run_id)} AND c.company_code = {co}
                   AND c.action = 'reported'"""))


def _export_master_data(con: duckdb.DuckDBPyConnection, run: Run, files: _Files, co: _Company,
                        category: _Category) -> None:
    company, created, dry_run = co.code, files.created, files.dry_run
    _stage_lines(con, category, company)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _judged AS
                    SELECT l.record_key, md5(l.line) AS content_hash, e.content_hash AS exported_hash
                    FROM _lines l LEFT JOIN {LATEST} e
                      ON e.company_code = {sql_literal(company)} AND e.category = {category.fmt.category}
                     AND e.record_key = l.record_key""")
    counts = con.execute("SELECT count(*) FILTER (WHERE exported_hash = content_hash) FROM _judged").fetchone()
    result = TableResult(table=f"datev {category.table} {company}", unchanged=int(counts[0]) if counts else 0)
    source = """SELECT l.* FROM _lines l JOIN _judged j USING (record_key)
                WHERE j.exported_hash IS DISTINCT FROM j.content_hash"""
    header = co.header(category.fmt, created, co.fiscal_year_start(created.date()))
    stem = f"EXTF_{category.file_stem}_{company}"
    lines = con.execute(f"SELECT line || {LINE_END_SQL} AS line FROM ({source}) ORDER BY {category.order_by}"
                        ).to_arrow_table().column("line")
    if len(lines):
        name = files.add(stem, header, lines, len(lines), company, False)
        if not dry_run:
            con.execute(f"""INSERT INTO {EXPORTED} (company_code, category, record_key, content_hash,
                                                    period_start, file_name, run_id, exported_at)
                            SELECT {sql_literal(company)}, {category.fmt.category}, l.record_key, md5(l.line), NULL,
                                   {sql_literal(name)}, {sql_literal(run.run_id)}, {sql_literal(created)}
                            FROM ({source}) l""")
    result.loaded = len(lines)
    if not dry_run:  # a record reported gone before and back in the ERP's data now
        clear_judged_fine(con, "_judged", f"{sql_literal(company)} || '/' || v.record_key", run_id=run.run_id,
                          target="datev", entity=category.table)
    result.rejected = _report_vanished(con, run, co.code, category, created, dry_run)
    run.add(result)


#: what to do in DATEV about master data exported before and gone from the ERP, per category
_VANISHED_HINT = {
    "payment_terms": "EXTF cannot delete a Zahlungsbedingung: if the term is gone for good, delete it in DATEV by hand",
    "partners": "EXTF cannot delete a Debitor/Kreditor: if the account is gone for good, lock or delete it in DATEV "
                "by hand (its bookings stay)",
    "account_labels": "EXTF cannot delete a Kontenbeschriftung: if the account is gone for good, remove its label in "
                      "DATEV by hand",
}


def _report_vanished(con: duckdb.DuckDBPyConnection, run: Run, company: str, category: _Category, created: datetime,
                     dry_run: bool) -> int:
    """Master data exported before and no longer written (deleted in the ERP, or set aside now): DATEV keeps it, as
    EXTF has no delete. Each is reported once in erpload.rejects and marked `vanished` in the ledger, so a record
    that comes back is written again. Returns how many were reported."""
    co, cat = sql_literal(company), category.fmt.category
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _vanished AS
                    SELECT e.record_key, e.file_name FROM {LATEST} e
                    WHERE e.company_code = {co} AND e.category = {cat} AND e.action = 'booked'
                      AND NOT EXISTS (SELECT 1 FROM _lines l WHERE l.record_key = e.record_key)""")
    vanished = scalar_int(con, "SELECT count(*) FROM _vanished")
    if not vanished or dry_run:
        return vanished
    run_id = sql_literal(run.run_id)
    con.execute(rejects_sql(
        run.run_id, "datev", category.table, record_key=f"{co} || '/' || record_key",
        reason="'exported in ' || file_name || ' and no longer in the ERP''s data for DATEV (deleted, or '"
               "|| 'set aside now: see the other rejects); DATEV keeps it'",
        fix=sql_literal(_VANISHED_HINT[category.table]), code="'datev.export.gone'", source="FROM _vanished"))
    con.execute(f"""INSERT INTO {EXPORTED} (company_code, category, record_key, content_hash, period_start,
                                            file_name, run_id, exported_at, action)
                    SELECT {co}, {cat}, record_key, '', NULL, file_name, {run_id}, {sql_literal(created)}, 'vanished'
                    FROM _vanished""")
    run.note(f"company {company}: {vanished:,} {category.file_stem} records exported before are gone from the ERP; "
             "DATEV keeps them (EXTF has no delete): each is in erpload.rejects once, with what to do in DATEV")
    return vanished


def _next_file(con: duckdb.DuckDBPyConnection, taken: set[str], stem: str, reexport: bool) -> str:
    """The next free sequence number for `stem`: after this ledger's files, and past every name `taken`."""
    row = con.execute(f"SELECT count(*) FROM {FRAMEWORK_SCHEMA}.exports "
                      f"WHERE starts_with(file_name, {sql_literal(stem + '_')})").fetchone()
    seq = (int(row[0]) if row else 0) + 1
    while f"{stem}_{seq:02d}.csv" in taken or f"{stem}_{seq:02d}_reexport.csv" in taken:
        seq += 1
    name = f"{stem}_{seq:02d}{'_reexport' if reexport else ''}.csv"
    taken.add(name)
    return name


class _Files:
    """The files of one export: each is converted, hashed and written (pending) on a worker thread,
    so that DuckDB builds the next company's lines meanwhile (DuckDB, hashing and writing release the GIL).

    The worker touches no database: `wait` takes each file's sha256 and records the file in `exports`
    on the calling thread, in the order the files were planned. A dry run hashes and writes nothing."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run: Run, plan: ExportPlan, out_dir: Path, created: datetime,
                 dry_run: bool) -> None:
        self.con, self.run, self.plan, self.out_dir = con, run, plan, out_dir
        self.created, self.dry_run = created, dry_run
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="datev-files")
        self._pending: list[tuple[ExportedFile, Header, Future[str]]] = []
        # names in use in the folder (also by other staging files' exports), and where files wait unpublished
        self._taken = taken_names(out_dir) if out_dir.exists() else set()
        self._pending_dir = None if dry_run else prepare_pending(out_dir, con)

    def __enter__(self) -> _Files:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.wait()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, stem: str, header: Header, lines: pa.ChunkedArray, rows: int, company: str, reexport: bool,
            debit: str | None = None, credit: str | None = None) -> str:
        """Plan one file of `rows` lines (an Arrow string column whose values end in CRLF); returns its name."""
        name = _next_file(self.con, self._taken, stem, reexport)
        progress.step(f"{name} ({rows:,} lines)")
        exported = ExportedFile(
            file=name, company=company, category=header.fmt.category, rows=rows, sha256="", debit_total=debit,
            credit_total=credit, period_start=header.period_start.isoformat() if header.period_start else None,
            period_end=header.period_end.isoformat() if header.period_end else None, run_id=self.run.run_id,
            reexport=reexport, created_at=self.created.isoformat(timespec="milliseconds"))
        self.plan.files.append(exported)
        path = None if self._pending_dir is None else self._pending_dir / name
        self._pending.append((exported, header, self._pool.submit(_write, path, header, lines)))
        return name

    def wait(self) -> None:
        """Wait for the files planned so far and record them in `exports`."""
        for exported, header, written in self._pending:
            exported.sha256 = written.result()
            if not self.dry_run:
                values = (exported.run_id, "datev", exported.company, exported.category, exported.file,
                          str((self.out_dir / exported.file).resolve()), exported.sha256, exported.rows,
                          exported.debit_total, exported.credit_total, header.period_start, header.period_end,
                          exported.reexport, self.created)
                row = ", ".join(map(sql_literal, values))
                self.con.execute(f"INSERT INTO {FRAMEWORK_SCHEMA}.exports VALUES ({row}, NULL)")
        self._pending.clear()


def _write(path: Path | None, header: Header, lines: pa.ChunkedArray) -> str:
    """Convert and hash one file, and write it to `path` unless it is None; returns its sha256."""
    parts = file_parts(header, lines)
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file(path, parts)
    return digest.hexdigest()
