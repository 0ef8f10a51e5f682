"""Ctrl-C (SIGINT) and SIGTERM: a command stops at the next safe point, records its run and exits 130 or 143.

    handling()     installs the handlers for a command and restores the previous ones after it (main thread;
                   nested uses share one installation); an error a signal caused leaves it as `Interrupted`
    Interrupted    what a signal raises: carries the signal, its name and the exit code
    deferred()     a region the first signal does not break into: it is raised when the region ends
    requested()    the signal received so far, for threads that stop at their own safe points
    hard()         a second signal came: stop waiting for threads
    cancels(con)   a DuckDB connection whose query in progress a signal cancels
    sleep(s)       a wait that a signal cuts short, raising `Interrupted`

The first signal is remembered and raised in the main thread at once, unless a deferred region runs. That is
safe because every write to the staging file is a transaction: a query in progress on a connection opened with
`cancels` is cancelled (`con.interrupt()` from a watcher thread, woken through `signal.set_wakeup_fd`, because
Python runs the handler only when the main thread is back from DuckDB, and DuckDB does not always look for
signals itself); DuckDB answers "Interrupted!", which `handling` turns back into `Interrupted`, and rolls back
what is not committed. dlt's steps run in deferred regions: the signal is passed on to dlt, whose extract stops
at its next item and whose normalize and load drain the jobs running and stop there, so a load into DuckDB ends
consistently and the next run finishes the package. (dlt's own handlers are switched off: they would keep the
first signal to themselves and forget it when a step ends.) Threads (the push's sender, a poll loop waiting on a
vendor) read `requested()` and stop after the batch in hand.

A second signal is raised at once wherever the main thread is, deferred or not: the clean-up stops, DuckDB
rolls back. A third ends the process on the spot, like `kill -9`, which DuckDB's write-ahead log survives.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import dlt
import duckdb
from dlt.common.runtime import signals as dlt_signals

from erpload.exit_codes import ExitCode

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class Interrupted(BaseException):
    """A signal stopped the command. A BaseException, like KeyboardInterrupt: `except Exception` lets it pass."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {self.name}")

    @property
    def name(self) -> str:
        return _NAMES.get(signal.Signals(self.signum), signal.Signals(self.signum).name)

    @property
    def exit_code(self) -> int:
        return ExitCode.TERMINATED if self.signum == signal.SIGTERM else ExitCode.INTERRUPTED


class _State:
    """One per process: the handlers are process-wide, and so is what they received."""

    def __init__(self) -> None:
        self.depth = 0  # nested `handling` uses
        self.previous: dict[int, Any] = {}
        self.received: int | None = None  # the first signal of this command
        self.count = 0
        self.deferring = 0  # nested `deferred` regions
        self.event = threading.Event()  # wakes waiting threads
        self.seen = 0  # signals the watcher saw (it may see one before the handler runs)
        self.cancellable: list[duckdb.DuckDBPyConnection] = []


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    _state.count += 1
    if _state.count >= 3:
        os.write(2, b"\nerpload: stopped at once (third signal); the staging file keeps what was committed\n")
        os._exit(int(Interrupted(signum).exit_code))
    if _state.received is None:
        _state.received = signum
        _tell_dlt(signum)
        _state.event.set()  # (never waited on by the main thread, so no lock it holds is needed here)
    if _state.count >= 2 or not _state.deferring:
        raise Interrupted(_state.received)


def _tell_dlt(signum: int) -> None:
    """dlt's extract, normalize and load stop at their checkpoints when its flag is set (see module doc)."""
    dlt_signals.set_received_signal(signum)
    dlt_signals.wake_all()


@contextmanager
def _signal_errors_as_interrupted() -> Iterator[None]:
    """An error raised because a signal came leaves as `Interrupted`; others pass unchanged."""
    try:
        yield
    except Interrupted:
        raise
    except BaseException as exc:
        _raise_if_requested(exc)
        raise


