"""The d.velop smart invoice master-data API, faithful to the seed page where it speaks.

Vendor paths (all need `Authorization: Bearer <API key>`, else 401):

- `POST /smartinvoice/api/v1/buckets/{bucket_id}/{entity}/batch` with `{"<entity>": [record, ...]}`
  → 200 `{"jobs": [{"job_id": "<uuid>"}]}` (always exactly one job; the page gives no status code,
  200 follows vendor-apis.md 6.4 [UNVERIFIED vs 202]).
- `GET /smartinvoice/api/v1/masterdata/import_jobs/{job_id}` → 200 `{"job_id": ..., "status": s}`,
  s in `queued`, `successful`, `failed` (the documented set). No error details are documented for a
  failed job, so none are sent.
- `PUT /smartinvoice/api/v1/buckets/{bucket_id}/{entity}` with one record → 201 `{"status": "successful"}`;
  rate limited (429, see `DvelopFake`).

Errors (bodies undocumented, the fake's own shape [UNVERIFIED]): `{"error": code, "message": text}`,
plus `"errors": [{"record", "key", "field", "message", "type"}, ...]` on 422. 400: the body is not
JSON, or not `{"<entity>": [...]}` (batch) / an object (single). 404: unknown bucket, entity or job.
422: a record breaks the entity's model (see `models.py`). A batch with any bad record is refused
whole with 422 listing every bad record, and no job is created: the page does not say how d.velop
treats one bad record in a batch, and it documents no per-record errors on jobs. [UNVERIFIED]

Inspection (fake only, no auth): `GET /_fake/state/{bucket_id}/{entity}` (the records held, and
`applied`: key → how many times a batch or PUT applied it) and `GET /_fake/jobs` (each job with the
keys of its records and the last status a poll saw), beside the common ones (`erpload.fakes.app`). The
`stuck_jobs` knob keeps jobs `queued` until the knobs are replaced.
"""

from __future__ import annotations

import collections
import hmac
import json
import math
import time
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from erpload.fakes.app import FakeVendor
from erpload.fakes.dvelop.models import ENTITIES, Entity
from erpload.fakes.dvelop.store import MasterDataStore, RecordKey, record_key
from erpload.fakes.faults import Faults
from erpload.fakes.journal import payload_sha256

API = "/smartinvoice/api/v1"
#: The key `erpload fakes serve` accepts unless ERPLOAD_FAKE_DVELOP_API_KEY says otherwise.
DEMO_API_KEY = "erpload-demo-dvelop-key"


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status, headers=headers)


async def _json_body(request: Request) -> Any:
    """The request's JSON body, or the 400 answer when it is not JSON."""
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_request", "the body is not valid JSON")


