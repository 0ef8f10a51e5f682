"""The fake's demo world: one Pulse user and two DATEV integrations with a few employees each.

Made-up e-mail, password and UUIDs only this fake knows (fine to print, nobody's secrets).
"""

from __future__ import annotations

from erpload.fakes.papershift.models import Integration, User

DEMO_EMAIL = "payroll@demo-gmbh.example"
DEMO_PASSWORD = "demo-papershift-password"

#: the demo companies' DATEV integrations in Pulse
ALPENBLICK = "7c0d2a4e-3b1f-4c5d-9e8f-0a1b2c3d4e01"
BERGWERK = "7c0d2a4e-3b1f-4c5d-9e8f-0a1b2c3d4e02"


def demo_users() -> list[User]:
    return [User(email=DEMO_EMAIL, password=DEMO_PASSWORD)]


def demo_integrations() -> list[Integration]:
    return [Integration(id=ALPENBLICK, name="Alpenblick Gastro GmbH", employee_numbers=[101, 102, 103]),
            Integration(id=BERGWERK, name="Bergwerk Logistik KG", employee_numbers=[2001, 2002, 2003, 2004])]
