"""What every fake vendor shares: the fault knobs, the request log and the `/_fake/` endpoints.

A vendor fake subclasses `FakeVendor`, declares its documented paths in `vendor_routes()` and
its state in `reset_state()`; `app` is the FastAPI app to serve. The inspection endpoints
(no auth, never faulted, never logged):

- `GET /_fake/requests?path_prefix=/x&method=POST` → `{"requests": [RequestRecord, ...]}`, oldest first
- `PUT /_fake/faults` with a `Faults` body → the knobs now in force (replaces all; counters restart)
- `GET /_fake/faults` → the knobs in force
- `POST /_fake/reset` → `{"status": "reset"}`: vendor state, request log and knobs (back to `Faults()`)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from erpload.fakes.faults import FaultController, Faults
from erpload.fakes.journal import RequestLog
from erpload.fakes.middleware import INSPECTION_PREFIX, FaultMiddleware


class FakeVendor:
    """Base of the loopback fakes; `app` serves the vendor routes behind the fault and log layer."""

    title = "fake vendor"

    def __init__(self, faults: Faults | None = None) -> None:
        self.controller = FaultController(faults)
        self.log = self.make_log()
        self.app = self._build_app()

    def make_log(self) -> RequestLog:
        """The request log (a vendor whose credentials travel in the URL hashes them here)."""
        return RequestLog()

    @property
    def faults(self) -> Faults:
        return self.controller.faults

    def set_faults(self, faults: Faults) -> None:
        """Replace the knobs in process (what `PUT /_fake/faults` does); counters restart."""
        self.controller.set(faults)

    def reset(self) -> None:
        """Forget everything: vendor state, request log, knobs."""
        self.reset_state()
        self.log.clear()
        self.controller.set(Faults())

    def reset_state(self) -> None:
        """Forget the vendor's own state (subclasses)."""

    def vendor_routes(self) -> APIRouter:
        """The vendor's documented paths (subclasses)."""
        return APIRouter()

    def inspection_routes(self) -> APIRouter:
        """Vendor-specific `/_fake/...` endpoints (subclasses may add some)."""
        return APIRouter()

    def _common_inspection_routes(self) -> APIRouter:
        router = APIRouter(prefix=INSPECTION_PREFIX.rstrip("/"))

        @router.get("/requests")
        def list_requests(path_prefix: str | None = None, method: str | None = None) -> dict[str, Any]:
            return {"requests": [r.model_dump(mode="json") for r in self.log.records(path_prefix, method)]}

        @router.put("/faults")
        def put_faults(faults: Faults) -> Faults:
            self.set_faults(faults)
            return self.faults

        @router.get("/faults")
        def get_faults() -> Faults:
            return self.faults

        @router.post("/reset")
        def reset() -> dict[str, str]:
            self.reset()
            return {"status": "reset"}

        return router

    def _build_app(self) -> FastAPI:
        # No /docs or /openapi.json: the fake answers only what the vendor answers.
        app = FastAPI(title=self.title, docs_url=None, redoc_url=None, openapi_url=None)
        app.include_router(self._common_inspection_routes())
        app.include_router(self.inspection_routes())
        app.include_router(self.vendor_routes())
        app.add_middleware(FaultMiddleware, controller=self.controller, log=self.log)
        app.state.fake = self
        return app
