"""Which accounting systems get booking proposals, and their mapping data: `[destination.maesn.<system>]`.

The transform reads these keys of each system's section in .dlt/config.toml (or environment variables
such as DESTINATION__MAESN__XERO__BANK_ACCOUNT_ID; a map as JSON text there). The destination reads
its own keys from the same sections (company_id, the account_key secret); the transform reads no secret.

    [destination.maesn.<any system>]
    company_codes = ["1000"]        # the ERP companies whose documents go to this system (default: every one)

    [destination.maesn.datev_uo]    # DATEV Unternehmen Online: invoices and bills
    ledger_name_invoice = "..."     # required: a ledger of type ACCOUNT_RECEIVABLE (Maesn's GET Accounts)
    ledger_name_bill = "..."        # required: a ledger of type ACCOUNT_PAYABLE
    folder_management = {category = "...", folder = "...", register = "..."}   # optional; DATEV's default filing

    [destination.maesn.exact]       # bills
    account_ids = {"4930" = "<Exact G/L account id>"}   # required: G/L account number -> Exact's id
    payment_term_ids = {"NT30" = "30"}                  # optional: ERP payment term -> Exact's code (default: as is)
    tax_codes = {"V19" = "2"}       # optional: ERP tax code -> Exact VAT code (an exclusive one); a line whose
                                    # code is not in it is rejected. Without it Exact takes each account's default

    [destination.maesn.lexware_office]                  # invoices and bills
    account_ids = {"8400" = "<posting category id>"}    # required: G/L account number -> posting category

    [destination.maesn.sevdesk]     # invoices and credit notes: nothing to map

    [destination.maesn.xero]        # invoices and bills
    bank_account_id = "..."         # required: an account of type BANK at Xero
    account_codes = {"8400" = "200"}                    # optional: G/L account number -> Xero code (default: as is)

A system is configured when its section holds any key (the destination's included). None configured
is a ConfigError (exit 2) that names the keys; a configured system without its required keys, too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dlt

from erpload.errors import ConfigError

from .models import LABELS, SYSTEMS

SECTION = "destination.maesn"

#: keys a system needs before its proposals can be built
REQUIRED: dict[str, tuple[str, ...]] = {
    "datev_uo": ("ledger_name_invoice", "ledger_name_bill"),
    "exact": ("account_ids",),
    "lexware_office": ("account_ids",),
    "sevdesk": (),
    "xero": ("bank_account_id",),
}
_TRANSFORM_KEYS = ("company_codes", "ledger_name_invoice", "ledger_name_bill", "folder_management", "account_ids",
                   "payment_term_ids", "tax_codes", "bank_account_id", "account_codes")
#: the destination's keys: any of them set also makes a system configured
_DESTINATION_KEYS = ("company_id",)
_DESTINATION_SECRETS = ("account_key",)


@dataclass(frozen=True)
class SystemConfig:
    """One configured system's mapping data (see the module docstring for the keys)."""

    system: str
    #: ERP companies whose documents go to the system; empty: every company
    company_codes: tuple[str, ...] = ()
    ledger_name_invoice: str | None = None
    ledger_name_bill: str | None = None
    folder_management: Mapping[str, str] | None = None
    account_ids: Mapping[str, str] = field(default_factory=dict)
    account_codes: Mapping[str, str] = field(default_factory=dict)
    payment_term_ids: Mapping[str, str] = field(default_factory=dict)
    tax_codes: Mapping[str, str] = field(default_factory=dict)
    bank_account_id: str | None = None

    @property
    def label(self) -> str:
        return LABELS[self.system]


def _key(system: str, name: str) -> str:
    return f"{SECTION}.{system}.{name}"


def is_configured(system: str) -> bool:
    """Whether `[destination.maesn.<system>]` holds anything (a secret's value is only tested, never kept)."""
    section: Any = dlt.config.get(f"{SECTION}.{system}")
    if isinstance(section, Mapping) and section:
        return True
    if any(dlt.config.get(_key(system, k)) is not None for k in (*_TRANSFORM_KEYS, *_DESTINATION_KEYS)):
        return True
    return any(dlt.secrets.get(_key(system, k)) is not None for k in _DESTINATION_SECRETS)


