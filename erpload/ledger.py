"""`erpload.ledger`: what was sent to which vendor, so nothing is sent twice and nothing is lost.

One row per (target, entity, record key, payload hash). A record is sent when its key and hash have
no row in state `acknowledged`: an unchanged record is never sent again and a changed one (new hash)
is sent once. States move pending → sent → acknowledged | failed:

- pending: written for every record a push is about to send, before anything leaves; a batch claims
  its records (`batch_id`) just before its request. A crash leaves them pending, and the next push
  sends them again (only for vendors whose writes are upserts; create-only APIs reconcile instead).
- sent: the vendor took the request and gave a reference (e.g. an import job id) that can be asked
  later; a re-run first asks the vendor about it (see `Ledger.unresolved`).
- acknowledged: the vendor confirmed the record.
- failed: the vendor did not take it. `retry` says whether a re-run sends it again (a failed job:
  yes; a record the vendor refused as invalid, which is also in erpload.rejects: only once it changes).

Every write is one set-based statement per batch keyed by `batch_id`, never a statement per record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import duckdb

from erpload.staging import FRAMEWORK_SCHEMA, sql_literal

LEDGER = f"{FRAMEWORK_SCHEMA}.ledger"

LEDGER_DDL = f"""CREATE TABLE IF NOT EXISTS {LEDGER} (
    target VARCHAR NOT NULL, entity VARCHAR NOT NULL, record_key VARCHAR NOT NULL, payload_hash VARCHAR NOT NULL,
    state VARCHAR NOT NULL, retry BOOLEAN NOT NULL DEFAULT true, batch_id VARCHAR, vendor_ref VARCHAR,
    response VARCHAR, run_id VARCHAR NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (target, entity, record_key, payload_hash))"""

STATES = ("pending", "sent", "acknowledged", "failed")


@dataclass(frozen=True)
class Unresolved:
    """A batch the vendor took (it has a reference) whose outcome the ledger does not know yet."""

    entity: str
    batch_id: str
    vendor_ref: str
    records: int


def new_batch_id() -> str:
    return uuid.uuid4().hex


class Ledger:
    """The ledger rows of one target, on a staging connection (use a cursor per thread)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, target: str, run_id: str) -> None:
        self.con = con
        self.target = target
        self.run_id = run_id
        con.execute(LEDGER_DDL)

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

    def pending_from(self, outbox: str) -> None:
        """Every record of `outbox` (columns entity, _key, _hash) is about to be sent: one statement."""
        self.con.execute(f"""
            INSERT INTO {LEDGER} (target, entity, record_key, payload_hash, state, retry, batch_id, run_id,
                                  attempts, created_at, updated_at)
            SELECT {sql_literal(self.target)}, entity, _key, _hash, 'pending', true, NULL, {sql_literal(self.run_id)},
                   0, now()::TIMESTAMP, now()::TIMESTAMP
            FROM {outbox}
            ON CONFLICT DO UPDATE SET state = 'pending', retry = true, batch_id = NULL, vendor_ref = NULL,
                response = NULL, run_id = excluded.run_id, updated_at = excluded.updated_at""")

    def claim(self, entity: str, keys_and_hashes: list[tuple[str, str]]) -> str:
        """Give these records (in key order) a new batch id just before they are sent; returns it.

        A batch of a push is a run of consecutive outbox records, so one range update claims it; if
        the range holds other records too, it is undone and the records are claimed one by one.
        """
        batch_id = new_batch_id()
        first, last = keys_and_hashes[0][0], keys_and_hashes[-1][0]
        row = self.con.execute(f"""
            UPDATE {LEDGER} SET batch_id = {sql_literal(batch_id)}, attempts = attempts + 1,
                updated_at = now()::TIMESTAMP
            WHERE {self._where(entity)} AND run_id = {sql_literal(self.run_id)} AND state = 'pending'
                AND batch_id IS NULL AND record_key BETWEEN {sql_literal(first)} AND {sql_literal(last)}""").fetchone()
        if row and row[0] == len(keys_and_hashes):
            return batch_id
        if row and row[0]:
            self.con.execute(f"UPDATE {LEDGER} SET batch_id = NULL, attempts = attempts - 1 "
                             f"WHERE batch_id = {sql_literal(batch_id)}")
        values = ", ".join(f"({sql_literal(k)}, {sql_literal(h)})" for k, h in keys_and_hashes)
        self.con.execute(f"""
            INSERT INTO {LEDGER} (target, entity, record_key, payload_hash, state, retry, batch_id, run_id,
                                  attempts, created_at, updated_at)
            SELECT {sql_literal(self.target)}, {sql_literal(entity)}, k, h, 'pending', true,
                   {sql_literal(batch_id)}, {sql_literal(self.run_id)}, 1, now()::TIMESTAMP, now()::TIMESTAMP
            FROM (VALUES {values}) v(k, h)
            ON CONFLICT DO UPDATE SET state = 'pending', retry = true, batch_id = excluded.batch_id,
                vendor_ref = NULL, response = NULL, run_id = excluded.run_id, attempts = {LEDGER}.attempts + 1,
                updated_at = excluded.updated_at""")
        return batch_id

    def sent(self, batch_id: str, vendor_ref: str) -> None:
        self._set(batch_id, "sent", response=None, vendor_ref=vendor_ref)

    def acknowledged(self, batch_id: str, response: str) -> None:
        self._set(batch_id, "acknowledged", response=response)

    def failed(self, batch_id: str, response: str, *, retry: bool = True) -> None:
        self._set(batch_id, "failed", response=response, retry=retry)

    def refused(self, batch_id: str, keys: list[str], response: str) -> None:
        """The vendor refused these records of the batch as invalid: failed, not retried unchanged."""
        if not keys:
            return
        in_keys = ", ".join(sql_literal(k) for k in keys)
        self.con.execute(f"""UPDATE {LEDGER} SET state = 'failed', retry = false, response = {sql_literal(response)},
                                 batch_id = NULL, updated_at = now()::TIMESTAMP
                             WHERE batch_id = {sql_literal(batch_id)} AND record_key IN ({in_keys})""")

    def _set(self, batch_id: str, state: str, *, response: str | None, vendor_ref: str | None = None,
             retry: bool = True) -> None:
        ref = f", vendor_ref = {sql_literal(vendor_ref)}" if vendor_ref is not None else ""
        self.con.execute(f"""UPDATE {LEDGER} SET state = {sql_literal(state)}, retry = {sql_literal(retry)},
                                 response = {sql_literal(response)}{ref}, updated_at = now()::TIMESTAMP
                             WHERE batch_id = {sql_literal(batch_id)}""")

    def unresolved(self) -> list[Unresolved]:
        """Batches left `sent` by an interrupted push: ask the vendor before sending them again."""
        rows = self.con.execute(f"""SELECT entity, batch_id, any_value(vendor_ref), count(*) FROM {LEDGER}
                                    WHERE {self._where()} AND state = 'sent' AND vendor_ref IS NOT NULL
                                    GROUP BY ALL ORDER BY min(updated_at)""").fetchall()
        return [Unresolved(str(e), str(b), str(r), int(n)) for e, b, r, n in rows]

    def counts(self) -> dict[tuple[str, str], int]:
        """(entity, state) → records, for this target."""
        rows = self.con.execute(f"SELECT entity, state, count(*) FROM {LEDGER} WHERE {self._where()} "
                                "GROUP BY ALL").fetchall()
        return {(str(e), str(s)): int(n) for e, s, n in rows}
