"""The push framework: a target's dataset → the vendor's API through a dlt destination, guarded by the ledger.

    reconcile   batches an earlier push left `sent` (or `unknown` with a vendor reference) are asked about
                once each, without waiting: settled, or left `sent` and not sent again meanwhile
    select      per entity, the records not settled in this destination's scope (see erpload.push.ledger)
    deliver     a dlt pipeline feeds them to a `@dlt.destination` in batches of the vendor's atomic unit;
                every record is committed to the ledger as pending before the first request, then each
                batch's reports (sent / acknowledged / failed / refused / unknown / unconfirmed) are
                committed before the sender goes on (see erpload.push.ledger_writer)

dlt delivers at least once (after a failure it resumes at the failed batch); the ledger makes that
exactly once per acknowledged batch. A create-only API (`Sender.create_only`) gets more: a `sending`
event is committed before each request, so a push that dies mid-request leaves its records `unknown`,
held until the vendor or a person says whether they arrived (`erpload ledger resolve`).
A vendor sender (`Sender`) knows only its API: it sends one `Batch` and reports what happened.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import duckdb

from erpload import interrupts
from erpload.errors import ConfigError, ErploadError
from erpload.push.http import OutcomeUnknown, VendorAuthError, VendorRefused
from erpload.push.ledger import BatchEvent, Ledger, ensure_ledger, new_batch_id, scope_label
from erpload.push.ledger_writer import LedgerWriter, Write
from erpload.push.outbox import OUTBOX, SCRATCH, OutboxStream
from erpload.push.send_thread import SendPool
from erpload.rejects import PUSH_CHANGED_AFTER_SENT, PUSH_REFUSED, rejects_sql
from erpload.runs import Run, TableResult
from erpload.staging import (
    FRAMEWORK_SCHEMA,
    connect,
    existing_tables,
    scalar_int,
    sql_literal,
)
from erpload.validation import quote_ident
from erpload.wording import plural


class Outgoing(NamedTuple):
    """One record ready to send: its key, the hash of its payload and the payload (JSON text).
    (A named tuple: a push builds one per record, and a frozen dataclass costs 2 µs each.)"""

    key: str
    hash: str
    payload: str


@dataclass(frozen=True)
class Refusal:
    """A record the vendor refused as invalid: it goes to erpload.rejects and waits for a fix."""

    key: str
    field: str | None
    reason: str


@dataclass
class EntityTally:
    total: int = 0
    unchanged: int = 0
    sent: int = 0
    refused: int = 0
    failed: int = 0
    unknown: int = 0  # records whose request may or may not have arrived
    warned: int = 0  # records acknowledged with warnings


class Sender(Protocol):
    """What a vendor destination implements (see destinations/<vendor>/destination.py)."""

    target: str
    batch_size: int  # records per vendor request
    concurrency: int  # vendor requests in flight at once
    create_only: bool  # True: a record must never reach the vendor twice; False: the vendor upserts
    entities: tuple[str, ...]  # in the order they are pushed (referenced records first)

    def scope(self, entity: str) -> str:
        """Where this entity's records go (base URL and bucket, account or company), never a secret."""

    def start(self, con: duckdb.DuckDBPyConnection) -> None:
        """Called once before the first send, with a staging cursor the sender may read (e.g. receipt files)."""

    def send(self, entity: str, batch: Batch) -> None:
        """Send `batch.records`, reporting through `batch.sent/acknowledged/failed/refused/unknown/unconfirmed`."""

    def resolve(self, vendor_ref: str) -> bool | None:
        """Ask once, without waiting: True acknowledged, False failed, None still running or unknown."""

    def send_one(self, entity: str, record: Outgoing) -> str:
        """Send one record synchronously; returns the vendor's answer in a few words."""

    def refusals(self, exc: Any, records: list[Outgoing]) -> list[Refusal]:
        """The records a refusal (`VendorRefused`) names; empty when it names none of them."""

    def traffic(self) -> str | None:
        """The requests sent so far, in a line for the run summary; None when there were none."""

    def close(self) -> None: ...


