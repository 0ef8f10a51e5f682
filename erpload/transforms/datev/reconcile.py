"""`erpload datev reconcile`: the Buchungsstapel files on record, read back, against the ERP's posted ledger.

A file can pass every format check and still be wrong as books. This is the other proof: every file in
`erpload.exports` (not replaced by a `--reexport`) is checked against its sha256 and parsed by DuckDB's CSV
reader, and each row's effect on its two accounts is summed per company, month, account, currency and
document number (Belegfeld 1). A Generalumkehr row counts negative on the side it is written on, as DATEV
books it. The same sums are computed from the canonical `erp` dataset on their own, not from `datev.bookings`:
each posted document's lines, and for a posted document cancelled later its reversal on `cancelled_on`.
Amounts are compared in the document's currency (the files' Umsatz), so no rounding stands between them.

Balances are compared net (Soll minus Haben): a journal entry is written against one pivot line, which moves
Soll and Haben turnover between accounts without changing any balance.

Documents held back by the latest `transform datev` (their reasons are in `erpload.rejects`) are compared
on neither side and counted apart; every other difference of a cent fails the reconciliation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from erpload.staging import FRAMEWORK_SCHEMA, sql_literal

from .bookings import DATEV_COMPANIES
from .corrections import HELD_DOCUMENT, last_transform
from .spec import BOOKINGS

# 1-based DATEV column numbers of what the sums need (datev-extf.md, Buchungsstapel)
_COLUMNS = {"amount": 1, "side": 2, "currency": 3, "account": 7, "contra": 8, "day": 10, "document": 11,
            "reversal": 118}


@dataclass
class Difference:
    company: str
    month: str
    account: str
    currency: str
    in_files: str
    in_erp: str
    documents: list[str]


@dataclass
class Reconciliation:
    files: int = 0
    rows: int = 0
    cells: int = 0
    problems: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    held_documents: int = 0
    held_total: str = "0.00"

    @property
    def ok(self) -> bool:
        return not self.problems and not self.differences


def _erp_ledger(companies: str) -> str:
    """Per document line: its effect on each account in the ERP's posted ledger, dated, in document currency."""
    booked = "(h.status = 'posted' OR (h.status = 'cancelled' AND h.cancelled_on IS NOT NULL))"
    return f"""
WITH co AS ({DATEV_COMPANIES}),
lines AS (
    SELECT h.company_code, h.invoice_no AS document_kind_no, 'sales_invoice' AS kind, h.invoice_no AS document,
           h.invoice_date AS day, h.cancelled_on, h.currency_code,
           (CASE WHEN h.is_credit_note THEN -1 ELSE 1 END) * (l.net_amount + coalesce(l.tax_amount, 0)) AS amount,
           h.customer_no AS debit_account, l.account_no AS credit_account
    FROM erp.sales_invoices h JOIN erp.sales_invoice_lines l USING (company_code, invoice_no) WHERE {booked}
    UNION ALL
    SELECT h.company_code, h.invoice_no, 'purchase_invoice', h.vendor_invoice_no, h.invoice_date, h.cancelled_on,
           h.currency_code,
           (CASE WHEN h.is_credit_note THEN -1 ELSE 1 END) * (l.net_amount + coalesce(l.tax_amount, 0)),
           l.account_no, h.vendor_no
    FROM erp.purchase_invoices h JOIN erp.purchase_invoice_lines l USING (company_code, invoice_no) WHERE {booked}
    UNION ALL
    SELECT h.company_code, h.entry_no, 'journal_entry', h.entry_no, h.posting_date, h.cancelled_on, h.currency_code,
           l.debit - l.credit, l.account_no, NULL
    FROM erp.journal_entries h JOIN erp.journal_lines l USING (company_code, entry_no) WHERE {booked}
),
events AS (
    SELECT *, day AS booked_on, 1 AS sign FROM lines
    UNION ALL SELECT *, greatest(cancelled_on, day), -1 FROM lines WHERE cancelled_on IS NOT NULL
)
SELECT company_code, kind, document_kind_no, document, date_trunc('month', booked_on) AS month, currency_code,
       account, sum(effect) AS effect
FROM (SELECT *, debit_account AS account, sign * amount AS effect FROM events
      UNION ALL SELECT *, credit_account, -sign * amount FROM events WHERE credit_account IS NOT NULL)
WHERE company_code IN (SELECT company_code FROM co) {companies}
GROUP BY ALL"""


