"""The ASGI layer between the socket and a fake's routes: fault knobs first, then the request log.

It is plain ASGI rather than a Starlette `BaseHTTPMiddleware` because the dropped-connection
knob needs to send a response start and part of a body and then stop, which only the raw
`send` channel allows: uvicorn closes a connection whose app returns mid-response.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from erpload.fakes.faults import FaultController, Verdict
from erpload.fakes.journal import RequestLog

INSPECTION_PREFIX = "/_fake/"

# uvicorn reports a response left incomplete as an error; for a fake it is the drop knob at work.
_DELIBERATE_DROP = "ASGI callable returned without completing response."


class _QuietDeliberateDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _DELIBERATE_DROP


logging.getLogger("uvicorn.error").addFilter(_QuietDeliberateDrops())


class FaultMiddleware:
    """Applies `controller`'s knobs to every request outside `/_fake/` and records it in `log`."""

    def __init__(self, app: ASGIApp, controller: FaultController, log: RequestLog) -> None:
        self.app = app
        self.controller = controller
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(INSPECTION_PREFIX):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # the client went away before sending its whole request: nothing arrived
            return
        method, path = scope["method"], scope["path"]
        verdict = self.controller.judge(method, path)
        if verdict.latency:
            await asyncio.sleep(verdict.latency)

        def record(status: int) -> None:
            self.log.append(
                method=method,
                path=path,
                query=scope.get("query_string", b"").decode("latin-1"),
                body=body,
                status=status,
                fault=verdict.fault,
                dropped=verdict.drop,
            )

        # Each request is logged before its last byte leaves, so a client that reads the log right
        # after its response always finds the request there.
        if verdict.status is not None:
            record(verdict.status)
            await _answer_fault(send, verdict)
            return
        replay = _replaying(body, receive)
        if verdict.drop:
            await _process_then_drop(self.app, scope, replay, send, record)
            return
        status = 500
        logged = False

        async def forward(message: Message) -> None:
            nonlocal status, logged
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record(status)
                logged = True
            await send(message)

        await self.app(scope, replay, forward)
        if not logged:
            record(status)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already-read body to the app once, then waits on the client."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer_fault(send: Send, verdict: Verdict) -> None:
    status = verdict.status or 500
    if status == 429:
        payload = {"error": "too_many_requests", "message": "rate limit reached (fake fault knob)"}
    else:
        payload = {"error": "server_error", "message": f"injected server error on call {verdict.call}"}
    content = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    if status == 429 and verdict.retry_after is not None:
        headers.append((b"retry-after", _retry_after(verdict).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content, "more_body": False})


def _retry_after(verdict: Verdict) -> str:
    seconds = verdict.retry_after or 0
    if verdict.retry_after_date:
        return email.utils.formatdate(time.time() + seconds, usegmt=True)
    return str(seconds)


async def _process_then_drop(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, record: Callable[[int], None]
) -> None:
    """Let the app handle the request in full, then send its headers and half its body and stop.

    The declared content-length is never reached, so the client cannot read a usable response
    (httpx raises RemoteProtocolError), while the vendor's state already changed.
    """
    start: Message | None = None
    parts: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, receive, capture)
    status = start["status"] if start else 500
    content = b"".join(parts)
    headers = [(k, v) for k, v in (start["headers"] if start else []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(max(len(content), 1)).encode()))
    record(status)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content[: len(content) // 2], "more_body": True})
