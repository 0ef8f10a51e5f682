"""`erpload push papershift`: per company with a Papershift DATEV integration, create the initial document sync
once (see erpload.push.trigger), then follow it until it is no longer `running`, staging it and its items.

- The call: `POST .../datev_document_syncs` with `range_in_months`, in the ledger (entity `syncs`, key `initial`,
  scope: the API and the integration) before it is sent. Papershift keeps one initial sync per integration and
  answers 422 (pointer `/data`) to a second: erpload takes that as done, says so, and follows the existing one.
- Following: the sync list is looked at every `poll_interval_s` for at most `sync_timeout_s`. A sync still
  running then is staged as running; the next push follows it (the call is done: nothing is created again).
  A call whose answer never came is held by the ledger; the next push does not create again until a person
  settles it (`erpload ledger resolve papershift initial --sent|--not-sent`).
- Staged: `papershift.syncs` and `papershift.sync_items` (see `staged`), every item beside the ERP's employee.
- A sync that ended `succeeded_partially` or `failed` is reported once, when erpload sees it end: a note naming
  the employees whose documents failed (joined to the ERP's), and one row per such employee in erpload.rejects
  (entity `sync_items`; a failed sync without items: one for the sync), so the push ends with exit 5 (records
  set aside), like any run that sets records aside.
- Later pushes look once at the integration's syncs that ended since (a schedule's, or one started in Pulse):
  staged and reported the same way. Per employee and month the newest sync that covered it decides: an
  employee with no month left failed is settled (out of `current_rejects`), as is a failed sync once a newer
  one came through.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from erpload.errors import ConfigError
from erpload.push.trigger import DONE_STATES, CallReport, PlannedCall, call_states
from erpload.rejects import clear_judged_fine
from erpload.runs import Run, TableResult
from erpload.staging import sql_literal, table_exists
from erpload.transforms.papershift.tables import INTEGRATIONS, TARGET

from . import staged
from .client import PulseClient
from .config import PapershiftSettings
from .models import SYNC_TYPE, DocumentSync, DocumentSyncItem

#: the ledger key of the one call per integration: Papershift keeps one initial sync per integration
INITIAL = "initial"

_PARTIAL_FIX = ("check in DATEV that this employee's payslips (LOBN) and wage-tax certificates (LSTB) exist for "
                "those months and that Papershift's personnel number is DATEV's; Papershift's next scheduled sync "
                "(`erpload papershift schedules`) fetches them again")
_UNKNOWN_FIX = ("Papershift syncs documents for a personnel number the ERP does not know for this company: correct "
                "the personnel number in Papershift, or add the employee to the ERP")
_FAILED_SYNC_FIX = ("look at the DATEV integration in Papershift Pulse (its DATEV connection and rights); a new sync "
                    "comes with the integration's schedule (`erpload papershift schedules --set-day 15`)")


def scope(base_url: str, integration_id: str) -> str:
    """Where a company's syncs are, as the ledger keys it: the API and the integration (never a secret)."""
    return f"{base_url.rstrip('/')} integration={integration_id}"


@dataclass(frozen=True)
class Company:
    """A company with a DATEV integration in Papershift, as the push plans it."""

    code: str
    name: str
    integration_id: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code}, integration {self.integration_id[:8]}…)"