def _file_ledger(paths: list[str]) -> str:
    """Per file row: its effect on Konto and Gegenkonto, dated by Belegdatum within the file's period."""
    columns = "{" + ", ".join(f"'c{n}': 'VARCHAR'" for n in range(1, len(BOOKINGS.columns) + 1)) + "}"
    c = {name: f"c{n}" for name, n in _COLUMNS.items()}
    files = "[" + ", ".join(map(sql_literal, paths)) + "]"
    return f"""
WITH rows AS (
    SELECT r.*, e.company_code, e.period_start,
           -- Belegdatum is TTMM: its year is the one that puts it inside the file's period
           make_date(year(e.period_start), CAST(substr({c['day']}, 3, 2) AS INTEGER),
                     CAST(substr({c['day']}, 1, 2) AS INTEGER)) AS day0,
           CAST(replace({c['amount']}, ',', '.') AS DECIMAL(18, 2))
               * (CASE WHEN {c['side']} = 'S' THEN 1 ELSE -1 END)
               * (CASE WHEN {c['reversal']} = '1' THEN -1 ELSE 1 END) AS effect
    FROM read_csv({files}, delim = ';', quote = '"', escape = '"', header = false, skip = 2, encoding = 'latin-1',
                  columns = {columns}, auto_detect = false, filename = true, null_padding = true) r
    JOIN {FRAMEWORK_SCHEMA}.exports e ON e.path = r.filename
),
dated AS (SELECT *, CASE WHEN day0 < period_start THEN day0 + INTERVAL 1 YEAR ELSE day0 END AS day FROM rows)
SELECT company_code, {c['document']} AS document, date_trunc('month', day) AS month, {c['currency']} AS currency_code,
       account, sum(effect) AS effect
FROM (SELECT *, {c['account']} AS account FROM dated
      UNION ALL SELECT * REPLACE (-effect AS effect), {c['contra']} FROM dated
                WHERE coalesce({c['contra']}, '') <> '')
GROUP BY ALL"""


