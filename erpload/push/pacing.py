"""Keeping under a vendor's documented request rate before it answers 429 (Maesn: requests started per second,
vendor-apis.md section 3; Papershift's Pulse: 300 a minute per address, section 1).

A token bucket lets a full bucket go out at once and then refills, so it can start twice its rate within one
window. The pacer keeps the times the last `limit` requests went out instead: a request goes only when the
`limit`-th one before it is one window old, so no window holds more than `limit`.

Those times are when each request passed the gate, not when it was planned to. A waiting thread that wakes late
(a loaded machine oversleeps by hundreds of milliseconds) would otherwise go out late while the requests planned
after it keep their earlier places, and the vendor sees them closer together than planned: 11 in one second at
a limit of 10, seen once in CI with eight threads.

The window is padded by `margin_s`, because the vendor counts arrivals, which network and scheduling jitter
still bring closer together than the moments we sent them: 50 ms was not enough on a loaded 2-core machine
against the Maesn fake on loopback (bench.maesn_push at a binding 40/s: up to 49 arrivals in one second, 17
answered 429); 150 ms held, for about 8 % less throughput at the limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

MARGIN_S = 0.15


class Pacer:
    """At most `limit` requests in any `window_s` seconds, across all threads.

    >>> now = [0.0]
    >>> pacer = Pacer(2, 10.0, margin_s=0.0, clock=lambda: now[0])
    >>> pacer.wait_s(), pacer.wait_s(), pacer.wait_s()  # the third must wait for the first to leave the window
    (0.0, 0.0, 10.0)
    >>> now[0] = 4.0; pacer.wait_s()  # still 6 s to go: waiting was not going
    6.0
    >>> now[0] = 11.5; pacer.wait_s(), pacer.wait_s()  # it overslept: the window counts from when it went
    (0.0, 0.0)
    >>> pacer.wait_s()  # the two that just went fill the window until 21.5
    10.0
    """

    def __init__(self, limit: int, window_s: float, *, margin_s: float = MARGIN_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError(f"a pace of {limit} requests in {window_s} s lets nothing through")
        self.limit, self.window_s = limit, window_s
        self._span = window_s + margin_s
        self._clock = clock
        self._sent: deque[float] = deque(maxlen=limit)  # when the last `limit` requests passed the gate
        self._lock = threading.Lock()
        self.waited_s = 0.0  # what callers of `pass_gate` slept, all threads together (for the run summary)

    @classmethod
    def per_second(cls, rate: float, *, margin_s: float = MARGIN_S,
                   clock: Callable[[], float] = time.monotonic) -> Pacer:
        """A rate in requests started per second; below one a second, one request per 1/rate seconds."""
        if rate <= 0:
            raise ValueError(f"a rate of {rate} requests per second lets nothing through")
        limit = max(1, math.floor(rate))
        return cls(limit, limit / rate, margin_s=margin_s, clock=clock)

    @property
    def per_second_rate(self) -> float:
        return self.limit / self.window_s

    def wait_s(self) -> float:
        """0: the request may go now, and is counted as gone. Otherwise how long to wait before asking again."""
        with self._lock:
            now = self._clock()
            if len(self._sent) == self.limit and (free_at := self._sent[0] + self._span) > now:
                return free_at - now
            self._sent.append(now)  # the deque's maxlen drops the oldest
            return 0.0

    def pass_gate(self, sleep: Callable[[float], None]) -> float:
        """Wait (with `sleep`) until a request may go and count it as gone; returns the seconds slept.

        Each thread asks again after its sleep, so one that wakes late is counted from when it really went."""
        waited = 0.0
        while (wait := self.wait_s()) > 0:
            sleep(wait)
            waited += wait
        if waited:
            with self._lock:
                self.waited_s += waited
        return waited
