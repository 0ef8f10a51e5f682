"""`[destination.dvelop]` in .dlt/config.toml, the API key in .dlt/secrets.toml (or environment variables
such as DESTINATION__DVELOP__API_KEY), resolved the dlt way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import dlt

from erpload.errors import ConfigError
from erpload.push.http import RetryPolicy, load_retry_policy
from erpload.redact import register_secret
from erpload.settings import positive_number

if TYPE_CHECKING:
    from erpload.destinations.dvelop.destination import DvelopSender
    from erpload.targets import Call

#: records per import job: d.velop documents no limit; a job is the unit the ledger acknowledges
DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class DvelopSettings:
    base_url: str
    bucket_id: str
    api_key: str
    batch_size: int = DEFAULT_BATCH_SIZE
    poll_interval_s: float = 0.5
    job_timeout_s: float = 600.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __repr__(self) -> str:  # never show the key, not even in a traceback's locals
        return f"DvelopSettings(base_url={self.base_url!r}, bucket_id={self.bucket_id!r}, api_key='***')"


def _positive(key: str, value: object, default: float) -> float:
    return positive_number("destination.dvelop", key, value, default)


def load_dvelop_settings(*, dry_run: bool = False) -> DvelopSettings:
    """The settings, checked; a dry run sends nothing, so it does without any of the three (`erpload push` says
    what a dry run without base_url and bucket_id compares against)."""
    base_url: object = dlt.config.get("destination.dvelop.base_url")
    bucket_id: object = dlt.config.get("destination.dvelop.bucket_id")
    api_key: object = None if dry_run else dlt.secrets.get("destination.dvelop.api_key")
    missing = [name for name, value in (("base_url", base_url), ("bucket_id", bucket_id), ("api_key", api_key))
               if not value]
    if missing and not dry_run:
        raise ConfigError(
            f"d.velop is not configured: {', '.join('destination.dvelop.' + m for m in missing)} missing",
            hint="set base_url (e.g. https://<tenant>.d-velop.cloud) and bucket_id under [destination.dvelop] in "
                 ".dlt/config.toml and api_key in .dlt/secrets.toml (or DESTINATION__DVELOP__API_KEY); "
                 "`erpload fakes serve` prints the values for the local fake")
    if api_key:
        register_secret(str(api_key))
    return DvelopSettings(
        base_url=str(base_url or "").rstrip("/"),
        bucket_id=str(bucket_id or ""),
        api_key=str(api_key or ""),
        batch_size=int(_positive("batch_size", dlt.config.get("destination.dvelop.batch_size"), DEFAULT_BATCH_SIZE)),
        poll_interval_s=_positive("poll_interval_s", dlt.config.get("destination.dvelop.poll_interval_s"), 0.5),
        job_timeout_s=_positive("job_timeout_s", dlt.config.get("destination.dvelop.job_timeout_s"), 600.0),
        retry=load_retry_policy("destination.dvelop"),
    )


def make_sender(call: Call) -> DvelopSender:
    """The sender `erpload push dvelop` uses (the target declaration names it): settings checked now."""
    from erpload.destinations.dvelop.destination import DvelopSender

    return DvelopSender(load_dvelop_settings(dry_run=call.dry_run))


def demo_settings(fake_url: str | None) -> dict[str, str]:
    """What `erpload demo` sets beside the fake's own settings: a fake's import job is done at once."""
    return {"DESTINATION__DVELOP__POLL_INTERVAL_S": "0.05"}
