"""One package per target. A target is registered here by one line: its name and the module that declares its
contract (`CONTRACT`, an `erpload.targets.TargetContract`: what it reads from the canonical model)."""

TARGETS = {
    "datev": "transforms.datev.contract",
    "dvelop": "transforms.dvelop.contract",
    "maesn": "transforms.maesn.contract",
}
