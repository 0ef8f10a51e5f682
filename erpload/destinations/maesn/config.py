"""`[destination.maesn]` and one `[destination.maesn.<system>]` per connected accounting system, resolved the dlt way.

    # .dlt/config.toml
    [destination.maesn]
    base_url = "https://api.maesn.dev"      # the default
    concurrency = 8                         # proposals in flight at once
    rate_limit_per_s = 10                   # requests started in any one second, all threads together
    poll_interval_s = 1.0                   # between two looks at an async task
    task_timeout_s = 120                    # a task not finished by then stays `sent`; the next push asks again
    [destination.maesn.datev_uo]
    company_id = "455148-10001"             # required for datev_uo and exact

    # .dlt/secrets.toml (or DESTINATION__MAESN__API_KEY, DESTINATION__MAESN__DATEV_UO__ACCOUNT_KEY)
    [destination.maesn]
    api_key = "..."                         # issued by Maesn
    [destination.maesn.datev_uo]
    account_key = "..."                     # one end user's connection to one system

A system is configured when its account key is set. Secrets are registered with `erpload.redact` and never
appear in a repr; the scope of a system names its account key by a sha256 fingerprint only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dlt

from erpload.errors import ConfigError
from erpload.redact import register_secret
from erpload.settings import positive_number

if TYPE_CHECKING:
    from erpload.destinations.maesn.destination import MaesnSender

DEFAULT_BASE_URL = "https://api.maesn.dev"
#: the target systems erpload sends booking proposals to, in push order, with the vendor's names
SYSTEM_TITLES: dict[str, str] = {
    "datev_uo": "DATEV Unternehmen Online",
    "exact": "Exact",
    "lexware_office": "Lexware Office",
    "sevdesk": "sevdesk",
    "xero": "Xero",
}
SYSTEMS: tuple[str, ...] = tuple(SYSTEM_TITLES)
#: Maesn needs `companyId` for these unless the interactive auth flow is used (seed, vendor-apis.md 3.1)
NEEDS_COMPANY_ID = frozenset({"datev_uo", "exact"})
_SECTION = "destination.maesn"


@dataclass(frozen=True)
class SystemConnection:
    """One end user's connection to one accounting system through Maesn."""

    system: str
    account_key: str = field(repr=False)
    company_id: str | None = None

    @property
    def title(self) -> str:
        return SYSTEM_TITLES[self.system]

    @property
    def account_fingerprint(self) -> str:
        """Names the account key in scopes and messages without revealing it: sha256, first 8 hex digits."""
        return hashlib.sha256(self.account_key.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class MaesnSettings:
    base_url: str
    api_key: str = field(repr=False)
    connections: Mapping[str, SystemConnection] = field(default_factory=dict)
    concurrency: int = 8
    rate_limit_per_s: float = 10.0
    poll_interval_s: float = 1.0
    task_timeout_s: float = 120.0

    @property
    def systems(self) -> tuple[str, ...]:
        """The configured systems, in push order."""
        return tuple(s for s in SYSTEMS if s in self.connections)

    def connection(self, system: str) -> SystemConnection:
        try:
            return self.connections[system]
        except KeyError:
            raise ConfigError(f"Maesn system {system!r} is not configured",
                              hint=f"set {_SECTION}.{system}.account_key in .dlt/secrets.toml") from None


def _secret(key: str) -> str | None:
    value: object = dlt.secrets.get(f"{_SECTION}.{key}")
    return str(value) if value else None


def _setting(key: str) -> str | None:
    value: object = dlt.config.get(f"{_SECTION}.{key}")
    return str(value) if value not in (None, "") else None


def _positive(key: str, default: float) -> float:
    return positive_number(_SECTION, key, dlt.config.get(f"{_SECTION}.{key}"), default)


def configured_systems() -> list[str]:
    """The systems with an account key, in push order."""
    return [s for s in SYSTEMS if _secret(f"{s}.account_key")]


def missing_settings(systems: Iterable[str] | None = None) -> list[str]:
    """What still has to be set before a push to `systems` (default: those configured) can send; empty: ready."""
    missing = [] if _secret("api_key") else [f"{_SECTION}.api_key"]
    chosen = list(systems) if systems is not None else configured_systems()
    if not chosen:
        missing.append(f"{_SECTION}.<system>.account_key for at least one of {', '.join(SYSTEMS)}")
    for system in chosen:
        if not _secret(f"{system}.account_key"):
            missing.append(f"{_SECTION}.{system}.account_key")
        if system in NEEDS_COMPANY_ID and not _setting(f"{system}.company_id"):
            missing.append(f"{_SECTION}.{system}.company_id")
    return missing


def maesn_configured() -> bool:
    return not missing_settings()


def load_maesn_settings(only: Iterable[str] | None = None, *, dry_run: bool = False) -> MaesnSettings:
    """The settings for a push; `only` narrows the systems (`erpload push maesn --system datev_uo`). A dry run
    sends nothing and needs no API key."""
    wanted = list(only) if only is not None else None
    unknown = [s for s in wanted or [] if s not in SYSTEM_TITLES]
    if unknown:
        raise ConfigError(f"unknown Maesn system(s) {', '.join(unknown)}", hint=f"use one of {', '.join(SYSTEMS)}")
    systems = wanted or configured_systems()
    missing = [m for m in missing_settings(systems) if not (dry_run and m == f"{_SECTION}.api_key")]
    if missing:
        raise ConfigError(
            f"Maesn is not configured: {'; '.join(missing)} missing",
            hint=f"put api_key under [{_SECTION}] and each system's account_key under [{_SECTION}.<system>] in "
                 ".dlt/secrets.toml, company_id for datev_uo and exact in .dlt/config.toml; "
                 "`erpload fakes serve` prints the values for the local fake")
    api_key = _secret("api_key") or ""
    register_secret(api_key)
    connections: dict[str, SystemConnection] = {}
    for system in systems:
        account_key = str(_secret(f"{system}.account_key"))
        register_secret(account_key)
        connections[system] = SystemConnection(system, account_key, _setting(f"{system}.company_id"))
    return MaesnSettings(
        base_url=(_setting("base_url") or DEFAULT_BASE_URL).rstrip("/"),
        api_key=api_key,
        connections=connections,
        concurrency=int(_positive("concurrency", 8)),
        rate_limit_per_s=_positive("rate_limit_per_s", 10),
        poll_interval_s=_positive("poll_interval_s", 1.0),
        task_timeout_s=_positive("task_timeout_s", 120),
    )


# --- what the target declaration (erpload.targets.Target) names; wired at merge ---


def missing_for_target(dry_run: bool) -> list[str]:
    """The keys missing for `erpload targets` and a push (`Target.missing_settings`). A dry run needs no API key;
    it still needs each system's account key, which says which systems there are and names their scope."""
    return [m for m in missing_settings() if not (dry_run and m == f"{_SECTION}.api_key")]


def make_sender(call: Any) -> MaesnSender:
    """The sender `erpload push maesn [--system S]` uses (`call` is an erpload.targets.Call); settings checked now."""
    from erpload.destinations.maesn.destination import MaesnSender

    systems = call.options.get("system") or None
    return MaesnSender(load_maesn_settings([systems] if isinstance(systems, str) else systems, dry_run=call.dry_run))


def demo_settings(fake_url: str | None) -> dict[str, str]:
    """What `erpload demo` sets beside the fake's own settings: the fake's tasks finish after a poll or two."""
    return {"DESTINATION__MAESN__POLL_INTERVAL_S": "0.01", "DESTINATION__MAESN__RATE_LIMIT_PER_S": "1000"}