class PapershiftTrigger:
    target = TARGET
    title = "Papershift"

    def __init__(self, settings: PapershiftSettings, *, dry_run: bool = False,
                 say: Callable[[str], None] | None = None, client: PulseClient | None = None) -> None:
        self.settings = settings
        self.dry_run = dry_run
        self.say = say or (lambda line: None)
        self._client = client
        self._con: duckdb.DuckDBPyConnection | None = None
        self._run: Run | None = None
        self._items: TableResult | None = None  # papershift.sync_items in the run's summary, once

    @property
    def client(self) -> PulseClient:
        if self._client is None:
            self._client = PulseClient(self.settings)
        return self._client

    # --- plan ---

    def plan(self, con: duckdb.DuckDBPyConnection, run: Run, company: str | None) -> list[PlannedCall]:
        """One call per company ready in `papershift.integrations`; a company whose sync was created before and
        has not been seen to end is followed now (a dry run only says so)."""
        if not table_exists(con, TARGET, INTEGRATIONS):
            raise ConfigError("the papershift plan does not exist yet", hint="run `erpload transform papershift` "
                                                                              "first")
        self._con, self._run = con, run
        for ddl in staged.DDL:
            con.execute(ddl)
        where = "" if company is None else f" AND company_code = {sql_literal(company)}"
        rows = con.execute(f"SELECT company_code, company_name, integration_id FROM {TARGET}.{INTEGRATIONS} "
                           f"WHERE state = 'ready'{where} ORDER BY company_code").fetchall()
        if not rows:
            self._nothing(con, run, company)
        payload = json.dumps({"data": {"type": SYNC_TYPE, "attributes": {
            "range_in_months": self.settings.range_in_months}}}, separators=(",", ":"))
        calls: list[PlannedCall] = []
        follow: list[tuple[Company, str | None]] = []
        later: list[Company] = []  # initial sync seen ended: what ended since (a schedule's syncs) is looked at
        for code, name, integration_id in rows:
            found = Company(str(code), str(name or code), str(integration_id))
            call = PlannedCall(entity=staged.SYNCS_ENTITY, key=INITIAL, scope=scope(self.settings.base_url,
                                                                                   found.integration_id),
                               payload=payload, label=found.label, company=found.code, context=found,
                               summary=f"create the initial DATEV document sync over "
                                       f"{self.settings.range_in_months} month(s), then follow it")
            calls.append(call)
            seen = self._last_seen(found)
            done = call_states(self._db, TARGET, [call]).get((call.scope, call.entity, call.key)) in DONE_STATES
            if done and (seen is None or seen[1] == "running"):
                follow.append((found, seen[0] if seen else None))
            elif done:
                later.append(found)
        for found, sync_id in follow:
            if self.dry_run:
                self.say(f"would follow the initial document sync of {found.label}: created before, not seen ended")
            else:
                self._follow(found, sync_id)
        for found in later:
            if self.dry_run:
                self.say(f"would look at the document syncs of {found.label} that ended since the last push")
            else:
                self._look_at_later_syncs(found)
        return calls

    def _nothing(self, con: duckdb.DuckDBPyConnection, run: Run, company: str | None) -> None:
        if company is not None:
            state = con.execute(f"SELECT any_value(state) FROM {TARGET}.{INTEGRATIONS} "
                                f"WHERE company_code = {sql_literal(company)}").fetchone()
            raise ConfigError(f"company {company} has " + ("a Papershift integration id that is no UUID"
                                                           if state and state[0] == "bad_id"
                                                           else "no Papershift DATEV integration id"),
                              hint="set companies.papershift_integration_id in the ERP (the integration's UUID in "
                                   "Papershift Pulse), then run extract, map and `erpload transform papershift`")
        run.note(f"{TARGET}: no company has a Papershift DATEV integration id: nothing to sync")

    def _last_seen(self, company: Company) -> tuple[str, str] | None:
        """The initial sync's id and status as this API showed them last; None: never staged."""
        row = self._db.execute(f"SELECT arg_max(sync_id, seen_at), arg_max(status, seen_at) FROM {staged.SYNCS} "
                               f"WHERE initial AND integration_id = {sql_literal(company.integration_id)} "
                               f"AND base_url = {sql_literal(self.settings.base_url)}").fetchone()
        return (str(row[0]), str(row[1])) if row and row[0] is not None else None

    @property
    def _db(self) -> duckdb.DuckDBPyConnection:
        assert self._con is not None, "plan() opens the push"
        return self._con

    @property
    def _run_id(self) -> str:
        return self._run.run_id if self._run is not None else ""

    def _note(self, message: str) -> None:
        if self._run is not None:
            self._run.note(message)

    # --- call ---

    def call(self, planned: PlannedCall, report: CallReport) -> None:
        company: Company = planned.context
        created = self.client.create_initial_sync(company.integration_id, self.settings.range_in_months)
        if created.sync is not None:
            sync = created.sync
            report.acknowledged(f"201: initial sync {sync.id} created, {sync.status}",
                                also=self._sync_sql(company, sync))
            self._follow(company, sync.id)
            return
        if created.exists is None:
            report.acknowledged("2xx without a sync erpload can read: created; followed as the integration's oldest")
        else:
            detail = created.exists.detail
            report.acknowledged(f"422 ({detail}): the initial sync exists already; Papershift keeps one per "
                                "integration")
            self._note(f"{TARGET} {company.label}: Papershift already has the initial document sync ({detail}); "
                       "erpload follows that one instead of creating another")
        self._follow(company, None)

    def _follow(self, company: Company, sync_id: str | None) -> None:
        """Look at the sync until it is no longer running (at most `sync_timeout_s`), then stage it, its items and
        what failed. `sync_id` None: the integration's oldest sync, which is its initial one (it comes first)."""
        deadline = time.monotonic() + self.settings.sync_timeout_s
        while True:
            syncs = self.client.document_syncs(company.integration_id)
            sync = next((s for s in syncs if s.id == sync_id), None) if sync_id else next(iter(syncs), None)
            if sync is None:
                self._note(f"{TARGET} {company.label}: Papershift lists no "
                           + (f"sync {sync_id}" if sync_id else "document sync") + " for the integration; "
                           "look at it in Papershift Pulse")
                return
            if not sync.running or time.monotonic() + self.settings.poll_interval_s > deadline:
                break
            self.client.pause(self.settings.poll_interval_s)
        self._stage(company, [(sync, self.client.document_sync_items(sync.id))])

    def _look_at_later_syncs(self, company: Company) -> None:
        """The integration's syncs that ended and were not staged ended yet (a schedule's, or one started in Pulse),
        oldest first: staged, what they could not fetch reported, and what they fetched settles earlier rejects."""
        ended = {str(r[0]) for r in self._db.execute(
            f"SELECT sync_id FROM {staged.SYNCS} WHERE integration_id = {sql_literal(company.integration_id)} "
            f"AND base_url = {sql_literal(self.settings.base_url)} AND status <> 'running'").fetchall()}
        new = [(sync, self.client.document_sync_items(sync.id))
               for sync in self.client.document_syncs(company.integration_id)
               if not sync.running and sync.id not in ended]
        if new:
            self._stage(company, new, initial=False)

    def _sync_sql(self, company: Company, sync: DocumentSync, items: list[DocumentSyncItem] | None = None, *,
                  initial: bool = True) -> list[str]:
        return staged.sync_sql(self._run_id, self.settings.base_url, company.code, company.integration_id, sync,
                               initial=initial, items=items)

    def _stage(self, company: Company, looks: list[tuple[DocumentSync, list[DocumentSyncItem]]], *,
               initial: bool = True) -> None:
        """Stage a look at syncs and their items in one transaction; an end other than `succeeded` also goes to
        erpload.rejects, with a note, and an ended sync settles the rejects of what it fetched. All are staged
        before any is judged: a month an older sync could not fetch and a newer one did is no reject."""
        con = self._db
        rejected: dict[str, int] = {}
        con.begin()
        try:
            for sync, items in looks:
                for sql in self._sync_sql(company, sync, items, initial=initial):
                    con.execute(sql)
            for sync, items in looks:
                if not sync.running:
                    if sync.status != "succeeded":
                        rejected[sync.id] = self._rejects(company, sync, items, self._what(sync, initial))
                    settled = staged.settled_keys_sql(company.code, sync.id, sync_came_through=sync.status != "failed")
                    clear_judged_fine(con, settled, "v.k", run_id=self._run_id, target=TARGET,
                                      entity=staged.ITEMS_ENTITY)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        for sync, items in looks:
            self._report(company, sync, items, self._what(sync, initial), rejected.get(sync.id, 0))

    @staticmethod
    def _what(sync: DocumentSync, initial: bool) -> str:
        return f"the {'initial ' if initial else ''}document sync {sync.id}"

    def _report(self, company: Company, sync: DocumentSync, items: list[DocumentSyncItem], what: str,
                rejected: int) -> None:
        """Count a staged sync in the summary and note how it stands."""
        if self._items is None:
            self._items = TableResult(table=staged.SYNC_ITEMS)
            if self._run is not None:
                self._run.add(self._items)
        self._items.loaded += len(items)
        self._items.rejected += rejected
        types = ", ".join(sync.document_types) or "no documents"
        if sync.running:
            self._note(f"{TARGET} {company.label}: {what} is still running after "
                       f"{self.settings.sync_timeout_s:g} s ({sum(1 for i in items if i.status != 'running')} of "
                       f"{len(items)} item(s) done); the next `erpload push papershift` follows it (raise "
                       "sync_timeout_s under [destination.papershift] to wait longer)")
        elif sync.status == "succeeded":
            self._note(f"{TARGET} {company.label}: {what} succeeded ({types}; {len(items)} "
                       "employee month(s))")
        named = {i.employee_number for i in items if i.status == "failed"} if rejected else set()
        unknown = sorted({i.employee_number for i in items if i.employee_number is not None}
                         - self._erp_numbers(company) - named)  # those whose documents failed are named already
        if unknown:
            self._note(f"{TARGET} {company.label}: Papershift syncs {len(unknown)} personnel number(s) the ERP does "
                       f"not know for the company: {', '.join(map(str, unknown[:10]))}"
                       + (", ..." if len(unknown) > 10 else "") + f" ({staged.SYNC_ITEMS}, employee_name "
                       f"'{staged.NOT_IN_ERP}'); correct the personnel number in Papershift or the ERP")

    def _erp_numbers(self, company: Company) -> set[int]:
        """The company's personnel numbers in the ERP, as numbers."""
        return {int(r[0]) for r in self._db.execute(
            f"SELECT DISTINCT try_cast(trim(personnel_no) AS BIGINT) AS n FROM erp.employees "
            f"WHERE company_code = {sql_literal(company.code)} AND n IS NOT NULL").fetchall()}

    def _rejects(self, company: Company, sync: DocumentSync, items: list[DocumentSyncItem], what: str) -> int:
        """A reject per employee whose documents failed (a failed sync without items: one for the sync) and a
        note naming them; returns how many rejects."""
        con = self._db
        failed = con.execute(staged.failed_employees_sql(company.code, sync.id)).fetchall()
        record = json.dumps({"company_code": company.code, "integration_id": company.integration_id,
                             "sync_id": sync.id, "status": sync.status, "notice": sync.notice})
        ended = f"{what} ended {sync.status}" + (f" ({sync.notice})" if sync.notice else "")
        if not failed and (any(i.status == "failed" for i in items)
                           or con.execute(staged.newer_sync_came_through_sql(company.code, sync.id)).fetchone()
                           == (True,)):
            self._note(f"{TARGET} {company.label}: {ended}; a newer sync fetched what it could not")
            return 0
        if not failed:
            con.execute(staged.reject_sql(self._run_id, company.code, sync.id, "status", sync.status,
                                          f"{company.label}: {ended}, and lists no employee that failed",
                                          _FAILED_SYNC_FIX, record, staged.SYNC_FAILED))
            self._note(f"{TARGET} {company.label}: {ended}; no employee is named (erpload.rejects)")
            return 1
        named = []
        for number, name, in_erp, months, first, last, notice in failed:
            who = f"personnel number {number} ({name})"
            named.append(f"{number} {name}")
            span = f"{first:%Y-%m}" + (f" to {last:%Y-%m}" if last != first else "") if first and last else "?"
            con.execute(staged.reject_sql(
                self._run_id, company.code, str(number), "employee_number", str(number),
                f"{company.label}: Papershift could not sync the DATEV documents of {who} for {months} month(s) "
                f"({span}): {notice or sync.status}", _PARTIAL_FIX if in_erp else _UNKNOWN_FIX,
                json.dumps({**json.loads(record), "employee_number": number, "employee_name": name}),
                staged.EMPLOYEE_FAILED))
        shown = ", ".join(named[:10]) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
        self._note(f"{TARGET} {company.label}: {ended}: the documents of {len(failed)} employee(s) failed: {shown} "
                   f"(`select * from {staged.SYNC_ITEMS} where status = 'failed'`; erpload.rejects says what to do)")
        return len(failed)

    def traffic(self) -> str | None:
        return None if self._client is None else self._client.traffic()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
