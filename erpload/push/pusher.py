"""The push framework: a target's dataset → the vendor's API through a dlt destination, guarded by the ledger.

    reconcile   batches an earlier push left `sent` are settled by asking the vendor (no resend)
    select      per entity, the records whose (key, payload hash) the vendor has not acknowledged
    deliver     a dlt pipeline feeds them to a `@dlt.destination` in batches of the vendor's atomic
                unit; every record is queued in the ledger as pending, each batch is then marked
                sent / acknowledged / failed as the vendor answers (these writes go behind the sends,
                in order: see erpload.push.ledger_writer)

dlt delivers at least once (after a failure it resumes at the failed batch); the ledger makes that
exactly once per acknowledged batch: every batch is checked against it just before it is sent.
A vendor sender (`Sender`) knows only its API: it sends one `Batch` and reports what happened.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import duckdb

from erpload import interrupts
from erpload.errors import ConfigError, ErploadError
from erpload.push.ledger import BatchEvent, Ledger, ensure_ledger, new_batch_id
from erpload.push.ledger_writer import LedgerWriter, Write
from erpload.push.outbox import OUTBOX, SCRATCH, OutboxStream
from erpload.push.send_thread import SendThread
from erpload.runs import Run, TableResult
from erpload.staging import (
    FRAMEWORK_SCHEMA,
    connect,
    ensure_framework_tables,
    existing_tables,
    scalar_int,
    sql_literal,
)
from erpload.validation import quote_ident


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


class Sender(Protocol):
    """What a vendor destination implements (see destinations/<vendor>/destination.py)."""

    target: str
    batch_size: int
    entities: tuple[str, ...]  # in the order they are pushed (referenced records first)

    def send(self, entity: str, batch: Batch) -> None:
        """Send `batch.records`, reporting through `batch.sent/refused/acknowledged/failed`."""

    def resolve(self, vendor_ref: str) -> bool | None:
        """The outcome of an earlier request by its reference: True acknowledged, False failed, None unknown."""

    def send_one(self, entity: str, record: Outgoing) -> str:
        """Send one record synchronously; returns the vendor's answer in a few words."""

    def refusals(self, exc: Any, records: list[Outgoing]) -> list[Refusal]:
        """The records a refusal (`VendorRefused`) names; empty when it names none of them."""

    def traffic(self) -> str | None:
        """The requests sent so far, in a line for the run summary; None when there were none."""

    def close(self) -> None: ...


