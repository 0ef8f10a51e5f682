"""The only module that speaks HTTP to Kombo: `POST /custom/datev/push-data/general`, one per call.

Kombo tells clients to branch on `error.code`, not on the HTTP status, so every error status is taken back from
`VendorClient` (`answered`) and judged here by its envelope `{"status": "error", "error": {"code", "title",
"message", "log_url"}}`:

- `PLATFORM.RATE_LIMIT_EXCEEDED`, `PLATFORM.CONCURRENCY_LIMIT_EXCEEDED`: nothing was done; sent again after a
  wait (Retry-After when it is usable, else a back-off doubling from `min_backoff_s`), bounded by the retry
  policy's `attempts` and `max_wait_s`;
- `PLATFORM.AUTHENTICATION_INVALID`, `PLATFORM.IP_NOT_WHITELISTED`: `KomboAuthError` at once (no company can
  be pushed);
- `PLATFORM.INTEGRATION_NOT_FOUND`, `PLATFORM.INPUT_INVALID` (and any other refusal): `KomboRefused` at once;
- `PLATFORM.UNKNOWN_ERROR`, `PLATFORM.TASK_TIMED_OUT`, a 5xx without an envelope, a lost answer: the push may
  have reached DATEV, so `OutcomeUnknown`: never sent again until a person settles it.

An envelope without a code (the documented minimal error) is judged by its status. Each error keeps Kombo's
message and `log_url` (Kombo's support works from that link).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from erpload import interrupts
from erpload.push.http import (
    OutcomeUnknown,
    RetryPolicy,
    VendorAuthError,
    VendorClient,
    VendorRefused,
    VendorUnavailable,
    load_retry_policy,
    retry_after_seconds,
)
from erpload.redact import redact, redact_logs

from .config import SECTION, KomboSettings

GENERAL = "/custom/datev/push-data/general"
RATE_LIMITED = "PLATFORM.RATE_LIMIT_EXCEEDED"
CONCURRENCY_LIMITED = "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED"
LIMITS = frozenset({RATE_LIMITED, CONCURRENCY_LIMITED})
#: the push may have been done: never sent again blindly
MAYBE_DONE = frozenset({"PLATFORM.UNKNOWN_ERROR", "PLATFORM.TASK_TIMED_OUT"})
#: every error status comes back to us: Kombo's `error.code` decides, not the status
_ERROR_STATUSES = frozenset(range(400, 600))

#: what to do about each refusal, by code
FIXES = {
    "PLATFORM.AUTHENTICATION_INVALID": f"check {SECTION}.api_key in .dlt/secrets.toml (DESTINATION__KOMBO__API_KEY): "
                                       "a key from the Secrets page of the Kombo environment the integrations are in",
    "PLATFORM.IP_NOT_WHITELISTED": "add this machine's outgoing IP address to the API key's whitelist in the Kombo "
                                   "dashboard, or run erpload where the whitelist allows it",
    "PLATFORM.INTEGRATION_NOT_FOUND": "check the company's Kombo integration id (companies.kombo_integration_id in "
                                      "the ERP, e.g. datev:HWUTwvyx2wLoSUHphiWVrp28) against the Kombo dashboard, "
                                      "and that base_url/region is the environment it is in; then run extract, map, "
                                      "transform kombo and push again",
    "PLATFORM.INPUT_INVALID": "Kombo refused the request itself (erpload sends an empty JSON object): report it to "
                              "erpload with the log_url",
}
_OTHER_FIX = "look at the interaction at log_url; push again once it is fixed"


@dataclass(frozen=True)
class KomboFile:
    name: str
    content: str


@dataclass(frozen=True)
class PushAnswer:
    """Kombo's answer to a push: the files it made and its warnings; `problem` says what in it was unreadable."""

    files: list[KomboFile]
    warnings: list[str]
    problem: str | None = None


