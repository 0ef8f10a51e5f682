"""Honest waits: every wait the vendor client makes is bounded, counted in the summary and named by host.

Real HTTP against the d.velop fake (its fault knobs throttle, fail and delay), the real `DvelopClient`; the
policies are shortened so a test takes a second, not the production minutes.
"""

from __future__ import annotations

import json
import re
import threading

import pytest

from erpload.destinations.dvelop.client import JOB_QUEUED, DvelopClient
from erpload.destinations.dvelop.config import DvelopSettings, load_dvelop_settings
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
from tests.support.waits import RecordedWaits

VENDOR = json.dumps(EXAMPLES["vendors"])
#: short waits: the first back-off 0.05 s, the longest 0.4 s, at most 1.5 s per request
QUICK = RetryPolicy(min_backoff_s=0.05, max_backoff_s=0.4, max_wait_s=1.5)


def _client(case: DvelopCase, policy: RetryPolicy = QUICK, *, api_key: str = API_KEY,
            poll_interval_s: float = 0.05, job_timeout_s: float = 5.0, waits: RecordedWaits | None = None
            ) -> DvelopClient:
    settings = DvelopSettings(base_url=case.base_url, bucket_id=BUCKET, api_key=api_key,
                              poll_interval_s=poll_interval_s, job_timeout_s=job_timeout_s, retry=policy)
    return DvelopClient(settings, sleep=waits or RecordedWaits())


def _seconds(traffic: str, what: str) -> float:
    found = re.search(rf"([\d.]+) s {what}", traffic)
    assert found, traffic
    return float(found.group(1))


def test_retry_after_zero_forever_backs_off_and_ends_within_the_bound(dvelop: DvelopCase) -> None:
    dvelop.set_faults(throttle_after=0, retry_after=0, match_method="PUT")
    waits = RecordedWaits()
    with _client(dvelop, waits=waits) as client:
        with pytest.raises(VendorUnavailable) as raised:
            client.put("vendors", VENDOR)
        traffic = client.traffic()
    # a hot loop sends thousands in 1.5 s; backing off from 0.05 s, doubling, to 0.4 s leaves room for about six
    sent = len(dvelop.requests(method="PUT"))
    assert 2 <= sent <= 8, sent
    assert waits.total <= QUICK.max_wait_s  # it never planned to wait past its bound
    assert len(waits.asked) == sent - 1  # a pause before each retry
    assert min(waits.asked) >= QUICK.min_backoff_s
    message = str(raised.value)
    assert f"d.velop ({host_of(dvelop.base_url)}) answered 429 Too Many Requests to PUT" in message
    assert f"{sent} time(s)" in message
    assert "limit of 1.5 s per request" in message
    assert "max_wait_s under [destination.dvelop]" in message
    assert _seconds(traffic, "backing off") >= 0.05 + 0.1 + 0.2  # the first three back-offs at least


def test_a_retry_after_date_in_the_past_is_a_minimum_back_off(dvelop: DvelopCase) -> None:
    dvelop.set_faults(throttle_after=0, throttle_count=2, retry_after=0, retry_after_date=True, match_method="PUT")
    waits = RecordedWaits()
    with _client(dvelop, waits=waits) as client:
        client.put("vendors", VENDOR)
        assert client.throttled == 2
        assert client.backoff_s >= 0.05 + 0.1
    puts = dvelop.requests(method="PUT")
    assert [r["status"] for r in puts] == [429, 429, 201]
    assert len(waits.asked) == 2
    assert waits.total >= 0.15  # a minimum back-off, growing: never Retry-After's 0


def test_a_retry_after_beyond_the_limit_fails_at_once_and_says_what_was_asked(dvelop: DvelopCase) -> None:
    dvelop.set_faults(throttle_after=0, retry_after=3600, match_method="PUT")
    waits = RecordedWaits()
    with _client(dvelop, RetryPolicy(), waits=waits) as client:
        with pytest.raises(VendorUnavailable) as raised:
            client.put("vendors", VENDOR)
        assert waits.asked == []  # failed at once: no wait started that would pass the limit
        assert client.backoff_s == 0.0
    assert len(dvelop.requests(method="PUT")) == 1
    message = str(raised.value)
    assert "asked to wait 3600 s (Retry-After: 3600)" in message
    assert "erpload waits at most 300 s per request" in message
    assert host_of(dvelop.base_url) in message
    assert "for 0 s" not in message


def test_a_storm_without_retry_after_shows_its_back_offs_in_the_waiting_time(dvelop: DvelopCase) -> None:
    dvelop.set_faults(throttle_after=0, throttle_count=4, retry_after=None, match_method="PUT")
    waits = RecordedWaits()
    with _client(dvelop, waits=waits) as client:
        client.put("vendors", VENDOR)
        traffic = client.traffic()
    # back-offs of at least 0.05, 0.1, 0.2 and 0.4 s (the cap): the summary must not say "0.0 s waiting"
    assert len(waits.asked) == 4
    backing_off = _seconds(traffic, "backing off")
    assert backing_off >= round(waits.total, 1) - 0.05  # every back-off the client took is in the summary
    assert backing_off >= 0.75
    assert _seconds(traffic, "waiting in all") >= backing_off
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
    waits = RecordedWaits()
    with _client(dvelop, RetryPolicy(attempts=100, min_backoff_s=0.05, max_backoff_s=0.1, max_wait_s=0.5),
                 waits=waits) as client:
        with pytest.raises(VendorUnavailable, match=r"would pass the limit of 0.5 s per request"):
            client.put("vendors", VENDOR)
        assert waits.total <= 0.5  # it stopped before a back-off would pass the limit
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
    waits = RecordedWaits()
    with _client(dvelop, poll_interval_s=0.1, waits=waits) as client:
        job_id = client.post_batch("vendors", [VENDOR])
        assert client.wait_for_job(job_id, timeout_s=0.45) == JOB_QUEUED  # not an error: the push goes on
        traffic = client.traffic()
        polls = client.polls
    # pauses of the poll interval, the last one cut to what is left: never planned past the timeout
    assert waits.asked[:-1] == [0.1] * (len(waits.asked) - 1)  # the poll interval is honoured
    assert 0 < waits.asked[-1] <= 0.1  # the last pause only until the deadline, where the last poll is made
    assert waits.total <= 0.45
    assert len(waits.asked) == polls - 1
    asked = dvelop.requests(path_prefix="/smartinvoice/api/v1/masterdata/import_jobs")
    # every 0.1 s from 0 and one at the deadline: 6 polls on an idle machine, fewer when answers are slow
    assert 3 <= len(asked) == polls <= 6
    assert f"{polls + 1} request(s) ({polls} of them status polls)" in traffic
    assert _seconds(traffic, "between polls") >= round(waits.total, 1) - 0.05  # the pauses are in the summary


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
