"""`erpload.ledger`: what was sent to which vendor, so nothing is sent twice and nothing is lost.

`ledger` (a view) has one row per (target, entity, record key, payload hash) with its state. A record
is sent when its key and hash are not `acknowledged`: an unchanged record is never sent again and a
changed one (new hash) is sent once. States move pending → sent → acknowledged | failed:

- pending: the record is in a push's outbox, in a batch that has not been answered; a crash leaves
  it pending and the next push sends it again (for vendors whose writes are upserts; create-only
  APIs reconcile instead).
- sent: the vendor took the batch and gave a reference (e.g. an import job id) that can be asked
  later; a re-run asks the vendor first (see `Ledger.unresolved`).
- acknowledged: the vendor confirmed the batch.
- failed: the vendor did not take it. `retry` says whether a re-run sends it again (a failed job:
  yes; a record the vendor refused as invalid, also in erpload.rejects: only once it changes).

Underneath, three append-only tables keep writes cheap on the hot path (a vendor batch costs two
rows, whatever its size): `ledger_records` (a record version queued in a batch, written
for the whole outbox in one statement), `ledger_batches` (each state change of a batch) and
`ledger_refusals` (records the vendor refused). The newest row wins, by `seq`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import duckdb

from erpload.staging import FRAMEWORK_SCHEMA, sql_literal

LEDGER = f"{FRAMEWORK_SCHEMA}.ledger"
RECORDS = f"{FRAMEWORK_SCHEMA}.ledger_records"
BATCHES = f"{FRAMEWORK_SCHEMA}.ledger_batches"
REFUSALS = f"{FRAMEWORK_SCHEMA}.ledger_refusals"
SEQ = f"{FRAMEWORK_SCHEMA}.ledger_seq"

LEDGER_DDL = (
    f"CREATE SEQUENCE IF NOT EXISTS {SEQ}",
    f"""CREATE TABLE IF NOT EXISTS {RECORDS} (
        target VARCHAR NOT NULL, entity VARCHAR NOT NULL, record_key VARCHAR NOT NULL, payload_hash VARCHAR NOT NULL,
        batch_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, logged_at TIMESTAMP NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {BATCHES} (
        batch_id VARCHAR NOT NULL, target VARCHAR NOT NULL, entity VARCHAR NOT NULL, state VARCHAR NOT NULL,
        retry BOOLEAN NOT NULL, vendor_ref VARCHAR, response VARCHAR, run_id VARCHAR NOT NULL, seq BIGINT NOT NULL,
        logged_at TIMESTAMP NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {REFUSALS} (
        target VARCHAR NOT NULL, entity VARCHAR NOT NULL, record_key VARCHAR NOT NULL, payload_hash VARCHAR NOT NULL,
        batch_id VARCHAR NOT NULL, response VARCHAR, seq BIGINT NOT NULL, logged_at TIMESTAMP NOT NULL)""",
    f"""CREATE OR REPLACE VIEW {LEDGER} AS
        WITH latest AS (
            SELECT target, entity, record_key, payload_hash, arg_max(batch_id, seq) AS batch_id,
                   arg_max(run_id, seq) AS run_id, count(*) AS attempts, min(logged_at) AS created_at,
                   max(logged_at) AS queued_at
            FROM {RECORDS} GROUP BY ALL),
        batch AS (
            SELECT batch_id, arg_max(state, seq) AS state, arg_max(retry, seq) AS retry,
                   arg_max(vendor_ref, seq) AS vendor_ref, arg_max(response, seq) AS response,
                   max(logged_at) AS logged_at
            FROM {BATCHES} GROUP BY batch_id)
        SELECT l.target, l.entity, l.record_key, l.payload_hash,
               CASE WHEN r.batch_id IS NOT NULL THEN 'failed' ELSE coalesce(b.state, 'pending') END AS state,
               CASE WHEN r.batch_id IS NOT NULL THEN false ELSE coalesce(b.retry, true) END AS retry,
               l.batch_id, b.vendor_ref, coalesce(r.response, b.response) AS response, l.run_id, l.attempts,
               l.created_at, greatest(l.queued_at, b.logged_at, r.logged_at) AS updated_at
        FROM latest l LEFT JOIN batch b ON b.batch_id = l.batch_id
        LEFT JOIN {REFUSALS} r ON r.batch_id = l.batch_id AND r.record_key = l.record_key
            AND r.payload_hash = l.payload_hash AND r.target = l.target AND r.entity = l.entity""",
)

class BatchEvent(NamedTuple):
    """A batch's state change, as data: a group of them is written in one statement (see `Ledger.record`)."""

    batch_id: str
    entity: str
    state: str  # sent, acknowledged or failed
    retry: bool = True
    vendor_ref: str | None = None
    response: str | None = None

    @classmethod
    def sent(cls, batch_id: str, entity: str, vendor_ref: str) -> BatchEvent:
        return cls(batch_id, entity, "sent", vendor_ref=vendor_ref)

    @classmethod
    def acknowledged(cls, batch_id: str, entity: str, response: str) -> BatchEvent:
        return cls(batch_id, entity, "acknowledged", response=response)

    @classmethod
    def failed(cls, batch_id: str, entity: str, response: str) -> BatchEvent:
        return cls(batch_id, entity, "failed", response=response)


@dataclass(frozen=True)
class Unresolved:
    """A batch the vendor took (it has a reference) whose outcome the ledger does not know yet."""

    entity: str
    batch_id: str
    vendor_ref: str


def new_batch_id() -> str:
    return uuid.uuid4().hex


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in LEDGER_DDL:
        con.execute(ddl)


class Ledger:
    """The ledger of one target and run, on a staging connection (use a cursor per thread)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, target: str, run_id: str) -> None:
        self.con = con
        self.target = target
        self.run_id = run_id

    def execute(self, sql: str) -> None:
        """A statement that goes with the ledger's writes (e.g. the rejects of refused records)."""
        self.con.execute(sql)

    def _where(self, entity: str | None = None) -> str:
        where = f"target = {sql_literal(self.target)}"
        return where + (f" AND entity = {sql_literal(entity)}" if entity else "")

    def not_settled_sql(self, entity: str, records: str) -> str:
        """`records` (SQL with columns `_key`, `_hash`) minus those the vendor acknowledged, and minus
        those it refused unchanged (they wait for a fix in the ERP, see erpload.rejects)."""
        return f"""SELECT r.* FROM ({records}) r ANTI JOIN (
                       SELECT record_key, payload_hash FROM {LEDGER}
                       WHERE {self._where(entity)} AND (state = 'acknowledged' OR (state = 'failed' AND NOT retry))
                   ) l ON l.record_key = r._key AND l.payload_hash = r._hash"""

    def is_settled(self, entity: str, key: str, payload_hash: str) -> bool:
        """One record's `not_settled_sql`, with predicates the view can push below its aggregation."""
        row = self.con.execute(f"""SELECT count(*) FROM {LEDGER} WHERE {self._where(entity)}
                                       AND record_key = {sql_literal(key)}
                                       AND payload_hash = {sql_literal(payload_hash)}
                                       AND (state = 'acknowledged' OR (state = 'failed' AND NOT retry))""").fetchone()
        return bool(row and row[0])

    def queue(self, outbox: str) -> None:
        """Every record of `outbox` (columns entity, _key, _hash, batch_id) is about to be sent: one statement."""
        self.con.execute(f"""INSERT INTO {RECORDS} SELECT {sql_literal(self.target)}, entity, _key, _hash, batch_id,
                                 {sql_literal(self.run_id)}, nextval('{SEQ}'), now()::TIMESTAMP FROM {outbox}""")

    def queue_batch(self, entity: str, keys_and_hashes: list[tuple[str, str]], batch_id: str) -> None:
        """Queue records outside an outbox (one PUT, or part of a batch dlt split) as batch `batch_id`."""
        values = ", ".join(f"({sql_literal(k)}, {sql_literal(h)})" for k, h in keys_and_hashes)
        self.con.execute(f"""INSERT INTO {RECORDS} SELECT {sql_literal(self.target)}, {sql_literal(entity)}, k, h,
                                 {sql_literal(batch_id)}, {sql_literal(self.run_id)}, nextval('{SEQ}'),
                                 now()::TIMESTAMP FROM (VALUES {values}) v(k, h)""")

    def record(self, events: Sequence[BatchEvent]) -> None:
        """Batch state changes, in one statement: each gets the next `seq` in the order given."""
        if not events:
            return
        values = ", ".join(f"({i}, {sql_literal(e.batch_id)}, {sql_literal(e.entity)}, {sql_literal(e.state)}, "
                           f"{sql_literal(e.retry)}, {sql_literal(e.vendor_ref)}, {sql_literal(e.response)})"
                           for i, e in enumerate(events))
        self.con.execute(f"""INSERT INTO {BATCHES} SELECT batch_id, {sql_literal(self.target)}, entity, state, retry,
                                 vendor_ref, response, {sql_literal(self.run_id)}, nextval('{SEQ}'), now()::TIMESTAMP
                             FROM (VALUES {values}) v(ord, batch_id, entity, state, retry, vendor_ref, response)
                             ORDER BY ord""")

    def sent(self, batch_id: str, entity: str, vendor_ref: str) -> None:
        self.record([BatchEvent.sent(batch_id, entity, vendor_ref)])

    def acknowledged(self, batch_id: str, entity: str, response: str) -> None:
        self.record([BatchEvent.acknowledged(batch_id, entity, response)])

    def failed(self, batch_id: str, entity: str, response: str) -> None:
        self.record([BatchEvent.failed(batch_id, entity, response)])

    def refused(self, batch_id: str, entity: str, keys_and_hashes: list[tuple[str, str]], response: str) -> None:
        """The vendor refused these records of the batch as invalid: failed, not retried unchanged."""
        if not keys_and_hashes:
            return
        values = ", ".join(f"({sql_literal(k)}, {sql_literal(h)})" for k, h in keys_and_hashes)
        self.con.execute(f"""INSERT INTO {REFUSALS} SELECT {sql_literal(self.target)}, {sql_literal(entity)}, k, h,
                                 {sql_literal(batch_id)}, {sql_literal(response)}, nextval('{SEQ}'),
                                 now()::TIMESTAMP FROM (VALUES {values}) v(k, h)""")

    def unresolved(self) -> list[Unresolved]:
        """Batches an interrupted push left `sent`: ask the vendor before sending them again."""
        rows = self.con.execute(f"""SELECT entity, batch_id, vendor_ref FROM (
                                        SELECT entity, batch_id, arg_max(state, seq) AS state,
                                               arg_max(vendor_ref, seq) AS vendor_ref, max(seq) AS seq
                                        FROM {BATCHES} WHERE {self._where()} GROUP BY ALL)
                                    WHERE state = 'sent' AND vendor_ref IS NOT NULL ORDER BY seq""").fetchall()
        return [Unresolved(str(e), str(b), str(r)) for e, b, r in rows]
