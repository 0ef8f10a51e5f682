"""The push framework: a target's dataset → the vendor's API through a dlt destination, guarded by the ledger.

    reconcile   batches an earlier push left `sent` are settled by asking the vendor (no resend)
    select      per entity, the records whose (key, payload hash) the vendor has not acknowledged
    deliver     a dlt pipeline feeds them to a `@dlt.destination` in batches of the vendor's atomic
                unit; each batch is written to the ledger as pending before it leaves, then
                sent / acknowledged / failed as the vendor answers

dlt delivers at least once (after a failure it resumes at the failed batch); the ledger makes that
exactly once per acknowledged batch: every batch is checked against it just before it is sent.
A vendor sender (`Sender`) knows only its API: it sends one `Batch` and reports what happened.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb

from erpload.errors import ConfigError, ErploadError, StagingError
from erpload.ledger import Ledger
from erpload.runs import Run, TableResult
from erpload.staging import FRAMEWORK_SCHEMA, connect, ensure_framework_tables, existing_tables, sql_literal
from erpload.validation import quote_ident


@dataclass(frozen=True)
class Outgoing:
    """One record ready to send: its key, the hash of its payload and the payload (JSON text)."""

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

    def close(self) -> None: ...


class Batch:
    """One batch on its way. The sender reports; the ledger, rejects and tallies follow here."""

    def __init__(self, push: Pusher, entity: str, records: list[Outgoing]) -> None:
        self.push = push
        self.entity = entity
        self.records = records
        self.batch_id = push.ledger().begin_batch(entity, [(r.key, r.hash) for r in records])

    def sent(self, vendor_ref: str) -> None:
        self.push.ledger().sent(self.batch_id, vendor_ref)

    def refused(self, refusals: list[Refusal]) -> None:
        """Take refused records out of the batch (the sender then sends the rest again)."""
        by_key = {r.key: r for r in refusals}
        self.push.ledger().refused(self.batch_id, list(by_key), "refused: " + "; ".join(
            f"{r.field or '-'}: {r.reason}" for r in refusals)[:500])
        self.push.reject(self.entity, [(r, next(o for o in self.records if o.key == r.key)) for r in refusals])
        self.records = [r for r in self.records if r.key not in by_key]
        self.push.tally(self.entity, refused=len(by_key))

    def acknowledged(self, response: str) -> None:
        self.push.ledger().acknowledged(self.batch_id, response)
        self.push.tally(self.entity, sent=len(self.records))

    def failed(self, response: str) -> None:
        self.push.ledger().failed(self.batch_id, response)
        self.push.tally(self.entity, failed=len(self.records))


def payload_sql(con: duckdb.DuckDBPyConnection, dataset: str, entity: str) -> str:
    """SQL yielding `_key`, `_company_code`, `_hash`, `payload` for every record of a target table.

    The payload is the row as JSON without erpload's `_` columns and without null fields (an absent
    optional field is left out, not sent as null); the hash is over exactly the bytes sent.
    """
    columns = [str(r[0]) for r in con.execute(f"DESCRIBE {dataset}.{quote_ident(entity)}").fetchall()]
    fields = ", ".join(f"{quote_ident(c)}: t.{quote_ident(c)}" for c in columns if not c.startswith("_"))
    company = "t._company_code" if "_company_code" in columns else "NULL::VARCHAR"
    payload = _strip_null_members(f"to_json({{{fields}}})::VARCHAR")
    return f"""SELECT _key, _company_code, md5(payload) AS _hash, payload FROM (
                   SELECT t._key, {company} AS _company_code, {payload} AS payload
                   FROM {dataset}.{quote_ident(entity)} t)"""


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

    def __init__(self, staging: Path, sender: Sender, run: Run, *, company: str | None = None) -> None:
        self.staging = staging
        self.sender = sender
        self.run = run
        self.company = company
        self.tallies: dict[str, EntityTally] = {}
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._local = threading.local()

    # --- staging access: one connection, one cursor per thread (dlt loads in worker threads) ---

    def ledger(self) -> Ledger:
        ledger: Ledger | None = getattr(self._local, "ledger", None)
        if ledger is None:
            assert self._con is not None
            ledger = Ledger(self._con.cursor(), self.sender.target, self.run.run_id)
            self._local.ledger = ledger
        return ledger

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
        self.ledger().con.execute(f"INSERT INTO {FRAMEWORK_SCHEMA}.rejects VALUES {rows}")

    # --- the steps ---

    def _entities(self, only: str | None) -> list[str]:
        assert self._con is not None
        present = existing_tables(self._con, self.sender.target)
        if only is not None:
            if only not in self.sender.entities:
                raise ConfigError(f"{self.sender.target} has no entity '{only}'",
                                  hint="use one of: " + ", ".join(self.sender.entities))
            if only not in present:
                raise StagingError(f"{self.sender.target}.{only} does not exist yet",
                                   hint=f"run `erpload transform {self.sender.target}` first")
            return [only]
        if not present:
            raise StagingError(f"the dataset {self.sender.target} is empty",
                               hint=f"run `erpload transform {self.sender.target}` first")
        return [e for e in self.sender.entities if e in present]

    def _selected(self, entity: str) -> str:
        assert self._con is not None
        records = payload_sql(self._con, self.sender.target, entity)
        if self.company is not None:
            records = f"SELECT * FROM ({records}) WHERE _company_code = {sql_literal(self.company)}"
        return records

    def reconcile(self) -> int:
        """Settle batches an interrupted push left `sent`; returns how many were settled."""
        settled = 0
        ledger = self.ledger()
        for open_batch in ledger.unresolved():
            outcome = self.sender.resolve(open_batch.vendor_ref)
            if outcome is True:
                ledger.acknowledged(open_batch.batch_id, f"confirmed later ({open_batch.vendor_ref})")
            elif outcome is False:
                ledger.failed(open_batch.batch_id, f"failed ({open_batch.vendor_ref}), seen on a later run")
            else:
                continue
            settled += 1
        return settled

    def plan(self, entities: list[str]) -> dict[str, tuple[int, int]]:
        """entity → (records in the dataset for this push, records to send)."""
        assert self._con is not None
        out = {}
        for entity in entities:
            selected = self._selected(entity)
            pending = self.ledger().not_settled_sql(entity, selected)
            row = self._con.execute(f"SELECT (SELECT count(*) FROM ({selected})), (SELECT count(*) FROM ({pending}))"
                                    ).fetchone()
            out[entity] = (int(row[0]), int(row[1])) if row else (0, 0)
        return out

    def outgoing(self, entity: str) -> Iterator[Any]:
        """The records to send as Arrow batches, in key order (stable batches across re-runs)."""
        assert self._con is not None
        pending = self.ledger().not_settled_sql(entity, self._selected(entity))
        reader = self._con.cursor().execute(
            f"SELECT _key, _hash, payload FROM ({pending}) ORDER BY _key").to_arrow_reader(50_000)
        yield from reader

    def deliver(self, entity: str, rows: list[dict[str, Any]]) -> None:
        """One dlt batch: drop what the ledger shows acknowledged meanwhile, then send the rest."""
        records = [Outgoing(str(r["_key"]), str(r["_hash"]), str(r["payload"])) for r in rows]
        settled = self._settled(entity, records)
        records = [r for r in records if (r.key, r.hash) not in settled]
        if records:
            self.sender.send(entity, Batch(self, entity, records))

    def _settled(self, entity: str, records: list[Outgoing]) -> set[tuple[str, str]]:
        keys = ", ".join(f"({sql_literal(r.key)}, {sql_literal(r.hash)})" for r in records)
        rows = self.ledger().con.execute(
            f"SELECT record_key, payload_hash FROM {FRAMEWORK_SCHEMA}.ledger WHERE target = "
            f"{sql_literal(self.sender.target)} AND entity = {sql_literal(entity)} AND (state = 'acknowledged' "
            f"OR (state = 'failed' AND NOT retry)) AND (record_key, payload_hash) IN (VALUES {keys})").fetchall()
        return {(str(k), str(h)) for k, h in rows}

    def results(self, planned: dict[str, tuple[int, int]]) -> None:
        for entity, (total, to_send) in planned.items():
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
    """Push one target; fills `run`. Returns the plan (per entity: records, to send, sample keys)."""
    from erpload.push_pipeline import deliver_all

    pusher = Pusher(staging, sender, run, company=options.company)
    with connect(staging) as con:
        ensure_framework_tables(con)
        pusher._con = con
        entities = pusher._entities(options.entity)
        if options.dry_run:
            planned = pusher.plan(entities)
            samples = {e: [str(r[0]) for r in con.execute(
                f"SELECT _key FROM ({pusher.ledger().not_settled_sql(e, pusher._selected(e))}) ORDER BY _key "
                f"LIMIT {int(options.sample)}").fetchall()] for e in entities}
            for entity, (total, to_send) in planned.items():
                run.add(TableResult(table=f"{sender.target}.{entity}", unchanged=total - to_send))
            return {"planned": planned, "samples": samples}
        settled = pusher.reconcile()
        if settled:
            run.note(f"{settled} batch(es) an earlier push left unconfirmed were settled with the vendor")
        planned = pusher.plan(entities)
        try:
            deliver_all(pusher, pipelines_dir, [e for e in entities if planned[e][1]], planned,
                        show_progress=options.progress)
        finally:
            pusher.results(planned)
    return {"planned": planned}


def unwrap_vendor_error(exc: BaseException) -> ErploadError | None:
    """The erpload error a dlt failure wraps (dlt nests it a few levels deep), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ErploadError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def push_one(staging: Path, sender: Sender, run: Run, entity: str, key: str, *, dry_run: bool = False) -> str:
    """Send one record synchronously (the vendor's single-record call); returns what happened, in words."""
    from erpload.http import VendorRefused

    pusher = Pusher(staging, sender, run)
    result = TableResult(table=f"{sender.target}.{entity}")
    with connect(staging) as con:
        ensure_framework_tables(con)
        pusher._con = con
        pusher._entities(entity)
        row = con.execute(f"SELECT _key, _hash, payload FROM ({pusher._selected(entity)}) "
                          f"WHERE _key = {sql_literal(key)}").fetchone()
        if row is None:
            examples = [str(r[0]) for r in con.execute(
                f"SELECT _key FROM {sender.target}.{quote_ident(entity)} ORDER BY _key LIMIT 3").fetchall()]
            raise ConfigError(f"{sender.target}.{entity} has no record '{key}'",
                              hint="give the record's key as erpload shows it, e.g. " + ", ".join(examples)
                                   + f"; rejected records are in erpload.rejects (target '{sender.target}')")
        record = Outgoing(str(row[0]), str(row[1]), str(row[2]))
        run.add(result)
        if pusher._settled(entity, [record]):
            result.unchanged = 1
            return f"unchanged: {sender.target} already acknowledged this version of {entity} {key}; nothing sent"
        if dry_run:
            return f"would send {entity} {key}: {record.payload}"
        batch = Batch(pusher, entity, [record])
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
