"""The Papershift target, declared once: Papershift Pulse fetches a company's payroll documents from DATEV; erpload
creates the initial document sync per company, follows it to the end and checks it against the ERP's employees
(see `erpload.targets` and `erpload.push.trigger`)."""

from __future__ import annotations

from erpload.targets import CliOption, Fake, Setting, Target
from erpload.transforms.papershift.contract import CONTRACT

TARGET = Target(
    contract=CONTRACT,
    kind="trigger",
    title="Papershift",
    transform="erpload.transforms.papershift.transform:run_transform",
    sender="erpload.destinations.papershift.config:make_trigger",
    entities=("syncs",),
    entity_option=None,
    create_only=True,  # a create whose answer was lost is never repeated blindly
    push_options=(
        CliOption("months", "Months the initial document sync covers, 1 to 12 (range_in_months; default "
                            "[destination.papershift] range_in_months, else 6).", type=int),
        CliOption("force", "Ask Papershift again for companies whose initial sync was created before: it keeps "
                           "one per integration (422), so erpload follows that one. A call whose answer never "
                           "came is never repeated: settle it with `erpload ledger resolve` first.", type=bool),
    ),
    settings=(
        Setting("destination.papershift.base_url", required=False, scope=True,
                doc="Papershift's Pulse API (default https://api-pulse.papershift.com)"),
        Setting("destination.papershift.email", secret=True, doc="a Papershift Pulse user's e-mail"),
        Setting("destination.papershift.password", secret=True, doc="that user's password"),
    ),
    fake=Fake(title="Papershift", port=8704, factory="erpload.fakes.papershift.served:serve"),
    demo="erpload.transforms.papershift.demo:demo_settings",
    demo_notes="erpload.transforms.papershift.demo:demo_notes",
    cli="erpload.transforms.papershift.cli:papershift_app",
    cli_help="Papershift's DATEV document sync schedules per company.",
)