def configured() -> list[str]:
    """The systems with a `[destination.maesn.<system>]` section, in Maesn's order (`erpload run` can skip the
    transform when there are none, instead of failing as `erpload transform maesn` does)."""
    return [s for s in SYSTEMS if is_configured(s)]


def _mapping(system: str, name: str) -> dict[str, str]:
    value: Any = dlt.config.get(_key(system, name))
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, Mapping) or not all(isinstance(v, str | int) for v in value.values()):
        raise ConfigError(f"{_key(system, name)} is not a table of names to ids",
                          hint=f'write it in .dlt/config.toml under [{SECTION}.{system}] as {name} = '
                               '{"8400" = "<id>", ...} (or as JSON text in an environment variable)')
    return {str(k): str(v) for k, v in value.items()}


def _text(system: str, name: str) -> str | None:
    value: Any = dlt.config.get(_key(system, name))
    return str(value) if value not in (None, "") else None


def _codes(system: str) -> tuple[str, ...]:
    value: Any = dlt.config.get(_key(system, "company_codes"))
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        text = value.strip()
        try:
            names = [str(v) for v in json.loads(text)] if text.startswith("[") else text.split(",")
        except ValueError as exc:
            raise ConfigError(f"{_key(system, 'company_codes')} is {value!r}, not a list of company codes",
                              hint=f'write company_codes = ["1000"] under [{SECTION}.{system}]') from exc
    elif isinstance(value, list | tuple):
        names = [str(v) for v in value]
    else:
        names = [str(value)]
    return tuple(n.strip() for n in names if n.strip())


def _folder_management(system: str) -> Mapping[str, str] | None:
    value: Any = dlt.config.get(_key(system, "folder_management"))
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    allowed = {"category", "folder", "register"}
    if not isinstance(value, Mapping) or not set(value) <= allowed or not value:
        raise ConfigError(f"{_key(system, 'folder_management')} must name category, folder and/or register",
                          hint=f'write folder_management = {{category = "...", folder = "...", register = "..."}} '
                               f"under [{SECTION}.{system}] (DATEV Unternehmen Online's three filing levels)")
    return {str(k): str(v) for k, v in value.items()}


def load_system(system: str) -> SystemConfig:
    """The mapping data of one system; a ConfigError naming the required keys it lacks."""
    config = SystemConfig(
        system=system,
        company_codes=_codes(system),
        ledger_name_invoice=_text(system, "ledger_name_invoice"),
        ledger_name_bill=_text(system, "ledger_name_bill"),
        folder_management=_folder_management(system),
        account_ids=_mapping(system, "account_ids"),
        account_codes=_mapping(system, "account_codes"),
        payment_term_ids=_mapping(system, "payment_term_ids"),
        tax_codes=_mapping(system, "tax_codes"),
        bank_account_id=_text(system, "bank_account_id"),
    )
    missing = [k for k in REQUIRED[system] if not getattr(config, k)]
    if missing:
        raise ConfigError(f"Maesn {config.label} is configured but lacks "
                          + ", ".join(_key(system, k) for k in missing),
                          hint=f"set {' and '.join(missing)} under [{SECTION}.{system}] in .dlt/config.toml "
                               "(see transforms/maesn/config.py), or remove the section to leave the system out")
    return config


def load_systems() -> list[SystemConfig]:
    """Every configured system, in Maesn's order; a ConfigError when none is."""
    systems = [load_system(s) for s in configured()]
    if not systems:
        raise ConfigError(
            "no Maesn accounting system is configured: " + ", ".join(f"[{SECTION}.{s}]" for s in SYSTEMS)
            + " are all absent",
            hint="add a section per accounting system to .dlt/config.toml with its mapping data: datev_uo needs "
                 "ledger_name_invoice and ledger_name_bill, exact and lexware_office account_ids, xero "
                 "bank_account_id, sevdesk nothing (any key, e.g. company_codes = [\"1000\"], configures it); "
                 "see transforms/maesn/config.py")
    return systems
