"""A request rate that is never exceeded, shared by every thread of a client.

A token bucket lets a full bucket go out at once and then refills, so it can start twice its rate within one
second. This limiter keeps the start times of the last `n` requests instead: a request may start only one
window after the n-th request before it, so any window holds at most `n` starts. Each caller reserves its
slot under a lock and then sleeps outside it, so waiting threads are served in order without a stampede.

The window is padded by `margin_s`: the vendor counts arrivals, which network and scheduling jitter can
bring closer together than the moments we sent them. 50 ms was not enough on a loaded 2-core machine against
the fake on loopback (bench.maesn_push at a binding 40/s: up to 49 arrivals in one second, 17 answered 429);
150 ms held (40 at most, no 429), for about 8 % less throughput at the limit.

The wait is a plain sleep, not one a signal cuts short: it is bounded (a few windows at most, with as many
threads as a sender runs), and a request that waited for its slot is then sent and answered, so Ctrl-C stops a
push after the proposals in flight instead of leaving them half-sent, without knowing whether they went out.

>>> clock = iter([0.0, 0.0, 0.0]).__next__
>>> waits = []
>>> limiter = RateLimiter(2, margin_s=0.0, clock=clock, sleep=waits.append)
>>> [limiter.acquire() for _ in range(3)], waits
([0.0, 0.0, 1.0], [1.0])
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """At most `per_second` request starts in any one-second window, across all threads."""

    def __init__(self, per_second: float, *, margin_s: float = 0.15, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        # n starts per window; a rate below one a second becomes one start per 1/rate seconds
        self._n = max(1, math.floor(per_second))
        self._window = self._n / per_second + margin_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._starts: collections.deque[float] = collections.deque(maxlen=self._n)
        self.waited_s = 0.0  # total time callers spent waiting for a slot (for the run summary)

    def acquire(self) -> float:
        """Wait for this caller's slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = now
            if len(self._starts) == self._n:
                slot = max(now, self._starts[0] + self._window)
            self._starts.append(slot)  # the deque's maxlen drops the oldest start
            wait = slot - now
            self.waited_s += wait
        if wait > 0:
            self._sleep(wait)
        return wait
