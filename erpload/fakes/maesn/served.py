"""The Maesn fake as `erpload fakes serve` and `erpload demo` run it, and the settings pointing erpload at it.

It accepts the API key in ERPLOAD_FAKE_MAESN_API_KEY, or else its demo key, and one demo account key per
target system (`DEMO_ACCOUNT_KEYS`): made-up keys only this fake knows, fine to print, nobody's secrets.
DATEV UO and Exact take the demo company ids (`DEMO_COMPANY_IDS`); the settings below name them.
"""

from __future__ import annotations

import os

from erpload.fakes.maesn.app import DEMO_ACCOUNT_KEYS, DEMO_API_KEY, DEMO_COMPANY_IDS, MaesnFake

#: the environment variable holding the API key the fake accepts; unset: the demo key
API_KEY_ENV = "ERPLOAD_FAKE_MAESN_API_KEY"


class ServedMaesnFake:
    def __init__(self) -> None:
        chosen = os.environ.get(API_KEY_ENV)
        self.own_key = bool(chosen)
        self.key = chosen or DEMO_API_KEY
        self.app = MaesnFake(self.key, companies={s: {c} for s, c in DEMO_COMPANY_IDS.items()}).app

    def env(self, base_url: str, *, printable: bool = False) -> dict[str, str]:
        # a key the user chose is theirs: shown as a reference to where it is, never its value
        env = {"DESTINATION__MAESN__BASE_URL": base_url,
               "DESTINATION__MAESN__API_KEY": f"${API_KEY_ENV}" if printable and self.own_key else self.key}
        for system, account_key in DEMO_ACCOUNT_KEYS.items():
            env[f"DESTINATION__MAESN__{system.upper()}__ACCOUNT_KEY"] = account_key
            if system in DEMO_COMPANY_IDS:
                env[f"DESTINATION__MAESN__{system.upper()}__COMPANY_ID"] = DEMO_COMPANY_IDS[system]
        return env

    def accepts(self) -> list[str]:
        key = (f"the API key in {API_KEY_ENV}" if self.own_key else
               f"the API key {DEMO_API_KEY} (the fake's demo key, not a secret: set {API_KEY_ENV} for another)")
        systems = ", ".join(DEMO_ACCOUNT_KEYS)
        companies = ", ".join(f"{s} {c}" for s, c in DEMO_COMPANY_IDS.items())
        return [key, f"one demo account key per system ({systems}), as in the settings below",
                f"the company ids {companies}"]


def serve() -> ServedMaesnFake:
    return ServedMaesnFake()
