"""A made-up target shaped like Maesn: several systems side by side, each its own account key, picked with
`--system`; its sender factory records what the command gave it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt

from erpload.errors import ConfigError
from erpload.runs import Run
from erpload.targets import Call, CliOption, Setting, Target, TargetContract

SYSTEMS = ("alpha", "beta")
calls: list[Call] = []


def missing_settings(dry_run: bool) -> list[str]:
    """The API key (a push), and per configured system its account key (a push) and company id (always)."""
    configured = [s for s in SYSTEMS if dlt.config.get(f"destination.several.{s}.company_id")
                  or dlt.secrets.get(f"destination.several.{s}.account_key")]
    if not configured:
        return [f"destination.several.<{'|'.join(SYSTEMS)}>.company_id"]
    keys = [] if dry_run else ["destination.several.api_key"]
    for system in configured:
        keys += [f"destination.several.{system}.company_id"] + ([] if dry_run else [
            f"destination.several.{system}.account_key"])
    return [k for k in keys if not (dlt.secrets.get(k) if k.endswith("key") else dlt.config.get(k))]


def transform(staging_path: Path, run: Run) -> None:
    raise NotImplementedError("these tests push only")


def make_sender(call: Call) -> Any:
    calls.append(call)
    raise ConfigError("the test stops here: the factory saw the call")


TARGET = Target(
    contract=TargetContract(name="several", doc="booking proposals, one table per system", reads={}),
    kind="record push",
    title="Several",
    transform="tests.targets.several_systems:transform",
    sender="tests.targets.several_systems:make_sender",
    entities=SYSTEMS,
    entity_option="system",
    push_options=(CliOption("month", "Only this month, YYYY-MM."),
                  CliOption("force", "Send even what looks sent.", type=bool)),
    settings=(Setting("destination.several.api_key", secret=True),),
    missing_settings="tests.targets.several_systems:missing_settings",
)
