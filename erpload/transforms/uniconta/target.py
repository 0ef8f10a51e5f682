"""The Uniconta target, declared once: Telecom X exports a Danish reseller's invoices into its Uniconta company
as drafts, one call per reseller and month, triggered by erpload with the invoices to leave out
(see `erpload.targets` and `erpload.push.trigger`)."""

from __future__ import annotations

from erpload.targets import CliOption, Fake, Setting, Target
from erpload.transforms.uniconta.contract import CONTRACT

TARGET = Target(
    contract=CONTRACT,
    kind="trigger",
    title="Telecom X",
    transform="erpload.transforms.uniconta.transform:run_transform",
    sender="erpload.destinations.uniconta.config:make_trigger",
    entities=("months",),
    entity_option=None,
    create_only=True,  # an export called twice exports twice
    push_options=(
        CliOption("month", "Only this month (YYYY-MM)."),
        CliOption("force", "Call again for months exported before; every invoice Uniconta holds (or may hold) "
                           "is still left out. A call whose answer never came is never repeated: settle it with "
                           "`erpload ledger resolve` first.", type=bool),
    ),
    settings=(
        Setting("destination.uniconta.base_url", required=False, scope=True,
                doc="Telecom X's API (default https://api.telecomx.dk)"),
        Setting("destination.uniconta.username", secret=True, doc="a Telecom X user: RESELLER (own invoices) or ADMIN"),
        Setting("destination.uniconta.password", secret=True, doc="that user's password"),
        Setting("destination.uniconta.authenticator_token", secret=True, required=False,
                doc="only for a user who signs in with a second factor (or sms_key)"),
        Setting("destination.uniconta.timeout_s", required=False, doc="seconds per request (60)"),
    ),
    fake=Fake(title="Telecom X", port=8703, factory="erpload.fakes.telecomx.served:serve"),
    demo="erpload.transforms.uniconta.demo:demo_settings",
    demo_notes="erpload.transforms.uniconta.demo:demo_notes",
)
