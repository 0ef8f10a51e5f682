"""What the Telecom X fake remembers: tokens (by hash), every export call and which invoices sit in Uniconta."""

from __future__ import annotations

import collections
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from erpload.fakes.telecomx.models import User


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Session:
    user: User
    expires_at: float | None  # monotonic seconds; None: a persistent token


@dataclass
class ExportCall:
    """One accepted export: what was asked, answered, and how the export that continued afterwards ended."""

    seq: int
    reseller: str
    month: str
    invoice_date: str
    omitted: list[str]
    to_export: list[str]
    total: int
    duplicate: bool
    username: str
    token_sha256: str
    outcome: str = "running"  # running → completed | rolled_back
    events: list[dict[str, Any]] = field(default_factory=list)

    def event(self, name: str, **details: Any) -> None:
        self.events.append({"event": name, "time": datetime.now(UTC).isoformat(), **details})

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "reseller": self.reseller, "month": self.month, "invoiceDate": self.invoice_date,
                "omitted": self.omitted, "total": self.total, "exported": len(self.to_export),
                "invoices": self.to_export, "duplicate": self.duplicate, "username": self.username,
                "token_sha256": self.token_sha256, "outcome": self.outcome, "events": self.events}


class ExportStore:
    """Thread-safe: the request thread answers while a running export may complete on a timer thread."""

    def __init__(self, new_token: Callable[[], str] | None = None) -> None:
        self.lock = threading.RLock()
        self._new_token = new_token or (lambda: secrets.token_hex(20))
        self._sessions: dict[str, Session] = {}  # by token hash: the token itself is never kept
        self.calls: list[ExportCall] = []
        self.refused: list[dict[str, Any]] = []  # export calls answered with an error, after sign-in
        self._in_uniconta: dict[tuple[str, str], collections.Counter[str]] = {}

    def sign_in(self, user: User, lifetime: float | None) -> str:
        token = self._new_token()
        expires = None if lifetime is None else time.monotonic() + lifetime
        with self.lock:
            self._sessions[token_sha256(token)] = Session(user, expires)
        return token

    def session(self, token: str) -> Session | None:
        with self.lock:
            found = self._sessions.get(token_sha256(token))
        if found is None or (found.expires_at is not None and time.monotonic() >= found.expires_at):
            return None
        return found

    def expire_tokens(self) -> int:
        """Let every token issued so far expire now (a client's renew-once is then due)."""
        with self.lock:
            for s in self._sessions.values():
                s.expires_at = time.monotonic() - 1
            return len(self._sessions)

    def accepted_before(self, reseller: str, month: str) -> bool:
        with self.lock:
            return any(c.reseller == reseller and c.month == month for c in self.calls)

    def add_call(self, **fields: Any) -> ExportCall:
        with self.lock:
            call = ExportCall(seq=len(self.calls) + 1, **fields)
            self.calls.append(call)
            return call

    def write(self, call: ExportCall, invoices: list[str]) -> None:
        with self.lock:
            tally = self._in_uniconta.setdefault((call.reseller, call.month), collections.Counter())
            tally.update(invoices)

    def delete(self, call: ExportCall, invoices: list[str]) -> None:
        with self.lock:
            tally = self._in_uniconta[(call.reseller, call.month)]
            tally.subtract(invoices)
            for invoice in invoices:
                if tally[invoice] <= 0:
                    del tally[invoice]

    def exports(self) -> list[dict[str, Any]]:
        """Per reseller and month: each invoice now in Uniconta and how many times it was exported there."""
        with self.lock:
            keys = sorted({(c.reseller, c.month) for c in self.calls})
            return [{"reseller": r, "month": m, "calls": sum(1 for c in self.calls if (c.reseller, c.month) == (r, m)),
                     "invoices": dict(sorted(self._in_uniconta.get((r, m), collections.Counter()).items()))}
                    for r, m in keys]