@dataclass(frozen=True)
class KomboErrorInfo:
    """Kombo's error envelope (any part may be missing)."""

    status: int
    code: str | None
    title: str | None
    message: str
    log_url: str | None

    def describe(self) -> str:
        return (f"{self.status} {self.code or '(no code)'}: {self.message}"
                + (f" (log: {self.log_url})" if self.log_url else ""))


class KomboAuthError(VendorAuthError):
    """Kombo refused the key or the caller's address: no company can be pushed."""

    def __init__(self, message: str, *, info: KomboErrorInfo, hint: str) -> None:
        self.info = info
        super().__init__(message, hint=hint)


class KomboOutcomeUnknown(OutcomeUnknown):
    """Kombo answered an error after which the push may have been done (`info`), or the answer was lost."""

    def __init__(self, message: str, *, info: KomboErrorInfo, hint: str) -> None:
        self.info = info
        super().__init__(message, hint=hint)


class KomboLimited(VendorUnavailable):
    """Kombo's rate or concurrency limit turned a push away each time, beyond the policy: nothing was done."""


class KomboRefused(VendorRefused):
    """Kombo refused this push (the integration, the input): nothing was done for the company."""

    def __init__(self, message: str, *, info: KomboErrorInfo, hint: str) -> None:
        self.info = info
        super().__init__(message, status=info.status, body=info.message, hint=hint)