def _field(loc: Iterable[int | str]) -> str:
    """pydantic's error location as one path: ("line_items", 0, "quantity") → "line_items[0].quantity"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


class DvelopFake(FakeVendor):
    """The fake d.velop smart invoice master-data API; serve `.app`.

    Args:
        api_key: the only API key accepted as `Authorization: Bearer <api_key>`.
        buckets: the bucket ids that exist; None accepts any bucket id.
        faults: the shared fault knobs in force at start (`erpload.fakes.faults.Faults`).
        put_rate_limit: single-record PUTs allowed per `put_rate_window` seconds (sliding window over
            the PUTs let through, whatever they answered); the next one gets 429. None: no limit.
        put_rate_window: the window of `put_rate_limit`, in seconds.
        put_retry_after: whether that 429 carries `Retry-After` (whole seconds until a PUT is allowed
            again, at least 1). The page documents the 429 but no header. [UNVERIFIED]
    """

    title = "d.velop smart invoice master data (fake)"

    def __init__(
        self,
        api_key: str = DEMO_API_KEY,
        *,
        buckets: Iterable[str] | None = None,
        faults: Faults | None = None,
        put_rate_limit: int | None = 10,
        put_rate_window: float = 1.0,
        put_retry_after: bool = True,
    ) -> None:
        self.api_key = api_key
        self.buckets = set(buckets) if buckets is not None else None
        self.put_rate_limit = put_rate_limit
        self.put_rate_window = put_rate_window
        self.put_retry_after = put_retry_after
        self.store = MasterDataStore()
        self._put_times: collections.deque[float] = collections.deque()
        super().__init__(faults)

    def set_faults(self, faults: Faults) -> None:
        """New knobs; jobs the old ones kept stuck end as they would have."""
        super().set_faults(faults)
        self.store.release_stuck()

    def reset_state(self) -> None:
        self.store.clear()
        self._put_times.clear()

    def records(self, bucket_id: str, entity: str) -> list[dict[str, Any]]:
        """What the bucket holds for `entity`, in process (what `GET /_fake/state/...` returns)."""
        return self.store.records(bucket_id, ENTITIES[entity])

    # --- checks shared by the vendor paths ---

    def _unauthorized(self, request: Request) -> JSONResponse | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.api_key.encode()):
            return None
        return _error(401, "unauthorized", "missing or invalid API key; send 'Authorization: Bearer <API key>'")

    def _unknown(self, bucket_id: str, entity: str) -> JSONResponse | None:
        if self.buckets is not None and bucket_id not in self.buckets:
            return _error(404, "not_found", f"unknown bucket {bucket_id!r}")
        if entity not in ENTITIES:
            return _error(404, "not_found", f"unknown entity {entity!r}; known: {', '.join(ENTITIES)}")
        return None

    def _throttled(self) -> JSONResponse | None:
        if self.put_rate_limit is None:
            return None
        now = time.monotonic()
        while self._put_times and now - self._put_times[0] >= self.put_rate_window:
            self._put_times.popleft()
        if len(self._put_times) < self.put_rate_limit:
            self._put_times.append(now)
            return None
        wait = self._put_times[0] + self.put_rate_window - now
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if self.put_retry_after else None
        return JSONResponse(
            {
                "error": "too_many_requests",
                "message": f"rate limit of {self.put_rate_limit} single-record requests "
                f"per {self.put_rate_window:g} s reached",
            },
            status_code=429,
            headers=headers,
        )

    def _validate(
        self, bucket_id: str, entity: Entity, raw: list[Any], *, batch: bool
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The records as sent (when all are valid) and one error entry per problem."""
        errors: list[dict[str, Any]] = []

        def add(index: int, record: Any, field: str, message: str, kind: str) -> None:
            key = {k: record.get(k) for k in entity.key if k in record} if isinstance(record, dict) else None
            errors.append(
                {"record": index if batch else None, "key": key, "field": field, "message": message, "type": kind}
            )

        for index, record in enumerate(raw):
            try:
                entity.model.model_validate(record)
            except ValidationError as exc:
                for e in exc.errors(include_url=False):
                    add(index, record, _field(e["loc"]), e["msg"], e["type"])
        if errors or not entity.lines_unique:
            return raw, errors
        # Line ids are unique across all purchase orders (goods receipts) of the bucket; the records
        # this request replaces give up their lines first.
        replaced = {record_key(entity, r) for r in raw}
        owners: dict[str, RecordKey] = {
            line: key for line, key in self.store.line_owners(bucket_id, entity).items() if key not in replaced
        }
        for index, record in enumerate(raw):
            key = record_key(entity, record)
            for pos, line in enumerate(record.get("line_items") or []):
                owner = owners.setdefault(line["id"], key)
                if owner != key or [ln["id"] for ln in record["line_items"]].count(line["id"]) > 1:
                    add(
                        index,
                        record,
                        f"line_items[{pos}].id",
                        f"line item id {line['id']!r} is already used by {entity.name} record {list(owner)}; "
                        f"line item ids must be unique across all {entity.name} of the bucket",
                        "duplicate_line_id",
                    )
        return raw, errors

    # --- routes ---

    def vendor_routes(self) -> APIRouter:
        router = APIRouter(prefix=API)

        @router.post("/buckets/{bucket_id}/{entity}/batch")
        async def post_batch(bucket_id: str, entity: str, request: Request) -> JSONResponse:
            refused = self._unauthorized(request) or self._unknown(bucket_id, entity)
            if refused:
                return refused
            spec = ENTITIES[entity]
            body = await _json_body(request)
            if isinstance(body, JSONResponse):
                return body
            if not isinstance(body, dict) or set(body) != {entity} or not isinstance(body[entity], list):
                return _error(400, "bad_request", f'the body must be {{"{entity}": [ ... ]}}')
            records, errors = self._validate(bucket_id, spec, body[entity], batch=True)
            if errors:
                failed = len({e["record"] for e in errors})
                return _error(
                    422,
                    "validation_failed",
                    f"{failed} of {len(records)} {entity} records are invalid; nothing was imported",
                    errors=errors,
                )
            fails, stuck = self.controller.next_job()
            job = self.store.add_job(
                bucket_id=bucket_id,
                entity=spec,
                records=len(records),
                body_sha256=payload_sha256(body),
                fails=fails,
                faults=self.faults,
                keys=["/".join("" if v is None else str(v) for v in record_key(spec, r)) for r in records],
                stuck=stuck,
            )
            if not fails:
                self.store.upsert(bucket_id, spec, records)
            return JSONResponse({"jobs": [{"job_id": job.job_id}]}, status_code=200)

        @router.get("/masterdata/import_jobs/{job_id}")
        async def get_import_job(job_id: str, request: Request) -> JSONResponse:
            refused = self._unauthorized(request)
            if refused:
                return refused
            job = self.store.poll_job(job_id)
            if job is None:
                return _error(404, "not_found", f"unknown import job {job_id!r}")
            return JSONResponse({"job_id": job.job_id, "status": job.last_status})

        @router.put("/buckets/{bucket_id}/{entity}")
        async def put_single(bucket_id: str, entity: str, request: Request) -> JSONResponse:
            refused = self._unauthorized(request) or self._unknown(bucket_id, entity) or self._throttled()
            if refused:
                return refused
            spec = ENTITIES[entity]
            body = await _json_body(request)
            if isinstance(body, JSONResponse):
                return body
            if not isinstance(body, dict):
                return _error(400, "bad_request", "the body must be one record as a JSON object, not an array")
            records, errors = self._validate(bucket_id, spec, [body], batch=False)
            if errors:
                return _error(422, "validation_failed", f"the {entity} record is invalid", errors=errors)
            self.store.upsert(bucket_id, spec, records)
            return JSONResponse({"status": "successful"}, status_code=201)

        return router

    def inspection_routes(self) -> APIRouter:
        router = APIRouter(prefix="/_fake")

        @router.get("/state/{bucket_id}/{entity}")
        def get_state(bucket_id: str, entity: str) -> JSONResponse:
            if entity not in ENTITIES:
                return _error(404, "not_found", f"unknown entity {entity!r}; known: {', '.join(ENTITIES)}")
            records = self.records(bucket_id, entity)
            applied = self.store.applied(bucket_id, ENTITIES[entity])
            return JSONResponse({"bucket_id": bucket_id, "entity": entity, "count": len(records), "records": records,
                                 "applied": applied})

        @router.get("/jobs")
        def get_jobs() -> dict[str, Any]:
            return {"jobs": [job.summary() for job in self.store.jobs()]}

        return router


def create_app(api_key: str = DEMO_API_KEY, **options: Any) -> FastAPI:
    """The FastAPI app of a new `DvelopFake(api_key, **options)`; the fake is at `app.state.fake`."""
    return DvelopFake(api_key, **options).app
