"""The Maesn sender for the push framework: one booking proposal per request, its async task polled to the end.

A booking proposal is create-only: sent twice, it is booked twice. So the sender never repeats a create call
itself; it reports what it knows and leaves the decision to the ledger:

    POST taken, task id       batch.sent("<system>:<taskId>")    (the task id settles it later, see `resolve`)
    task SUCCESS              batch.acknowledged(..., warnings=Maesn's meta.warnings)
    task PARTIAL_SUCCESS      batch.acknowledged(..., warnings=+ the partial note): the proposal exists, sending
                              it again would duplicate it; the rest is finished in the accounting system
    task FAILED / cancelled   batch.failed(the task's information messages)
    task still pending        batch.unconfirmed(...) after task_timeout_s: stays `sent`, the next push asks again
    answer lost               batch.unknown(...) (dropped connection, 5xx, 200 without a task id): never re-sent
    400 naming record fields  batch.refused(one Refusal per field) → erpload.rejects
    receipt not in staging    batch.refused(...) before anything is sent

Entities are the configured systems (`datev_uo`, `exact`, ...): dataset `maesn` has one table per system, one
row per proposal, whose payload is `{"booking_type", "booking_proposal", "files": [{"name", "sha256",
"mime_type"}], "folder_management"}`; the receipt bytes are read from `erp.documents` by sha256.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any, Protocol

import duckdb

from erpload.destinations.maesn.client import MaesnClient, ProposalUpload, TaskState, form_json
from erpload.destinations.maesn.config import MaesnSettings, SystemConnection
from erpload.push.http import OutcomeUnknown, VendorError, VendorRefused
from erpload.push.pusher import Outgoing, Refusal

#: form fields a 400 may name that come from the record; anything else (companyId, body) is our own mistake
_RECORD_FIELDS = ("bookingProposal", "bookingType", "files", "folderManagement")
_FILE_NAME = re.compile(r"^.+\.[A-Za-z0-9]{1,10}$")
_SUCCEEDED = frozenset({"SUCCESS", "PARTIAL_SUCCESS"})
_NOT_CREATED = frozenset({"FAILED", "CANCELLED_SUCCESSFULLY"})


class NotSendable(VendorRefused):
    """A record erpload does not send, found before any request (a receipt missing from staging, a file name
    Maesn refuses); `refusals` say which field and what to do."""

    def __init__(self, found: list[Refusal]) -> None:
        self.refusals = found
        super().__init__("; ".join(f"{r.field}: {r.reason}" for r in found), status=400, body=None)


class MaesnBatch(Protocol):
    """What the sender reports through (the push framework's `Batch`)."""

    records: list[Outgoing]

    def sent(self, vendor_ref: str) -> None: ...
    def acknowledged(self, response: str, warnings: tuple[str, ...] = ()) -> None: ...
    def failed(self, response: str) -> None: ...
    def refused(self, refusals: list[Refusal]) -> None: ...
    def unknown(self, reason: str) -> None: ...
    def unconfirmed(self, reason: str) -> None: ...


def vendor_ref(system: str, task_id: str) -> str:
    """What the ledger keeps for a sent proposal: a task is read with its system's account key, so both."""
    return f"{system}:{task_id}"


def refusals(exc: VendorRefused, records: list[Outgoing], title: str = "Maesn") -> list[Refusal]:
    """One Refusal per field a 400 names, all for the batch's one record; empty when the answer names a field
    that is not the record's (e.g. companyId): that is a configuration or contract error, not bad data."""
    error = exc.body.get("error") if isinstance(exc.body, dict) else None
    problems = error.get("validationErrors") if isinstance(error, dict) and exc.status == 400 else None
    if not isinstance(problems, list) or not problems or len(records) != 1:
        return []
    out = []
    for problem in problems:
        field = str(problem.get("field") or "") if isinstance(problem, dict) else ""
        if field.split(".")[0].split("[")[0] not in _RECORD_FIELDS:
            return []
        message = str(problem.get("message") or "invalid")
        out.append(Refusal(records[0].key, field,
                           f"{title} refused the booking proposal: {message}; correct it in the ERP, then run "
                           "`erpload transform maesn` and push again"))
    return out


class MaesnSender:
    """Sends the booking proposals of the configured systems, `concurrency` at once under the rate limit."""

    target = "maesn"
    batch_size = 1  # a proposal is its own request
    create_only = True

    def __init__(self, settings: MaesnSettings, client: MaesnClient | None = None) -> None:
        self.settings = settings
        self.client = client or MaesnClient(settings)
        self.entities: tuple[str, ...] = settings.systems
        self.concurrency = settings.concurrency
        self._receipts: duckdb.DuckDBPyConnection | None = None
        self._receipts_lock = threading.Lock()  # one cursor, read by every worker thread in turn

    # --- the framework's calls ---

    def scope(self, entity: str) -> str:
        c = self.settings.connection(entity)
        return (f"{self.settings.base_url} system={entity} companyId={c.company_id or '-'} "
                f"account={c.account_fingerprint}")

    def start(self, con: duckdb.DuckDBPyConnection) -> None:
        self._receipts = con.cursor()

    def send(self, entity: str, batch: MaesnBatch) -> None:
        if len(batch.records) != 1:
            raise ValueError(f"Maesn takes one proposal per request; got a batch of {len(batch.records)}")
        connection = self.settings.connection(entity)
        upload = self._upload(batch.records[0])
        if isinstance(upload, list):
            batch.refused(upload)
            return
        try:
            started = self.client.create_booking_proposal(connection, upload)
        except OutcomeUnknown as exc:
            batch.unknown(exc.message)
            return
        except VendorRefused as exc:
            refused = refusals(exc, batch.records, f"Maesn ({connection.title})")
            if not refused:
                raise
            batch.refused(refused)
            return
        batch.sent(vendor_ref(entity, started.task_id))
        try:
            state = self.client.wait_for_task(connection, started.task_id)
        except VendorError as exc:  # the proposal went out; only its outcome is not known yet
            batch.unconfirmed(f"task {started.task_id} could not be read: {exc.message}")
            return
        self._report(batch, connection, state, started.warnings)

    def resolve(self, vendor_ref: str) -> bool | None:
        system, _, task_id = vendor_ref.partition(":")
        connection = self.settings.connections.get(system)
        if connection is None or not task_id:
            return None
        try:
            state = self.client.get_async_task(connection, task_id)
        except VendorError:  # 404 (Maesn forgot the task), auth, outage: no answer now
            return None
        if state.status in _SUCCEEDED:
            return True
        if state.status in _NOT_CREATED:
            return False
        return None

    def send_one(self, entity: str, record: Outgoing) -> str:
        """One proposal, waited for: its answer when the task succeeded; a `VendorError` naming the task when it
        failed or is still running (the caller holds the record for a decision), `NotSendable` when it cannot go."""
        connection = self.settings.connection(entity)
        upload = self._upload(record)
        if isinstance(upload, list):
            raise NotSendable(upload)
        started = self.client.create_booking_proposal(connection, upload)
        state = self.client.wait_for_task(connection, started.task_id)
        if state.status == "SUCCESS":
            return state.describe() + "".join(f"; warning: {w}" for w in started.warnings + state.warnings)
        if state.status == "PARTIAL_SUCCESS":
            return f"{state.describe()}; it exists in {connection.title} in part: complete it there"
        raise VendorError(f"Maesn ({connection.title}): {state.describe()}",
                          hint=f"look the proposal up in {connection.title}, then settle it with `erpload ledger "
                               f"resolve maesn {record.key} --sent|--not-sent`")

    def refusals(self, exc: Any, records: list[Outgoing]) -> list[Refusal]:
        if isinstance(exc, NotSendable):
            return exc.refusals
        return refusals(exc, records) if isinstance(exc, VendorRefused) else []

    def traffic(self) -> str | None:
        return self.client.traffic() if self.client.requests else None

    def close(self) -> None:
        self.client.close()
        if self._receipts is not None:
            self._receipts.close()
            self._receipts = None

    # --- building the request ---

    def _receipt(self, sha256: str) -> bytes | None:
        if self._receipts is None:
            raise RuntimeError("MaesnSender.start(con) was not called: the receipts are read from the staging file")
        with self._receipts_lock:
            row = self._receipts.execute("SELECT content FROM erp.documents WHERE sha256 = ? LIMIT 1",
                                         [sha256]).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def _upload(self, record: Outgoing) -> ProposalUpload | list[Refusal]:
        """The form parts of a record, or why it cannot be sent (a receipt missing, a file name Maesn refuses)."""
        payload = json.loads(record.payload)
        proposal = payload["booking_proposal"]
        proposal = json.loads(proposal) if isinstance(proposal, str) else proposal
        folder = payload.get("folder_management")
        folder = json.loads(folder) if isinstance(folder, str) else folder
        files: list[tuple[str, bytes, str]] = []
        problems: list[Refusal] = []
        for i, file in enumerate(payload.get("files") or []):
            name, digest = str(file.get("name") or ""), str(file.get("sha256") or "")
            if not _FILE_NAME.match(name) or len(name) > 255:
                problems.append(Refusal(record.key, f"files[{i}].name",
                                        f"receipt file name {name!r} needs an extension (e.g. .pdf) and at most 255 "
                                        "characters; rename the document in the ERP"))
                continue
            content = self._receipt(digest)
            if content is None or hashlib.sha256(content).hexdigest() != digest:
                problems.append(Refusal(record.key, f"files[{i}]",
                                        f"receipt {name} (sha256 {digest[:12]}...) is not in erp.documents of the "
                                        "staging file; attach it to the document in the ERP, then run extract, "
                                        "transform and push again"))
                continue
            files.append((name, content, str(file.get("mime_type") or "application/octet-stream")))
        if problems:
            return problems
        return ProposalUpload(
            booking_type=str(payload["booking_type"]),
            booking_proposal=form_json(proposal),
            files=tuple(files),
            folder_management=form_json(folder) if folder else None,
        )

    def _report(self, batch: MaesnBatch, connection: SystemConnection, state: TaskState,
                warnings: tuple[str, ...]) -> None:
        warnings += state.warnings
        if state.status == "SUCCESS":
            batch.acknowledged(state.describe(), warnings=warnings)
        elif state.status == "PARTIAL_SUCCESS":
            note = (f"{connection.title} took the proposal only in part ({' '.join(state.messages) or 'no details'}); "
                    f"it exists there: complete it in {connection.title}, do not send it again")
            batch.acknowledged(state.describe(), warnings=(*warnings, note))
        elif state.status in _NOT_CREATED:
            batch.failed(state.describe())
        elif not state.finished:
            batch.unconfirmed(f"task {state.task_id} still {state.status} after {self.settings.task_timeout_s:g} s; "
                              "the next push asks Maesn again before it sends anything")
        else:
            batch.unconfirmed(f"task {state.task_id} ended {state.status}, a status erpload does not know; check the "
                              f"proposal in {connection.title} and settle it with `erpload ledger resolve`")
