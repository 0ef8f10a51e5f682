"""The Papershift fake as `erpload fakes serve` and `erpload demo` run it, and the settings pointing erpload at it.

It accepts the demo e-mail and password from `seed.py` (made up, fine to print, nobody's secrets), or the password
in ERPLOAD_FAKE_PAPERSHIFT_PASSWORD for the demo user. The demo integrations and their employees are in `seed.py`;
the demo may replace them with the ERP's (`PUT /_fake/integrations/{id}`, one call per integration).
"""

from __future__ import annotations

import os

from erpload.fakes.papershift.app import PapershiftFake
from erpload.fakes.papershift.models import User
from erpload.fakes.papershift.seed import DEMO_EMAIL, DEMO_PASSWORD, demo_integrations

#: the environment variable holding the demo user's password; unset: the demo password
PASSWORD_ENV = "ERPLOAD_FAKE_PAPERSHIFT_PASSWORD"


class ServedPapershiftFake:
    def __init__(self) -> None:
        chosen = os.environ.get(PASSWORD_ENV)
        self.own_password = bool(chosen)
        self.password = chosen or DEMO_PASSWORD
        self.fake = PapershiftFake(users=[User(email=DEMO_EMAIL, password=self.password)])
        self.app = self.fake.app

    def env(self, base_url: str, *, printable: bool = False) -> dict[str, str]:
        # a password the user chose is theirs: shown as a reference to where it is, never its value
        password = f"${PASSWORD_ENV}" if printable and self.own_password else self.password
        return {"DESTINATION__PAPERSHIFT__BASE_URL": base_url,
                "DESTINATION__PAPERSHIFT__EMAIL": DEMO_EMAIL,
                "DESTINATION__PAPERSHIFT__PASSWORD": password}

    def accepts(self) -> list[str]:
        password = (f"the password in {PASSWORD_ENV}" if self.own_password else
                    f"the password {DEMO_PASSWORD} (the fake's demo password, not a secret: set {PASSWORD_ENV} "
                    "for another)")
        integrations = ", ".join(f"{i.id} ({i.name}: personnel numbers {', '.join(map(str, i.employee_numbers))})"
                                 for i in demo_integrations())
        return [f"the user {DEMO_EMAIL} with {password}", f"the DATEV integrations {integrations}"]


def serve() -> ServedPapershiftFake:
    return ServedPapershiftFake()
