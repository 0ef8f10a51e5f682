"""What DATEV already holds of each document, and the bookings that bring it to what the ERP says now.

A Buchungsstapel, once imported (and festgeschrieben), cannot be changed: a document that changes or is
cancelled after its export is corrected by new bookings. This module keeps the record that makes that
possible and judges each document against it:

- `erpload.datev_exported` (one row per record and export event): `booked` a version (its content hash,
  period, file) or `reversed` it. A record is a document's `posting` or its `cancellation` event (key
  `<kind>/<no>` or `<kind>/<no>/storno`); its latest row says what DATEV holds of it.
- `erpload.datev_exported_rows`: the `datev.bookings` rows of every booked version, as they were written.
  A Generalumkehr reverses exactly those rows (same accounts, amount, BU key; column 118 "1"), however the
  document looks now.
- `erpload.datev_corrections`: one row per correction written or reported, with the old and new amount,
  accounts and date, for `erpload datev corrections` and the accountant.

Verdicts per record (`judge_sql`): `new` (not in DATEV), `unchanged`, `changed` (DATEV holds another
version), `gone` (DATEV holds a version, the ERP no longer books it: cancelled without a date, back to
draft, deleted), `held` (the current version is held back in rejects: DATEV keeps the exported one).
"""

from __future__ import annotations

from typing import Literal

import duckdb

from erpload.staging import FRAMEWORK_SCHEMA, sql_literal

CorrectionMode = Literal["reverse", "report"]

#: `<kind>/<no>` of a booking reject's key `<company>/<kind>/<no>/<line>[/storno]` (a number may hold '/')
HELD_DOCUMENT = "regexp_extract(record_key, '^[^/]*/(.*)/[0-9]+(/storno)?$', 1)"

#: a booking record's key in the ledger: a document's posting, or its cancellation
RECORD_KEY = "document_kind || '/' || document_no || CASE WHEN event = 'cancellation' THEN '/storno' ELSE '' END"

EXPORTED = f"{FRAMEWORK_SCHEMA}.datev_exported"
ROWS = f"{FRAMEWORK_SCHEMA}.datev_exported_rows"
CORRECTIONS = f"{FRAMEWORK_SCHEMA}.datev_corrections"

DDL = (
    f"""CREATE TABLE IF NOT EXISTS {EXPORTED} (
        company_code VARCHAR NOT NULL, category INTEGER NOT NULL, record_key VARCHAR NOT NULL,
        content_hash VARCHAR NOT NULL, period_start DATE, file_name VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
        exported_at TIMESTAMP NOT NULL)""",
    # staging files of earlier versions: every row there booked a version, none kept its rows
    f"ALTER TABLE {EXPORTED} ADD COLUMN IF NOT EXISTS action VARCHAR DEFAULT 'booked'",
    f"ALTER TABLE {EXPORTED} ADD COLUMN IF NOT EXISTS rows_kept BOOLEAN DEFAULT false",
    f"""CREATE TABLE IF NOT EXISTS {CORRECTIONS} (
        run_id VARCHAR NOT NULL, company_code VARCHAR NOT NULL, record_key VARCHAR NOT NULL,
        action VARCHAR NOT NULL, reason VARCHAR NOT NULL, old_hash VARCHAR, new_hash VARCHAR,
        old_date DATE, new_date DATE, old_amount DECIMAL(18, 2), new_amount DECIMAL(18, 2),
        old_accounts VARCHAR, new_accounts VARCHAR, file_name VARCHAR, created_at TIMESTAMP NOT NULL)""",
)

#: the latest event of each record: what DATEV holds of it (a booked version, or nothing after a reversal)
LATEST = f"""(SELECT * FROM {EXPORTED}
              QUALIFY row_number() OVER (PARTITION BY company_code, category, record_key
                                         ORDER BY exported_at DESC, action = 'booked' DESC) = 1)"""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in DDL:
        con.execute(ddl)
    # the kept rows have the shape of datev.bookings, which may gain columns in a later erpload
    con.execute(f"""CREATE TABLE IF NOT EXISTS {ROWS} AS
                    SELECT ''::VARCHAR AS record_key, ''::VARCHAR AS content_hash, ''::VARCHAR AS run_id, *
                    FROM datev.bookings LIMIT 0""")
    kept = {r[0] for r in con.execute(f"SELECT column_name FROM (DESCRIBE {ROWS})").fetchall()}
    for name, type_ in con.execute("SELECT column_name, column_type FROM (DESCRIBE datev.bookings)").fetchall():
        if name not in kept:
            con.execute(f'ALTER TABLE {ROWS} ADD COLUMN "{name}" {type_}')


