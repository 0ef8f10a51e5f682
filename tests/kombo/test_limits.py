"""Kombo's rate and concurrency limits ridden out, decided by `error.code`: the push runs in process (the
trigger framework, the Kombo trigger and client, the real staging file and the fake over loopback) with a sleep
that records the waits erpload asked for, so the tests assert those waits, not the clock."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any

import httpx
import pytest

from erpload.destinations.kombo.client import KomboClient
from erpload.destinations.kombo.config import load_settings
from erpload.destinations.kombo.trigger import KomboTrigger
from erpload.fakes.faults import Faults
from erpload.fakes.kombo import GENERAL, ErrorCode, InjectedError, KomboPlan
from erpload.interrupts import Interrupted
from erpload.push.http import RetryPolicy
from erpload.push.trigger import TriggerOptions, run_trigger
from erpload.runs import Run
from tests.kombo.conftest import API_KEY, KomboProject
from tests.support.waits import RecordedWaits

#: small waits: the policy's back-off doubles from 10 ms with up to half again as jitter
POLICY = RetryPolicy(attempts=4, min_backoff_s=0.01, max_backoff_s=1.0, max_wait_s=10.0)


def push(kombo: KomboProject, company: str, waits: RecordedWaits) -> tuple[Run, dict[str, Any]]:
    settings = load_settings()
    trigger = KomboTrigger(settings, client=KomboClient(settings, policy=POLICY, sleep=waits))
    run = Run(command="push kombo", profile=None)
    try:
        outcome = run_trigger(kombo.ws.staging, trigger, run, TriggerOptions(company=[company]), lambda _: None)
    finally:
        trigger.close()
    return run, outcome


def ledger_state(kombo: KomboProject, run: Run) -> list[tuple[object, ...]]:
    return kombo.ws.query("SELECT state FROM ledger WHERE target = 'kombo' AND record_key = ?", [run.run_id])


def test_rate_limits_with_retry_after_are_waited_out_as_asked(kombo: KomboProject) -> None:
    kombo.fake.set_plan(KomboPlan(rate_limited_calls=2, rate_limit_retry_after=1))
    waits = RecordedWaits()
    run, outcome = push(kombo, "2000", waits)
    assert waits.asked == [1.0, 1.0]
    assert outcome["called"] == 1
    assert [r["code"] for r in kombo.fake.refused()] == [ErrorCode.RATE_LIMIT_EXCEEDED.value] * 2
    assert len(kombo.fake.calls(kombo.integration("2000"))) == 1
    assert ledger_state(kombo, run) == [("acknowledged",)]
    assert any("turned away 2 push(es) for the rate" in n and "2.0 s backing off" in n for n in run.notes)


def test_rate_limits_without_retry_after_back_off_doubling(kombo: KomboProject) -> None:
    kombo.fake.set_plan(KomboPlan(rate_limited_calls=3, rate_limit_retry_after=None))
    waits = RecordedWaits()
    run, _ = push(kombo, "2000", waits)
    assert len(waits.asked) == 3
    for attempt, wait in enumerate(waits.asked, start=1):
        assert 0.01 * 2 ** (attempt - 1) <= wait <= 0.015 * 2 ** (attempt - 1)
    assert ledger_state(kombo, run) == [("acknowledged",)]


def test_concurrency_limits_are_backed_off_and_ridden_out(kombo: KomboProject) -> None:
    kombo.fake.set_plan(KomboPlan(errors=[InjectedError(code=ErrorCode.CONCURRENCY_LIMIT_EXCEEDED, times=2)]))
    waits = RecordedWaits()
    run, _ = push(kombo, "4000", waits)
    assert len(waits.asked) == 2
    assert 0.01 <= waits.asked[0] <= 0.015
    assert 0.02 <= waits.asked[1] <= 0.03
    assert len(kombo.fake.calls(kombo.integration("4000"))) == 1
    assert ledger_state(kombo, run) == [("acknowledged",)]
    assert any("2 for concurrency" in n for n in run.notes)


def test_a_limit_code_under_another_status_is_still_a_limit(kombo: KomboProject) -> None:
    # judged by the status, a 503 to a POST would be "may have arrived" (unknown) and the company held
    kombo.fake.set_plan(KomboPlan(rate_limited_calls=1, rate_limit_retry_after=None,
                                  statuses={ErrorCode.RATE_LIMIT_EXCEEDED: 503}))
    waits = RecordedWaits()
    run, _ = push(kombo, "4000", waits)
    assert len(waits.asked) == 1
    assert ledger_state(kombo, run) == [("acknowledged",)]


def test_a_limit_that_never_lifts_fails_the_push_bounded_and_nothing_is_held(kombo: KomboProject) -> None:
    kombo.fake.set_plan(KomboPlan(concurrency_limit=0))  # every push is turned away
    waits = RecordedWaits()
    run, outcome = push(kombo, "4000", waits)
    assert len(kombo.fake.refused()) == POLICY.attempts
    assert len(waits.asked) == POLICY.attempts - 1
    assert outcome["failed"] == 1
    assert outcome["waiting"] == 0
    assert ledger_state(kombo, run) == [("failed",)]  # nothing was pushed: the next push calls again
    assert any("CONCURRENCY_LIMIT_EXCEEDED" in n for n in run.notes)


@pytest.mark.parametrize("retry_after", [0, None])
def test_a_retry_after_of_zero_or_none_is_no_hot_loop(kombo: KomboProject, retry_after: int | None) -> None:
    kombo.fake.set_plan(KomboPlan(rate_limited_calls=2, rate_limit_retry_after=retry_after))
    waits = RecordedWaits()
    push(kombo, "2000", waits)
    assert len(waits.asked) == 2
    assert min(waits.asked) >= POLICY.min_backoff_s


def test_a_signal_while_waiting_out_a_limit_leaves_the_push_failed_not_unknown(kombo: KomboProject) -> None:
    kombo.fake.set_plan(KomboPlan(rate_limited_calls=1))

    def interrupted(seconds: float) -> None:  # what erpload's sleep raises when Ctrl-C comes during the wait
        raise Interrupted(signal.SIGINT)

    settings = load_settings()
    trigger = KomboTrigger(settings, client=KomboClient(settings, policy=POLICY, sleep=interrupted))
    run = Run(command="push kombo", profile=None)
    with contextlib.closing(trigger):
        outcome = run_trigger(kombo.ws.staging, trigger, run, TriggerOptions(company=["2000"]), lambda _: None)
    assert outcome["failed"] == 1
    assert ledger_state(kombo, run) == [("failed",)]  # it was turned away, then never sent again
    assert kombo.fake.calls() == []


def test_kombos_own_concurrency_cap_is_ridden_out_while_another_push_is_in_flight(kombo: KomboProject) -> None:
    integration = kombo.integration("2000")
    kombo.fake.set_plan(KomboPlan(concurrency_limit=1))
    # each push held open 3 s: ours arrives while the other holds the slot (planning takes a fraction of that,
    # even on a loaded machine; our back-off then waits for the other to finish)
    kombo.fake.set_faults(Faults(latency=3.0, match_path=GENERAL))
    answers: list[int] = []

    def other_push() -> None:  # someone else's push of the same integration, e.g. the HR tool's own button
        answers.append(httpx.post(f"{kombo.url}{GENERAL}", json={}, timeout=10, headers={
            "Authorization": f"Bearer {API_KEY}", "X-Integration-Id": integration}).status_code)

    other = threading.Thread(target=other_push)
    other.start()
    for _ in range(500):  # until it holds the integration's only slot (bounded: 5 s at most)
        if kombo.fake.in_flight(integration):
            break
        time.sleep(0.01)
    assert kombo.fake.in_flight(integration) == 1
    waits = RecordedWaits()

    def wait_for_the_other(seconds: float) -> None:
        waits.asked.append(seconds)
        kombo.fake.set_faults(Faults())  # the retry need not be held
        other.join()

    settings = load_settings()
    trigger = KomboTrigger(settings, client=KomboClient(settings, policy=POLICY, sleep=wait_for_the_other))
    run = Run(command="push kombo", profile=None)
    with contextlib.closing(trigger):
        run_trigger(kombo.ws.staging, trigger, run, TriggerOptions(company=["2000"]), lambda _: None)
    assert answers == [200]
    assert [r["code"] for r in kombo.fake.refused()] == [ErrorCode.CONCURRENCY_LIMIT_EXCEEDED.value]
    assert len(waits.asked) == 1
    assert 0.01 <= waits.asked[0] <= 0.015  # no Retry-After on a concurrency 429: erpload's first back-off
    assert len(kombo.fake.calls(integration)) == 2  # the other push and ours, once
    assert ledger_state(kombo, run) == [("acknowledged",)]
