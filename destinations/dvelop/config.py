"""`[destination.dvelop]` in .dlt/config.toml, the API key in .dlt/secrets.toml (or environment variables
such as DESTINATION__DVELOP__API_KEY), resolved the dlt way."""

from __future__ import annotations

from dataclasses import dataclass

import dlt

from erpload.errors import ConfigError
from erpload.redact import register_secret

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

    def __repr__(self) -> str:  # never show the key, not even in a traceback's locals
        return f"DvelopSettings(base_url={self.base_url!r}, bucket_id={self.bucket_id!r}, api_key='***')"


def _positive(key: str, value: object, default: float) -> float:
    try:
        number = float(value) if value is not None else default  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1
    if number <= 0:
        raise ConfigError(f"destination.dvelop.{key} is {value!r}, not a positive number",
                          hint=f"set it in .dlt/config.toml under [destination.dvelop], e.g. {key} = {default:g}")
    return number


def dvelop_configured() -> bool:
    return all((dlt.config.get("destination.dvelop.base_url"), dlt.config.get("destination.dvelop.bucket_id"),
                dlt.secrets.get("destination.dvelop.api_key")))


def load_dvelop_settings() -> DvelopSettings:
    base_url: object = dlt.config.get("destination.dvelop.base_url")
    bucket_id: object = dlt.config.get("destination.dvelop.bucket_id")
    api_key: object = dlt.secrets.get("destination.dvelop.api_key")
    missing = [name for name, value in (("base_url", base_url), ("bucket_id", bucket_id), ("api_key", api_key))
               if not value]
    if missing:
        raise ConfigError(
            f"d.velop is not configured: {', '.join('destination.dvelop.' + m for m in missing)} missing",
            hint="set base_url (e.g. https://<tenant>.d-velop.cloud) and bucket_id under [destination.dvelop] in "
                 ".dlt/config.toml and api_key in .dlt/secrets.toml (or DESTINATION__DVELOP__API_KEY); "
                 "`erpload fakes serve` prints the values for the local fake")
    register_secret(str(api_key))
    return DvelopSettings(
        base_url=str(base_url).rstrip("/"),
        bucket_id=str(bucket_id),
        api_key=str(api_key),
        batch_size=int(_positive("batch_size", dlt.config.get("destination.dvelop.batch_size"), DEFAULT_BATCH_SIZE)),
        poll_interval_s=_positive("poll_interval_s", dlt.config.get("destination.dvelop.poll_interval_s"), 0.5),
        job_timeout_s=_positive("job_timeout_s", dlt.config.get("destination.dvelop.job_timeout_s"), 600.0),
    )