@contextmanager
def handling() -> Iterator[None]:
    """Handle SIGINT and SIGTERM for the command inside; an error raised because a signal came (DuckDB's
    "Query interrupted", dlt's SignalReceivedException wrapped in a step failure, ...) leaves as `Interrupted`.

    Off the main thread (where Python delivers no signals) it only converts."""
    install = threading.current_thread() is threading.main_thread() and _state.depth == 0
    watcher = None
    if install:
        dlt.config["runtime.intercept_signals"] = False  # ours pass the signal on (see module doc)
        _state.previous = {sig: signal.signal(sig, _handler) for sig in SIGNALS}
        watcher = _Watcher()
    _state.depth += 1
    try:
        with _signal_errors_as_interrupted():
            yield
        _raise_if_requested(None)
    finally:
        _state.depth -= 1
        if install:
            assert watcher is not None
            watcher.stop()
            for sig, previous in _state.previous.items():
                signal.signal(sig, previous)
            _reset()


class _Watcher:
    """A thread woken by every signal (Python writes its number to the wakeup fd at once, whatever the main thread
    does) that cancels the DuckDB queries in progress, unless a deferred region holds the first signal."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._previous_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._thread = threading.Thread(target=self._watch, name="erpload-signals", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while data := os.read(self._read, 64):
            for signum in data:
                if signum not in SIGNALS:
                    continue
                _state.seen += 1
                if _state.seen >= 2 or not _state.deferring:
                    for con in list(_state.cancellable):
                        with contextlib.suppress(Exception):  # closed meanwhile: nothing to cancel
                            con.interrupt()

    def stop(self) -> None:
        signal.set_wakeup_fd(self._previous_fd)
        os.close(self._write)  # the thread reads the end of the pipe and ends
        self._thread.join(timeout=5)
        os.close(self._read)


@contextmanager
def cancels(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """While inside, a signal cancels the query `con` is running (see module doc)."""
    _state.cancellable.append(con)
    try:
        yield con
    finally:
        _state.cancellable.remove(con)


def _raise_if_requested(exc: BaseException | None) -> None:
    signum = _state.received if _state.received is not None else signal_in(exc)
    if signum is not None:
        raise Interrupted(signum) from exc


def signal_in(exc: BaseException | None) -> int | None:
    """The signal an exception (or one it was raised from) stands for, if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, Interrupted):
            return exc.signum
        code = getattr(exc, "signal_code", None)  # dlt's SignalReceivedException
        if isinstance(code, int) and code > 0:
            return code
        if isinstance(exc, KeyboardInterrupt):
            return signal.SIGINT
        exc = exc.__cause__ or exc.__context__
    return None


def _reset() -> None:
    _state.received = None
    _state.count = 0
    _state.seen = 0
    _state.deferring = 0
    _state.event.clear()
    dlt_signals.set_received_signal(0)


@contextmanager
def deferred() -> Iterator[None]:
    """A region the first signal does not break into (dlt's steps, a commit and the files it records): the
    signal is raised when the region ends, or as it ends with an error the signal caused."""
    _state.deferring += 1
    try:
        with _signal_errors_as_interrupted():
            yield
    finally:
        _state.deferring -= 1
    _raise_if_requested(None)


def requested() -> int | None:
    """The signal received by the command running, None if none: for threads to stop at their own safe points."""
    return _state.received


def hard() -> bool:
    """A second signal came: clean-up stops waiting (e.g. for a vendor that does not answer)."""
    return _state.count >= 2


def raise_if_requested() -> None:
    """Raise `Interrupted` if a signal came: a thread's safe point."""
    if _state.received is not None:
        raise Interrupted(_state.received)


def sleep(seconds: float) -> None:
    """Wait `seconds`, or less when a signal comes, then raise `Interrupted`."""
    if threading.current_thread() is threading.main_thread():
        time.sleep(seconds)  # the handler raises here (the main thread never waits on the event)
    else:
        _state.event.wait(seconds)
    raise_if_requested()
