"""`erpload transform uniconta`: the canonical `erp` dataset -> the `uniconta` dataset, the plan of the exports.

    uniconta.invoices   one row per Telecom X invoice the ERP knows: reseller, month, invoice, customer and its
                        Uniconta account, and the verdict (export, omit, hold) with its reason and fix
    uniconta.months     one row per reseller and month: the call `erpload push uniconta` makes (invoiceDate,
                        invoicesToOmit), how many invoices it exports, and its state (ready, exported, unknown,
                        held, empty)

Both are a plan a user reads before anything is sent (see `plan` for the verdicts). Invoices left out for a
reason a bookkeeper can act on (a draft, a cancellation, a customer without a Uniconta account ...) go to
`erpload.rejects` (target 'uniconta', entity 'invoices', record_key = the Telecom X id); invoices left out
because Uniconta already holds them do not: they were sent. The tables and their rejects are committed together.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from erpload.push.ledger import ensure_ledger
from erpload.rejects import rejects_sql
from erpload.runs import Run, TableResult
from erpload.staging import connect, scalar_int, sql_literal
from erpload.targets import require_canonical
from erpload.validation import record_json, replace_table

from .plan import CALLS, INVOICES, REJECTED_REASONS, TARGET, configured_base_url, invoices_sql, months_sql

SCHEMA = TARGET
#: the plan's invoices as the last `plan_again` computed them (a temp table the push reads too)
PLANNED = "_uniconta_invoices"
_MONTHS = "_uniconta_months"


def run_transform(staging: Path, run: Run) -> None:
    """Rebuild the `uniconta` dataset from `erp` (and the ledger, at the configured Telecom X)."""
    base_url = configured_base_url()
    with connect(staging) as con:
        require_canonical(con)
        ensure_ledger(con)
        transform(con, run, base_url)


def transform(con: duckdb.DuckDBPyConnection, run: Run, base_url: str) -> None:
    """`run_transform` on an open connection."""
    plan_again(con, base_url)
    resellers = scalar_int(con, "SELECT count(*) FROM erp.companies WHERE nullif(trim(telecomx_reseller_id), '') "
                                "IS NOT NULL")
    if not resellers:
        run.note("uniconta: no company has a Telecom X reseller id (companies.telecomx_reseller_id), so there is "
                 "nothing to export; map the reseller id in the profile for the companies Telecom X bills for")
    rejected = ", ".join(sql_literal(r) for r in REJECTED_REASONS)
    record = record_json(con, PLANNED)
    con.begin()
    try:
        counts = write_plan(con)
        con.execute(rejects_sql(
            run.run_id, TARGET, INVOICES, record_key="r._key",
            field="""CASE WHEN r.reason_code IN ('no_account', 'no_customer') THEN 'customer_no'
                           WHEN r.reason_code IN ('bad_id', 'duplicate_id') THEN 'telecomx_invoice_id'
                           ELSE 'status' END""",
            value="""CASE WHEN r.reason_code IN ('no_account', 'no_customer') THEN r.customer_no
                           WHEN r.reason_code IN ('bad_id', 'duplicate_id') THEN r._key
                           ELSE r.status END""",
            reason="r.reason", fix="r.fix", record=record, code=f"{sql_literal(TARGET + '.')} || r.reason_code",
            source=f"FROM {PLANNED} r WHERE r.reason_code IN ({rejected})"))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    _results(con, run, counts)


def plan_again(con: duckdb.DuckDBPyConnection, base_url: str) -> None:
    """The plan from `erp` and the ledger as they are now, in temp tables (`PLANNED` and the months)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {PLANNED} AS {invoices_sql(base_url)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_MONTHS} AS {months_sql(base_url, PLANNED)}")


def write_plan(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """`plan_again`'s tables as uniconta.invoices and uniconta.months (inside the caller's transaction); per
    table: rows new or changed, rows unchanged."""
    return {INVOICES: replace_table(con, PLANNED, SCHEMA, INVOICES, "reseller, month, _key"),
            CALLS: replace_table(con, _MONTHS, SCHEMA, CALLS, "reseller, month")}


def _results(con: duckdb.DuckDBPyConnection, run: Run, counts: dict[str, tuple[int, int]]) -> None:
    """Per table: rows changed since the last plan (loaded), the others (unchanged); invoices set aside."""
    rejected = ", ".join(sql_literal(r) for r in REJECTED_REASONS)
    rejects = scalar_int(con, f"SELECT count(*) FROM {SCHEMA}.{INVOICES} WHERE reason_code IN ({rejected})")
    for table, set_aside in ((INVOICES, rejects), (CALLS, 0)):
        loaded, unchanged = counts[table]
        run.add(TableResult(table=f"{SCHEMA}.{table}", loaded=loaded, unchanged=unchanged, rejected=set_aside))
    states = dict(con.execute(f"SELECT state, count(*) FROM {SCHEMA}.{CALLS} GROUP BY ALL").fetchall())
    if held := int(states.get("held", 0)):
        run.note(f"uniconta: {held} month(s) held: an invoice in each has no valid Telecom X id, so erpload cannot "
                 "leave it out (see erpload.rejects, field telecomx_invoice_id)")
    if unknown := int(states.get("unknown", 0)):
        run.note(f"uniconta: {unknown} month(s) wait for a decision: an export call got no answer "
                 "(`erpload ledger --target uniconta --state unknown`)")
