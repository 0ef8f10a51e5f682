"""The Kombo fake as `erpload fakes serve` and `erpload demo` run it, and the settings pointing erpload at it.

It accepts the API key in ERPLOAD_FAKE_KOMBO_API_KEY, or else its demo key (made up, fine to print, nobody's
secret), and holds the two demo integrations of `seed.py`. The demo puts the ERP's own integrations and employees
in with one `PUT /_fake/integrations/{id}` per company.
"""

from __future__ import annotations

import os

from erpload.fakes.kombo.app import API, KomboFake
from erpload.fakes.kombo.seed import DEMO_API_KEY, DEMO_INTEGRATION, DEMO_INTEGRATION_2

#: the environment variable holding the API key the fake accepts; unset: the demo key
API_KEY_ENV = "ERPLOAD_FAKE_KOMBO_API_KEY"


class ServedKomboFake:
    def __init__(self) -> None:
        chosen = os.environ.get(API_KEY_ENV)
        self.own_key = bool(chosen)
        self.key = chosen or DEMO_API_KEY
        self.fake = KomboFake(self.key)
        self.app = self.fake.app

    def env(self, base_url: str, *, printable: bool = False) -> dict[str, str]:
        # a key the user chose is theirs: shown as a reference to where it is, never its value
        return {"DESTINATION__KOMBO__BASE_URL": base_url.rstrip("/") + API,
                "DESTINATION__KOMBO__API_KEY": f"${API_KEY_ENV}" if printable and self.own_key else self.key}

    def accepts(self) -> list[str]:
        key = (f"the API key in {API_KEY_ENV}" if self.own_key else
               f"the API key {DEMO_API_KEY} (the fake's demo key, not a secret: set {API_KEY_ENV} for another)")
        return [key, f"the integrations {DEMO_INTEGRATION} and {DEMO_INTEGRATION_2}, and any put in with "
                     "PUT /_fake/integrations/{id}"]


def serve() -> ServedKomboFake:
    return ServedKomboFake()
