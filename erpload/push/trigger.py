"""Trigger targets: we ask a vendor to do something (export a month, push a company's data), once, and record
what it did.

A trigger's vendor call is not idempotent and often not observable afterwards (Telecom X documents no status
endpoint and no idempotency), so the ledger guards each call as a create-only batch:

    plan        the trigger lists the calls it would make (`PlannedCall`: ledger entity and key, scope,
                payload, and the records the call delivers, e.g. the invoices a month's export carries)
    gate        per call, the ledger at its scope: called before and answered (acknowledged) or taken (sent):
                skipped unless forced; unknown (the answer never came): held until a person settles it
                (`erpload ledger resolve`), forced or not, because a repeat could do it twice
    call        the call and what it carries are queued and marked `sending` in one commit before the request;
                the trigger reports the answer (`CallReport`), committed before the next call

A first Ctrl-C waits for the call in flight and its entry in the ledger; no further call is made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb

from erpload import interrupts
from erpload.errors import ErploadError
from erpload.push.http import OutcomeUnknown, VendorAuthError, VendorRefused
from erpload.push.ledger import LEDGER, BatchEvent, Ledger, ensure_ledger, new_batch_id
from erpload.rejects import cleared_sql, rejects_sql
from erpload.runs import Run, TableResult
from erpload.staging import connect, sql_literal
from erpload.wording import plural

#: ledger states after which a call is not made again unless forced: the vendor did it, or took it
DONE_STATES = ("acknowledged", "sent")


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class PlannedCall:
    """One call a trigger would make."""

    #: the call's ledger entity and key (e.g. "months", "2026-11"): at most one answered call per key and scope
    entity: str
    key: str
    #: where it goes (base URL and account, reseller or integration), never a secret
    scope: str
    #: the request as sent (JSON text): its md5 is the call's ledger hash
    payload: str
    #: how messages name it, e.g. "Øresund Søfart (reseller 21e2…) 2026-11"
    label: str
    #: what a dry run says it would do, in a few words
    summary: str = ""
    company: str | None = None
    #: records the call delivers, by ledger entity (e.g. {"invoices": ("7e1a…", ...)}): queued in its batch, so
    #: they share its state (acknowledged, failed, unknown)
    carries: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: anything the trigger wants back when it makes the call
    context: Any = None
    #: held while any call of its entity at its scope is unknown, whatever its key (a call keyed by run that
    #: does the same thing each time, e.g. Kombo's push of a company: a new key must not repeat a lost call)
    held_by_any_unknown: bool = False
    #: what its refusals are about: the record_key of its rejects (None: its key). A later call about the same
    #: subject that succeeds settles them (Kombo's push is keyed by run, its refusals by company)
    subject: str | None = None

    @property
    def about(self) -> str:
        return self.key if self.subject is None else self.subject


@dataclass(frozen=True)
class CallReject:
    """Something the vendor refused in a call, for erpload.rejects."""

    record_key: str
    field: str | None
    value: str | None
    reason: str
    fix: str
    #: the reject's reason_code (`push.refused` for a refusal: the vendor's field in `field`)
    code: str


@dataclass
class CallTally:
    planned: int = 0
    done_before: int = 0
    held: int = 0
    called: int = 0
    acknowledged: int = 0
    failed: int = 0
    unknown: int = 0
    rejected: int = 0
    carried: dict[str, int] = field(default_factory=dict)  # records delivered by acknowledged calls, per entity
    unknown_why: list[str] = field(default_factory=list)  # per unknown call: its label and what happened


class CallReport:
    """How a trigger reports one call's answer; each report is committed before it returns."""

    def __init__(self, runner: TriggerRun, call: PlannedCall, batch_id: str) -> None:
        self.runner = runner
        self.call = call
        self.batch_id = batch_id
        self.state: str | None = None

    def _event(self, event: BatchEvent, also: Sequence[str] = ()) -> None:
        con = self.runner.con
        con.begin()
        try:
            self.runner.ledger_for(self.call).record([event])
            for sql in also:
                con.execute(sql)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        self.state = event.state

    def acknowledged(self, response: str, *, also: Sequence[str] = ()) -> None:
        """The vendor did it (or took it and will); `also`: SQL committed with it (the trigger's staged rows).
        What an earlier call about the same subject was refused for leaves `current_rejects`."""
        settled = cleared_sql(self.runner.run.run_id, self.runner.trigger.target, self.call.entity, self.call.about)
        self._event(BatchEvent.acknowledged(self.batch_id, self.call.entity, response[:2000]), [*also, settled])
        tally = self.runner.tally
        tally.acknowledged += 1
        for entity, keys in self.call.carries.items():
            tally.carried[entity] = tally.carried.get(entity, 0) + len(keys)

    def failed(self, response: str, *, rejects: Sequence[CallReject] = (), also: Sequence[str] = ()) -> None:
        """The vendor says nothing was done (it refused, or rolled back): the next push plans the call again.
        `rejects` go to erpload.rejects with it."""
        rows = [self.runner.reject_sql(self.call, r) for r in rejects]
        self._event(BatchEvent.failed(self.batch_id, self.call.entity, response[:2000]), [*rows, *also])
        self.runner.tally.failed += 1
        self.runner.tally.rejected += len(rejects)

    def unknown(self, reason: str, *, also: Sequence[str] = ()) -> None:
        """The answer never came (or said nothing about what was done): held until a person settles it."""
        self._event(BatchEvent.unknown(self.batch_id, self.call.entity, reason[:2000]), also)
        self.runner.tally.unknown += 1
        self.runner.tally.unknown_why.append(f"{self.call.label}: {reason}")


