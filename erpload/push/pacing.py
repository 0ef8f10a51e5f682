"""Keeping under a vendor's documented request rate before it answers 429 (Papershift's Pulse: 300 requests a
minute per address, vendor-apis.md section 1): a sliding window over the requests sent. A 429 still costs a
round trip and a wait the vendor picks; pacing costs only the wait, and only when the window is full."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class Pacer:
    """At most `limit` requests in any `window_s` seconds.

    >>> now = [0.0]
    >>> pacer = Pacer(2, 10.0, clock=lambda: now[0])
    >>> pacer.reserve(), pacer.reserve(), pacer.reserve()  # the third waits for the first to leave the window
    (0.0, 0.0, 10.0)
    >>> now[0] = 4.0; pacer.reserve()  # the second (sent at 0.0) leaves the window at 10.0
    6.0
    >>> now[0] = 25.0; pacer.reserve()  # a quiet window: at once
    0.0
    """

    def __init__(self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError(f"a pace of {limit} requests in {window_s} s lets nothing through")
        self.limit, self.window_s, self._clock = limit, window_s, clock
        self._sent: deque[float] = deque()  # the times the last `limit` requests go (or went) out
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next request's place; returns how long to wait before sending it (0: at once)."""
        with self._lock:
            now = self._clock()
            start = now
            if len(self._sent) >= self.limit:
                start = max(now, self._sent[-self.limit] + self.window_s)
            self._sent.append(start)
            while len(self._sent) > self.limit:
                self._sent.popleft()
            return start - now
