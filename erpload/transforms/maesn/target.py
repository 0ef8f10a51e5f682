"""The Maesn target, declared once: booking proposals with their receipts, one table per accounting system
(DATEV Unternehmen Online, Exact, Lexware Office, sevdesk, Xero), pushed create-only through Maesn's unified API
(see `erpload.targets`). `--system` picks one; each system is its own connection with its own account key."""

from __future__ import annotations

from erpload.targets import Fake, Setting, Target
from erpload.transforms.maesn.contract import CONTRACT

#: push order; the systems a push covers are those configured ([destination.maesn.<system>])
SYSTEMS = ("datev_uo", "exact", "lexware_office", "sevdesk", "xero")

TARGET = Target(
    contract=CONTRACT,
    kind="record push",
    title="Maesn",
    transform="erpload.transforms.maesn.transform:run_transform",
    transform_needs_settings=True,  # which systems, and their account and ledger mappings
    sender="erpload.destinations.maesn.config:make_sender",
    entities=SYSTEMS,
    entity_option="system",
    create_only=True,  # a booking proposal sent twice is booked twice
    settings=(
        Setting("destination.maesn.base_url", required=False, scope=True, doc="default https://api.maesn.dev"),
        Setting("destination.maesn.api_key", secret=True, doc="issued by Maesn"),
        Setting("destination.maesn.concurrency", required=False, doc="proposals in flight at once (8)"),
        Setting("destination.maesn.rate_limit_per_s", required=False, doc="requests started per second (10)"),
    ),
    # per system: account_key (a secret) and, for datev_uo and exact, company_id
    missing_settings="erpload.destinations.maesn.config:missing_for_target",
    fake=Fake(title="Maesn", port=8702, factory="erpload.fakes.maesn.served:serve"),
    demo="erpload.transforms.maesn.demo:demo_settings",
)
