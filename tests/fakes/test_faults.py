"""Each fault knob, observed the way a vendor client would see it: over HTTP with httpx."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from erpload.fakes.dvelop import API
from erpload.fakes.faults import FaultController, Faults
from tests.fakes.conftest import BUCKET, Dvelop
from tests.fakes.dvelop_examples import EXAMPLES


def vendor(vendor_id: str) -> dict[str, Any]:
    return {**EXAMPLES["vendors"], "id": vendor_id}


def held_ids(dvelop: Dvelop) -> list[str]:
    return [r["id"] for r in dvelop.state("vendors")]


def test_throttle_after_n_calls_answers_429_with_retry_after_then_recovers(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(throttle_after=2, throttle_count=2, retry_after=7))
    responses = [dvelop.put("vendors", vendor(str(i))) for i in range(1, 6)]

    assert [r.status_code for r in responses] == [201, 201, 429, 429, 201]
    assert [r.headers.get("Retry-After") for r in responses[2:4]] == ["7", "7"]
    assert held_ids(dvelop) == ["1", "2", "5"]  # a throttled call never reaches the vendor


def test_throttle_without_retry_after_and_without_end(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(throttle_after=0, retry_after=None))
    responses = [dvelop.put("vendors", vendor(str(i))) for i in range(4)]

    assert {r.status_code for r in responses} == {429}
    assert all("retry-after" not in r.headers for r in responses)
    assert held_ids(dvelop) == []


def test_error_on_the_nth_call_answers_the_configured_5xx(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(error_on_calls=[2, 4], error_status=500))
    statuses = [dvelop.put("vendors", vendor(str(i))).status_code for i in range(1, 6)]

    assert statuses == [201, 500, 201, 500, 201]
    assert held_ids(dvelop) == ["1", "3", "5"]


def test_knobs_count_only_matching_calls(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(match_method="POST", match_path=f"{API}/buckets/", error_on_calls=[2]))
    first = dvelop.job_id(dvelop.post_batch("vendors", [vendor("1")]))
    for _ in range(3):  # polls and PUTs are not calls: they neither count nor fail
        dvelop.poll(first)
        assert dvelop.put("vendors", vendor("p")).status_code == 201

    assert dvelop.post_batch("vendors", [vendor("2")]).status_code == 503
    assert dvelop.post_batch("vendors", [vendor("3")]).status_code == 200


def test_dropped_batch_surfaces_as_transport_error_yet_is_applied(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(drop_on_calls=[1]))

    with pytest.raises(httpx.RemoteProtocolError):
        dvelop.post_batch("vendors", [vendor("1")])

    assert held_ids(dvelop) == ["1"]
    [job] = dvelop.fake.store.jobs()
    assert (job.records, job.outcome, job.polls) == (1, "successful", 0)
    [logged] = dvelop.requests()
    assert (logged["status"], logged["dropped"], logged["fault"]) == (200, True, "dropped")
    # the next call is answered normally, on a fresh connection
    assert dvelop.job_id(dvelop.post_batch("vendors", [vendor("2")]))


def test_dropped_single_put_is_applied(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(drop_on_calls=[2]))
    assert dvelop.put("vendors", vendor("1")).status_code == 201

    with pytest.raises(httpx.TransportError):
        dvelop.put("vendors", vendor("2"))
    assert held_ids(dvelop) == ["1", "2"]


def test_nth_job_fails_and_its_records_are_not_held(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(fail_jobs=[2]))
    jobs = [dvelop.job_id(dvelop.post_batch("vendors", [vendor(str(i))])) for i in range(1, 4)]

    assert [dvelop.poll_until_done(j) for j in jobs] == ["successful", "failed", "successful"]
    assert held_ids(dvelop) == ["1", "3"]
    failed = httpx.get(f"{dvelop.url}/_fake/jobs").json()["jobs"][1]
    assert (failed["outcome"], failed["last_status"]) == ("failed", "failed")


def test_fail_job_fraction_fails_evenly_spread_jobs(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(fail_job_fraction=0.5, job_queued_polls=0))
    jobs = [dvelop.job_id(dvelop.post_batch("vendors", [vendor(str(i))])) for i in range(1, 5)]

    assert [dvelop.poll(j) for j in jobs] == ["successful", "failed", "successful", "failed"]


def test_latency_delays_every_call(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(latency=0.3))
    assert dvelop.put("vendors", vendor("1")).status_code == 201
    assert dvelop.requests()[0]["fault"] == "latency"
    with pytest.raises(httpx.ReadTimeout):  # 6x margin: the fake cannot answer sooner than its latency
        dvelop.client.get(f"{API}/masterdata/import_jobs/x", timeout=0.05)
    # the abandoned request is still answered (to nobody) and logged; wait for it so that it cannot
    # land in the next test's log
    deadline = time.monotonic() + 10
    while len(dvelop.requests()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r["fault"] for r in dvelop.requests()] == ["latency", "latency"]


def test_faults_endpoint_replaces_the_knobs_and_restarts_counting(dvelop: Dvelop) -> None:
    assert dvelop.put("vendors", vendor("1")).status_code == 201
    response = httpx.put(f"{dvelop.url}/_fake/faults", json={"error_on_calls": [1]})
    assert response.status_code == 200
    assert response.json()["error_on_calls"] == [1]
    assert httpx.get(f"{dvelop.url}/_fake/faults").json() == response.json()

    assert dvelop.put("vendors", vendor("2")).status_code == 503  # call 1 again after the knobs changed
    assert httpx.put(f"{dvelop.url}/_fake/faults", json={"error_status": 404}).status_code == 422
    assert httpx.put(f"{dvelop.url}/_fake/faults", json={"eror_on_calls": [1]}).status_code == 422


def test_inspection_endpoints_are_never_faulted_nor_logged(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(throttle_after=0, latency=0.2))
    for _ in range(3):
        assert httpx.get(f"{dvelop.url}/_fake/requests").status_code == 200
        assert httpx.get(f"{dvelop.url}/_fake/state/{BUCKET}/vendors").status_code == 200
    assert dvelop.requests() == []


def test_reset_clears_state_log_and_knobs(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(error_on_calls=[2]))
    dvelop.job_id(dvelop.post_batch("vendors", [vendor("1")]))

    assert httpx.post(f"{dvelop.url}/_fake/reset").json() == {"status": "reset"}
    assert held_ids(dvelop) == []
    assert dvelop.requests() == []
    assert dvelop.fake.store.jobs() == []
    assert dvelop.fake.faults == Faults()
    assert [dvelop.put("vendors", vendor(str(i))).status_code for i in range(3)] == [201, 201, 201]


def test_several_knobs_on_one_call_throttle_wins() -> None:
    faults = Faults(throttle_after=0, throttle_count=1, error_on_calls=[1, 2], drop_on_calls=[2, 3])
    controller = FaultController(faults)
    verdicts = [controller.judge("PUT", "/x") for _ in range(3)]

    assert [(v.call, v.status, v.drop) for v in verdicts] == [(1, 429, False), (2, 503, False), (3, None, True)]
