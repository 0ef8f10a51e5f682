"""One HTTP client policy for every vendor: retries, throttling, bounded waits and errors that say what to fix.

- 429: wait as long as `Retry-After` says (seconds or an HTTP date). Without it, or when it says 0 or a
  date already past, back off from `min_backoff_s`, doubling with jitter: never a hot loop.
- 5xx and a dropped connection: retried only when the request is safe to repeat (`safe=True`:
  reads, and writes the vendor applies as upserts). An unsafe request whose answer was lost raises
  `OutcomeUnknown`: the caller must find out what happened before sending again.
- 401/403: `VendorAuthError` at once; 4xx: `VendorRefused` with the vendor's answer.
- Every wait is bounded: one request, its answers and back-offs included, takes at most `max_wait_s`;
  a `Retry-After` beyond what is left fails at once and says what the vendor asked for.

Every message names the vendor and its host (`d.velop (tenant.d-velop.cloud)`): with several systems side
by side, which one failed is the first question. Secrets never reach a message: every text goes through
`erpload.redact`, and the API key is registered with it when a client is built.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

import dlt
import httpx

from erpload import interrupts
from erpload.errors import ConfigError, ErploadError
from erpload.push.pacing import Pacer
from erpload.redact import redact


class VendorError(ErploadError):
    """A vendor API could not be used."""


class VendorAuthError(VendorError):
    """The vendor refused the credentials."""


class VendorUnavailable(VendorError):
    """The vendor kept failing (5xx, throttling, network) beyond the retry policy."""


class OutcomeUnknown(VendorError):
    """An unsafe request may or may not have reached the vendor."""


class VendorRefused(VendorError):
    """The vendor answered 4xx: the request itself is wrong (a contract error or invalid data)."""

    def __init__(self, message: str, *, status: int, body: Any, hint: str | None = None) -> None:
        self.status = status
        self.body = body
        super().__init__(message, hint=hint)


@dataclass(frozen=True)
class RetryPolicy:
    """How long a client keeps trying; `load_retry_policy` reads it from a destination's config section."""

    attempts: int = 6              # tries per request for 5xx and dropped connections (safe requests only)
    min_backoff_s: float = 1.0     # first wait without a usable Retry-After; doubles each time, with jitter
    max_backoff_s: float = 30.0    # the longest single back-off erpload chooses itself
    max_wait_s: float = 300.0      # the most one request may take: its answers, 429 waits and retries

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.min_backoff_s <= 0 or self.max_wait_s <= 0:
            raise ValueError(f"{self} never sends or never waits")
        if self.max_backoff_s < self.min_backoff_s:
            raise ValueError(f"{self}: max_backoff_s is below min_backoff_s")

    def backoff(self, attempt: int) -> float:
        """The wait before retry number `attempt` (1, 2, ...): `min_backoff_s` doubling, plus up to half again
        as jitter (spreading parallel clients instead of synchronising them), capped at `max_backoff_s`.

        >>> RetryPolicy(min_backoff_s=1.0).backoff(1) >= 1.0
        True
        >>> RetryPolicy(min_backoff_s=1.0, max_backoff_s=5.0).backoff(10)
        5.0
        """
        base = self.min_backoff_s * 2.0 ** min(max(attempt, 1) - 1, 30)
        return min(self.max_backoff_s, base * random.uniform(1.0, 1.5))


