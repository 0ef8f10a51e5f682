"""`[destination.kombo]`: where Kombo is, the API key, and where the returned files go, resolved the dlt way.

    # .dlt/config.toml
    [destination.kombo]
    region = "eu"                           # eu (default): https://api.kombo.dev/v1; us: https://api.us.kombo.dev/v1
    base_url = "https://api.kombo.dev/v1"   # instead of region, e.g. a proxy
    timeout_s = 120                         # per request (Kombo builds the files while the push waits)
    max_wait_s = 300                        # the most one push may wait, rate-limit waits included

    # .dlt/secrets.toml (or DESTINATION__KOMBO__API_KEY)
    [destination.kombo]
    api_key = "..."

The files are written under the DATEV output folder (`[erpload.datev] out`, default out/datev), in
`kombo/<company>/<run id>/`. The API key is registered with `erpload.redact` as soon as it is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dlt

from erpload.redact import register_secret
from erpload.settings import positive_number
from erpload.targets import Call
from erpload.transforms.datev.config import load_datev_settings
from erpload.transforms.kombo.plan import TARGET, configured_base_url

SECTION = "destination.kombo"


@dataclass(frozen=True)
class KomboSettings:
    base_url: str
    api_key: str = field(repr=False)
    #: the folder the run folders go in: <DATEV out>/kombo
    files_dir: Path = Path("out/datev") / TARGET
    timeout_s: float = 120.0


def load_settings() -> KomboSettings:
    """The settings; the key may be missing for a dry run (it sends nothing)."""
    raw: object = dlt.secrets.get(f"{SECTION}.api_key")
    api_key = str(raw).strip() if raw not in (None, "") else ""
    register_secret(api_key or None)
    timeout = positive_number(SECTION, "timeout_s", dlt.config.get(f"{SECTION}.timeout_s"), 120.0)
    return KomboSettings(base_url=configured_base_url(), api_key=api_key,
                         files_dir=(load_datev_settings().out_dir / TARGET).resolve(), timeout_s=timeout)


def make_trigger(call: Call) -> object:
    """The Kombo trigger for `erpload push kombo` (its settings read and checked now)."""
    from erpload.destinations.kombo.trigger import KomboTrigger

    return KomboTrigger(load_settings())
