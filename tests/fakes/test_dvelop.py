"""The d.velop fake against its documented contract, over real HTTP on loopback."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from erpload.fakes.dvelop import API, ENTITIES, DvelopFake
from erpload.fakes.faults import Faults
from tests.fakes.conftest import API_KEY, BUCKET, Dvelop, serve_dvelop
from tests.fakes.dvelop_examples import EXAMPLES

VENDOR = EXAMPLES["vendors"]


def vendor(**changes: Any) -> dict[str, Any]:
    return {**VENDOR, **changes}


def test_examples_cover_all_15_documented_entities() -> None:
    assert len(ENTITIES) == 15
    assert set(EXAMPLES) == set(ENTITIES)


@pytest.mark.parametrize("entity", list(EXAMPLES))
def test_documented_example_is_held_after_its_job_succeeds(dvelop: Dvelop, entity: str) -> None:
    job_id = dvelop.job_id(dvelop.post_batch(entity, [EXAMPLES[entity]]))

    assert dvelop.poll_until_done(job_id) == "successful"
    assert dvelop.state(entity) == [EXAMPLES[entity]]


def test_every_request_needs_the_bearer_api_key(dvelop: Dvelop) -> None:
    job_id = dvelop.job_id(dvelop.post_batch("vendors", [VENDOR]))
    calls = [
        ("POST", f"{API}/buckets/{BUCKET}/vendors/batch", {"vendors": [vendor(id="50002")]}),
        ("PUT", f"{API}/buckets/{BUCKET}/vendors", vendor(id="50003")),
        ("GET", f"{API}/masterdata/import_jobs/{job_id}", None),
    ]
    for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": API_KEY}):
        for method, path, body in calls:
            response = httpx.request(method, dvelop.url + path, json=body, headers=headers)
            assert response.status_code == 401, (method, headers)
            assert response.json()["error"] == "unauthorized"
            assert API_KEY not in response.text
    assert [r["id"] for r in dvelop.state("vendors")] == ["50001"]


def test_job_is_queued_for_the_configured_polls_then_keeps_its_final_status(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(job_queued_polls=3))
    job_id = dvelop.job_id(dvelop.post_batch("vendors", [VENDOR]))

    assert [dvelop.poll(job_id) for _ in range(5)] == ["queued"] * 3 + ["successful"] * 2


def test_job_queued_seconds_replaces_the_poll_count(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(job_queued_polls=0, job_queued_seconds=600))
    slow = dvelop.job_id(dvelop.post_batch("vendors", [VENDOR]))
    dvelop.fake.set_faults(Faults(job_queued_polls=5, job_queued_seconds=0))
    fast = dvelop.job_id(dvelop.post_batch("vendors", [VENDOR]))

    assert [dvelop.poll(slow) for _ in range(3)] == ["queued"] * 3
    assert dvelop.poll(fast) == "successful"


def test_job_status_is_never_running(dvelop: Dvelop) -> None:
    dvelop.fake.set_faults(Faults(job_queued_polls=2, fail_jobs=[2]))
    jobs = [dvelop.job_id(dvelop.post_batch("vendors", [vendor(id=str(i))])) for i in range(2)]

    seen = {dvelop.poll(job_id) for job_id in jobs for _ in range(4)}
    assert seen == {"queued", "successful", "failed"}


def test_every_batch_creates_a_new_job_and_upserts_by_key(dvelop: Dvelop) -> None:
    first = dvelop.job_id(dvelop.post_batch("vendors", [VENDOR, vendor(company_id="02")]))
    second = dvelop.job_id(dvelop.post_batch("vendors", [vendor(name="Schrauben Meier AG")]))

    assert first != second
    held = {(r["company_id"], r["id"]): r["name"] for r in dvelop.state("vendors")}
    assert held == {("01", "50001"): "Schrauben Meier AG", ("02", "50001"): "Schrauben Meier GmbH"}


def test_records_without_company_id_are_kept_apart_from_company_ones(dvelop: Dvelop) -> None:
    terms = EXAMPLES["payment_terms"]
    global_terms = {k: v for k, v in terms.items() if k != "company_id"}
    dvelop.job_id(dvelop.post_batch("payment_terms", [terms, global_terms]))

    assert dvelop.state("payment_terms") == [global_terms, terms]


def test_unknown_entity_job_and_bucket_are_404(dvelop: Dvelop) -> None:
    assert dvelop.post_batch("customers", [{"id": "1"}]).status_code == 404
    assert dvelop.put("customers", {"id": "1"}).status_code == 404
    response = dvelop.client.get(f"{API}/masterdata/import_jobs/no-such-job")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    with serve_dvelop(DvelopFake(API_KEY, buckets=["known"])) as limited:
        assert limited.post_batch("vendors", [VENDOR], bucket="other").status_code == 404
        assert limited.job_id(limited.post_batch("vendors", [VENDOR], bucket="known"))


@pytest.mark.parametrize(
    ("entity", "record", "field", "kind"),
    [
        ("vendors", {k: v for k, v in VENDOR.items() if k != "zip_code"}, "zip_code", "missing"),
        ("vendors", vendor(zip_code=24145), "zip_code", "string_type"),
        ("vendors", vendor(country="Germany"), "country", "string_pattern_mismatch"),
        ("vendors", vendor(id=""), "id", "string_too_short"),
        ("vendors", vendor(zip=""), "zip", "extra_forbidden"),
        ("tax_codes", {**EXAMPLES["tax_codes"], "percentage": "19"}, "percentage", "float_type"),
        ("document_types", {**EXAMPLES["document_types"], "credit_note": 0}, "credit_note", "bool_type"),
        ("vendor_bank_accounts", {**EXAMPLES["vendor_bank_accounts"], "iban": "DE02100100100006820102"},
         "iban", "value_error"),
        ("vendor_bank_accounts", {k: v for k, v in EXAMPLES["vendor_bank_accounts"].items() if k != "primary"},
         "primary", "missing"),
        ("currencies", {**EXAMPLES["currencies"], "code": "Euro"}, "code", "string_pattern_mismatch"),
        ("surcharge_types", {**EXAMPLES["surcharge_types"], "applies_to": "both"}, "applies_to", "literal_error"),
        ("goods_receipts", {**EXAMPLES["goods_receipts"], "creation_date": "07.04.2022"}, "creation_date",
         "string_pattern_mismatch"),
        ("goods_receipts", {**EXAMPLES["goods_receipts"], "creation_date": "2022-02-30"}, "creation_date",
         "value_error"),
    ],
)
def test_bad_record_refuses_the_whole_batch_naming_the_field(
    dvelop: Dvelop, entity: str, record: dict[str, Any], field: str, kind: str
) -> None:
    good = copy.deepcopy(EXAMPLES[entity])
    response = dvelop.post_batch(entity, [good, record])

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["record"], e["field"], e["type"]) for e in errors] == [(1, field, kind)]
    assert dvelop.state(entity) == []
    assert dvelop.fake.store.jobs() == []


def test_bad_line_item_is_named_by_its_position(dvelop: Dvelop) -> None:
    order = copy.deepcopy(EXAMPLES["purchase_orders"])
    order["line_items"].append({**order["line_items"][0], "id": "PO001_2", "line_no": 2, "quantity_ordered": "10"})
    response = dvelop.post_batch("purchase_orders", [order])

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "line_items[1].quantity_ordered"
    assert error["key"] == {"company_id": "01", "id": "PO001"}


def test_line_item_ids_are_unique_across_orders_of_the_bucket(dvelop: Dvelop) -> None:
    order = copy.deepcopy(EXAMPLES["purchase_orders"])
    dvelop.job_id(dvelop.post_batch("purchase_orders", [order]))
    other = copy.deepcopy(order)
    other["id"] = other["nr"] = "PO002"

    response = dvelop.post_batch("purchase_orders", [other])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "line_items[0].id"
    assert dvelop.put("purchase_orders", other).status_code == 422
    # the order that owns the line may send it again
    assert dvelop.put("purchase_orders", order).status_code == 201


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"companies": []}', b'{"vendors": {"id": "1"}}', b'[{"id": "1"}]', b'{"vendors": [], "x": 1}'],
)
def test_batch_body_of_the_wrong_shape_is_400(dvelop: Dvelop, body: bytes) -> None:
    response = dvelop.client.post(
        f"{API}/buckets/{BUCKET}/vendors/batch", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_single_put_upserts_synchronously_with_201(dvelop: Dvelop) -> None:
    response = dvelop.put("companies", EXAMPLES["companies"])
    assert response.status_code == 201
    assert response.json() == {"status": "successful"}
    assert dvelop.state("companies") == [EXAMPLES["companies"]]

    renamed = {**EXAMPLES["companies"], "name": "docures SE"}
    assert dvelop.put("companies", renamed).status_code == 201
    assert dvelop.state("companies") == [renamed]


def test_single_put_refuses_an_array_and_names_a_bad_field(dvelop: Dvelop) -> None:
    assert dvelop.client.put(f"{API}/buckets/{BUCKET}/vendors", json=[VENDOR]).status_code == 400
    response = dvelop.put("vendors", vendor(city=None))
    assert response.status_code == 422
    assert [(e["field"], e["record"]) for e in response.json()["errors"]] == [("city", None)]
    assert dvelop.state("vendors") == []


def test_single_put_is_rate_limited_with_retry_after() -> None:
    with serve_dvelop(DvelopFake(API_KEY, put_rate_limit=3, put_rate_window=600)) as dvelop:
        statuses = [dvelop.put("vendors", vendor(id=str(i))).status_code for i in range(5)]
        throttled = dvelop.put("vendors", vendor(id="x"))

        assert statuses == [201, 201, 201, 429, 429]
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["Retry-After"]) <= 600
        assert len(dvelop.state("vendors")) == 3
        # the batch endpoints are not part of the single-record limit
        assert dvelop.job_id(dvelop.post_batch("vendors", [vendor(id="x")]))


def test_single_put_rate_limit_can_answer_without_retry_after() -> None:
    fake = DvelopFake(API_KEY, put_rate_limit=1, put_rate_window=600, put_retry_after=False)
    with serve_dvelop(fake) as dvelop:
        assert dvelop.put("vendors", VENDOR).status_code == 201
        throttled = dvelop.put("vendors", VENDOR)
        assert throttled.status_code == 429
        assert "retry-after" not in throttled.headers


def test_state_endpoint_names_unknown_entities(dvelop: Dvelop) -> None:
    assert httpx.get(f"{dvelop.url}/_fake/state/{BUCKET}/customers").status_code == 404
    assert dvelop.state("vendors", bucket="never-used") == []