def load_retry_policy(section: str) -> RetryPolicy:
    """The policy under `[<section>]` in .dlt/config.toml (`attempts`, `min_backoff_s`, `max_backoff_s`,
    `max_wait_s`; any left out keeps its default)."""
    values: dict[str, Any] = {}
    for field in fields(RetryPolicy):
        raw: object = dlt.config.get(f"{section}.{field.name}")
        if raw is None:
            continue
        try:
            number = int(raw) if field.name == "attempts" else float(raw)  # type: ignore[call-overload,arg-type]
        except (TypeError, ValueError):
            number = 0
        if number <= 0:
            raise ConfigError(f"{section}.{field.name} is {raw!r}, not a positive number",
                              hint=f"set it in .dlt/config.toml under [{section}], e.g. "
                                   f"{field.name} = {field.default}")
        values[field.name] = number
    try:
        return RetryPolicy(**values)
    except ValueError as exc:
        raise ConfigError(f"the retry settings under [{section}] do not fit together: {exc}",
                          hint=f"set max_backoff_s at least as high as min_backoff_s under [{section}] in "
                               ".dlt/config.toml") from exc


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date (0 when it is past). None when absent or unreadable.

    >>> retry_after_seconds("3")
    3.0
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT")
    0.0
    >>> retry_after_seconds(None) is None
    True
    """
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def host_of(base_url: str) -> str:
    """The host (and a port other than the scheme's default) of a base URL, for messages.

    >>> host_of("https://tenant.d-velop.cloud/smartinvoice")
    'tenant.d-velop.cloud'
    >>> host_of("http://127.0.0.1:8123")
    '127.0.0.1:8123'
    """
    url = httpx.URL(base_url)
    return f"{url.host}:{url.port}" if url.port else url.host


class VendorClient:
    """An httpx client with the policy above; vendor clients build their calls on `request`.

    Thread-safe: senders with `concurrency > 1` share one client (httpx's pool is thread-safe, the counters
    are kept under a lock).

    Args:
        vendor: the vendor's name in messages (`d.velop`); `who` adds the host.
        section: the config section holding the retry settings, named in hints (`destination.dvelop`).
    """

    def __init__(self, vendor: str, base_url: str, headers: dict[str, str], *, policy: RetryPolicy | None = None,
                 timeout_s: float = 60.0, sleep: Callable[[float], None] = interrupts.sleep,
                 auth_hint: str = "check the API key", section: str | None = None, pacer: Pacer | None = None) -> None:
        self.vendor = vendor
        self._pacer = pacer
        self.who = f"{vendor} ({host_of(base_url)})"
        self.policy = policy or RetryPolicy()
        self.auth_hint = auth_hint
        self.section = section
        self._sleep = sleep
        self._lock = threading.Lock()
        # for the run summary: requests sent (polls among them), seconds waiting for their answers, backing off
        # after 429/5xx, and pausing between polls; 429 answers ridden out; requests sent again after a 5xx or a
        # dropped connection; the most requests in flight at once (waits are summed over them)
        self.requests = 0
        self.polls = 0
        self.answer_s = 0.0
        self.backoff_s = 0.0
        self.poll_pause_s = 0.0
        self.pace_s = 0.0  # held back by the pacer, to stay under the vendor's documented rate
        self.throttled = 0
        self.retried = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VendorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def waiting_s(self) -> float:
        """Every second spent waiting on the vendor: for answers, backing off, and between polls."""
        with self._lock:
            return self.answer_s + self.backoff_s + self.poll_pause_s + self.pace_s

    def traffic(self) -> str:
        """The requests so far, in a line for the run summary."""
        with self._lock:
            line = (f"{self.who}: {self.requests:,} request(s)"
                    + (f" ({self.polls:,} of them status polls)" if self.polls else "")
                    + f", {self.answer_s:.1f} s waiting for answers, {self.backoff_s:.1f} s backing off"
                    + (f", {self.poll_pause_s:.1f} s between polls" if self.polls else "")
                    + (f", {self.pace_s:.1f} s pacing to stay under its rate limit" if self.pace_s else "")
                    + f" ({self.answer_s + self.backoff_s + self.poll_pause_s + self.pace_s:.1f} s waiting in all"
                    + (f", summed over up to {self.peak_in_flight} requests in flight" if self.peak_in_flight > 1
                       else "") + ")")
            if self.throttled:
                line += f"; {self.throttled:,} answered 429 Too Many Requests and were sent again after the wait"
            if self.retried:
                line += f"; {self.retried:,} sent again after a 5xx answer or a dropped connection"
        return line

    def _count(self, **add: float) -> None:
        with self._lock:
            for name, value in add.items():
                setattr(self, name, getattr(self, name) + value)

    @contextmanager
    def _sending(self) -> Iterator[None]:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self.in_flight -= 1
                self.answer_s += elapsed

    def _wait(self, seconds: float, counter: str) -> None:
        """Sleep (a signal cuts it short) and count the time actually spent."""
        started = time.perf_counter()
        try:
            self._sleep(seconds)
        finally:
            self._count(**{counter: time.perf_counter() - started})

    def pause_between_polls(self, seconds: float) -> None:
        """Wait before the next status poll of a job or task; counted as waiting in the summary."""
        self._wait(seconds, "poll_pause_s")

    def count_poll(self) -> None:
        """Count the request about to be sent as a status poll (shown in the summary)."""
        self._count(polls=1)

    def _limit_hint(self) -> str:
        where = f"[{self.section}]" if self.section else "the destination's section"
        return f"run the push again later, or raise max_wait_s under {where} in .dlt/config.toml"

    def request(self, method: str, path: str, *, safe: bool, json: Any = None, content: bytes | None = None,
                headers: dict[str, str] | None = None, params: dict[str, str] | None = None,
                data: dict[str, Any] | None = None, files: Any = None,
                max_wait_s: float | None = None, answered: frozenset[int] = frozenset()) -> httpx.Response:
        """Send one request under the policy; returns a 2xx response or raises a `VendorError`.

        `max_wait_s` lowers the policy's bound for this request (e.g. what is left of a job's timeout).
        `answered`: 4xx statuses returned as they are, for a client that reads the vendor's own error codes
        (Telecom X tells an expired token from a missing right only in its body)."""
        limit = self.policy.max_wait_s if max_wait_s is None else min(max_wait_s, self.policy.max_wait_s)
        what = f"{method} {path}"
        spent = 0.0  # this request's answers and back-offs (the back-offs as planned, so a test's sleep counts)
        failures = throttles = 0
        while True:
            if self._pacer is not None:
                self._pacer.pass_gate(lambda seconds: self._wait(seconds, "pace_s"))
            started = time.perf_counter()
            try:
                with self._sending():
                    response = self._http.request(method, path, json=json, content=content, headers=headers,
                                                  params=params, data=data, files=files)
            except httpx.TransportError as exc:
                spent += time.perf_counter() - started
                if not safe:
                    raise OutcomeUnknown(
                        f"{self.who}: the connection broke during {what} ({type(exc).__name__}); "
                        "the vendor may or may not have received it",
                        hint="run the push again: erpload asks the vendor before it sends anything twice") from exc
                failures += 1
                reason = f"{type(exc).__name__}: {exc}"
            else:
                spent += time.perf_counter() - started
                if response.is_success or response.status_code in answered:
                    return response
                if response.status_code == 429:
                    throttles += 1
                    spent += self._throttle(response, what, throttles, spent, limit)
                    continue
                self._raise_refusal(response, what, safe)
                failures += 1
                reason = f"{response.status_code} {response.reason_phrase}"
            if failures >= self.policy.attempts:
                raise VendorUnavailable(f"{self.who} failed {failures} times on {what}: {reason}",
                                        hint="check that the vendor's API is up (base_url), then run the push "
                                             "again; nothing acknowledged is sent twice")
            delay = self.policy.backoff(failures)
            if spent + delay > limit:
                raise VendorUnavailable(
                    f"{self.who} failed {failures} time(s) on {what} ({reason}); the next try, {delay:.1f} s "
                    f"later, would pass the limit of {limit:g} s per request ({spent:.1f} s spent)",
                    hint=self._limit_hint())
            self._count(retried=1)
            self._wait(delay, "backoff_s")
            spent += delay

    def _throttle(self, response: httpx.Response, what: str, throttles: int, spent: float, limit: float) -> float:
        """Wait out a 429 as the vendor asks (never less than the policy's first back-off) and return the wait,
        or raise when the wait would pass `limit`."""
        self._count(throttled=1)
        asked = retry_after_seconds(response.headers.get("retry-after"))
        # 0 or a date already past would be a hot loop (720,000 requests in 10 minutes, issue 15): back off
        usable = asked is not None and asked >= self.policy.min_backoff_s
        delay = asked if usable and asked is not None else self.policy.backoff(throttles)
        if spent + delay <= limit:
            self._wait(delay, "backoff_s")
            return delay
        if usable:
            raise VendorUnavailable(
                f"{self.who} answered 429 Too Many Requests to {what} and asked to wait {asked:.0f} s "
                f"(Retry-After: {response.headers.get('retry-after')}); erpload waits at most {limit:g} s per "
                f"request and {spent:.1f} s of them are spent", hint=self._limit_hint())
        raise VendorUnavailable(
            f"{self.who} answered 429 Too Many Requests to {what} {throttles} time(s) in {spent:.1f} s; the next "
            f"try, {delay:.1f} s later, would pass the limit of {limit:g} s per request",
            hint=self._limit_hint())

    def _raise_refusal(self, response: httpx.Response, what: str, safe: bool) -> None:
        """Raise what a non-2xx, non-429 answer means; return when it is a 5xx worth retrying."""
        status = response.status_code
        if status in (401, 403):
            raise VendorAuthError(f"{self.who} refused the credentials ({status} on {what})", hint=self.auth_hint)
        if status < 500:
            raise VendorRefused(
                f"{self.who} refused {what} with {status}: {redact(str(_body(response)))[:300]}",
                status=status, body=_body(response),
                hint="the request does not fit the vendor's contract; see the answer above")
        if not safe:
            raise OutcomeUnknown(f"{self.who} answered {status} to {what}; it may have applied it anyway",
                                 hint="run the push again: erpload asks the vendor first")


def unwrap_vendor_error(exc: BaseException) -> ErploadError | None:
    """The erpload error a dlt failure wraps (dlt nests it a few levels deep), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ErploadError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
