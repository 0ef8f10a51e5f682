"""The d.velop fake as `erpload fakes serve` and `erpload demo` run it, and the settings pointing erpload at it.

It accepts the API key in ERPLOAD_FAKE_DVELOP_API_KEY, or else its demo key: a made-up key only this fake
knows, fine to print, not a secret of anyone's. Any bucket id is accepted.
"""

from __future__ import annotations

import os

from erpload.fakes.dvelop.app import DEMO_API_KEY, DvelopFake

#: the environment variable holding the API key the fake accepts; unset: the demo key
API_KEY_ENV = "ERPLOAD_FAKE_DVELOP_API_KEY"
#: the bucket erpload's settings for the fake name (the fake takes any)
DEMO_BUCKET = "demo"


class ServedDvelopFake:
    def __init__(self) -> None:
        chosen = os.environ.get(API_KEY_ENV)
        self.own_key = bool(chosen)
        self.key = chosen or DEMO_API_KEY
        self.app = DvelopFake(self.key).app

    def env(self, base_url: str, *, printable: bool = False) -> dict[str, str]:
        # a key the user chose is theirs: shown as a reference to where it is, never its value
        key = f"${API_KEY_ENV}" if printable and self.own_key else self.key
        return {"DESTINATION__DVELOP__BASE_URL": base_url, "DESTINATION__DVELOP__BUCKET_ID": DEMO_BUCKET,
                "DESTINATION__DVELOP__API_KEY": key}

    def accepts(self) -> list[str]:
        key = (f"the API key in {API_KEY_ENV}" if self.own_key else
               f"the API key {DEMO_API_KEY} (the fake's demo key, not a secret: set {API_KEY_ENV} for another)")
        return [key, f"any bucket id (the settings below say {DEMO_BUCKET})"]


def serve() -> ServedDvelopFake:
    return ServedDvelopFake()