class Batch:
    """One batch on its way. The sender reports; the ledger, rejects and tallies follow here."""

    def __init__(self, push: Pusher, entity: str, records: list[Outgoing], batch_id: str) -> None:
        self.push = push
        self.entity = entity
        self.records = records
        self.batch_id = batch_id

    def sent(self, vendor_ref: str) -> None:
        self.push.write(BatchEvent.sent(self.batch_id, self.entity, vendor_ref))

    def refused(self, refusals: list[Refusal]) -> None:
        """Take refused records out of the batch (the sender then sends the rest again)."""
        by_key = {r.key: r for r in refusals}
        payloads = {o.key: o for o in self.records}
        batch_id, entity = self.batch_id, self.entity
        keys = [(k, payloads[k].hash) for k in by_key]
        response = "refused: " + "; ".join(f"{r.field or '-'}: {r.reason}" for r in refusals)[:500]
        self.push.write(lambda ledger: ledger.refused(batch_id, entity, keys, response))
        self.push.reject(self.entity, [(r, payloads[r.key]) for r in refusals])
        self.records = [r for r in self.records if r.key not in by_key]
        self.push.tally(self.entity, refused=len(by_key))

    def acknowledged(self, response: str) -> None:
        self.push.write(BatchEvent.acknowledged(self.batch_id, self.entity, response))
        self.push.tally(self.entity, sent=len(self.records))

    def failed(self, response: str) -> None:
        self.push.write(BatchEvent.failed(self.batch_id, self.entity, response))
        self.push.tally(self.entity, failed=len(self.records))


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
                 company: str | None = None) -> None:
        ensure_framework_tables(con)
        ensure_ledger(con)
        self.con = con
        self.sender = sender
        self.run = run
        self.company = company
        self.tallies: dict[str, EntityTally] = {}
        self._lock = threading.Lock()
        self.main_ledger = Ledger(con, sender.target, run.run_id)
        self.planned: dict[str, tuple[int, int]] = {}  # entity → (records, to send)
        self.writer = LedgerWriter(con, sender.target, run.run_id)
        self._delivered: set[int] = set()  # outbox seq of every record sent in this push: dlt may deliver twice
        self._sending: SendThread[Batch] | None = None  # started by the first deliver (see erpload.push.send_thread)
        self._outbox: OutboxStream | None = None  # dlt's load thread reads the outbox with it
        self.progress: Callable[[str, int], None] = lambda entity, records: None  # deliver_all shows it

    # --- the ledger: read on the main connection, written behind the sends (see erpload.push.ledger_writer) ---

    def write(self, change: Write) -> None:
        self.writer.submit(change)

    def tally(self, entity: str, **counts: int) -> None:
        with self._lock:
            t = self.tallies.setdefault(entity, EntityTally())
            for name, n in counts.items():
                setattr(t, name, getattr(t, name) + n)

    def reject(self, entity: str, refused: list[tuple[Refusal, Outgoing]]) -> None:
        rows = ", ".join(
            f"({sql_literal(self.run.run_id)}, {sql_literal(self.sender.target)}, {sql_literal(entity)}, "
            f"{sql_literal(r.key)}, {sql_literal(r.field)}, NULL, {sql_literal(r.reason)}, "
            f"{sql_literal(_REFUSED_HINT)}, {sql_literal(o.payload)}, now()::TIMESTAMP)" for r, o in refused)
        self.write(lambda ledger: ledger.execute(f"INSERT INTO {FRAMEWORK_SCHEMA}.rejects VALUES {rows}"))

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
        return [e for e in self.sender.entities if e in present]

    def selected(self, entity: str, key: str | None = None) -> str:
        """SQL: the entity's records this push covers (or the one with `key`), with payload and hash."""
        where = "true" if self.company is None else f"t._company_code = {sql_literal(self.company)}"
        if key is not None:
            where += f" AND t._key = {sql_literal(key)}"
        return payload_sql(self.con, self.sender.target, entity, where)

    def reconcile(self) -> int:
        """Settle batches an interrupted push left `sent`; returns how many were settled."""
        settled = 0
        ledger = self.main_ledger
        for open_batch in ledger.unresolved():
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

    def fill_outbox(self, entities: list[str]) -> dict[str, tuple[int, int]]:
        """Build the outbox (payloads computed once, in one pass per entity); entity → (records, to send).

        Batches are cut here: consecutive runs of `batch_size` records, split where the entity changes,
        which is how dlt will hand them to the destination (one file, `batch_size` rows per call).
        """
        parts = [f"SELECT {rank} AS rank, {sql_literal(e)} AS entity, _key, _hash, payload "
                 f"FROM ({self.main_ledger.not_settled_sql(e, self.selected(e))})" for rank, e in enumerate(entities)]
        numbered = (f"SELECT row_number() OVER (ORDER BY rank, _key) AS seq, rank, entity, _key, _hash, payload "
                    f"FROM ({' UNION ALL '.join(parts)})")
        cut = f"(seq - 1) // {int(self.sender.batch_size)}"
        batch_no = f"{cut} * {len(entities)} + rank"
        batch = f"printf('%s-%d-%d', {sql_literal(self.run.run_id)}, {cut}, rank)"
        self.con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {SCRATCH}")
        self.con.execute(f"""CREATE OR REPLACE TABLE {OUTBOX} AS
                             SELECT seq, {batch_no} AS batch_no, entity, _key, _hash, payload, {batch} AS batch_id
                             FROM ({numbered}) ORDER BY seq""")
        to_send = dict(self.con.execute(f"SELECT entity, count(*) FROM {OUTBOX} GROUP BY ALL").fetchall())
        company = "" if self.company is None else f" WHERE _company_code = {sql_literal(self.company)}"
        return {e: (scalar_int(self.con, f"SELECT count(*) FROM {self.sender.target}.{quote_ident(e)}{company}"),
                    int(to_send.get(e, 0))) for e in entities}

    def mark_outbox_pending(self) -> None:
        """Queue the outbox in the ledger, behind the sends like the batch events (it is written before them)."""
        self.write(lambda ledger: ledger.queue(OUTBOX))

    @property
    def to_send(self) -> int:
        """Records in the outbox (see `fill_outbox`)."""
        return sum(to_send for _, to_send in self.planned.values())

    def outgoing(self) -> Iterator[Any]:
        """The outbox's sequence numbers (1..n, the push order: entity by entity, key order within) as Arrow
        batches.

        dlt carries only the numbers: the payloads are most of the outbox's bytes, and writing them through
        dlt's extract and normalize cost ~1 s per 200k records. `deliver` reads a batch's records from the
        outbox while the send thread waits for the vendor's answer to the batch before.

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
            interrupts.raise_if_requested()  # a signal: no further batch (the sender finishes the one in hand)
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
                self.write(partial(Ledger.queue_batch, entity=entity, keys_and_hashes=queued, batch_id=batch_id))
            if records:
                if self._sending is None:
                    self._sending = SendThread(self._send)
                self._sending.put(Batch(self, entity, records, batch_id))
                self._delivered.update(fresh)
            self.progress(entity, end - start)
            start = end

    def _send(self, batch: Batch) -> None:
        self.sender.send(batch.entity, batch)

    def finish_delivery(self, *, raise_error: bool = True) -> None:
        """Wait for the batch still with the vendor and close the outbox stream; raise the error that stopped
        the sending, if any."""
        if self._sending is not None:
            self._sending.close(raise_error=raise_error)
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None

    def check_delivered(self) -> None:
        """Raise unless dlt handed over every outbox record: a load that ends early without an error must not
        look like a finished push."""
        if len(self._delivered) < self.to_send:
            raise ErploadError(f"dlt handed only {len(self._delivered):,} of the {self.to_send:,} records to push to "
                               f"the {self.sender.target} destination; the others were not sent",
                               hint="run the push again: it sends what the vendor has not acknowledged; if this "
                                    "repeats, report it with the run id")

    def results(self) -> None:
        """The tallies and the vendor's traffic into the run."""
        if (traffic := self.sender.traffic()) is not None:
            self.run.note(traffic)
        if unresolved := self.main_ledger.unresolved():  # a push stopped while the vendor was still at work
            self.run.note(f"{len(unresolved)} batch(es) sent but not yet confirmed by {self.sender.target} "
                          f"({', '.join(u.vendor_ref for u in unresolved[:3])}): the next push asks for their "
                          "outcome before it sends their records again")
        for entity, (total, to_send) in self.planned.items():
            t = self.tallies.get(entity, EntityTally())
            self.run.add(TableResult(table=f"{self.sender.target}.{entity}", unchanged=total - to_send,
                                     sent=t.sent, rejected=t.refused, failed=t.failed))


