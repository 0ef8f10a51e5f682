"""`erpload.ledger`: what was sent to which vendor, so nothing is sent twice and nothing is lost.

`ledger` (a view) has one row per (target, scope, entity, record key, payload hash) with its state. The
scope is where the records went (the sender's `scope(entity)`: base URL and bucket, account or company,
never a secret): a push to another destination starts with nothing settled there. Rows written before
scopes were kept have none (NULL): they count as another destination. States:

- pending: in a push's outbox, not yet sent (or decided "not sent", or marked to send again); the next
  push sends it.
- sent: the vendor took the batch and gave a reference (an import job or task id) that is asked later
  (see `Ledger.unresolved`); not sent again meanwhile.
- acknowledged: the vendor confirmed it (or a person decided it arrived: `erpload ledger resolve`).
- failed: the vendor says it failed. `retry` says whether a re-run sends it again (a failed job or task:
  yes, for a create-only API too, as the vendor says it holds none of it; a record the vendor refused as
  invalid, also in erpload.rejects: only once it changes).
- unknown: the request may or may not have arrived (a dropped connection, a 5xx on a write, or a
  create-only push that died while sending: its `sending` event is shown as unknown). Upsert APIs get
  it again with the next push; a create-only record is held until the vendor (by its reference) or a
  person (`erpload ledger resolve`) says what happened.

Underneath, append-only tables keep writes cheap on the hot path (a vendor batch costs two rows,
whatever its size): `ledger_records` (a record version queued in a batch, written for the whole outbox in
one statement), `ledger_batches` (each state change of a batch), `ledger_refusals` (records the vendor
refused) and `ledger_decisions` (what a person decided with `erpload ledger resolve` / `resend`, with who
and when). The newest row wins, by `seq`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import duckdb

from erpload.staging import FRAMEWORK_SCHEMA, ensure_framework_tables, sql_literal

LEDGER = f"{FRAMEWORK_SCHEMA}.ledger"
RECORDS = f"{FRAMEWORK_SCHEMA}.ledger_records"
BATCHES = f"{FRAMEWORK_SCHEMA}.ledger_batches"
REFUSALS = f"{FRAMEWORK_SCHEMA}.ledger_refusals"
DECISIONS = f"{FRAMEWORK_SCHEMA}.ledger_decisions"
SEQ = f"{FRAMEWORK_SCHEMA}.ledger_seq"

#: what a `sending` event left by a push that died says in the ledger view
DIED_SENDING = ("the push stopped while sending it (killed or crashed): it may or may not have arrived; "
                "ask the vendor, then `erpload ledger resolve`")

#: a decision → the state it gives the record
DECIDED_STATE = {"sent": "acknowledged", "not_sent": "pending", "resend": "pending"}

LEDGER_DDL = (
    f"CREATE SEQUENCE IF NOT EXISTS {SEQ}",
    f"""CREATE TABLE IF NOT EXISTS {RECORDS} (
        target VARCHAR NOT NULL, entity VARCHAR NOT NULL, record_key VARCHAR NOT NULL, payload_hash VARCHAR NOT NULL,
        batch_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, logged_at TIMESTAMP NOT NULL,
        scope VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {BATCHES} (
        batch_id VARCHAR NOT NULL, target VARCHAR NOT NULL, entity VARCHAR NOT NULL, state VARCHAR NOT NULL,
        retry BOOLEAN NOT NULL, vendor_ref VARCHAR, response VARCHAR, run_id VARCHAR NOT NULL, seq BIGINT NOT NULL,
        logged_at TIMESTAMP NOT NULL, scope VARCHAR)""",
    # staging files from before scopes: their rows keep scope NULL (another destination)
    f"ALTER TABLE {RECORDS} ADD COLUMN IF NOT EXISTS scope VARCHAR",
    f"ALTER TABLE {BATCHES} ADD COLUMN IF NOT EXISTS scope VARCHAR",
    f"""CREATE TABLE IF NOT EXISTS {REFUSALS} (
        target VARCHAR NOT NULL, entity VARCHAR NOT NULL, record_key VARCHAR NOT NULL, payload_hash VARCHAR NOT NULL,
        batch_id VARCHAR NOT NULL, response VARCHAR, seq BIGINT NOT NULL, logged_at TIMESTAMP NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {DECISIONS} (
        target VARCHAR NOT NULL, scope VARCHAR, entity VARCHAR NOT NULL, record_key VARCHAR NOT NULL,
        payload_hash VARCHAR NOT NULL, decision VARCHAR NOT NULL, note VARCHAR NOT NULL, decided_by VARCHAR NOT NULL,
        seq BIGINT NOT NULL, logged_at TIMESTAMP NOT NULL)""",
    f"""CREATE OR REPLACE VIEW {LEDGER} AS
        WITH latest AS (
            SELECT target, scope, entity, record_key, payload_hash, arg_max(batch_id, seq) AS batch_id,
                   arg_max(run_id, seq) AS run_id, count(*) AS attempts, min(logged_at) AS created_at,
                   max(logged_at) AS queued_at, max(seq) AS seq
            FROM {RECORDS} GROUP BY ALL),
        batch AS (
            SELECT batch_id, arg_max(state, seq) AS state, arg_max(retry, seq) AS retry,
                   arg_max(vendor_ref, seq) AS vendor_ref, arg_max(response, seq) AS response,
                   max(logged_at) AS logged_at, max(seq) AS seq
            FROM {BATCHES} GROUP BY batch_id),
        decision AS (
            SELECT target, scope, entity, record_key, payload_hash, arg_max(decision, seq) AS decision,
                   arg_max(note, seq) AS note, max(logged_at) AS logged_at, max(seq) AS seq
            FROM {DECISIONS} GROUP BY ALL),
        judged AS (
            SELECT l.*, b.state AS batch_state, b.retry AS batch_retry, b.vendor_ref, b.response AS batch_response,
                   b.logged_at AS batch_at, r.batch_id IS NOT NULL AS refused, r.response AS refusal,
                   r.logged_at AS refused_at, d.decision, d.note, d.logged_at AS decided_at,
                   coalesce(d.seq > greatest(l.seq, b.seq, r.seq), false) AS decided
            FROM latest l LEFT JOIN batch b ON b.batch_id = l.batch_id
            LEFT JOIN {REFUSALS} r ON r.batch_id = l.batch_id AND r.record_key = l.record_key
                AND r.payload_hash = l.payload_hash AND r.target = l.target AND r.entity = l.entity
            LEFT JOIN decision d ON d.target = l.target AND d.scope IS NOT DISTINCT FROM l.scope
                AND d.entity = l.entity AND d.record_key = l.record_key AND d.payload_hash = l.payload_hash)
        SELECT target, scope, entity, record_key, payload_hash,
               CASE WHEN decided THEN CASE decision WHEN 'sent' THEN 'acknowledged' ELSE 'pending' END
                    WHEN refused THEN 'failed'
                    WHEN batch_state = 'sending' THEN 'unknown'
                    ELSE coalesce(batch_state, 'pending') END AS state,
               CASE WHEN decided THEN true WHEN refused THEN false ELSE coalesce(batch_retry, true) END AS retry,
               batch_id, vendor_ref,
               CASE WHEN decided THEN note WHEN refused THEN refusal
                    WHEN batch_state = 'sending' THEN {sql_literal(DIED_SENDING)} ELSE batch_response END AS response,
               run_id, attempts, created_at,
               greatest(queued_at, batch_at, refused_at, CASE WHEN decided THEN decided_at END) AS updated_at
        FROM judged""",
)

#: states that settle a (key, hash) for an upsert API: it holds that version, or will (a job still running)
_SETTLED_VERSION = "(state IN ('acknowledged', 'sent') OR (state = 'failed' AND NOT retry))"
#: states that settle a key, whatever its hash, for a create-only API: the vendor holds a version of it, or may
_SETTLED_KEY = "state IN ('acknowledged', 'sent', 'unknown')"

class BatchEvent(NamedTuple):
    """A batch's state change, as data: a group of them is written in one statement (see `Ledger.record`)."""

    batch_id: str
    entity: str
    state: str  # sending, sent, acknowledged, failed or unknown
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
    def failed(cls, batch_id: str, entity: str, response: str, *, retry: bool = True) -> BatchEvent:
        return cls(batch_id, entity, "failed", retry=retry, response=response)

    @classmethod
    def sending(cls, batch_id: str, entity: str) -> BatchEvent:
        """About to be sent to a create-only API: if nothing follows, the push died with it in flight."""
        return cls(batch_id, entity, "sending")

    @classmethod
    def unknown(cls, batch_id: str, entity: str, reason: str) -> BatchEvent:
        return cls(batch_id, entity, "unknown", response=reason)

    @classmethod
    def unconfirmed(cls, batch_id: str, entity: str, reason: str) -> BatchEvent:
        """Still `sent`: its job did not finish in time; the reason is kept beside the vendor's reference."""
        return cls(batch_id, entity, "sent", response=reason)


@dataclass(frozen=True)
class Unresolved:
    """A batch the vendor took (it has a reference) whose outcome the ledger does not know yet."""

    entity: str
    batch_id: str
    vendor_ref: str
    state: str  # sent (its job was running) or unknown (the answer was lost after the vendor gave a reference)


def new_batch_id() -> str:
    return uuid.uuid4().hex


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in LEDGER_DDL:
        con.execute(ddl)
    ensure_framework_tables(con)  # after the ledger: current_rejects clears a push reject whose record is sent again


def scope_label(scope: str | None) -> str:
    """A scope as the summary names it; rows from before scopes were kept have none."""
    return scope if scope is not None else "an earlier destination (recorded before erpload kept scopes)"


class Ledger:
    """The ledger of one target and run, on a staging connection (use a cursor per thread).

    `scopes` maps each entity to where its records go (`Sender.scope`); reads and writes stay in them.
    `create_only`: the vendor's API creates a record per request and cannot change it, so a key the vendor
    holds (or may hold) is settled whatever its hash.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, target: str, run_id: str, scopes: Mapping[str, str], *,
                 create_only: bool = False) -> None:
        self.con = con
        self.target = target
        self.run_id = run_id
        self.scopes = dict(scopes)
        self.create_only = create_only

    def execute(self, sql: str) -> None:
        """A statement that goes with the ledger's writes (e.g. the rejects of refused records)."""
        self.con.execute(sql)

    def scope(self, entity: str) -> str:
        return self.scopes[entity]

    def _where(self, entity: str | None = None) -> str:
        where = f"target = {sql_literal(self.target)}"
        if entity:
            return where + f" AND scope = {sql_literal(self.scope(entity))} AND entity = {sql_literal(entity)}"
        return where + " AND (" + " OR ".join(f"(entity = {sql_literal(e)} AND scope = {sql_literal(s)})"
                                               for e, s in self.scopes.items()) + ")"

    def not_settled_sql(self, entity: str, records: str) -> str:
        """`records` (SQL with columns `_key`, `_hash`) minus those settled in this scope: a version the vendor
        holds or is processing, one it refused unchanged (waiting for a fix, see erpload.rejects), and for a
        create-only API every key it holds or may hold."""
        sql = f"""SELECT r.* FROM ({records}) r ANTI JOIN (
                      SELECT record_key, payload_hash FROM {LEDGER} WHERE {self._where(entity)} AND {_SETTLED_VERSION}
                  ) l ON l.record_key = r._key AND l.payload_hash = r._hash"""
        if self.create_only:
            sql = f"""SELECT r.* FROM ({sql}) r ANTI JOIN (
                          SELECT record_key FROM {LEDGER} WHERE {self._where(entity)} AND {_SETTLED_KEY}
                      ) k ON k.record_key = r._key"""
        return sql

    def is_settled(self, entity: str, key: str, payload_hash: str) -> bool:
        """One record's `not_settled_sql`, with predicates the view can push below its aggregation."""
        settled = f"(payload_hash = {sql_literal(payload_hash)} AND {_SETTLED_VERSION})"
        if self.create_only:
            settled = f"({settled} OR {_SETTLED_KEY})"
        row = self.con.execute(f"""SELECT count(*) FROM {LEDGER} WHERE {self._where(entity)}
                                       AND record_key = {sql_literal(key)} AND {settled}""").fetchone()
        return bool(row and row[0])

    def changed_after_sent_sql(self, entity: str, records: str) -> str:
        """For a create-only API: `records` whose key the vendor holds in another version (acknowledged or
        sent), with `_key`, `_hash` and `payload`: the vendor cannot change them."""
        return f"""SELECT r.* FROM ({records}) r SEMI JOIN (
                       SELECT record_key FROM {LEDGER} WHERE {self._where(entity)}
                           AND state IN ('acknowledged', 'sent')
                   ) k ON k.record_key = r._key
                   ANTI JOIN (SELECT record_key, payload_hash FROM {LEDGER} WHERE {self._where(entity)}) v
                       ON v.record_key = r._key AND v.payload_hash = r._hash"""

    def queue(self, outbox: str) -> None:
        """Every record of `outbox` (columns scope, entity, _key, _hash, batch_id) is about to be sent: one
        statement."""
        self.con.execute(f"""INSERT INTO {RECORDS} (target, scope, entity, record_key, payload_hash, batch_id, run_id,
                                                    seq, logged_at)
                             SELECT {sql_literal(self.target)}, scope, entity, _key, _hash, batch_id,
                                 {sql_literal(self.run_id)}, nextval('{SEQ}'), now()::TIMESTAMP FROM {outbox}""")

    def queue_batch(self, entity: str, keys_and_hashes: list[tuple[str, str]], batch_id: str) -> None:
        """Queue records outside an outbox (one PUT, or part of a batch dlt split) as batch `batch_id`."""
        values = ", ".join(f"({sql_literal(k)}, {sql_literal(h)})" for k, h in keys_and_hashes)
        self.con.execute(f"""INSERT INTO {RECORDS} (target, scope, entity, record_key, payload_hash, batch_id, run_id,
                                                    seq, logged_at)
                             SELECT {sql_literal(self.target)}, {sql_literal(self.scope(entity))},
                                 {sql_literal(entity)}, k, h, {sql_literal(batch_id)}, {sql_literal(self.run_id)},
                                 nextval('{SEQ}'), now()::TIMESTAMP FROM (VALUES {values}) v(k, h)""")

    def record(self, events: Sequence[BatchEvent]) -> None:
        """Batch state changes, in one statement: each gets the next `seq` in the order given."""
        if not events:
            return
        values = ", ".join(f"({i}, {sql_literal(e.batch_id)}, {sql_literal(e.entity)}, {sql_literal(e.state)}, "
                           f"{sql_literal(e.retry)}, {sql_literal(e.vendor_ref)}, {sql_literal(e.response)}, "
                           f"{sql_literal(self.scopes.get(e.entity))})"
                           for i, e in enumerate(events))
        self.con.execute(f"""INSERT INTO {BATCHES} (batch_id, target, entity, state, retry, vendor_ref, response,
                                                    run_id, seq, logged_at, scope)
                             SELECT batch_id, {sql_literal(self.target)}, entity, state, retry, vendor_ref, response,
                                 {sql_literal(self.run_id)}, nextval('{SEQ}'), now()::TIMESTAMP, scope
                             FROM (VALUES {values}) v(ord, batch_id, entity, state, retry, vendor_ref, response, scope)
                             ORDER BY ord""")

    def sent(self, batch_id: str, entity: str, vendor_ref: str) -> None:
        self.record([BatchEvent.sent(batch_id, entity, vendor_ref)])

    def acknowledged(self, batch_id: str, entity: str, response: str) -> None:
        self.record([BatchEvent.acknowledged(batch_id, entity, response)])

    def failed(self, batch_id: str, entity: str, response: str) -> None:
        # the vendor's own answer that it holds none of the batch: sending again duplicates nothing, create-only or not
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
        """Batches of these scopes left `sent` (or `unknown` after the vendor gave a reference): ask the vendor
        before anything else about their records."""
        rows = self.con.execute(f"""SELECT entity, batch_id, vendor_ref, state FROM (
                                        SELECT entity, batch_id, arg_max(state, seq) AS state,
                                               arg_max(vendor_ref, seq) AS vendor_ref, max(seq) AS seq
                                        FROM {BATCHES} WHERE {self._where()} GROUP BY ALL)
                                    WHERE state IN ('sent', 'unknown') AND vendor_ref IS NOT NULL
                                    ORDER BY seq""").fetchall()
        if rows:  # (rare) leave out batches whose records were since decided or sent again
            ids = ", ".join(sql_literal(str(b)) for _, b, _, _ in rows)
            open_ids = {str(b) for (b,) in self.con.execute(
                f"SELECT DISTINCT batch_id FROM {LEDGER} WHERE target = {sql_literal(self.target)} "
                f"AND batch_id IN ({ids}) AND state IN ('sent', 'unknown')").fetchall()}
            rows = [r for r in rows if str(r[1]) in open_ids]
        return [Unresolved(str(e), str(b), str(r), str(s)) for e, b, r, s in rows]

    def other_scopes(self, entities: Sequence[str]) -> dict[str | None, int]:
        """Other destinations of this target and how many records of `entities` were acknowledged there, for the
        entities whose scope has no ledger rows yet (a push to a new destination sends them all again)."""
        fresh = [e for e in entities if not self.con.execute(
            f"SELECT 1 FROM {RECORDS} WHERE {self._where(e)} LIMIT 1").fetchone()]
        if not fresh:
            return {}
        entities = ", ".join(sql_literal(e) for e in fresh)
        rows = self.con.execute(f"""SELECT scope, count(DISTINCT (entity, record_key)) FROM {LEDGER}
                                    WHERE target = {sql_literal(self.target)} AND entity IN ({entities})
                                      AND state = 'acknowledged' GROUP BY scope ORDER BY max(updated_at) DESC
                                 """).fetchall()
        return {None if s is None else str(s): int(n) for s, n in rows}

    def waiting(self) -> int:
        """Records of these scopes whose outcome is unknown (for a create-only API: held for a decision)."""
        row = self.con.execute(f"SELECT count(*) FROM {LEDGER} WHERE {self._where()} AND state = 'unknown'"
                               ).fetchone()
        return int(row[0]) if row else 0