class Batch:
    """One batch on its way. The sender reports; the ledger, rejects and tallies follow here. Each report is
    committed to the staging file before it returns."""

    def __init__(self, push: Pusher, entity: str, records: list[Outgoing], batch_id: str) -> None:
        self.push = push
        self.entity = entity
        self.records = records
        self.batch_id = batch_id
        self.state: str | None = None  # the last report: sent, acknowledged, failed, unknown

    def sent(self, vendor_ref: str) -> None:
        """The vendor took the batch and gave a reference (a job or task id) to ask for its outcome."""
        self.push.commit(BatchEvent.sent(self.batch_id, self.entity, vendor_ref))
        self.state = "sent"

    def refused(self, refusals: list[Refusal]) -> None:
        """Take refused records out of the batch (the sender then sends the rest again)."""
        by_key = {r.key: r for r in refusals}
        payloads = {o.key: o for o in self.records}
        batch_id, entity = self.batch_id, self.entity
        keys = [(k, payloads[k].hash) for k in by_key]
        response = "refused: " + "; ".join(f"{r.field or '-'}: {r.reason}" for r in refusals)[:500]
        rejects = self.push.reject_sql(self.entity, [(r, payloads[r.key]) for r in refusals])

        def write(ledger: Ledger) -> None:
            ledger.refused(batch_id, entity, keys, response)
            ledger.execute(rejects)

        self.push.commit(write)
        self.records = [r for r in self.records if r.key not in by_key]
        self.push.tally(self.entity, refused=len(by_key))

    def acknowledged(self, response: str, warnings: Sequence[str] = ()) -> None:
        """The vendor confirmed the batch; `warnings` it gave are kept with the response."""
        if warnings:
            response += "; warnings: " + "; ".join(warnings)
        self.push.commit(BatchEvent.acknowledged(self.batch_id, self.entity, response[:2000]))
        self.state = "acknowledged"
        self.push.tally(self.entity, sent=len(self.records), warned=len(self.records) if warnings else 0)

    def failed(self, response: str) -> None:
        """The vendor says the batch failed, so it holds none of it: sent again by a later push (a create-only API
        too: nothing was created, so nothing is duplicated)."""
        self.push.commit(BatchEvent.failed(self.batch_id, self.entity, response))
        self.state = "failed"
        self.push.tally(self.entity, failed=len(self.records))

    def unknown(self, reason: str) -> None:
        """The request may have arrived (dropped connection, timeout, 5xx on a write): a create-only API's
        records are held for a decision; an upsert API's are sent again by the next push."""
        self.push.commit(BatchEvent.unknown(self.batch_id, self.entity, reason))
        self.state = "unknown"
        self.push.tally(self.entity, unknown=len(self.records))

    def unconfirmed(self, reason: str) -> None:
        """Sent, but its job or task did not finish in time: it stays `sent`, the next push asks again."""
        self.push.commit(BatchEvent.unconfirmed(self.batch_id, self.entity, reason))


