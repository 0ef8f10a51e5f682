"""Fault knobs shared by every fake, and the counter that decides which call each knob hits.

The knobs are one pydantic model, `Faults`, given when a fake is created and replaced at run time
with `PUT /_fake/faults` (the whole model: knobs left out return to their defaults). Replacing the
knobs, or `POST /_fake/reset`, restarts the call and job counters, so "the n-th call" counts from
the moment the knobs were set.

A *call* is a request to the vendor's own paths (never `/_fake/...`) that matches `match_method`
and `match_path`; calls are numbered 1, 2, 3, ... per fake. Requests that do not match pass
untouched and are not counted. Knobs act before the vendor sees the call (authentication
included), except `drop_on_calls`, which acts after. When several knobs hit one call, the first
of throttle, error, drop wins; latency applies to every call.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class Faults(BaseModel):
    """What goes wrong, and when. The default is a well-behaved vendor."""

    model_config = ConfigDict(extra="forbid")

    match_method: str | None = Field(
        None, description="Only requests with this HTTP method are calls (counted and faulted); None: any."
    )
    match_path: str | None = Field(
        None, description="Only requests whose path starts with this prefix are calls; None: any."
    )
    latency: float = Field(0.0, ge=0, description="Seconds every call waits before it is answered.")
    throttle_after: int | None = Field(
        None, ge=0, description="Calls 1..N pass; later calls are answered 429 (see throttle_count). None: never."
    )
    throttle_count: int | None = Field(
        None, ge=1, description="How many calls after throttle_after get 429 before calls pass again; None: all."
    )
    retry_after: int | None = Field(
        1, ge=0, description="Seconds sent in the Retry-After header of a throttled call; None: no header."
    )
    retry_after_date: bool = Field(
        False,
        description="Send Retry-After as an HTTP date, retry_after seconds from now, instead of a number of seconds; "
        "with retry_after 0 the date has passed by the time the client reads it (dates have whole seconds).",
    )
    error_on_calls: list[int] = Field(
        default_factory=list, description="Calls (1-based) answered with error_status; the vendor never sees them."
    )
    error_status: int = Field(503, ge=500, le=599, description="Status of the calls in error_on_calls.")
    drop_on_calls: list[int] = Field(
        default_factory=list,
        description="Calls (1-based) the vendor processes in full (its state changes) whose connection is then "
        "cut mid-response: headers and half the body, then close. httpx raises RemoteProtocolError.",
    )
    fail_jobs: list[int] = Field(
        default_factory=list, description="Async jobs (1-based, in creation order) that end failed."
    )
    fail_job_fraction: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of async jobs that end failed, spread evenly and deterministically: job n fails "
        "when floor(n * f) > floor((n - 1) * f), so 0.5 fails jobs 2, 4, 6, ... and 1.0 fails every job.",
    )
    job_queued_polls: int = Field(
        1, ge=0, description="Polls of a job answered `queued` before its final status (0: final at once)."
    )
    stuck_jobs: list[int] = Field(
        default_factory=list,
        description="Async jobs (1-based, in creation order) that stay `queued` however often they are polled, "
        "until the knobs are replaced (PUT /_fake/faults) or the fake is reset; then they end as they would have.",
    )
    job_queued_seconds: float | None = Field(
        None,
        ge=0,
        description="When set, replaces job_queued_polls: a job is `queued` until this many seconds after "
        "its creation.",
    )


@dataclass(frozen=True)
class Verdict:
    """What the knobs do to one request. `call` is its call number, None when it is not a call."""

    call: int | None = None
    latency: float = 0.0
    status: int | None = None  # answer this instead of letting the vendor see the request
    retry_after: int | None = None
    retry_after_date: bool = False
    drop: bool = False

    @property
    def fault(self) -> str | None:
        """The knobs that acted, joined with `+` (for the request log)."""
        names = []
        if self.latency:
            names.append("latency")
        if self.status == 429:
            names.append("throttled")
        elif self.status is not None:
            names.append("error")
        if self.drop:
            names.append("dropped")
        return "+".join(names) or None


class FaultController:
    """Holds a fake's `Faults` and counts its calls and jobs; thread-safe."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults or Faults()
        self._calls = 0
        self._jobs = 0

    @property
    def faults(self) -> Faults:
        return self._faults

    def set(self, faults: Faults) -> None:
        """Replace the knobs and restart the call and job counters."""
        with self._lock:
            self._faults = faults
            self._calls = 0
            self._jobs = 0

    def judge(self, method: str, path: str) -> Verdict:
        """Count the request if it is a call and say which knobs hit it."""
        with self._lock:
            f = self._faults
            if f.match_method and method.upper() != f.match_method.upper():
                return Verdict()
            if f.match_path and not path.startswith(f.match_path):
                return Verdict()
            self._calls += 1
            n = self._calls
        if f.throttle_after is not None and n > f.throttle_after and (
            f.throttle_count is None or n <= f.throttle_after + f.throttle_count
        ):
            return Verdict(call=n, latency=f.latency, status=429, retry_after=f.retry_after,
                           retry_after_date=f.retry_after_date)
        if n in f.error_on_calls:
            return Verdict(call=n, latency=f.latency, status=f.error_status)
        return Verdict(call=n, latency=f.latency, drop=n in f.drop_on_calls)

    def next_job(self) -> tuple[bool, bool]:
        """Count one new async job: (whether it is to end failed, whether it is stuck `queued`)."""
        with self._lock:
            self._jobs += 1
            n = self._jobs
            f = self._faults
        spread = math.floor(n * f.fail_job_fraction) > math.floor((n - 1) * f.fail_job_fraction)
        return n in f.fail_jobs or spread, n in f.stuck_jobs

    def next_job_fails(self) -> bool:
        """Count one new async job and say whether it is to end failed."""
        with self._lock:
            self._jobs += 1
            n = self._jobs
            f = self._faults
        spread = math.floor(n * f.fail_job_fraction) > math.floor((n - 1) * f.fail_job_fraction)
        return n in f.fail_jobs or spread
