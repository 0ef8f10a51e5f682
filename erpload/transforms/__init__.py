"""One package per target. A target is registered here by one line: its name and the module that declares it
(`TARGET`, an `erpload.targets.Target`: what it reads from the canonical model, its transform, its exporter or
sender, its settings, its fake and its demo configuration)."""

TARGETS = {
    "datev": "erpload.transforms.datev.target",
    "dvelop": "erpload.transforms.dvelop.target",
    "kombo": "erpload.transforms.kombo.target",
    "maesn": "erpload.transforms.maesn.target",
    "papershift": "erpload.transforms.papershift.target",
    "uniconta": "erpload.transforms.uniconta.target",
}
