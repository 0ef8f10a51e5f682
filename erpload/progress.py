"""Progress on long work: one bar per table, on stderr, only when it is a terminal (or forced)."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress


class Progress:
    """Rows done per table against an expected total; silent when disabled or not on a terminal."""

    def __init__(self, title: str, totals: dict[str, int], *, enabled: bool = True) -> None:
        self._enabled = enabled and sys.stderr.isatty()
        self._totals = totals
        self._bar = RichProgress(
            TextColumn(f"[bold]{title}[/] {{task.description}}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            disable=not self._enabled,
        )
        self._tasks = {name: self._bar.add_task(name, total=total or None) for name, total in totals.items()}

    def advance(self, name: str, rows: int) -> None:
        if self._enabled and name in self._tasks:
            self._bar.advance(self._tasks[name], rows)

    def __enter__(self) -> Progress:
        self._bar.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._bar.__exit__(exc_type, exc, tb)
