"""A sleep that records what a vendor client asked to wait, then waits it (through erpload's interruptible
sleep): tests assert the waits the client decided on, not the wall clock (timing belongs in bench/)."""

from __future__ import annotations

from erpload import interrupts


class RecordedWaits:
    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        interrupts.sleep(seconds)

    @property
    def total(self) -> float:
        return sum(self.asked)
