"""A vendor client that signs in for a token (Telecom X, Papershift): the HTTP policy of `VendorClient`, the
token in memory only and registered with `erpload.redact` the moment it arrives, sign-ins counted for the
summary. Subclasses say how to sign in and how the token travels."""

from __future__ import annotations

from collections.abc import Callable

from erpload import interrupts
from erpload.push.http import RetryPolicy, VendorClient, load_retry_policy
from erpload.push.pacing import Pacer
from erpload.redact import redact_logs, register_secret


class SessionClient:
    def __init__(self, vendor: str, base_url: str, headers: dict[str, str], *, section: str, auth_hint: str,
                 timeout_s: float, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = interrupts.sleep, pacer: Pacer | None = None) -> None:
        redact_logs("httpx")  # its INFO line per request shows the URL: a token in the query is masked there
        self.http = VendorClient(vendor, base_url, headers, policy=policy or load_retry_policy(section),
                                 timeout_s=timeout_s, sleep=sleep, auth_hint=auth_hint, section=section, pacer=pacer)
        self._token: str | None = None
        self.sign_ins = 0

    @property
    def who(self) -> str:
        return self.http.who

    def close(self) -> None:
        self.http.close()

    def keep_token(self, token: str) -> None:
        """A new token from a sign-in: masked everywhere from now on, kept in memory only."""
        register_secret(token)
        self._token = token
        self.sign_ins += 1
