"""dlt's pipeline steps as progress: after extract's bars reach their totals, dlt still normalises and loads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlt.common.runtime.collector_base import Collector

#: what each dlt step after reading does, as the progress line says it
_SAID = {"normalize": "dlt normalises the rows read", "load": "dlt loads them into staging"}


class DltPhases(Collector):
    """A dlt progress collector that tells `show` when dlt starts normalising and loading (no counts: dlt's own
    counters are files and jobs, not rows)."""

    def __init__(self) -> None:
        self.step = ""
        self.show: Callable[[str], None] = lambda label: None

    def on_start_trace_step(self, trace: Any, step: Any, pipeline: Any) -> None:
        if str(step) in _SAID:
            self.show(_SAID[str(step)])

    def update(self, name: str, inc: int = 1, total: int | None = None, inc_total: int | None = None,
               message: str | None = None, label: str | None = None) -> None:
        pass

    def _start(self, step: str) -> None:
        pass

    def _stop(self) -> None:
        pass
