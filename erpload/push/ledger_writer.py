"""Ledger writes with synchronous group commits: a batch report returns once it is durable.

The vendor's answer to a batch is committed to the staging file before the sender goes on: a process
killed right after the vendor acknowledged a batch finds the acknowledgement on record and does not send
the batch again (for a create-only API a duplicate is a duplicate booking). A DuckDB commit costs 2 to 4 ms
here, so the writes of concurrent senders share one: the writer thread takes every write waiting, applies
them in the order they were submitted in one transaction (consecutive batch events in one statement),
commits, and only then wakes each submitter. A submitter waits for its own write, never for a pause.

`submit` returns a future for writes that may overlap other work until someone waits on them (the
outbox's `pending` rows, written while dlt starts: the first request waits for them).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

import duckdb

from erpload.errors import StagingError
from erpload.push.ledger import BatchEvent, Ledger

#: a write: a batch's state change, or any statement on the ledger's cursor
Write = BatchEvent | Callable[[Ledger], None]


class LedgerWriter:
    def __init__(self, ledger: Ledger) -> None:
        """`ledger` must be on a cursor of its own: the writer thread is the only one using it."""
        self._ledger = ledger
        self._queue: queue.Queue[tuple[Write, Future[None]] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="erpload-ledger", daemon=True)
        self._thread.start()

    def submit(self, write: Write) -> Future[None]:
        """Queue `write`; the future is done once it is committed (or raises the `StagingError` that stopped it)."""
        self._raise_if_failed()
        done: Future[None] = Future()
        self._queue.put((write, done))
        return done

    def commit(self, write: Write) -> None:
        """Apply `write` and return once it is committed to the staging file."""
        self.submit(write).result()

    def close(self) -> None:
        """Wait until every submitted write is done; raise if one failed."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._failure()

    def _failure(self) -> StagingError:
        error = StagingError(f"writing erpload.ledger failed: {self._error}",
                             hint="the staging file may be full or damaged; what was acknowledged before is "
                                  "kept, and the next push sends the rest")
        error.__cause__ = self._error
        return error

    def _work(self) -> None:
        while (first := self._queue.get()) is not None:
            writes = [first]
            closing = self._take_waiting(writes)
            if self._error is None:
                self._apply([w for w, _ in writes])
            for _, done in writes:  # after the commit: each submitter wakes to a durable write
                if self._error is None:
                    done.set_result(None)
                else:
                    done.set_exception(self._failure())
            if closing:
                return

    def _take_waiting(self, writes: list[tuple[Write, Future[None]]]) -> bool:
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
        except BaseException as exc:  # handed to the submitting threads
            self._error = exc
            with contextlib.suppress(duckdb.Error):  # the failed statement may have ended the transaction
                self._ledger.execute("ROLLBACK")
