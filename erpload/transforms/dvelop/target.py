"""The d.velop smart invoice target, declared once: master data pushed by batch import jobs
(see `erpload.targets`)."""

from __future__ import annotations

from erpload.destinations.dvelop.entities import PUSH_ORDER
from erpload.targets import Fake, Setting, Target
from erpload.transforms.dvelop.contract import CONTRACT

TARGET = Target(
    contract=CONTRACT,
    kind="record push",
    title="d.velop smart invoice",
    transform="erpload.transforms.dvelop.transform:run_transform",
    sender="erpload.destinations.dvelop.config:make_sender",
    entities=PUSH_ORDER,
    single_record=True,
    settings=(
        Setting("destination.dvelop.base_url", scope=True, doc="the tenant, e.g. https://<tenant>.d-velop.cloud"),
        Setting("destination.dvelop.bucket_id", scope=True, doc="the smart invoice bucket master data goes to"),
        Setting("destination.dvelop.api_key", secret=True, doc="an API key with rights on the bucket"),
        Setting("destination.dvelop.batch_size", required=False, doc="records per import job (default 1000)"),
        Setting("destination.dvelop.poll_interval_s", required=False, doc="seconds between job polls (0.5)"),
        Setting("destination.dvelop.job_timeout_s", required=False, doc="how long a job may take (600)"),
    ),
    fake=Fake(title="d.velop smart invoice", port=8701, factory="erpload.fakes.dvelop.served:serve"),
    demo="erpload.destinations.dvelop.config:demo_settings",
)