_REFUSED_HINT = ("the vendor refused this record as sent; fix the field named in the ERP (or the profile's "
                 "mapping), then run transform and push again: a changed record is sent once more")


@dataclass
class PushOptions:
    entity: str | None = None
    company: str | None = None
    dry_run: bool = False
    progress: bool = True
    sample: int = 3  # keys shown per entity by a dry run


def run_push(staging: Path, pipelines_dir: Path, sender: Sender, run: Run, options: PushOptions) -> dict[str, Any]:
    """Push one target; fills `run`. Returns the plan (per entity: records, to send; a dry run: sample keys)."""
    from erpload.push.dlt_load import warm_up

    warming = None if options.dry_run else warm_up()
    with connect(staging) as con:
        pusher = Pusher(con, sender, run, company=options.company)
        try:
            return _push(pusher, con, pipelines_dir, options, warming)
        finally:
            pusher.finish_delivery(raise_error=False)
            pusher.writer.close()
            con.execute(f"DROP TABLE IF EXISTS {OUTBOX}")
            pusher.results()


def _push(pusher: Pusher, con: duckdb.DuckDBPyConnection, pipelines_dir: Path, options: PushOptions,
          warming: threading.Thread | None) -> dict[str, Any]:
    from erpload.push.dlt_load import deliver_all, one_duckdb_thread

    entities = pusher.entities(options.entity)
    if not options.dry_run:
        settled = pusher.reconcile()
        if settled:
            pusher.run.note(f"{settled} batch(es) an earlier push left unconfirmed were settled with the vendor")
    pusher.planned = planned = pusher.fill_outbox(entities)
    if not options.dry_run and options.company is None:
        _report_gone(pusher, entities)
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
            deliver_all(pusher, pipelines_dir, planned, show_progress=options.progress)
    return {"planned": planned}


def _report_gone(pusher: Pusher, entities: list[str]) -> None:
    """Records the vendor acknowledged that left the dataset: it keeps them; each is reported once (see vendor_gone)."""
    from erpload.push.vendor_gone import report_gone

    target = pusher.sender.target
    gone = {e: n for e in entities if (n := report_gone(pusher.con, target, e, pusher.run.run_id))}
    for entity, n in gone.items():
        pusher.tally(entity, refused=n)
    if gone:
        pusher.run.note(f"{sum(gone.values()):,} records {target} holds are gone from the ERP ("
                        + ", ".join(f"{e} {n:,}" for e, n in gone.items())
                        + f"); {target} keeps them, erpload sends no deletes: each is in erpload.rejects once")


def push_one(staging: Path, sender: Sender, run: Run, entity: str, key: str, *, dry_run: bool = False) -> str:
    """Send one record synchronously (the vendor's single-record call); returns what happened, in words."""
    with connect(staging) as con:
        pusher = Pusher(con, sender, run)
        try:
            return _push_one(pusher, entity, key, dry_run=dry_run)
        finally:
            pusher.writer.close()
            pusher.results()


def _push_one(pusher: Pusher, entity: str, key: str, *, dry_run: bool) -> str:
    from erpload.push.http import VendorRefused

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
    pusher.write(lambda ledger: ledger.queue_batch(entity, [(record.key, record.hash)], batch_id))
    batch = Batch(pusher, entity, [record], batch_id)
    with interrupts.deferred():  # a first signal waits for the vendor's answer and its entry in the ledger
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
        except ErploadError as exc:
            batch.failed(exc.message)
            result.failed = 1
            raise
        batch.acknowledged(answer)
        result.sent = 1
        return f"sent {entity} {key}: {answer}"
