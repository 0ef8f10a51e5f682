"""Records a vendor holds that are gone from the ERP: reported once, never dropped silently.

A push sends what `transform` puts into the target's dataset. A record deleted in the ERP (or no longer
sent: marked deleted, blocked, set aside) leaves the dataset, but the vendor keeps what it acknowledged:
erpload withdraws nothing (d.velop's master-data API has no delete; its batch import upserts). Each such
record is reported once in erpload.rejects with what to do at the vendor; a record that comes back and is
acknowledged again is reported again should it vanish again.
"""

from __future__ import annotations

import duckdb

from erpload.push.ledger import LEDGER
from erpload.rejects import PUSH_GONE, rejects_sql
from erpload.staging import FRAMEWORK_SCHEMA, scalar_int, sql_literal
from erpload.validation import quote_ident

REASON = "gone from the ERP's data for this target since it was sent"


def report_gone(con: duckdb.DuckDBPyConnection, target: str, entity: str, run_id: str, *,
                create_only: bool = False) -> int:
    """Reject rows for the `entity` records `target` acknowledged that are no longer in its dataset; returns how many
    were reported now. For a create-only API (booking proposals) the record is not master data to deactivate but
    something that may be booked: the fix says to delete it there before it is booked, or to book its reversal."""
    tgt, ent = sql_literal(target), sql_literal(entity)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _gone AS
                    WITH acked AS (SELECT record_key, max(updated_at) AS at FROM {LEDGER}
                                   WHERE target = {tgt} AND entity = {ent} AND state = 'acknowledged'
                                   GROUP BY ALL)
                    SELECT a.record_key FROM acked a
                    WHERE NOT EXISTS (SELECT 1 FROM {quote_ident(target)}.{quote_ident(entity)} t
                                      WHERE t._key = a.record_key)
                      AND NOT EXISTS (SELECT 1 FROM {FRAMEWORK_SCHEMA}.rejects r
                                      WHERE r.target = {tgt} AND r.entity = {ent} AND r.record_key = a.record_key
                                        AND starts_with(r.reason, {sql_literal(REASON)}) AND r.created_at >= a.at)""")
    gone = scalar_int(con, "SELECT count(*) FROM _gone")
    if gone:
        if create_only:
            reason = f"{REASON} (cancelled, deleted or set aside in the ERP now); {target} cannot withdraw what it " \
                     "received"
            fix = "it is in the accounting system as sent: delete it there before it is booked, or book its " \
                   "reversal there if it was booked already"
        else:
            reason = f"{REASON} (deleted, marked deleted or blocked, or set aside now); {target} keeps it: " \
                     "erpload sends no deletes"
            fix = f"if the record is gone for good, deactivate or delete it in {target} by hand"
        con.execute(rejects_sql(run_id, target, entity, record_key="record_key", reason=sql_literal(reason),
                                fix=sql_literal(fix), code=sql_literal(PUSH_GONE), source="FROM _gone"))
    con.execute("DROP TABLE _gone")
    return gone
