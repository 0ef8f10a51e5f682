"""Ledger writes behind the sends: a vendor batch does not wait for the staging file's commit.

A DuckDB commit costs ~12 ms here (the WAL is synced), two per batch: at 200 batches that is ~5 s of
a push that spends ~25 s on HTTP. The writer thread applies the events in the order they were
submitted, on its own cursor; the push closes it (waits for every write) before it reports.

Dying before an event is written loses nothing: a batch whose acknowledgement was not written is
not acknowledged in the ledger, so the next push sends it again, which upsert APIs (d.velop) take
as a no-op. A vendor whose writes are not idempotent must write synchronously instead.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import duckdb

from erpload.errors import StagingError
from erpload.ledger import Ledger


class LedgerWriter:
    def __init__(self, con: duckdb.DuckDBPyConnection, target: str, run_id: str) -> None:
        self._ledger = Ledger(con.cursor(), target, run_id)
        self._queue: queue.Queue[Callable[[Ledger], None] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="erpload-ledger", daemon=True)
        self._thread.start()

    def submit(self, write: Callable[[Ledger], None]) -> None:
        self._raise_if_failed()
        self._queue.put(write)

    def close(self) -> None:
        """Wait until every submitted write is done; raise if one failed."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise StagingError(f"writing erpload.ledger failed: {self._error}",
                               hint="the staging file may be full or damaged; what was acknowledged before is "
                                    "kept, and the next push sends the rest") from self._error

    def _work(self) -> None:
        while (write := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain: the push stops at its next submit
            try:
                write(self._ledger)
            except BaseException as exc:  # handed to the submitting thread
                self._error = exc
