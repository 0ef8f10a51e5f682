"""`[destination.papershift]`: where Papershift's Pulse API is, who signs in, and how a push follows a sync.

    # .dlt/config.toml
    [destination.papershift]
    base_url = "https://api-pulse.papershift.com"   # the default (Pulse documents no sandbox)
    range_in_months = 6       # months the initial document sync covers (1-12); `--months` overrides it
    poll_interval_s = 5       # between two looks at a running sync
    sync_timeout_s = 300      # how long one push follows a sync; one still running is followed by the next push
    timeout_s = 60            # per request

    # .dlt/secrets.toml (or DESTINATION__PAPERSHIFT__EMAIL, ..._PASSWORD)
    [destination.papershift]
    email = "payroll@company.example"
    password = "..."

The password is registered with `erpload.redact`, and so is every token a sign-in returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dlt

from erpload.errors import ConfigError
from erpload.redact import register_secret
from erpload.settings import positive_number
from erpload.targets import Call

SECTION = "destination.papershift"
DEFAULT_BASE_URL = "https://api-pulse.papershift.com"
#: Pulse: "Integer between 1 and 12"
MONTHS_RANGE = (1, 12)
DEFAULT_MONTHS = 6


@dataclass(frozen=True)
class PapershiftSettings:
    base_url: str
    email: str
    password: str = field(repr=False)
    range_in_months: int = DEFAULT_MONTHS
    poll_interval_s: float = 5.0
    sync_timeout_s: float = 300.0
    timeout_s: float = 60.0


def configured_base_url() -> str:
    """`destination.papershift.base_url`: Pulse's API, without a trailing slash."""
    value: object = dlt.config.get(f"{SECTION}.base_url")
    return str(value).strip().rstrip("/") if value not in (None, "") else DEFAULT_BASE_URL


def check_months(value: object, where: str) -> int:
    """`value` as a `range_in_months` Pulse accepts (an integer 1-12), or a ConfigError saying where to fix it."""
    low, high = MONTHS_RANGE
    try:
        months = int(str(value).strip())
    except ValueError:
        months = 0
    if str(value).strip() != str(months) or not low <= months <= high:
        raise ConfigError(f"{where} is {value!r}: Papershift's initial document sync covers {low} to {high} months",
                          hint=f"give a whole number of months from {low} to {high}, e.g. {DEFAULT_MONTHS}")
    return months


def _secret(key: str) -> str:
    value: object = dlt.secrets.get(f"{SECTION}.{key}")
    return str(value) if value not in (None, "") else ""


def load_settings(*, months: object = None) -> PapershiftSettings:
    """The settings, checked: `months` (from `--months`) wins over `range_in_months` in the config."""
    if months is not None:
        range_in_months = check_months(months, "--months")
    else:
        configured: object = dlt.config.get(f"{SECTION}.range_in_months")
        range_in_months = (check_months(configured, f"{SECTION}.range_in_months") if configured is not None
                           else DEFAULT_MONTHS)
    password = _secret("password")
    register_secret(password)  # the e-mail says who signed in: it may be shown
    number = {key: positive_number(SECTION, key, dlt.config.get(f"{SECTION}.{key}"), default)
              for key, default in (("poll_interval_s", 5.0), ("sync_timeout_s", 300.0), ("timeout_s", 60.0))}
    return PapershiftSettings(base_url=configured_base_url(), email=_secret("email"), password=password,
                              range_in_months=range_in_months, **number)


def make_trigger(call: Call) -> object:
    """The Papershift trigger for `erpload push papershift`: its settings read and checked now, before the run
    (a bad `--months` is exit 2 and nothing is sent)."""
    from erpload.destinations.papershift.trigger import PapershiftTrigger

    return PapershiftTrigger(load_settings(months=call.options.get("months")), dry_run=call.dry_run, say=call.say)
