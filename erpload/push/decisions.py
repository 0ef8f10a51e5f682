"""What a person decides about ledger records: append-only rows in `ledger_decisions`, read by the ledger view.

- resolve: a record whose outcome is unknown (or whose job never finished) did arrive (`sent`: it counts as
  acknowledged) or did not (`not_sent`: the next push sends it). `not_sent` also settles a record the vendor
  acknowledged but does not hold after all (Telecom X rolls a failed export back after it answered). A decision
  covers the records that went in the same request (its batch): they arrived, or did not, together.
- resend: records the vendor acknowledged are sent again on purpose by the next push (`resend`).

Each decision keeps who made it and when; the record's next ledger event (a push sending it, the vendor
answering) supersedes it.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass

import duckdb

from erpload.errors import ConfigError
from erpload.push.ledger import DECISIONS, LEDGER, RECORDS, SEQ, ensure_ledger, scope_label
from erpload.staging import sql_literal

#: the states `resolve` settles: the outcome is not known, or the vendor's job never finished
UNDECIDED_STATES = ("unknown", "sent")


@dataclass(frozen=True)
class Decided:
    entity: str
    scope: str | None
    records: int  # versions (hashes) of the key the decision covers
    with_it: int = 0  # records sent in the same request as the key, settled with it


def who() -> str:
    """The person deciding, as the ledger records it: user@host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown user"
    return f"{user}@{socket.gethostname()}"


def _filters(target: str, entity: str | None, scope: str | None, key: str | None) -> str:
    where = f"target = {sql_literal(target)}"
    if entity:
        where += f" AND entity = {sql_literal(entity)}"
    if scope:
        where += f" AND scope = {sql_literal(scope)}"
    if key:
        where += f" AND record_key = {sql_literal(key)}"
    return where


def resolve(con: duckdb.DuckDBPyConnection, target: str, key: str, *, sent: bool, entity: str | None = None,
            scope: str | None = None, by: str | None = None) -> Decided:
    """Record that `key` of `target` did (`sent`) or did not arrive; raises ConfigError when no such record waits
    for a decision, or when it is ambiguous (several entities or destinations) without `entity` / `scope`."""
    ensure_ledger(con)
    settles: tuple[str, ...] = UNDECIDED_STATES if sent else (*UNDECIDED_STATES, "acknowledged")
    states = "(" + ", ".join(map(sql_literal, settles)) + ")"
    where = _filters(target, entity, scope, key) + f" AND state IN {states}"
    found = con.execute(f"SELECT DISTINCT entity, scope FROM {LEDGER} WHERE {where} ORDER BY ALL").fetchall()
    if not found:
        present = con.execute(f"SELECT DISTINCT entity, state FROM {LEDGER} WHERE "
                              f"{_filters(target, entity, scope, key)} ORDER BY ALL").fetchall()
        seen = "; ".join(f"{e}: {s}" for e, s in present) or "no ledger row at all"
        raise ConfigError(f"no record '{key}' of {target} waits for a decision ({seen})",
                          hint=f"`erpload ledger --target {target} --state unknown` lists the records that do")
    if len({e for e, _ in found}) > 1:
        raise ConfigError(f"'{key}' of {target} waits for a decision in several entities: "
                          + ", ".join(sorted({str(e) for e, _ in found})), hint="add --entity")
    if len(found) > 1:
        raise ConfigError(f"'{key}' of {target} waits for a decision at several destinations: "
                          + "; ".join(scope_label(s) for _, s in found), hint="add --scope with one of them")
    found_entity, found_scope = str(found[0][0]), None if found[0][1] is None else str(found[0][1])
    by = by or who()
    if sent:
        note = f"decided by {by}: {target} has it (erpload ledger resolve --sent)"
    else:
        note = f"decided by {by}: {target} does not have it, the next push sends it (erpload ledger resolve --not-sent)"
    # the key's records and those sent with them in one request: one outcome for all
    where = (f"target = {sql_literal(target)} AND state IN {states} AND scope IS NOT DISTINCT FROM "
             f"{sql_literal(found_scope)} AND (({where}) OR batch_id IN (SELECT batch_id FROM {LEDGER} WHERE {where}))")
    n = _count(con, where)
    with_it = _count(con, f"{where} AND NOT (entity = {sql_literal(found_entity)} "
                          f"AND record_key = {sql_literal(key)})")
    con.execute(f"""INSERT INTO {DECISIONS} SELECT target, scope, entity, record_key, payload_hash,
                        {sql_literal("sent" if sent else "not_sent")}, {sql_literal(note)}, {sql_literal(by)},
                        nextval('{SEQ}'), now()::TIMESTAMP
                    FROM {LEDGER} WHERE {where}""")
    return Decided(found_entity, found_scope, n - with_it, with_it)


def _count(con: duckdb.DuckDBPyConnection, where: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {LEDGER} WHERE {where}").fetchone()
    return int(row[0]) if row else 0


def latest_scope(con: duckdb.DuckDBPyConnection, target: str, entity: str | None = None) -> str | None:
    """The destination the last push of `target` (and `entity`) went to; None when it has no ledger rows."""
    where = f"target = {sql_literal(target)}" + (f" AND entity = {sql_literal(entity)}" if entity else "")
    row = con.execute(f"SELECT arg_max(scope, seq) FROM {RECORDS} WHERE {where}").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def resend(con: duckdb.DuckDBPyConnection, target: str, scope: str, *, entity: str | None = None,
           key: str | None = None, by: str | None = None) -> int:
    """Mark the records `target` acknowledged (or failed for good) at `scope` so that the next push sends them
    again; returns how many record versions were marked."""
    ensure_ledger(con)
    where = _filters(target, entity, scope, key) + " AND (state = 'acknowledged' OR (state = 'failed' AND NOT retry))"
    by = by or who()
    n = _count(con, where)
    if n:
        note = f"marked by {by} to be sent again on purpose (erpload ledger resend)"
        con.execute(f"""INSERT INTO {DECISIONS} SELECT target, scope, entity, record_key, payload_hash, 'resend',
                            {sql_literal(note)}, {sql_literal(by)}, nextval('{SEQ}'), now()::TIMESTAMP
                        FROM {LEDGER} WHERE {where}""")
    return n