def payload_sql(con: duckdb.DuckDBPyConnection, dataset: str, entity: str, where: str = "true") -> str:
    """SQL yielding `_key`, `_company_code`, `_hash`, `payload` for every record of a target table.

    The payload is the row as JSON without erpload's `_` columns and without null fields (an absent
    optional field is left out, not sent as null); the hash is over exactly the bytes sent. `where`
    (SQL over the alias `t`) narrows the rows before any JSON is built.
    """
    described = [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE {dataset}.{quote_ident(entity)}").fetchall()]
    company = "t._company_code" if any(c == "_company_code" for c, _ in described) else "NULL::VARCHAR"
    payload = _json_object_sql([(c, kind) for c, kind in described if not c.startswith("_")])
    return f"""SELECT _key, _company_code, md5(payload) AS _hash, payload FROM (
                   SELECT t._key, {company} AS _company_code, {payload} AS payload
                   FROM {dataset}.{quote_ident(entity)} t WHERE {where})"""


def _json_object_sql(columns: list[tuple[str, str]]) -> str:
    """The row's columns (name, DuckDB type) as one JSON object without null members, in SQL.

    Top-level members are joined by `concat_ws`, which skips a member whose value is NULL; only nested
    values (structs, lists) go through the slower text rewrite for the null members inside them.
    The bytes are those of `to_json` of the row with its null members removed.
    """
    members = []
    for name, kind in columns:
        value = f"to_json(t.{quote_ident(name)})::VARCHAR"
        if "STRUCT" in kind or "[]" in kind or "MAP" in kind:
            value = _strip_null_members(value)
        members.append(f"{sql_literal(json.dumps(name) + ':')} || {value}")
    return "'{' || concat_ws(',', " + ", ".join(members) + ") || '}'"


def _strip_null_members(json_sql: str) -> str:
    """Drop `"name":null` members from JSON text, in SQL.

    A member starts right after `{` or `,`; inside a string every `"` is escaped, so `{"` and `,"`
    only occur at member starts and the name pattern (escapes allowed) stops at its closing quote.
    Members after the first go with their leading comma; then a first member goes with its trailing one.
    """
    member = r'"(?:[^"\\]|\\.)*":null'
    later = "regexp_replace(" + json_sql + ", '," + member + "', '', 'g')"
    return "regexp_replace(" + later + ", '\\{" + member + ",?', '{', 'g')"


class Pusher:
    """One push of one target: reconcile, select and deliver, with one tally per entity."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sender: Sender, run: Run, *,
                 company: list[str] | None = None) -> None:
        ensure_ledger(con)
        self.con = con
        self.sender = sender
        self.run = run
        #: the company codes this push covers; None: every company
        self.company = sorted(set(company)) if company else None
        self.tallies: dict[str, EntityTally] = {}
        self._lock = threading.Lock()
        self.scopes = _scopes(sender)
        self.main_ledger = self._ledger(con)
        self.planned: dict[str, tuple[int, int]] = {}  # entity → (records, to send)
        self.writer = LedgerWriter(self._ledger(con.cursor()))
        self._queued: Future[None] | None = None  # the outbox's pending rows: committed before the first request
        self._delivered: set[int] = set()  # outbox seq of every record sent in this push: dlt may deliver twice
        self._sending: SendPool[Batch] | None = None  # started by the first deliver (see erpload.push.send_thread)
        self._last_entity: str | None = None  # of the last batch handed to the pool
        self._sender_cursor: duckdb.DuckDBPyConnection | None = None  # what `sender.start` got
        self._outbox: OutboxStream | None = None  # dlt's load thread reads the outbox with it
        self.progress: Callable[[str, int], None] = lambda entity, records: None  # deliver_all shows it

    def _ledger(self, con: duckdb.DuckDBPyConnection) -> Ledger:
        return Ledger(con, self.sender.target, self.run.run_id, self.scopes, create_only=self.sender.create_only)

    # --- the ledger: read on the main connection, written by the writer thread (see erpload.push.ledger_writer) ---

    def commit(self, change: Write) -> None:
        """Write `change` to the ledger and return once it is committed."""
        self.writer.commit(change)

    def tally(self, entity: str, **counts: int) -> None:
        with self._lock:
            t = self.tallies.setdefault(entity, EntityTally())
            for name, n in counts.items():
                setattr(t, name, getattr(t, name) + n)

    def reject_sql(self, entity: str, refused: list[tuple[Refusal, Outgoing]]) -> str:
        rows = ", ".join(f"({sql_literal(r.key)}, {sql_literal(r.field)}, {sql_literal(r.reason)}, "
                         f"{sql_literal(o.payload)})" for r, o in refused)
        return rejects_sql(self.run.run_id, self.sender.target, entity, record_key="v.k", field="v.f",
                           reason="v.why", fix=sql_literal(_REFUSED_FIX), record="v.payload",
                           code=sql_literal(PUSH_REFUSED), source=f"FROM (VALUES {rows}) v(k, f, why, payload)")

    # --- the steps ---

    def entities(self, only: str | None) -> list[str]:
        present = existing_tables(self.con, self.sender.target)
        if only is not None:
            if only not in self.sender.entities:
                raise ConfigError(f"{self.sender.target} has no entity '{only}'",
                                  hint="use one of: " + ", ".join(self.sender.entities))
            if only not in present:
                done = f"the last `erpload transform {self.sender.target}` wrote no table {self.sender.target}.{only}"
                raise ConfigError(f"{self.sender.target}.{only} does not exist yet" if not present else done,
                                  hint=f"run `erpload transform {self.sender.target}`"
                                       + (" first" if not present else " again; it writes every entity it can"))
            return [only]
        if not present:
            raise ConfigError(f"the dataset {self.sender.target} is empty",
                               hint=f"run `erpload transform {self.sender.target}` first")
        self._note_left_out([t for t in present if t not in self.sender.entities])
        return [e for e in self.sender.entities if e in present]

    def _note_left_out(self, tables: list[str]) -> None:
        """Tables the transform wrote that this sender has no destination for (e.g. an accounting system whose
        mappings are configured but not its account key): said, never skipped quietly."""
        target = self.sender.target
        for table in tables:
            rows = scalar_int(self.con, f"SELECT count(*) FROM {target}.{quote_ident(table)}")
            if rows:
                self.run.note(f"{target}.{table}: {rows:,} records not sent: no {target} destination is configured "
                              f"for {table} (`erpload targets` names the missing settings)")

    def _companies(self) -> str:
        return ", ".join(sql_literal(c) for c in self.company or ())

    def selected(self, entity: str, key: str | None = None) -> str:
        """SQL: the entity's records this push covers (or the one with `key`), with payload and hash."""
        where = "true" if self.company is None else f"t._company_code IN ({self._companies()})"
        if key is not None:
            where += f" AND t._key = {sql_literal(key)}"
        return payload_sql(self.con, self.sender.target, entity, where)

    def reconcile(self) -> int:
        """Ask the vendor once about each batch an earlier push left `sent` (or `unknown` with a reference),
        without waiting; returns how many were settled. Those still running stay `sent`: their records are
        not sent again (the summary counts them)."""
        settled = 0
        ledger = self.main_ledger
        for open_batch in ledger.unresolved():
            interrupts.raise_if_requested()
            outcome = self.sender.resolve(open_batch.vendor_ref)
            if outcome is True:
                ledger.acknowledged(open_batch.batch_id, open_batch.entity,
                                    f"confirmed later ({open_batch.vendor_ref})")
            elif outcome is False:
                ledger.failed(open_batch.batch_id, open_batch.entity,
                              f"failed ({open_batch.vendor_ref}), seen on a later run")
            else:
                continue
            settled += 1
        return settled

    def new_scopes(self, entities: list[str]) -> None:
        """Say when this push goes to a destination with nothing on record while others of the target have some:
        everything is sent there too (a changed bucket, base URL or account is a new destination)."""
        others = self.main_ledger.other_scopes(entities)
        if not others:
            return
        here = sorted({self.scopes[e] for e in entities})
        where = [f"{n:,} at {scope_label(s)}" for s, n in others.items()]
        self.run.note(f"first push to {', '.join(here)}: {where[0].replace(' at ', ' records acknowledged at ', 1)}"
                      + "".join(f"; {w}" for w in where[1:]) + " are sent here too")

    def fill_outbox(self, entities: list[str]) -> dict[str, tuple[int, int]]:
        """Build the outbox (payloads computed once, in one pass per entity); entity → (records, to send).

        Batches are cut here: consecutive runs of `batch_size` records, split where the entity changes,
        which is how dlt will hand them to the destination (one file, `batch_size` rows per call).
        """
        parts = [f"SELECT {rank} AS rank, {sql_literal(e)} AS entity, {sql_literal(self.scopes[e])} AS scope, "
                 f"_key, _hash, payload FROM ({self.main_ledger.not_settled_sql(e, self.selected(e))})"
                 for rank, e in enumerate(entities)]
        numbered = (f"SELECT row_number() OVER (ORDER BY rank, _key) AS seq, rank, entity, scope, _key, _hash, "
                    f"payload FROM ({' UNION ALL '.join(parts)})")
        cut = f"(seq - 1) // {int(self.sender.batch_size)}"
        batch_no = f"{cut} * {len(entities)} + rank"
        batch = f"printf('%s-%d-%d', {sql_literal(self.run.run_id)}, {cut}, rank)"
        self.con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {SCRATCH}")
        self.con.execute(f"""CREATE OR REPLACE TABLE {OUTBOX} AS
                             SELECT seq, {batch_no} AS batch_no, entity, scope, _key, _hash, payload,
                                    {batch} AS batch_id
                             FROM ({numbered}) ORDER BY seq""")
        to_send = dict(self.con.execute(f"SELECT entity, count(*) FROM {OUTBOX} GROUP BY ALL").fetchall())
        company = "" if self.company is None else f" WHERE _company_code IN ({self._companies()})"
        return {e: (scalar_int(self.con, f"SELECT count(*) FROM {self.sender.target}.{quote_ident(e)}{company}"),
                    int(to_send.get(e, 0))) for e in entities}

    def mark_outbox_pending(self) -> None:
        """Queue the outbox in the ledger while dlt starts; the first request waits until it is committed."""
        self._queued = self.writer.submit(lambda ledger: ledger.queue(OUTBOX))

    @property
    def to_send(self) -> int:
        """Records in the outbox (see `fill_outbox`)."""
        return sum(to_send for _, to_send in self.planned.values())

    def outgoing(self) -> Iterator[Any]:
        """The outbox's sequence numbers (1..n, the push order: entity by entity, key order within) as Arrow
        batches.

        dlt carries only the numbers: the payloads are most of the outbox's bytes, and writing them through
        dlt's extract and normalize cost ~1 s per 200k records. `deliver` reads a batch's records from the
        outbox while the senders wait for the vendor's answers to the batches before.

        A list's iterator, not a generator: `dlt.resource` looks up a generator's module by scanning every
        loaded module's path (~0.17 s here, before the first request). The numbers are 8 bytes a record.
        """
        self._outbox = OutboxStream(self.con, self.sender.batch_size)
        numbers = self.con.execute(f"SELECT range AS seq FROM range(1, {self.to_send} + 1)").to_arrow_table()
        return iter(numbers.to_batches(max_chunksize=50_000))

    def deliver(self, items: Any) -> None:
        """One dlt call (an Arrow batch of outbox sequence numbers, ascending): send each outbox batch among
        those records as one vendor batch (a call may span two entities)."""
        assert self._outbox is not None, "outgoing() opens the outbox before dlt delivers"
        rows = self._outbox.take(items.column("seq").to_pylist())
        seqs, batch_nos = rows["seq"].to_pylist(), rows["batch_no"].to_pylist()
        keys, hashes, payloads = (rows[c].to_pylist() for c in ("_key", "_hash", "payload"))
        start = 0
        while start < len(seqs):
            interrupts.raise_if_requested()  # a signal: no further batch (the senders finish the ones in hand)
            batch_no = batch_nos[start]
            entity, batch_id, batch_records = self._outbox.batches[batch_no]
            end = bisect.bisect_right(batch_nos, batch_no, lo=start)  # batch numbers ascend with seq
            if self._delivered.isdisjoint(seqs[start:end]):
                fresh = seqs[start:end]
                records = list(map(Outgoing, keys[start:end], hashes[start:end], payloads[start:end]))
            else:  # dlt delivers some of these again
                picked = [i for i in range(start, end) if seqs[i] not in self._delivered]
                fresh = [seqs[i] for i in picked]
                records = [Outgoing(keys[i], hashes[i], payloads[i]) for i in picked]
            if records and len(records) != batch_records:
                # dlt cut the batch elsewhere, or delivers part of it again: this part gets its own id
                batch_id = new_batch_id()
                queued = [(r.key, r.hash) for r in records]
                self.commit(partial(Ledger.queue_batch, entity=entity, keys_and_hashes=queued, batch_id=batch_id))
            if records:
                self._hand_over(Batch(self, entity, records, batch_id))
                self._delivered.update(fresh)
            self.progress(entity, end - start)
            start = end

    def _hand_over(self, batch: Batch) -> None:
        """To the send pool; at an entity change the batches in flight are answered first (referenced records)."""
        if self._sending is None:
            self._sending = SendPool(self._send, workers=max(1, int(self.sender.concurrency)))
        elif batch.entity != self._last_entity and self._sending.workers > 1:
            self._sending.drain()  # (one worker sends in order anyway)
        self._last_entity = batch.entity
        self._sending.put(batch)

    def start_sender(self) -> None:
        """Once, before the first request: the sender gets a staging cursor of its own."""
        if self._sender_cursor is None:
            self._sender_cursor = self.con.cursor()
            self.sender.start(self._sender_cursor)

    def _send(self, batch: Batch) -> None:
        """One batch, on a pool worker. The outbox's pending rows are committed before the first request; a
        create-only batch is `sending` in the ledger before its request; an error that leaves its outcome open
        is recorded before it stops the push."""
        if self._queued is not None:
            self._queued.result()
        if self.sender.create_only:
            self.commit(BatchEvent.sending(batch.batch_id, batch.entity))
        try:
            self.sender.send(batch.entity, batch)
        except OutcomeUnknown as exc:  # the push goes on: these records are held (create-only) or sent again
            if batch.state in (None, "sent"):
                batch.unknown(exc.message)
            else:
                raise
        except (VendorAuthError, VendorRefused) as exc:
            if self.sender.create_only and batch.state is None:  # refused before anything was created
                self.commit(BatchEvent.failed(batch.batch_id, batch.entity, f"not taken: {exc.message}"[:2000]))
            raise
        except BaseException as exc:
            if self.sender.create_only and batch.state is None:
                batch.unknown(f"the push failed while sending it: {exc}"[:2000])
            raise

    def finish_delivery(self, *, raise_error: bool = True) -> None:
        """Wait for the batches still with the vendor and close the outbox stream; raise the error that stopped
        the sending, if any."""
        if self._sending is not None:
            self._sending.close(raise_error=raise_error)
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None
        if self._sender_cursor is not None:
            self._sender_cursor.close()
            self._sender_cursor = None

    def check_delivered(self) -> None:
        """Raise unless dlt handed over every outbox record: a load that ends early without an error must not
        look like a finished push."""
        if len(self._delivered) < self.to_send:
            raise ErploadError(f"dlt handed only {len(self._delivered):,} of the {self.to_send:,} records to push to "
                               f"the {self.sender.target} destination; the others were not sent",
                               hint="run the push again: it sends what the vendor has not acknowledged; if this "
                                    "repeats, report it with the run id")

    def waiting(self) -> int:
        """Records that wait for a decision: `unknown` at a create-only API (an upsert API gets them again)."""
        return self.main_ledger.waiting() if self.sender.create_only else 0

    def results(self) -> None:
        """The tallies, what waits, and the vendor's traffic into the run."""
        target = self.sender.target
        if (traffic := self.sender.traffic()) is not None:
            self.run.note(traffic)
        tallies = list(self.tallies.values())
        if unresolved := self.main_ledger.unresolved():  # stopped or timed out while the vendor was at work
            refs = ", ".join(u.vendor_ref for u in unresolved[:3]) + (", ..." if len(unresolved) > 3 else "")
            self.run.note(f"{len(unresolved)} batch(es) sent but not yet confirmed by {target} ({refs}): they await "
                          "confirmation; the next push asks for their outcome, and their records are not sent "
                          "again meanwhile")
        if unknown := sum(t.unknown for t in tallies):
            self.run.note(f"{plural(unknown, 'record')} sent to {target} without an answer (the connection broke or "
                          "the vendor failed after the request)" + (
                              "" if self.sender.create_only else ": the next push sends them again"))
        if waiting := self.waiting():
            self.run.note(f"{plural(waiting, 'record', verb=('waits', 'wait'))} for a decision: {target} may or "
                          "may not have them and cannot be asked; see `erpload ledger --state unknown`, then "
                          f"`erpload ledger resolve {target} <key> --sent` (it has it) or `--not-sent` (the next push "
                          "sends it)")
        if warned := sum(t.warned for t in tallies):
            self.run.note(f"{plural(warned, 'record')} acknowledged by {target} with warnings "
                          "(in erpload.ledger, response)")
        for entity, (total, to_send) in self.planned.items():
            t = self.tallies.get(entity, EntityTally())
            self.run.add(TableResult(table=f"{target}.{entity}", unchanged=total - to_send,
                                     sent=t.sent, rejected=t.refused, failed=t.failed))


def _scopes(sender: Sender) -> dict[str, str]:
    """Entity → where its records go. A scope is written to the ledger and shown: one that holds a secret (a
    password in a base URL, a registered key) stops the push rather than being stored or masked."""
    from erpload.redact import redact

    scopes = {e: sender.scope(e) for e in sender.entities}
    for entity, scope in scopes.items():
        if redact(scope) != scope:
            raise ConfigError(f"the destination of {sender.target} {entity} holds a secret: {redact(scope)}",
                              hint=f"keep credentials out of {sender.target}'s base_url: put them in "
                                   ".dlt/secrets.toml")
    return scopes


_REFUSED_FIX = ("the vendor refused this record as sent; fix the field named in the ERP (or the profile's "
                 "mapping), then run transform and push again: a changed record is sent once more")


@dataclass
class PushOptions:
    entity: str | None = None
    #: company codes; None or empty: every company
    company: list[str] | None = None
    dry_run: bool = False
    progress: bool = True
    sample: int = 3  # keys shown per entity by a dry run


def run_push(staging: Path, pipelines_dir: Path, sender: Sender, run: Run, options: PushOptions) -> dict[str, Any]:
    """Push one target; fills `run`. Returns the plan (per entity: records, to send; a dry run: sample keys) and
    `waiting`: records held for a decision (see `Pusher.waiting`)."""
    from erpload.push.dlt_load import warm_up

    warming = None if options.dry_run else warm_up()
    with connect(staging) as con:
        pusher = Pusher(con, sender, run, company=options.company)
        try:
            plan = _push(pusher, con, pipelines_dir, options, warming)
        finally:
            pusher.finish_delivery(raise_error=False)
            pusher.writer.close()
            con.execute(f"DROP TABLE IF EXISTS {OUTBOX}")
            pusher.results()
        plan["waiting"] = 0 if options.dry_run else pusher.waiting()
        return plan


def _push(pusher: Pusher, con: duckdb.DuckDBPyConnection, pipelines_dir: Path, options: PushOptions,
          warming: threading.Thread | None) -> dict[str, Any]:
    from erpload.push.dlt_load import deliver_all, one_duckdb_thread

    entities = pusher.entities(options.entity)
    if not options.dry_run:
        settled = pusher.reconcile()
        if settled:
            pusher.run.note(f"{settled} batch(es) an earlier push left unconfirmed were settled with the vendor")
    pusher.new_scopes(entities)
    pusher.planned = planned = pusher.fill_outbox(entities)
    if not options.dry_run and not options.company:
        _report_gone(pusher, entities)
    if not options.dry_run and pusher.sender.create_only:
        _report_changed(pusher, entities)
    if options.dry_run:
        samples = {e: [str(r[0]) for r in con.execute(
            f"SELECT _key FROM {OUTBOX} WHERE entity = {sql_literal(e)} ORDER BY seq "
            f"LIMIT {int(options.sample)}").fetchall()] for e in entities}
        return {"planned": planned, "samples": samples}
    with one_duckdb_thread(con):
        pusher.mark_outbox_pending()
        if warming is not None:
            warming.join()
        if pusher.to_send:
            pusher.start_sender()
            deliver_all(pusher, pipelines_dir, planned, show_progress=options.progress)
    return {"planned": planned}


def _report_gone(pusher: Pusher, entities: list[str]) -> None:
    """Records the vendor acknowledged that left the dataset: it keeps them; each is reported once (see vendor_gone)."""
    from erpload.push.vendor_gone import report_gone

    target = pusher.sender.target
    create_only = pusher.sender.create_only
    gone = {e: n for e in entities
            if (n := report_gone(pusher.con, target, e, pusher.run.run_id, create_only=create_only))}
    for entity, n in gone.items():
        pusher.tally(entity, refused=n)
    if gone:
        pusher.run.note(f"{sum(gone.values()):,} records {target} holds are gone from the ERP ("
                        + ", ".join(f"{e} {n:,}" for e, n in gone.items())
                        + (f"); {target} cannot withdraw them" if create_only else
                           f"); {target} keeps them, erpload sends no deletes")
                        + ": each is in erpload.rejects once, with what to do")


def _report_changed(pusher: Pusher, entities: list[str]) -> None:
    """A create-only API holds records that changed in the ERP since: each changed version is rejected once."""
    target = pusher.sender.target
    reason = f"changed in the ERP after {target} received it; {target} cannot change it"
    fix = ("correct it in the accounting system; to send this version as a new record on purpose, "
            f"`erpload ledger resend {target} --key <key> --yes-duplicate`")
    changed = {}
    for entity in entities:
        records = pusher.main_ledger.changed_after_sent_sql(entity, pusher.selected(entity))
        new = f"""SELECT c.* FROM ({records}) c WHERE NOT EXISTS (
                      SELECT 1 FROM {FRAMEWORK_SCHEMA}.rejects x WHERE x.target = {sql_literal(target)}
                          AND x.entity = {sql_literal(entity)} AND x.record_key = c._key
                          AND x.reason = {sql_literal(reason)} AND md5(x.record::VARCHAR) = c._hash)"""
        n = scalar_int(pusher.con, f"SELECT count(*) FROM ({new})")
        if n:
            run_id = pusher.run.run_id
            pusher.con.execute(rejects_sql(run_id, target, entity, record_key="_key", reason=sql_literal(reason),
                                           fix=sql_literal(fix), record="payload",
                                           code=sql_literal(PUSH_CHANGED_AFTER_SENT), source=f"FROM ({new})"))
            pusher.tally(entity, refused=n)
            changed[entity] = n
    if changed:
        pusher.run.note(f"{plural(sum(changed.values()), 'record')} changed in the ERP after {target} received them ("
                        + ", ".join(f"{e} {n:,}" for e, n in changed.items())
                        + f"); {target} cannot change them: each is in erpload.rejects once, correct them in the "
                          "accounting system")


def push_one(staging: Path, sender: Sender, run: Run, entity: str, key: str, *, dry_run: bool = False) -> str:
    """Send one record synchronously (the vendor's single-record call); returns what happened, in words."""
    with connect(staging) as con:
        pusher = Pusher(con, sender, run)
        try:
            return _push_one(pusher, entity, key, dry_run=dry_run)
        finally:
            pusher.finish_delivery(raise_error=False)
            pusher.writer.close()
            pusher.results()


def _push_one(pusher: Pusher, entity: str, key: str, *, dry_run: bool) -> str:
    con, sender, run = pusher.con, pusher.sender, pusher.run
    result = TableResult(table=f"{sender.target}.{entity}")
    pusher.entities(entity)
    row = con.execute(f"SELECT _key, _hash, payload FROM ({pusher.selected(entity, key)})").fetchone()
    if row is None:
        examples = [str(r[0]) for r in con.execute(
            f"SELECT _key FROM {sender.target}.{quote_ident(entity)} ORDER BY _key LIMIT 3").fetchall()]
        raise ConfigError(f"{sender.target}.{entity} has no record '{key}'",
                          hint="give the record's key as erpload shows it, e.g. " + ", ".join(examples)
                               + f"; rejected records are in erpload.rejects (target '{sender.target}')")
    record = Outgoing(str(row[0]), str(row[1]), str(row[2]))
    run.add(result)
    if pusher.main_ledger.is_settled(entity, record.key, record.hash):
        result.unchanged = 1
        return f"unchanged: {sender.target} already has this version of {entity} {key}; nothing sent"
    if dry_run:
        return f"would send {entity} {key}: {record.payload}"
    batch_id = new_batch_id()
    pusher.commit(lambda ledger: ledger.queue_batch(entity, [(record.key, record.hash)], batch_id))
    batch = Batch(pusher, entity, [record], batch_id)
    pusher.start_sender()
    with interrupts.deferred():  # a first signal waits for the vendor's answer and its entry in the ledger
        if sender.create_only:
            pusher.commit(BatchEvent.sending(batch_id, entity))
        try:
            answer = sender.send_one(entity, record)
        except VendorRefused as exc:
            refused = sender.refusals(exc, [record])
            if not refused:
                batch.failed(exc.message)
                raise
            batch.refused(refused)
            result.rejected = 1
            return f"refused: {'; '.join(f'{r.field}: {r.reason}' for r in refused)} (see erpload.rejects)"
        except OutcomeUnknown as exc:
            batch.unknown(exc.message)
            return f"unknown: {exc.message}"
        except ErploadError as exc:
            if sender.create_only and not isinstance(exc, VendorAuthError):
                batch.unknown(exc.message)
            else:
                batch.failed(exc.message)
                result.failed = 1
            raise
        batch.acknowledged(answer)
        result.sent = 1
        return f"sent {entity} {key}: {answer}"