def last_transform(con: duckdb.DuckDBPyConnection) -> str | None:
    """The `transform datev` run whose rejects hold documents back now."""
    row = con.execute(f"SELECT max(run_id) FROM {FRAMEWORK_SCHEMA}.runs "
                      "WHERE command = 'transform datev' AND status = 'ok'").fetchone()
    return str(row[0]) if row and row[0] else None


def judge_sql(company: str, held_run: str | None, only_period: tuple[str, str] | None) -> str:
    """SELECT of every record of `company` with its verdict (see the module doc).

    Reads `_docs` (record_key, document_kind, document_no, period_start, content_hash: what the ERP books
    now). `held_run` is the transform whose rejects hold documents back; `only_period` (start, end) limits
    `gone` to versions DATEV holds in that period, when the export is limited to it."""
    co = sql_literal(company)
    # documents held back now, as `<kind>/<no>`: a hash join, not a prefix match per ledger row
    held = "SELECT NULL::VARCHAR AS document WHERE false" if held_run is None else f"""
        SELECT DISTINCT {HELD_DOCUMENT} AS document
        FROM {FRAMEWORK_SCHEMA}.rejects
        WHERE run_id = {sql_literal(held_run)} AND target = 'datev' AND entity = 'bookings'
          AND starts_with(record_key, {co} || '/')"""
    in_period = "TRUE" if only_period is None else \
        f"s.period_start BETWEEN {sql_literal(only_period[0])} AND {sql_literal(only_period[1])}"
    return f"""
WITH s AS (SELECT * FROM {LATEST} WHERE company_code = {co} AND category = 21 AND action = 'booked'),
held AS ({held})
SELECT coalesce(d.record_key, s.record_key) AS record_key, d.period_start, d.content_hash,
       s.content_hash AS exported_hash, s.period_start AS exported_period, s.file_name AS exported_file,
       s.exported_at, coalesce(s.rows_kept, false) AS rows_kept,
       CASE WHEN s.record_key IS NULL THEN CASE WHEN d.record_key IS NOT NULL THEN 'new' END
            WHEN d.record_key IS NULL THEN CASE WHEN h.document IS NOT NULL THEN 'held' WHEN {in_period} THEN 'gone' END
            WHEN d.content_hash = s.content_hash THEN 'unchanged'
            ELSE 'changed' END AS verdict
FROM _docs d FULL JOIN s USING (record_key)
LEFT JOIN held h ON d.record_key IS NULL
     AND h.document = regexp_replace(s.record_key, '/storno$', '')
"""


def keep_rows(con: duckdb.DuckDBPyConnection, company: str, run_id: str, records: str) -> None:
    """Keep the datev.bookings rows of the versions in `records` (record_key, content_hash) as written."""
    con.execute(f"""INSERT INTO {ROWS} BY NAME
                    SELECT r.record_key, r.content_hash, {sql_literal(run_id)} AS run_id, b.* EXCLUDE (_key)
                    FROM (SELECT *, {RECORD_KEY} AS _key FROM datev.bookings
                          WHERE company_code = {sql_literal(company)}) b
                    JOIN {records} r ON r.record_key = b._key""")


def reversal_rows_sql(company: str, records: str) -> str:
    """The kept rows of the versions in `records` (record_key, exported_hash), reversed: Generalumkehr toggled."""
    return f"""SELECT k.* EXCLUDE (record_key, content_hash, run_id) REPLACE (NOT k.reversal AS reversal),
                      k.record_key
               FROM {ROWS} k JOIN {records} r
                 ON k.record_key = r.record_key AND k.content_hash = r.exported_hash
               WHERE k.company_code = {sql_literal(company)}"""


def summary_sql(rows: str) -> str:
    """Per record in `rows` (datev.bookings-shaped with record_key): date, amount (Soll minus Haben of Konto)
    and accounts, as a correction row shows them."""
    return f"""SELECT record_key, min(posting_date) AS day,
                      sum(CASE WHEN debit_credit = 'S' THEN amount ELSE -amount END) AS amount,
                      string_agg(DISTINCT account_no || '/' || coalesce(contra_account_no, ''), ' '
                                 ORDER BY account_no || '/' || coalesce(contra_account_no, '')) AS accounts
               FROM {rows} GROUP BY record_key"""
