"""Honest waits: every wait the vendor client makes is bounded, counted in the summary and named by host.

Real HTTP against the d.velop fake (its fault knobs throttle, fail and delay), the real `DvelopClient`; the
policies are shortened so a test takes a second, not the production minutes.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from datetime import datetime

import pytest

from destinations.dvelop.client import JOB_QUEUED, DvelopClient
from destinations.dvelop.config import DvelopSettings, load_dvelop_settings
from erpload.errors import ConfigError
from erpload.push.http import (
    OutcomeUnknown,
    RetryPolicy,
    VendorAuthError,
    VendorError,
    VendorRefused,
    VendorUnavailable,
    host_of,
)
from tests.fakes.dvelop_examples import EXAMPLES
from tests.push.conftest import API_KEY, BUCKET, DvelopCase

VENDOR = json.dumps(EXAMPLES["vendors"])
#: short waits: the first back-off 0.05 s, the longest 0.4 s, at most 1.5 s per request
QUICK = RetryPolicy(min_backoff_s=0.05, max_backoff_s=0.4, max_wait_s=1.5)


def _client(case: DvelopCase, policy: RetryPolicy = QUICK, *, api_key: str = API_KEY,
            poll_interval_s: float = 0.05, job_timeout_s: float = 5.0) -> DvelopClient:
    settings = DvelopSettings(base_url=case.base_url, bucket_id=BUCKET, api_key=api_key,
                              poll_interval_s=poll_interval_s, job_timeout_s=job_timeout_s, retry=policy)
    return DvelopClient(settings)


def _seconds(traffic: str, what: str) -> float:
    found = re.search(rf"([\d.]+) s {what}", traffic)
    assert found, traffic
    return float(found.group(1))


def test_retry_after_zero_forever_backs_off_and_ends_within_the_bound(dvelop: DvelopCase) -> None:
    dvelop.set_faults(throttle_after=0, retry_after=0, match_method="PUT")
    with _client(dvelop) as client:
        started = time.monotonic()
        with pytest.raises(VendorUnavailable) as raised:
            client.put("vendors", VENDOR)
        elapsed = time.monotonic() - started
        traffic = client.traffic()
    # a hot loop sends thousands in 1.5 s; backing off from 0.05 s, doubling, to 0.4 s leaves room for about six
    sent = len(dvelop.requests(method="PUT"))
    assert 2 <= sent <= 8, sent
    assert elapsed <= QUICK.max_wait_s + 0.5
    message = str(raised.value)
    assert f"d.velop ({host_of(dvelop.base_url)}) answered 429 Too Many Requests to PUT" in message
    assert f"{sent} time(s)" in message
    assert "limit of 1.5 s per request" in message
    assert "max_wait_s under [destination.dvelop]" in message
    assert _seconds(traffic, "backing off") >= 0.05 + 0.1 + 0.2  # the first three back-offs at least


def test_a_retry_after_date_in_the_past_is_a_minimum_back_off(dvelop: DvelopCase) -> None:
    dvelop.set_faults(throttle_after=0, throttle_count=2, retry_after=0, retry_after_date=True, match_method="PUT")
    with _client(dvelop) as client:
        started = time.monotonic()
        client.put("vendors", VENDOR)
        elapsed = time.monotonic() - started
        assert client.throttled == 2
        assert client.backoff_s >= 0.05 + 0.1
    puts = dvelop.requests(method="PUT")
    assert [r["status"] for r in puts] == [429, 429, 201]
    assert elapsed >= 0.15
    gaps = [(datetime.fromisoformat(b["time"]) - datetime.fromisoformat(a["time"])).total_seconds()
            for a, b in itertools.pairwise(puts)]
    assert min(gaps) >= 0.045, gaps  # the fake saw the pause, not only our counter


def test_a_retry_after_beyond_the_limit_fails_at_once_and_says_what_was_asked(dvelop: DvelopCase) -> None:
    dvelop.set_faults(throttle_after=0, retry_after=3600, match_method="PUT")
    with _client(dvelop, RetryPolicy()) as client:
        started = time.monotonic()
        with pytest.raises(VendorUnavailable) as raised:
            client.put("vendors", VENDOR)
        assert time.monotonic() - started < 1.0
        assert client.backoff_s == 0.0
    assert len(dvelop.requests(method="PUT")) == 1
    message = str(raised.value)
    assert "asked to wait 3600 s (Retry-After: 3600)" in message
    assert "erpload waits at most 300 s per request" in message
    assert host_of(dvelop.base_url) in message
    assert "for 0 s" not in message


def test_a_storm_without_retry_after_shows_its_back_offs_in_the_waiting_time(dvelop: DvelopCase) -> None:
    dvelop.set_faults(throttle_after=0, throttle_count=4, retry_after=None, match_method="PUT")
    with _client(dvelop) as client:
        started = time.monotonic()
        client.put("vendors", VENDOR)
        elapsed = time.monotonic() - started
        traffic = client.traffic()
    # back-offs of at least 0.05, 0.1, 0.2 and 0.4 s (the cap): the summary must not say "0.0 s waiting"
    backing_off = _seconds(traffic, "backing off")
    assert backing_off >= 0.75
    assert _seconds(traffic, "waiting in all") >= 0.8 * elapsed  # the rest is our own time between requests
    assert "5 request(s)" in traffic
    assert "4 answered 429 Too Many Requests" in traffic


def test_server_errors_are_retried_a_bounded_number_of_times_and_within_the_limit(dvelop: DvelopCase) -> None:
    dvelop.set_faults(error_on_calls=list(range(1, 200)), error_status=503, match_method="PUT")
    with _client(dvelop, RetryPolicy(attempts=3, min_backoff_s=0.02, max_backoff_s=0.05)) as client:
        with pytest.raises(VendorUnavailable, match=r"failed 3 times on PUT .*: 503 Service Unavailable"):
            client.put("vendors", VENDOR)
        assert client.retried == 2
    assert len(dvelop.requests(method="PUT")) == 3

    dvelop.set_faults(error_on_calls=list(range(1, 200)), error_status=503, match_method="PUT")
    with _client(dvelop, RetryPolicy(attempts=100, min_backoff_s=0.05, max_backoff_s=0.1, max_wait_s=0.5)) as client:
        started = time.monotonic()
        with pytest.raises(VendorUnavailable, match=r"would pass the limit of 0.5 s per request"):
            client.put("vendors", VENDOR)
        assert time.monotonic() - started <= 0.5 + 0.7  # the limit, and at most the last answer past it
    assert 3 <= len(dvelop.requests(method="PUT")) <= 10


def _errors(case: DvelopCase) -> dict[str, VendorError]:
    """One error of each kind the client raises, each caught from a real exchange with the fake."""
    caught: dict[str, VendorError] = {}

    def catch(name: str, call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except VendorError as exc:
            caught[name] = exc

    with _client(case, api_key="wrong-key") as client:
        catch("auth", lambda: client.put("vendors", VENDOR))
    with _client(case) as client:
        catch("refused", lambda: client.put("no_such_entity", VENDOR))
        case.set_faults(drop_on_calls=[1], match_method="PUT")
        catch("dropped", lambda: client.request("PUT", f"/smartinvoice/api/v1/buckets/{BUCKET}/vendors", safe=False,
                                                content=VENDOR.encode()))
        case.set_faults(error_on_calls=[1], match_method="PUT")
        catch("5xx", lambda: client.request("PUT", f"/smartinvoice/api/v1/buckets/{BUCKET}/vendors", safe=False,
                                            content=VENDOR.encode()))
        case.set_faults(throttle_after=0, retry_after=3600, match_method="PUT")
        catch("throttled", lambda: client.put("vendors", VENDOR))
    return caught


def test_every_vendor_error_names_the_host(dvelop: DvelopCase) -> None:
    errors = _errors(dvelop)
    kinds = {name: type(exc) for name, exc in errors.items()}
    assert kinds == {"auth": VendorAuthError, "refused": VendorRefused, "dropped": OutcomeUnknown,
                     "5xx": OutcomeUnknown, "throttled": VendorUnavailable}
    host = host_of(dvelop.base_url)
    for name, exc in errors.items():
        assert f"d.velop ({host})" in exc.message, (name, exc.message)
        assert API_KEY not in str(exc)


def test_waiting_for_a_job_is_bounded_and_its_polls_are_counted(dvelop: DvelopCase) -> None:
    dvelop.set_faults(job_queued_seconds=60)
    with _client(dvelop, poll_interval_s=0.1) as client:
        job_id = client.post_batch("vendors", [VENDOR])
        started = time.monotonic()
        assert client.wait_for_job(job_id, timeout_s=0.45) == JOB_QUEUED  # not an error: the push goes on
        elapsed = time.monotonic() - started
        traffic = client.traffic()
        polls = client.polls
    assert 0.45 <= elapsed < 1.5  # the timeout, and at most one poll's answer past it
    asked = dvelop.requests(path_prefix="/smartinvoice/api/v1/masterdata/import_jobs")
    # every 0.1 s from 0 and one at the deadline: 6 polls on an idle machine, fewer when answers are slow
    assert 3 <= len(asked) == polls <= 6
    times = [datetime.fromisoformat(r["time"]) for r in asked]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps[:-1]) >= 0.09, gaps  # the poll interval is honoured; the last poll waits only until the deadline
    assert (times[-1] - times[0]).total_seconds() >= 0.4  # the last poll is made at the deadline
    assert f"{polls + 1} request(s) ({polls} of them status polls)" in traffic
    assert _seconds(traffic, "between polls") >= 0.4


def test_a_job_that_finishes_is_waited_for_until_it_does(dvelop: DvelopCase) -> None:
    dvelop.set_faults(job_queued_polls=2)
    with _client(dvelop, poll_interval_s=0.02) as client:
        job_id = client.post_batch("vendors", [VENDOR])
        assert client.wait_for_job(job_id) == "successful"
        assert client.polls == 3


def test_one_client_counts_exactly_under_concurrent_senders(dvelop: DvelopCase) -> None:
    with _client(dvelop, RetryPolicy(min_backoff_s=0.01, max_backoff_s=0.02)) as client:
        job_id = client.post_batch("vendors", [VENDOR])
        dvelop.set_faults(throttle_after=40, throttle_count=10, retry_after=0, latency=0.01, match_method="GET")
        failures: list[BaseException] = []

        def poll() -> None:
            try:
                for _ in range(20):
                    client.job_status(job_id)
            except BaseException as exc:  # the assertion below reports it
                failures.append(exc)

        threads = [threading.Thread(target=poll) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert client.polls == 160
        assert client.throttled == 10
        assert client.requests == 1 + 170 == len(dvelop.requests())
        assert client.peak_in_flight > 1
        assert "summed over up to" in client.traffic()


def test_the_retry_policy_comes_from_the_destinations_config(
    dvelop: DvelopCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__DVELOP__MIN_BACKOFF_S", "0.25")
    monkeypatch.setenv("DESTINATION__DVELOP__MAX_WAIT_S", "42")
    policy = load_dvelop_settings().retry
    assert (policy.min_backoff_s, policy.max_wait_s, policy.attempts) == (0.25, 42.0, RetryPolicy().attempts)
    monkeypatch.setenv("DESTINATION__DVELOP__MIN_BACKOFF_S", "0")
    with pytest.raises(ConfigError, match=r"destination.dvelop.min_backoff_s is '0', not a positive number"):
        load_dvelop_settings()