def run_reconcile(con: duckdb.DuckDBPyConnection, companies: list[str] | None = None,
                  month: str | None = None, periods_of: list[str] | None = None) -> Reconciliation:
    """Compare (see the module doc); `month` (YYYY-MM) limits the comparison to that month, `periods_of`
    (file names) to the companies and periods of those files: what one export can have changed."""
    result = Reconciliation()
    only = f"AND company_code IN ({', '.join(map(sql_literal, companies))})" if companies else ""
    scope = "SELECT company_code, period_start, period_end FROM exports WHERE false"
    if periods_of is not None:
        scope = f"""SELECT DISTINCT company_code, period_start, period_end FROM {FRAMEWORK_SCHEMA}.exports
                    WHERE file_name IN ({', '.join(map(sql_literal, periods_of)) or 'NULL'}) AND category = 21"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _scope AS {scope}")
    in_scope = "TRUE" if periods_of is None else "(company_code, period_start) IN (SELECT company_code, period_start " \
                                                 "FROM _scope)"
    files = con.execute(f"""SELECT path, file_name, sha256 FROM {FRAMEWORK_SCHEMA}.exports
                            WHERE target = 'datev' AND category = 21 AND replaced_by IS NULL {only} AND {in_scope}
                            ORDER BY file_name""").fetchall()
    paths = []
    for path, name, sha in files:
        file = Path(str(path))
        if not file.exists():
            result.problems.append(f"{name}: listed in erpload.exports but missing at {path}")
            continue
        if _sha256(file) != sha:
            result.problems.append(f"{name}: changed since it was written (sha256 differs from erpload.exports)")
            continue
        paths.append(str(path))
    result.files = len(paths)
    _held_documents(con)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _erp_side AS SELECT * FROM ({_erp_ledger(only)}) e
                    WHERE NOT EXISTS (SELECT 1 FROM _held h WHERE h.company_code = e.company_code
                                        AND h.document = e.document)""")
    if paths:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _file_side AS {_file_ledger(paths)}")
        rows = con.execute(f"SELECT sum(rows) FROM {FRAMEWORK_SCHEMA}.exports "
                           f"WHERE path IN ({', '.join(map(sql_literal, paths))})").fetchone()
        result.rows = int(rows[0]) if rows and rows[0] else 0
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE _file_side AS SELECT company_code, document, month, currency_code, "
                    "account, effect FROM _erp_side LIMIT 0")
    # a held document is left out of the files' side too (DATEV may hold an earlier version of it); by its
    # Belegfeld 1, the only key the files have, on both sides alike
    con.execute("""DELETE FROM _file_side f WHERE EXISTS (
                       SELECT 1 FROM _held h WHERE h.company_code = f.company_code AND h.document = f.document)""")
    if periods_of is not None:
        for side in ("_erp_side", "_file_side"):
            con.execute(f"""DELETE FROM {side} s WHERE NOT EXISTS (
                                SELECT 1 FROM _scope p WHERE p.company_code = s.company_code
                                  AND s.month BETWEEN date_trunc('month', p.period_start) AND p.period_end)""")
    in_month = f"WHERE month = {sql_literal(month + '-01')}::DATE" if month else ""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _diff AS
                    SELECT company_code, month, account, currency_code, document,
                           coalesce(f.effect, 0) AS in_files, coalesce(e.effect, 0) AS in_erp
                    FROM (SELECT company_code, month, account, currency_code, document, sum(effect) AS effect
                          FROM _file_side GROUP BY ALL) f
                    FULL JOIN (SELECT company_code, month, account, currency_code, document, sum(effect) AS effect
                               FROM _erp_side GROUP BY ALL) e
                      USING (company_code, month, account, currency_code, document)
                    {in_month}""")
    cells = con.execute("SELECT count(DISTINCT (company_code, month, account, currency_code)) FROM _diff").fetchone()
    result.cells = int(cells[0]) if cells else 0
    for company, day, account, currency, in_files, in_erp, documents in con.execute(
            """SELECT company_code, strftime(month, '%Y-%m'), account, currency_code, sum(in_files), sum(in_erp),
                      list(document || ' (' || CAST(in_files - in_erp AS VARCHAR) || ')' ORDER BY document)
                          FILTER (WHERE in_files <> in_erp)
               FROM _diff GROUP BY ALL HAVING bool_or(in_files <> in_erp)
               ORDER BY ALL""").fetchall():
        result.differences.append(Difference(str(company), str(day), str(account), str(currency), str(in_files),
                                             str(in_erp), [str(d) for d in documents]))
    totals = con.execute("SELECT count(*), coalesce(sum(total), 0) FROM _held").fetchone()
    if totals:
        result.held_documents, result.held_total = int(totals[0]), str(totals[1])
    return result


def _held_documents(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table `_held`: documents the latest `transform datev` held back (kind, number, Belegfeld 1, total)."""
    run_id = sql_literal(last_transform(con))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _held AS
                    WITH r AS (SELECT DISTINCT split_part(record_key, '/', 1) AS company_code,
                                      split_part(record_key, '/', 2) AS kind,
                                      regexp_extract({HELD_DOCUMENT}, '^[^/]*/(.*)$', 1) AS no
                               FROM {FRAMEWORK_SCHEMA}.rejects
                               WHERE run_id = {run_id} AND target = 'datev' AND entity = 'bookings')
                    SELECT r.company_code, r.kind, r.no AS document_no,
                           coalesce(s.invoice_no, p.vendor_invoice_no, j.entry_no) AS document,
                           coalesce(s.total_gross, p.total_gross, 0) AS total
                    FROM r
                    LEFT JOIN erp.sales_invoices s ON r.kind = 'sales_invoice' AND s.company_code = r.company_code
                         AND s.invoice_no = r.no
                    LEFT JOIN erp.purchase_invoices p ON r.kind = 'purchase_invoice'
                         AND p.company_code = r.company_code AND p.invoice_no = r.no
                    LEFT JOIN erp.journal_entries j ON r.kind = 'journal_entry' AND j.company_code = r.company_code
                         AND j.entry_no = r.no""")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
