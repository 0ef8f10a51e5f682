"""`[destination.uniconta]`: where Telecom X is and who signs in, resolved the dlt way.

    # .dlt/config.toml
    [destination.uniconta]
    base_url = "https://api.telecomx.dk"     # the default (Telecom X documents no sandbox)
    timeout_s = 60                           # per request

    # .dlt/secrets.toml (or DESTINATION__UNICONTA__USERNAME, ..._PASSWORD)
    [destination.uniconta]
    username = "bookkeeping@reseller.example"  # a Telecom X user with access level RESELLER (own invoices) or ADMIN
    password = "..."
    authenticator_token = "..."              # only where the user signs in with a second factor

Secrets are registered with `erpload.redact`, and so is every token a sign-in returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dlt

from erpload.redact import register_secret
from erpload.settings import positive_number
from erpload.targets import Call
from erpload.transforms.uniconta.plan import configured_base_url

SECTION = "destination.uniconta"


@dataclass(frozen=True)
class UnicontaSettings:
    base_url: str
    username: str = field(repr=False)
    password: str = field(repr=False)
    sms_key: str | None = field(default=None, repr=False)
    authenticator_token: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0


def _secret(key: str) -> str | None:
    value: object = dlt.secrets.get(f"{SECTION}.{key}")
    return str(value) if value not in (None, "") else None


def load_settings(*, dry_run: bool = False) -> UnicontaSettings:
    """The settings; a dry run needs no credentials (it only reads the ledger at `base_url`)."""
    secrets = {key: _secret(key) for key in ("username", "password", "sms_key", "authenticator_token")}
    for key, value in secrets.items():
        if key != "username":  # a user name is shown in messages: it says who signed in
            register_secret(value)
    timeout = positive_number(SECTION, "timeout_s", dlt.config.get(f"{SECTION}.timeout_s"), 60.0)
    return UnicontaSettings(base_url=configured_base_url(), username=secrets["username"] or "",
                            password=secrets["password"] or "", sms_key=secrets["sms_key"],
                            authenticator_token=secrets["authenticator_token"], timeout_s=timeout)


def make_trigger(call: Call) -> object:
    """The Uniconta trigger for `erpload push uniconta` (its settings read and checked now)."""
    from erpload.destinations.uniconta.trigger import UnicontaTrigger

    settings = load_settings(dry_run=call.dry_run)
    month = call.options.get("month")
    return UnicontaTrigger(settings, month=str(month) if month else None, force=bool(call.options.get("force")))
