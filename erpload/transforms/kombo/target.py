"""The Kombo target, declared once: Kombo builds DATEV payroll ASCII files from a company's HR data and uploads
them to DATEV; erpload triggers that push once per company and run, saves the files Kombo returns, checks the
EXTF ones and compares their employees with the ERP's (see `erpload.targets` and `erpload.push.trigger`)."""

from __future__ import annotations

from erpload.targets import Fake, Setting, Target
from erpload.transforms.kombo.contract import CONTRACT

TARGET = Target(
    contract=CONTRACT,
    kind="trigger",
    title="Kombo",
    transform="erpload.transforms.kombo.transform:run_transform",
    sender="erpload.destinations.kombo.config:make_trigger",
    entities=("pushes",),
    entity_option=None,
    create_only=True,  # a push called twice uploads twice
    settings=(
        Setting("destination.kombo.base_url", required=False, scope=True,
                doc="Kombo's API (default: by region, https://api.kombo.dev/v1)"),
        Setting("destination.kombo.region", required=False, scope=True,
                doc="eu (default, https://api.kombo.dev/v1) or us (https://api.us.kombo.dev/v1)"),
        Setting("destination.kombo.api_key", secret=True, doc="a Kombo API key (the dashboard's Secrets page)"),
    ),
    fake=Fake(title="Kombo", port=8705, factory="erpload.fakes.kombo.served:serve"),
    demo="erpload.transforms.kombo.demo:demo_settings",
)
