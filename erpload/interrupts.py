"""Ctrl-C (SIGINT) and SIGTERM: a command stops at the next safe point, records its run and exits 130 or 143.

    handling()     installs the handlers for a command and restores the previous ones after it (main thread;
                   nested uses share one installation); an error a signal caused leaves it as `Interrupted`
    Interrupted    what a signal raises: carries the signal, its name and the exit code
    deferred()     a region the first signal does not break into: it is raised when the region ends
    requested()    the signal received so far, for threads that stop at their own safe points
    hard()         a second signal came: stop waiting for threads
    sleep(s)       a wait that a signal cuts short, raising `Interrupted`

The first signal is remembered and raised in the main thread at once, unless a deferred region runs. That is
safe because every write to the staging file is a transaction: DuckDB cancels a query in progress when the
handler raises (it answers "Query interrupted", which `handling` turns back into `Interrupted`) and rolls back
what is not committed. dlt's steps run in deferred regions: the signal is passed on to dlt, whose extract stops
at its next item and whose normalize and load drain the jobs running and stop there, so a load into DuckDB ends
consistently and the next run finishes the package. (dlt's own handlers are switched off: they would keep the
first signal to themselves and forget it when a step ends.) Threads (the push's sender, a poll loop waiting on a
vendor) read `requested()` and stop after the batch in hand.

A second signal is raised at once wherever the main thread is, deferred or not: the clean-up stops, DuckDB
rolls back. A third ends the process on the spot, like `kill -9`, which DuckDB's write-ahead log survives.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import dlt
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
def handling() -> Iterator[None]:
    """Handle SIGINT and SIGTERM for the command inside; an error raised because a signal came (DuckDB's
    "Query interrupted", dlt's SignalReceivedException wrapped in a step failure, ...) leaves as `Interrupted`.

    Off the main thread (where Python delivers no signals) it only converts."""
    install = threading.current_thread() is threading.main_thread() and _state.depth == 0
    if install:
        dlt.config["runtime.intercept_signals"] = False  # ours pass the signal on (see module doc)
        _state.previous = {sig: signal.signal(sig, _handler) for sig in SIGNALS}
    _state.depth += 1
    try:
        yield
        _raise_if_requested(None)
    except Interrupted:
        raise
    except BaseException as exc:
        _raise_if_requested(exc)
        raise
    finally:
        _state.depth -= 1
        if install:
            for sig, previous in _state.previous.items():
                signal.signal(sig, previous)
            _reset()


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
    _state.deferring = 0
    _state.event.clear()
    dlt_signals.set_received_signal(0)


@contextmanager
def deferred() -> Iterator[None]:
    """A region the first signal does not break into (dlt's steps, a commit and the files it records): the
    signal is raised when the region ends, or as it ends with an error the signal caused."""
    _state.deferring += 1
    try:
        yield
    except Interrupted:
        raise
    except BaseException as exc:
        _raise_if_requested(exc)
        raise
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
