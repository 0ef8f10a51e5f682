"""The Telecom X fake as a demo serves it, and the settings pointing erpload at it.

It accepts the demo username and password from `seed.py` (made up, fine to print, nobody's secrets), or the
password in ERPLOAD_FAKE_TELECOMX_PASSWORD for the demo user.
"""

from __future__ import annotations

import os

from erpload.fakes.telecomx.app import TelecomXFake
from erpload.fakes.telecomx.seed import DEMO_PASSWORD, DEMO_USERNAME, FJORDTEL, NORDLYS, demo_users

#: the environment variable holding the demo user's password; unset: the demo password
PASSWORD_ENV = "ERPLOAD_FAKE_TELECOMX_PASSWORD"


class ServedTelecomXFake:
    def __init__(self) -> None:
        chosen = os.environ.get(PASSWORD_ENV)
        self.own_password = bool(chosen)
        self.password = chosen or DEMO_PASSWORD
        users = [u.model_copy(update={"password": self.password}) if u.username == DEMO_USERNAME else u
                 for u in demo_users()]
        self.app = TelecomXFake(users=users).app

    def env(self, base_url: str, *, printable: bool = False) -> dict[str, str]:
        # a password the user chose is theirs: shown as a reference to where it is, never its value
        password = f"${PASSWORD_ENV}" if printable and self.own_password else self.password
        return {"DESTINATION__UNICONTA__BASE_URL": base_url,
                "DESTINATION__UNICONTA__USERNAME": DEMO_USERNAME,
                "DESTINATION__UNICONTA__PASSWORD": password}

    def accepts(self) -> list[str]:
        password = (f"the password in {PASSWORD_ENV}" if self.own_password else
                    f"the password {DEMO_PASSWORD} (the fake's demo password, not a secret: set {PASSWORD_ENV} "
                    "for another)")
        return [f"the user {DEMO_USERNAME} (RESELLER of {FJORDTEL}) with {password}",
                f"knows the resellers {FJORDTEL} and {NORDLYS} and any put in with PUT /_fake/resellers, and users "
                "put in with PUT /_fake/users (`erpload demo` puts in the demo ERP's reseller, its invoices and a "
                "user of it)"]


def serve() -> ServedTelecomXFake:
    return ServedTelecomXFake()
