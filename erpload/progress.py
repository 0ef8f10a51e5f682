"""Progress on long work, on stderr only, and only when stderr is a terminal.

`Progress`: one bar per table against an expected row count (extract, push), plus a line for a phase that
has no count (dlt's normalise and load). `Steps`: a line for work done step by step (map's entities, a
transform's tables, an export's files): the step in hand, how many are done, the time so far.

`TTY_COMPATIBLE=1` (rich's setting) shows progress where stderr is no terminal, `TTY_COMPATIBLE=0` hides it on
one. stdout never gets progress, so a summary piped to a file stays clean.
"""

from __future__ import annotations

import os
import sys
from contextvars import ContextVar
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress


def shown(requested: bool = True) -> bool:
    """Whether progress shows: asked for (no --quiet) and stderr is a terminal, or said to be one."""
    setting = os.environ.get("TTY_COMPATIBLE", "")
    if not requested or setting == "0":
        return False
    return setting == "1" or sys.stderr.isatty()


def _console() -> Console:
    # forced to a terminal: `shown` decided already (rich would otherwise draw nothing live)
    return Console(stderr=True, force_terminal=True)


class Progress:
    """Rows done per table against an expected total; silent when disabled or not on a terminal."""

    def __init__(self, title: str, totals: dict[str, int], *, enabled: bool = True) -> None:
        self._enabled = shown(enabled)
        self._totals = totals
        self._bar = RichProgress(
            TextColumn(f"[bold]{title}[/] {{task.description}}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=_console(),
            transient=True,
            disable=not self._enabled,
        )
        self._tasks = {name: self._bar.add_task(name, total=total or None) for name, total in totals.items()}
        self._phase: TaskID | None = None

    def advance(self, name: str, rows: int) -> None:
        if self._enabled and name in self._tasks:
            self._bar.advance(self._tasks[name], rows)

    def phase(self, label: str) -> None:
        """Work after (or between) the counted rows, without a count of its own, e.g. dlt's load."""
        if not self._enabled:
            return
        if self._phase is None:
            self._phase = self._bar.add_task(label, total=None)
        else:
            self._bar.update(self._phase, description=label)
        self._bar.refresh()

    def __enter__(self) -> Progress:
        self._bar.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._bar.__exit__(exc_type, exc, tb)


#: the `Steps` line of the run in hand: code deep in a step says what it works on without being handed it
_active: ContextVar[Steps | None] = ContextVar("erpload_steps", default=None)


class Steps:
    """One line for a run made of steps: the step in hand, steps done (of how many, once known), time so far."""

    def __init__(self, title: str, *, enabled: bool = True) -> None:
        self._enabled = shown(enabled)
        self._bar = RichProgress(
            SpinnerColumn(),
            TextColumn(f"[bold]{title}[/] {{task.description}}"),
            TextColumn("{task.fields[done]}"),
            TimeElapsedColumn(),
            console=_console(),
            transient=True,
            disable=not self._enabled,
        )
        self._task = self._bar.add_task("", total=None, done="")
        self._done = 0
        self._total: int | None = None

    def expect(self, total: int) -> None:
        """How many steps there will be."""
        self._total = total
        self._show()

    def start(self, label: str) -> None:
        """The step now in hand."""
        if self._enabled:
            self._bar.update(self._task, description=label, refresh=True)

    def finished(self, label: str) -> None:
        """One step done (its table or file, named until the next one starts)."""
        self._done += 1
        if self._enabled:
            self._bar.update(self._task, description=f"{label} done")
        self._show()
        if self._enabled:
            self._bar.refresh()  # a step at a time, so each is seen however quick (a line is cheap to draw)

    def _show(self) -> None:
        if self._enabled:
            of = f"/{self._total}" if self._total is not None else ""
            self._bar.update(self._task, done=f"({self._done}{of})")

    def __enter__(self) -> Steps:
        self._token = _active.set(self)
        self._bar.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        _active.reset(self._token)
        self._bar.__exit__(exc_type, exc, tb)


def step(label: str) -> None:
    """Say which step the run in hand now works on (nothing when no progress line is shown)."""
    line = _active.get()
    if line is not None:
        line.start(label)


def expect_steps(total: int) -> None:
    """Say how many steps the run in hand has (nothing when no progress line is shown)."""
    line = _active.get()
    if line is not None:
        line.expect(total)

