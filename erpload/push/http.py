"""One HTTP client policy for every vendor: retries, throttling and errors that say what to fix.

- 429: wait as long as `Retry-After` says (seconds or an HTTP date); without it, back off
  exponentially with jitter. Throttling is never an error unless it outlasts `max_wait_s`.
- 5xx and a dropped connection: retried only when the request is safe to repeat (`safe=True`:
  reads, and writes the vendor applies as upserts). An unsafe request whose answer was lost raises
  `OutcomeUnknown`: the caller must find out what happened before sending again.
- 401/403: `VendorAuthError` at once; 4xx: `VendorRefused` with the vendor's answer.

Secrets never reach a message: every text goes through `erpload.redact`, and the API key is
registered with it when a client is built.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from erpload import interrupts
from erpload.errors import ErploadError
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
    attempts: int = 6              # tries per request for 5xx and dropped connections (safe requests only)
    backoff_s: float = 0.5         # first wait without Retry-After; doubles each time, with jitter
    max_backoff_s: float = 30.0
    max_wait_s: float = 300.0      # total time a request may spend waiting on 429s and retries

    def backoff(self, attempt: int) -> float:
        """Full jitter: spreads the retries of parallel clients instead of synchronising them."""
        return random.uniform(0, min(self.max_backoff_s, self.backoff_s * 2 ** attempt))


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date. None when absent or unreadable.

    >>> retry_after_seconds("3")
    3.0
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
    return max(0.0, when.timestamp() - time.time())


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


class VendorClient:
    """An httpx client with the policy above; vendor clients build their calls on `request`."""

    def __init__(self, vendor: str, base_url: str, headers: dict[str, str], *, policy: RetryPolicy | None = None,
                 timeout_s: float = 60.0, sleep: Callable[[float], None] = interrupts.sleep,
                 auth_hint: str = "check the API key") -> None:
        self.vendor = vendor
        self.policy = policy or RetryPolicy()
        self.auth_hint = auth_hint
        self._sleep = sleep
        # for the run summary: requests sent, seconds spent waiting for their answers, 429 answers ridden
        # out, requests sent again after a 5xx or a dropped connection
        self.requests = 0
        self.answer_s = 0.0
        self.throttled = 0
        self.retried = 0
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def traffic(self) -> str:
        """The requests so far, in a line for the run summary."""
        line = f"{self.vendor}: {self.requests:,} request(s), {self.answer_s:.1f} s waiting for answers"
        if self.throttled:
            line += f"; {self.throttled:,} answered 429 Too Many Requests and were sent again after the wait"
        if self.retried:
            line += f"; {self.retried:,} sent again after a 5xx answer or a dropped connection"
        return line

    def __enter__(self) -> VendorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, safe: bool, json: Any = None,
                content: bytes | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        """Send one request under the policy; returns a 2xx response or raises a `VendorError`."""
        waited = 0.0
        failures = throttles = 0
        while True:
            self.requests += 1
            started = time.perf_counter()
            try:
                response = self._http.request(method, path, json=json, content=content, headers=headers)
            except httpx.TransportError as exc:
                self.answer_s += time.perf_counter() - started
                if not safe:
                    raise OutcomeUnknown(
                        f"{self.vendor}: the connection broke during {method} {path} ({type(exc).__name__}); "
                        "the vendor may or may not have received it",
                        hint="run the push again: erpload asks the vendor before it sends anything twice") from exc
                failures += 1
                reason = f"{type(exc).__name__}: {exc}"
            else:
                self.answer_s += time.perf_counter() - started
                if response.is_success:
                    return response
                if response.status_code == 429:
                    self.throttled += 1
                    throttles += 1
                    delay = retry_after_seconds(response.headers.get("retry-after"))
                    delay = self.policy.backoff(min(throttles, 8)) if delay is None else delay
                    if waited + delay > self.policy.max_wait_s:
                        raise VendorUnavailable(
                            f"{self.vendor} kept answering 429 Too Many Requests for {waited:.0f} s on "
                            f"{method} {path}", hint="run the push again later, or lower the batch rate")
                    self._sleep(delay)
                    waited += delay
                    continue
                if response.status_code in (401, 403):
                    raise VendorAuthError(f"{self.vendor} refused the credentials ({response.status_code} on "
                                          f"{method} {path})", hint=self.auth_hint)
                if response.status_code < 500:
                    raise VendorRefused(
                        f"{self.vendor} refused {method} {path} with {response.status_code}: "
                        f"{redact(str(_body(response)))[:300]}",
                        status=response.status_code, body=_body(response),
                        hint="the request does not fit the vendor's contract; see the answer above")
                if not safe:
                    raise OutcomeUnknown(
                        f"{self.vendor} answered {response.status_code} to {method} {path}; it may have "
                        "applied it anyway", hint="run the push again: erpload asks the vendor first")
                failures += 1
                reason = f"{response.status_code} {response.reason_phrase}"
            if failures >= self.policy.attempts:
                raise VendorUnavailable(f"{self.vendor} failed {failures} times on {method} {path}: {reason}",
                                        hint="check that the vendor's API is up (base_url), then run the push "
                                             "again; nothing acknowledged is sent twice")
            delay = self.policy.backoff(failures)
            if waited + delay > self.policy.max_wait_s:
                raise VendorUnavailable(f"{self.vendor} did not answer {method} {path} within "
                                        f"{self.policy.max_wait_s:.0f} s: {reason}",
                                        hint="run the push again later")
            self.retried += 1
            self._sleep(delay)
            waited += delay


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
