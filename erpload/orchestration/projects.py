"""The projects an orchestrator runs: every configured tenant, and the top level where it is a project of its own.

Read once, when the orchestrator loads its definitions: a tenant added to `.dlt/` appears after a reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt

from erpload.redact import register_secret
from erpload.settings import load_settings
from erpload.targets import configured_targets, targets
from erpload.tenants import configured_tenants, top_level_names_erp, working_on

#: the partition key of the top level's project; a tenant's name starts with a letter or digit, so never this
TOP_LEVEL = "_project"
#: when the daily schedule starts a project's run unless `[erpload] schedule` (or the tenant's) says otherwise
DEFAULT_CRON = "0 3 * * *"


@dataclass(frozen=True)
class Project:
    """One tenant (or the top level), as far as the orchestrator needs to know it."""

    #: the partition key: the tenant's name, or TOP_LEVEL
    key: str
    #: the name `--tenant` takes; None: the top level (no --tenant)
    tenant: str | None
    staging_path: Path
    #: `[erpload] targets` as this project resolves it
    targets: tuple[str, ...]
    #: its daily schedule, cron syntax
    cron: str

    def tenant_args(self) -> list[str]:
        """What each of its commands adds to the command line."""
        return [] if self.tenant is None else ["--tenant", self.tenant]


def discover() -> list[Project]:
    """Every configured tenant; the top level too where no tenant is configured or it names its own ERP (as
    `erpload` commands without --tenant then work on it). Raises erpload's ConfigError for a tenant that cannot
    work."""
    tenants = configured_tenants()
    found = []
    for tenant in tenants.values():
        with working_on(tenant):
            found.append(_resolved(tenant.name, tenant.name, tenant.staging_path))
    if not tenants or top_level_names_erp():
        found.append(_resolved(TOP_LEVEL, None, load_settings().staging_path))
    return found


def _resolved(key: str, tenant: str | None, staging_path: Path) -> Project:
    """The project as the current settings say (inside `working_on` for a tenant)."""
    chosen = tuple(configured_targets())
    declared = targets()
    for name in chosen:  # masked in any message this process passes on, as erpload masks them in its own
        for setting in declared[name].settings:
            if setting.secret:
                value: Any = dlt.secrets.get(setting.key)
                register_secret(str(value) if value else None)
    cron: Any = dlt.config.get("erpload.schedule")
    return Project(key=key, tenant=tenant, staging_path=staging_path, targets=chosen, cron=str(cron or DEFAULT_CRON))
