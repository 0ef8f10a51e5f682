"""Ledger writes behind the sends: a vendor batch does not wait for the staging file's commit.

A DuckDB commit costs 2 to 4 ms of CPU here, and an insert into the ledger ~0.8 ms whatever its rows: with
two events per batch, 200 batches would cost up to 2 s of a push that spends ~12 s on HTTP. The writer
thread applies the writes in the order they were submitted, on its own cursor. It commits at most once per
`PAUSE_S`: what arrived in the meantime goes in one transaction (a group commit, ~6 writes instead of
one), consecutive batch events in one statement, and a write that finds the writer idle is applied at
once (the outbox's queueing overlaps dlt's start). The push closes it (waits for every write) before it
reports.

Dying before an event is written (at most the last `PAUSE_S` of them) loses nothing: a batch whose
acknowledgement was not written is not acknowledged in the ledger, so the next push sends it again,
which upsert APIs (d.velop) take as a no-op. A vendor whose writes are not idempotent must write synchronously instead.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable

import duckdb

from erpload.errors import StagingError
from erpload.push.ledger import BatchEvent, Ledger

#: the least time between two of the writer's commits
PAUSE_S = 0.2

#: a write: a batch's state change, or any statement on the ledger's cursor
Write = BatchEvent | Callable[[Ledger], None]


class LedgerWriter:
    def __init__(self, con: duckdb.DuckDBPyConnection, target: str, run_id: str) -> None:
        self._ledger = Ledger(con.cursor(), target, run_id)
        self._queue: queue.Queue[Write | None] = queue.Queue()
        self._error: BaseException | None = None
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._work, name="erpload-ledger", daemon=True)
        self._thread.start()

    def submit(self, write: Write) -> None:
        self._raise_if_failed()
        self._queue.put(write)

    def close(self) -> None:
        """Wait until every submitted write is done; raise if one failed."""
        if self._thread.is_alive():
            self._closing.set()
            self._queue.put(None)
            self._thread.join()
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise StagingError(f"writing erpload.ledger failed: {self._error}",
                               hint="the staging file may be full or damaged; what was acknowledged before is "
                                    "kept, and the next push sends the rest") from self._error

    def _work(self) -> None:
        while (first := self._queue.get()) is not None:
            writes = [first]
            closing = self._take_waiting(writes)
            if self._error is None:  # else drain: the push stops at its next submit
                self._apply(writes)
            if closing:
                return
            self._closing.wait(PAUSE_S)  # let the next writes gather; `close` cuts the pause short

    def _take_waiting(self, writes: list[Write]) -> bool:
        """Add the writes already queued; True when `close` came among them."""
        while True:
            try:
                write = self._queue.get_nowait()
            except queue.Empty:
                return False
            if write is None:
                return True
            writes.append(write)

    def _apply(self, writes: list[Write]) -> None:
        """All of `writes` in one transaction, or none of them (as if the process had died before)."""
        try:
            self._ledger.execute("BEGIN TRANSACTION")
            events: list[BatchEvent] = []
            for write in writes:
                if isinstance(write, BatchEvent):
                    events.append(write)
                    continue
                self._ledger.record(events)
                events = []
                write(self._ledger)
            self._ledger.record(events)
            self._ledger.execute("COMMIT")
        except BaseException as exc:  # handed to the submitting thread
            self._error = exc
            with contextlib.suppress(duckdb.Error):  # the failed statement may have ended the transaction
                self._ledger.execute("ROLLBACK")