def error_info(response: httpx.Response) -> KomboErrorInfo:
    """The envelope of an error answer, read leniently (a body that is not one keeps its first characters)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return KomboErrorInfo(response.status_code, None, None,
                              redact(response.text[:200]) or response.reason_phrase, None)

    def text(key: str) -> str | None:
        value = error.get(key)
        return redact(value) if isinstance(value, str) and value else None

    return KomboErrorInfo(response.status_code, text("code"), text("title"),
                          text("message") or text("title") or response.reason_phrase, text("log_url"))


def _answer(response: httpx.Response) -> PushAnswer:
    """The files and warnings of a 200; what cannot be read is said in `problem`, never dropped silently."""
    try:
        body: Any = response.json()
    except ValueError:
        return PushAnswer([], [], f"the answer is not JSON: {redact(response.text[:120])!r}")
    data = body.get("data") if isinstance(body, dict) else None
    items = data.get("files") if isinstance(data, dict) else None
    problems = []
    if isinstance(body, dict) and body.get("status") != "success":
        problems.append(f"status is {body.get('status')!r}, not 'success'")
    if not isinstance(items, list):
        problems.append("it has no data.files list")
        items = []
    files = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("content"), str):
            files.append(KomboFile(item["name"], item["content"]))
        else:
            problems.append(f"file {index + 1} has no name and content strings")
    raw_warnings = body.get("warnings") if isinstance(body, dict) else None
    warnings = [str(w.get("message")) if isinstance(w, dict) else str(w)
                for w in (raw_warnings if isinstance(raw_warnings, list) else [])]
    return PushAnswer(files, warnings, "; ".join(problems) or None)


@dataclass
class Limits:
    """The limit answers one push rode out, and the waits erpload chose for them."""

    rate: int = 0
    concurrency: int = 0
    waits: list[float] = field(default_factory=list)


class KomboClient:
    """Kombo's DATEV push over `VendorClient`: the key as Bearer, the integration per call, errors by code."""

    def __init__(self, settings: KomboSettings, *, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = interrupts.sleep) -> None:
        redact_logs("httpx")
        self.settings = settings
        self.policy = policy or load_retry_policy(SECTION)
        self._sleep = sleep
        self.http = VendorClient("Kombo", settings.base_url,
                                 {"Authorization": f"Bearer {settings.api_key}", "Accept": "application/json"},
                                 policy=self.policy, timeout_s=settings.timeout_s, sleep=sleep,
                                 auth_hint=FIXES["PLATFORM.AUTHENTICATION_INVALID"], section=SECTION)
        self.limits = Limits()

    @property
    def who(self) -> str:
        return self.http.who

    def close(self) -> None:
        self.http.close()

    def push_general(self, integration_id: str) -> PushAnswer:
        """One push for the integration. Raises `OutcomeUnknown` when it may have been done without an answer
        (`KomboOutcomeUnknown` when Kombo's error says so),
        `KomboAuthError`/`KomboRefused` when Kombo refused it, `VendorUnavailable` when the limits outlast the
        policy (`KomboLimited`: nothing was done then)."""
        what = f"the DATEV push of integration {integration_id}"
        limited = 0
        spent = 0.0
        while True:
            response = self.http.request("POST", GENERAL, safe=False, json={},
                                         headers={"X-Integration-Id": integration_id}, answered=_ERROR_STATUSES)
            if response.is_success:
                return _answer(response)
            info = error_info(response)
            if info.code in LIMITS or (info.code is None and info.status == 429):
                limited += 1
                spent += self._wait_out(info, response, what, limited, spent)
                continue
            raise self._refusal(info, what)

    def _wait_out(self, info: KomboErrorInfo, response: httpx.Response, what: str, limited: int,
                  spent: float) -> float:
        """Wait before sending a push Kombo turned away for a limit (it did nothing), or raise when the policy's
        bound would be passed."""
        if info.code == CONCURRENCY_LIMITED:
            self.limits.concurrency += 1
        else:
            self.limits.rate += 1
        asked = retry_after_seconds(response.headers.get("retry-after"))
        # a Retry-After of 0 (or none: Kombo documents none for the concurrency limit) would be a hot loop
        delay = asked if asked is not None and asked >= self.policy.min_backoff_s else self.policy.backoff(limited)
        if limited >= self.policy.attempts or spent + delay > self.policy.max_wait_s:
            raise KomboLimited(
                f"{self.who} turned away {what} {limited} time(s) ({info.code or info.status}: {info.message}); "
                f"erpload stops after {self.policy.attempts} tries or {self.policy.max_wait_s:g} s of waiting",
                hint=f"nothing was pushed for it: push again later, or raise attempts / max_wait_s under [{SECTION}] "
                     "in .dlt/config.toml")
        self.limits.waits.append(delay)
        self.http.backoff_s += delay  # in the summary's "backing off" (one push at a time: no other writer)
        try:
            self._sleep(delay)
        except interrupts.Interrupted as stop:  # between two tries: nothing is in flight, nothing was pushed
            raise KomboLimited(f"{self.who} turned away {what} ({info.code or info.status}) and erpload was {stop} "
                               "while waiting to send it again",
                               hint="nothing was pushed for it: the next push calls it again") from stop
        return delay

    def _refusal(self, info: KomboErrorInfo, what: str) -> Exception:
        message = f"{self.who} refused {what}: {info.describe()}"
        code = info.code
        if code in MAYBE_DONE or (code is None and info.status >= 500):
            return KomboOutcomeUnknown(f"{self.who} answered {info.describe()} to {what}: the push may have reached "
                                       "DATEV", info=info,
                                       hint="look at the interaction at log_url and in DATEV, then `erpload ledger "
                                            "resolve kombo <run id> --sent` or `--not-sent`")
        if code in ("PLATFORM.AUTHENTICATION_INVALID", "PLATFORM.IP_NOT_WHITELISTED") or (
                code is None and info.status in (401, 403)):
            return KomboAuthError(message, info=info, hint=FIXES.get(code or "", FIXES[
                "PLATFORM.AUTHENTICATION_INVALID"]))
        return KomboRefused(message, info=info, hint=FIXES.get(code or "", _OTHER_FIX))

    def traffic(self) -> str | None:
        """The pushes sent and the limits ridden out, in a line for the summary; None when nothing was sent."""
        if not self.http.requests:
            return None
        line = self.http.traffic()
        if self.limits.rate or self.limits.concurrency:
            line += (f"; Kombo's limits turned away {self.limits.rate} push(es) for the rate and "
                     f"{self.limits.concurrency} for concurrency, each sent again after its back-off")
        return line
