"""The request log: every vendor request in order, with a payload hash that ignores key order."""

from __future__ import annotations

import doctest
import json

import pytest

import erpload.fakes.journal
from erpload.fakes.dvelop import API
from erpload.fakes.journal import canonical_sha256
from tests.fakes.conftest import BUCKET, Dvelop
from tests.fakes.dvelop_examples import EXAMPLES

VENDORS = f"{API}/buckets/{BUCKET}/vendors"


def test_doctests_pass() -> None:
    assert doctest.testmod(erpload.fakes.journal).failed == 0


def test_same_payload_hashes_equal_whatever_the_key_order_and_spacing(dvelop: Dvelop) -> None:
    record = EXAMPLES["vendors"]
    reordered = dict(reversed(list(record.items())))
    dvelop.client.post(f"{VENDORS}/batch", json={"vendors": [record]})
    dvelop.client.post(
        f"{VENDORS}/batch", content=b'{ "vendors" : [ ' + _json(reordered) + b" ] }",
        headers={"Content-Type": "application/json"},
    )
    dvelop.client.post(f"{VENDORS}/batch", json={"vendors": [{**record, "name": "Other GmbH"}]})

    first, second, third = dvelop.requests()
    assert first["body_sha256"] == second["body_sha256"]
    assert third["body_sha256"] != first["body_sha256"]
    assert [r["seq"] for r in (first, second, third)] == [1, 2, 3]


def test_log_lists_every_vendor_request_with_its_answer_and_filters(dvelop: Dvelop) -> None:
    job_id = dvelop.job_id(dvelop.post_batch("vendors", [EXAMPLES["vendors"]]))
    dvelop.poll(job_id)
    dvelop.put("vendors", {"id": "no company"})
    dvelop.client.post(f"{VENDORS}/batch", json={"vendors": []}, headers={"Authorization": "Bearer nope"})

    logged = [(r["method"], r["path"], r["status"]) for r in dvelop.requests()]
    assert logged == [
        ("POST", f"{VENDORS}/batch", 200),
        ("GET", f"{API}/masterdata/import_jobs/{job_id}", 200),
        ("PUT", VENDORS, 422),
        ("POST", f"{VENDORS}/batch", 401),
    ]
    assert [r["status"] for r in dvelop.requests(method="POST")] == [200, 401]
    assert [r["method"] for r in dvelop.requests(path_prefix=f"{API}/masterdata/")] == ["GET"]
    assert dvelop.requests()[1]["body_sha256"] is None


@pytest.mark.parametrize(
    ("a", "b"), [(b'{"a": 1.5}', b'{"a":1.5}'), (b'{"x": [1, {"z": 1, "y": 2}]}', b'{"x":[1,{"y":2,"z":1}]}')]
)
def test_canonical_hash_ignores_form(a: bytes, b: bytes) -> None:
    assert canonical_sha256(a) == canonical_sha256(b)


def test_canonical_hash_of_non_json_is_of_the_bytes() -> None:
    assert canonical_sha256(b"not json") != canonical_sha256(b"not json!")
    assert canonical_sha256(b"not json") is not None


def _json(value: object) -> bytes:
    return json.dumps(value, indent=2).encode()
