"""The mapping data that lets the demo ERP yield booking proposals for all five systems.

`demo_config()` is `[destination.maesn.<system>]` as a dict (what `erpload demo` writes into its
configuration beside the fake's base URL, company ids and account keys). Each system takes one demo
company, as one Maesn connection books one company: DATEV Unternehmen Online and sevdesk get company
1000 (SKR03), Exact and Xero company 2000 (SKR04, 6-digit accounts), Lexware Office company 4000
(SKR03, 8-digit accounts). The account maps cover every account of those charts, with made-up ids
derived from the number, so the demo's only rejects are its planted faults and the contacts the demo
ERP has no Maesn contact id for (about 7 in 10, on purpose: the fix a reject shows is the point).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from erpload.sources.demo_erp.charts import chart_accounts, pad_account

from .config import SystemConfig

_DEMO_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "https://erpload.invalid/maesn/demo")


def _accounts(chart: str, length: int) -> list[str]:
    return [pad_account(a.number, length) for a in chart_accounts(chart)]


def _ids(system: str, accounts: list[str]) -> dict[str, str]:
    return {a: str(uuid.uuid5(_DEMO_IDS, f"{system}/{a}")) for a in accounts}


def demo_config() -> dict[str, dict[str, Any]]:
    """`[destination.maesn.<system>]` for the demo ERP: system -> its transform keys."""
    return {
        "datev_uo": {
            "company_codes": ["1000"],
            "ledger_name_invoice": "Rechnungsausgang",
            "ledger_name_bill": "Rechnungseingang",
            "folder_management": {"category": "Buchhaltung", "folder": "Belege", "register": "erpload"},
        },
        "exact": {"company_codes": ["2000"], "account_ids": _ids("exact", _accounts("SKR04", 6)),
                  # Exact VAT codes for company 2000's input tax codes (made up; exclusive ones)
                  "tax_codes": {"V19": "2", "V7": "1", "IGE19": "6", "RC19": "5", "RC7": "4", "EX0": "0"}},
        "lexware_office": {"company_codes": ["4000"], "account_ids": _ids("lexware_office", _accounts("SKR03", 8))},
        "sevdesk": {"company_codes": ["1000"]},
        "xero": {"company_codes": ["2000"], "bank_account_id": str(uuid.uuid5(_DEMO_IDS, "xero/bank"))},
    }


def demo_systems() -> list[SystemConfig]:
    """`demo_config()` as the transform reads it, without going through dlt's configuration."""
    systems = []
    for system, keys in demo_config().items():
        systems.append(SystemConfig(
            system, company_codes=tuple(keys["company_codes"]), ledger_name_invoice=keys.get("ledger_name_invoice"),
            ledger_name_bill=keys.get("ledger_name_bill"), folder_management=keys.get("folder_management"),
            account_ids=keys.get("account_ids", {}), tax_codes=keys.get("tax_codes", {}),
            bank_account_id=keys.get("bank_account_id")))
    return systems


def demo_environment(config: dict[str, dict[str, Any]] | None = None) -> dict[str, str]:
    """`config` (default: `demo_config()`) as dlt environment variables, maps and lists as JSON text:
    DESTINATION__MAESN__XERO__BANK_ACCOUNT_ID=..., DESTINATION__MAESN__EXACT__ACCOUNT_IDS={"4400": ...}."""
    found = {}
    for system, keys in (demo_config() if config is None else config).items():
        for key, value in keys.items():
            found[f"DESTINATION__MAESN__{system.upper()}__{key.upper()}"] = (
                value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    return found


def demo_settings(fake_url: str | None) -> dict[str, str]:
    """What `erpload demo` sets for Maesn beside its fake's settings (the target's `demo`): the systems' mappings
    for the demo ERP, and a fake's quick tasks."""
    from erpload.destinations.maesn.config import demo_settings as push_settings

    return {**demo_environment(), **push_settings(fake_url)}
