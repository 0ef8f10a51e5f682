"""Vendor batches sent from one thread, in order, one at a time, while the caller prepares the next.

dlt hands the destination one batch per call and, between calls, reads the next rows from its load file
and commits its package state (~5 ms per batch here); the push's own bookkeeping adds ~3 ms. Sending
from this thread hides that work behind the vendor's answer. The vendor sees exactly the requests a plain
loop makes, in the same order: never two batches at once (the queue holds one batch waiting, not sent).

After a failure no further batch is sent: the error is raised to the caller at its next `put` or at
`close`, and the batch waiting is dropped (its records stay unacknowledged in the ledger, so the next push
sends them). After a signal (`erpload.interrupts`) likewise: the batch being sent finishes, the one waiting
is dropped.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from erpload import interrupts

T = TypeVar("T")

#: how often a caller waiting to queue looks for a signal
_LOOK_S = 0.05


class SendThread(Generic[T]):
    def __init__(self, send: Callable[[T], None], name: str = "erpload-send") -> None:
        self._send = send
        self._queue: queue.Queue[T | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def put(self, item: T) -> None:
        """Queue `item` behind the one being sent (blocks while another waits); raises an earlier failure, or
        `Interrupted` when a signal comes while it waits."""
        self._raise_if_failed()
        while True:
            interrupts.raise_if_requested()
            try:
                self._queue.put(item, timeout=_LOOK_S)
                return
            except queue.Full:
                continue

    def close(self, *, raise_error: bool = True) -> None:
        """Wait until everything queued is sent (or dropped after a failure); raise the failure, if any."""
        if self._thread.is_alive() and not interrupts.hard():  # a second signal: no waiting for the vendor
            self._queue.put(None)
            self._thread.join()
        if raise_error:
            self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None or interrupts.requested() is not None:
                continue  # drop what waits: the caller stops at its next put
            try:
                self._send(item)
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc
