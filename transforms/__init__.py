"""One package per target. A target is registered here by one line: its name and the module that declares it
(`TARGET`, an `erpload.targets.Target`: what it reads from the canonical model, its transform, its exporter or
sender, its settings, its fake and its demo configuration)."""

TARGETS = {
    "datev": "transforms.datev.target",
    "dvelop": "transforms.dvelop.target",
    "kombo": "transforms.kombo.target",
    "maesn": "transforms.maesn.target",
    "papershift": "transforms.papershift.target",
    "uniconta": "transforms.uniconta.target",
}
