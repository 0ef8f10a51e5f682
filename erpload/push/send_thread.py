"""Vendor batches sent from `workers` threads while the caller prepares the next ones.

dlt hands the destination one batch per call and, between calls, reads the next rows from its load file
and commits its package state (~5 ms per batch here); the push's own bookkeeping adds ~3 ms. Sending from
these threads hides that work behind the vendor's answers. With one worker the vendor sees exactly the
requests a plain loop makes, in the same order; with `workers` > 1 up to that many batches are with the
vendor at once (the queue holds one batch waiting per worker, not sent). `drain` waits until every batch
handed over is done: the push calls it where the entity changes, so referenced records are answered
before the records referring to them go out.

After a failure no further batch starts: the ones in flight finish (and are recorded by their sender),
those waiting are dropped (their records stay unsent in the ledger, so the next push sends them), and
the error is raised to the caller at its next `put`, `drain` or at `close`. After a signal
(`erpload.interrupts`) likewise.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from erpload import interrupts

T = TypeVar("T")

#: how often a caller waiting to queue (or to drain) looks for a signal
_LOOK_S = 0.05


class SendPool(Generic[T]):
    def __init__(self, send: Callable[[T], None], workers: int = 1, name: str = "erpload-send") -> None:
        if workers < 1:
            raise ValueError(f"a send pool needs at least one worker, not {workers}")
        self._send = send
        self._queue: queue.Queue[T | None] = queue.Queue(maxsize=workers)
        self._error: BaseException | None = None
        self._unfinished = 0  # handed over and neither sent nor dropped yet
        self._idle = threading.Condition()
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
                         for n in range(workers)]
        for thread in self._threads:
            thread.start()

    @property
    def workers(self) -> int:
        return len(self._threads)

    def put(self, item: T) -> None:
        """Hand `item` over (blocks while every worker is busy and one item waits per worker); raises an earlier
        failure, or `Interrupted` when a signal comes while it waits."""
        self._raise_if_failed()
        with self._idle:
            self._unfinished += 1
        while True:
            try:
                interrupts.raise_if_requested()
            except BaseException:
                self._finished()
                raise
            try:
                self._queue.put(item, timeout=_LOOK_S)
                return
            except queue.Full:
                continue

    def drain(self) -> None:
        """Wait until every item handed over is sent or dropped; raise a failure, if any."""
        with self._idle:
            while self._unfinished and not interrupts.hard():  # a second signal: no waiting for the vendor
                self._idle.wait(_LOOK_S)
        self._raise_if_failed()

    def close(self, *, raise_error: bool = True) -> None:
        """Wait until everything handed over is sent (or dropped after a failure); raise the failure, if any."""
        if any(t.is_alive() for t in self._threads) and not interrupts.hard():
            for _ in self._threads:
                self._queue.put(None)
            for thread in self._threads:
                thread.join()
        if raise_error:
            self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _finished(self) -> None:
        with self._idle:
            self._unfinished -= 1
            self._idle.notify_all()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                if self._error is None and interrupts.requested() is None:  # else dropped: no new batch starts
                    self._send(item)
            except BaseException as exc:  # handed to the caller's thread
                if self._error is None:
                    self._error = exc
            finally:
                self._finished()