class Trigger(Protocol):
    """What a trigger target implements (see destinations/uniconta/trigger.py)."""

    target: str
    title: str

    def plan(self, con: duckdb.DuckDBPyConnection, run: Run, company: str | None) -> list[PlannedCall]:
        """The calls this push would make, from the target's dataset; calls it will not make are noted in `run`."""

    def call(self, planned: PlannedCall, report: CallReport) -> None:
        """Make the call and report its answer; raise `OutcomeUnknown` when the answer was lost."""

    def traffic(self) -> str | None:
        """The requests sent, in a line for the summary; None when there were none."""

    def close(self) -> None: ...


@dataclass
class TriggerOptions:
    #: company codes; None or empty: every company
    company: list[str] | None = None
    dry_run: bool = False
    #: make calls the ledger says were made and answered (never one whose outcome is unknown)
    force: bool = False


class TriggerRun:
    """One push of a trigger target: plan, gate, call."""

    def __init__(self, con: duckdb.DuckDBPyConnection, trigger: Trigger, run: Run) -> None:
        self.con = con
        self.trigger = trigger
        self.run = run
        self.tally = CallTally()

    def ledger_for(self, call: PlannedCall) -> Ledger:
        scopes = {call.entity: call.scope, **{entity: call.scope for entity in call.carries}}
        return Ledger(self.con, self.trigger.target, self.run.run_id, scopes, create_only=True)

    def reject_sql(self, call: PlannedCall, reject: CallReject) -> str:
        return rejects_sql(self.run.run_id, self.trigger.target, call.entity,
                           record_key=sql_literal(reject.record_key), field=sql_literal(reject.field),
                           value=sql_literal(reject.value), reason=sql_literal(reject.reason),
                           fix=sql_literal(reject.fix), record=sql_literal(call.payload),
                           code=sql_literal(reject.code))

    def gate(self, calls: list[PlannedCall], force: bool) -> list[PlannedCall]:
        """The calls to make now; the others are noted (held ones with what to do)."""
        chosen = []
        target = self.trigger.target
        states = call_states(self.con, target, calls)  # one read of the ledger for every call
        for call in calls:
            state = states.get((call.scope, call.entity, call.key))
            unknown = call.key if state == "unknown" else None
            if unknown is None and call.held_by_any_unknown:  # another key of its entity and scope
                unknown = min((k for (sc, e, k), st in states.items()
                               if st == "unknown" and sc == call.scope and e == call.entity), default=None)
            if unknown is not None:
                self.tally.held += 1
                self.run.note(f"{target} {call.label}: not called: an earlier call got no answer, so it may have "
                              f"been done; look at the vendor, then `erpload ledger resolve {target} {unknown} "
                              "--sent` (it was done) or `--not-sent` (the next push calls again)")
            elif state in DONE_STATES and not force:
                self.tally.done_before += 1
            else:
                chosen.append(call)
        if self.tally.done_before:
            self.run.note(f"{target}: {plural(self.tally.done_before, 'call')} made and answered before were not made "
                          "again (`--force` makes them again)")
        return chosen

    def make(self, call: PlannedCall) -> None:
        """Queue the call and what it carries, mark it `sending`, call, and record the answer."""
        batch_id = new_batch_id()
        ledger = self.ledger_for(call)
        self.con.begin()
        try:
            ledger.queue_batch(call.entity, [(call.key, md5(call.payload))], batch_id)
            for entity, keys in call.carries.items():
                if keys:
                    ledger.queue_batch(entity, [(k, md5(k)) for k in keys], batch_id)
            ledger.record([BatchEvent.sending(batch_id, call.entity)])
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        report = CallReport(self, call, batch_id)
        self.tally.called += 1
        with interrupts.deferred():  # a first signal waits for the answer and its entry in the ledger
            try:
                self.trigger.call(call, report)
            except OutcomeUnknown as exc:
                if report.state is None:
                    report.unknown(exc.message)
                else:
                    raise
            except (VendorAuthError, VendorRefused) as exc:
                if report.state is None:  # refused before anything was done
                    report.failed(f"not taken: {exc.message}")
                raise
            except BaseException as exc:
                if report.state is None:
                    report.unknown(f"the push stopped while calling: {exc}")
                raise
        if report.state is None:
            raise ErploadError(f"{self.trigger.title} {call.label}: the call ended without an outcome",
                               hint="this is a bug in erpload; the ledger holds it as `sending` (unknown)")

    def results(self, calls: list[PlannedCall]) -> None:
        target = self.trigger.target
        if (traffic := self.trigger.traffic()) is not None:
            self.run.note(traffic)
        if self.tally.unknown:
            self.run.note(f"{plural(self.tally.unknown, target + ' call')} without an answer that says what was done ("
                          + "; ".join(self.tally.unknown_why[:3]) + "): they may or may not have been done and are "
                          f"not made again until settled: look at the vendor, then `erpload ledger resolve {target} "
                          "<key> --sent|--not-sent`")
        entities = sorted({c.entity for c in calls}) or []
        for entity in entities:
            self.run.add(TableResult(table=f"{target}.{entity}", sent=self.tally.acknowledged,
                                     unchanged=self.tally.done_before, failed=self.tally.failed + self.tally.unknown,
                                     rejected=self.tally.rejected))
        for entity, n in self.tally.carried.items():
            self.run.add(TableResult(table=f"{target}.{entity}", sent=n))

    def waiting(self, calls: list[PlannedCall]) -> int:
        """Calls of these scopes whose outcome is unknown."""
        scopes = sorted({c.scope for c in calls})
        if not scopes:
            return 0
        row = self.con.execute(
            f"SELECT count(*) FROM {LEDGER} WHERE target = {sql_literal(self.trigger.target)} AND state = 'unknown' "
            f"AND entity IN ({', '.join(sql_literal(e) for e in sorted({c.entity for c in calls}))}) "
            f"AND scope IN ({', '.join(sql_literal(s) for s in scopes)})").fetchone()
        return int(row[0]) if row else 0


