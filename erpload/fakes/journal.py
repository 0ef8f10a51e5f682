"""The request log every fake keeps: what arrived, in order, with a hash of its payload.

Tests prove "nothing arrived twice" by comparing `body_sha256` values: the hash is taken over the
canonical JSON form (sorted keys, no whitespace, UTF-8), so two requests carrying equal payloads
hash equal whatever the key order or spacing on the wire.

>>> canonical_sha256(b'{"b": 1, "a": [1, 2]}') == canonical_sha256(b'{"a":[1,2],"b":1}')
True
>>> canonical_sha256(b"") is None
True
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime

from pydantic import BaseModel


def canonical_json(value: object) -> bytes:
    """`value` as canonical JSON bytes: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def payload_sha256(value: object) -> str:
    """sha256 hex of a parsed JSON value in canonical form."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def canonical_sha256(body: bytes) -> str | None:
    """sha256 hex of a request body in canonical JSON form; of the raw bytes when it is not JSON; None when empty."""
    if not body:
        return None
    try:
        return payload_sha256(json.loads(body))
    except (ValueError, UnicodeDecodeError):
        return hashlib.sha256(body).hexdigest()


class RequestRecord(BaseModel):
    """One request a fake received (inspection endpoints excluded).

    `status` is what the fake answered, or would have answered when `dropped` is true (the
    connection was cut after the request had been processed, so the client saw no response).
    `fault` names the knob that shaped the answer (`latency`, `throttled`, `error`, `dropped`;
    joined with `+`), None when none did.
    """

    seq: int
    time: datetime
    method: str
    path: str
    query: str
    body_sha256: str | None
    status: int
    fault: str | None = None
    dropped: bool = False


class RequestLog:
    """Append-only, thread-safe list of `RequestRecord`s; `seq` counts from 1 and restarts on `clear`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(
        self,
        *,
        method: str,
        path: str,
        query: str,
        body: bytes,
        status: int,
        fault: str | None = None,
        dropped: bool = False,
    ) -> RequestRecord:
        """Record one request and return its entry."""
        digest = canonical_sha256(body)
        with self._lock:
            record = RequestRecord(
                seq=len(self._records) + 1,
                time=datetime.now(UTC),
                method=method,
                path=path,
                query=query,
                body_sha256=digest,
                status=status,
                fault=fault,
                dropped=dropped,
            )
            self._records.append(record)
        return record

    def records(self, path_prefix: str | None = None, method: str | None = None) -> list[RequestRecord]:
        """The entries so far, oldest first, optionally only those under `path_prefix` and with `method`."""
        with self._lock:
            found = list(self._records)
        if path_prefix:
            found = [r for r in found if r.path.startswith(path_prefix)]
        if method:
            found = [r for r in found if r.method == method.upper()]
        return found

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