def call_states(con: duckdb.DuckDBPyConnection, target: str, calls: Sequence[PlannedCall]) -> dict[
        tuple[str, str, str], str]:
    """(scope, entity, key) -> state, for every key of the calls' entities and scopes that the ledger holds:
    unknown if any version of it is, else acknowledged or sent (done), else its latest state."""
    pairs = sorted({(c.scope, c.entity) for c in calls})
    if not pairs:
        return {}
    where = " OR ".join(f"(scope = {sql_literal(sc)} AND entity = {sql_literal(e)})" for sc, e in pairs)
    rows = con.execute(f"""SELECT scope, entity, record_key,
                                  CASE WHEN bool_or(state = 'unknown') THEN 'unknown'
                                       WHEN bool_or(state = 'acknowledged') THEN 'acknowledged'
                                       WHEN bool_or(state = 'sent') THEN 'sent'
                                       ELSE arg_max(state, updated_at) END
                           FROM {LEDGER} WHERE target = {sql_literal(target)} AND ({where}) GROUP BY ALL""").fetchall()
    return {(str(sc), str(e), str(k)): str(st) for sc, e, k, st in rows}


def run_trigger(staging: Path, trigger: Trigger, run: Run, options: TriggerOptions,
                say: Callable[[str], None]) -> dict[str, Any]:
    """Push one trigger target; fills `run`. Returns `planned` (calls listed), `called` and `waiting` (calls
    whose outcome is unknown: a person must settle them)."""
    with connect(staging) as con:
        ensure_ledger(con)
        push = TriggerRun(con, trigger, run)
        # a trigger plans for one company or all: for several, the calls of each in turn
        calls = [call for company in sorted(set(options.company)) for call in trigger.plan(con, run, company)] \
            if options.company else trigger.plan(con, run, None)
        push.tally.planned = len(calls)
        chosen = push.gate(calls, options.force)
        if options.dry_run:
            for call in chosen:
                say(f"would call {trigger.title} for {call.label}" + (f": {call.summary}" if call.summary else ""))
            if not chosen:
                say(f"nothing to call: {trigger.title} has every planned call already"
                    if calls else "nothing to call")
            return {"planned": len(calls), "called": 0, "waiting": push.waiting(calls)}
        try:
            for call in chosen:
                interrupts.raise_if_requested()
                push.make(call)
        finally:
            push.results(calls)
        return {"planned": len(calls), "called": push.tally.called, "waiting": push.waiting(calls),
                "failed": push.tally.failed}
