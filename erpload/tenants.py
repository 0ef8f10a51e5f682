"""Many tenants in one project: each a company group with its own ERP, profile, staging file, output folders,
targets and secrets, configured the dlt way.

A tenant's section mirrors the top level: whatever `[erpload]`, `[sources.erp]` or `[destination.dvelop]` say
for a single project, `[tenants.acme.erpload]`, `[tenants.acme.sources.erp]` or `[tenants.acme.destination.dvelop]`
say for the tenant `acme` (in `.dlt/config.toml`, `.dlt/secrets.toml`, or variables like
`TENANTS__ACME__SOURCES__ERP__CREDENTIALS`). Working on a tenant (`--tenant acme`) puts its values in front of
the top level's for the command, as environment variables dlt reads first; what the tenant leaves out falls back to
the top level (a vendor key several tenants share), except what keeps tenants apart: each must name its own ERP,
and its staging file, output folder and demo ERP lie in its own folder (`tenants/<name>/` unless
`[tenants.<name>] folder` says otherwise). So tenants share nothing on disk and can run side by side.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt

from erpload.errors import ConfigError
from erpload.redact import register_secret, register_url_secrets
from erpload.settings import in_environment

SECTION = "tenants"
#: a tenant's name goes into folder names and Dagster partition keys
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
DEFAULT_FOLDER = Path("tenants")
#: the one key of a tenant's section that is not a mirror of the top level
FOLDER_KEY = "folder"
ERP_KEY = "sources.erp.credentials"
#: where a tenant's own files go unless its section says otherwise, relative to its folder (and every folder a
#: target writes to: see `_in_folder`)
_IN_FOLDER = {"erpload.staging": "erpload.duckdb", "erpload.demo_erp": "demo_erp.sqlite"}


def _in_folder() -> dict[str, str]:
    from erpload.targets import targets

    return {**_IN_FOLDER, **{s.key: s.folder for t in targets().values() for s in t.settings if s.folder}}


@dataclass(frozen=True)
class Tenant:
    name: str
    folder: Path
    #: dotted key (as at the top level) -> value, the tenant's own and the defaults of its folder
    values: Mapping[str, Any]
    #: the keys whose values came from secrets (never shown)
    secret_keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def staging_path(self) -> Path:
        return Path(str(self.values["erpload.staging"])).resolve()

    @property
    def erp_url(self) -> str | None:
        value = self.values.get(ERP_KEY)
        return str(value) if value else None

    def environment(self) -> dict[str, str]:
        """The tenant's values as the environment variables dlt reads before any file."""
        return {env_name(key): _env_value(value) for key, value in self.values.items()}


def env_name(key: str) -> str:
    """`sources.erp.credentials` -> `SOURCES__ERP__CREDENTIALS` (dlt's names for environment variables).

    >>> env_name("destination.dvelop.api_key")
    'DESTINATION__DVELOP__API_KEY'
    """
    return "__".join(part.upper() for part in key.split("."))


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def _from_files() -> Iterator[tuple[str, str, Any, bool]]:
    """(tenant, key, value, secret) from `.dlt/config.toml` and `.dlt/secrets.toml`, the files first listed winning."""
    for provider in reversed(list(dlt.config.config_providers)):  # lowest priority first: later ones overwrite
        if provider.name == "Environment Variables":
            continue
        tree, _ = provider.get_value(SECTION, Any, None)
        if not isinstance(tree, Mapping):
            continue
        for tenant, section in tree.items():
            if isinstance(section, Mapping):
                for key, value in _flatten(section):
                    yield str(tenant), key, value, provider.supports_secrets


def _from_environment() -> Iterator[tuple[str, str, Any, bool]]:
    """`TENANTS__ACME__SOURCES__ERP__CREDENTIALS=...` -> ("acme", "sources.erp.credentials", ..., True)."""
    prefix = SECTION.upper() + "__"
    for name, value in os.environ.items():
        if name.startswith(prefix) and name.count("__") >= 2:
            tenant, _, rest = name[len(prefix):].partition("__")
            yield tenant.lower(), rest.lower().replace("__", "."), value, True


def configured_tenants() -> dict[str, Tenant]:
    """Every tenant configured, by name (sorted); raises ConfigError for a name or section that cannot work."""
    return {name: _tenant(name, *section) for name, section in _sections().items()}


def tenant_names() -> list[str]:
    """The names of the tenants configured (sorted), none of them checked."""
    return list(_sections())


def _sections() -> dict[str, tuple[dict[str, Any], frozenset[str]]]:
    """Each tenant's keys and values as configured, and which of them are secrets, by name (sorted); unchecked."""
    raw: dict[str, dict[str, Any]] = {}
    secret: dict[str, set[str]] = {}
    for tenant, key, value, is_secret in [*_from_files(), *_from_environment()]:
        raw.setdefault(tenant, {})[key] = value
        if is_secret:
            secret.setdefault(tenant, set()).add(key)
    return {name: (raw[name], frozenset(secret.get(name, ()))) for name in sorted(raw)}


def _tenant(name: str, values: dict[str, Any], secret_keys: frozenset[str]) -> Tenant:
    if not NAME.fullmatch(name):
        raise ConfigError(f"tenant name '{name}' cannot name a folder and a partition",
                          hint="use lower-case letters, digits, '-' and '_' (up to 63) in [tenants.<name>]")
    folder = Path(str(values.pop(FOLDER_KEY, DEFAULT_FOLDER / name)))
    if not values.get(ERP_KEY):
        # never the top level's ERP: another tenant's data would be booked as this one's
        raise ConfigError(f"tenant '{name}' names no ERP",
                          hint=f'put [tenants.{name}.sources.erp] credentials = "postgresql://..." into '
                               f".dlt/secrets.toml (or set TENANTS__{name.upper()}__SOURCES__ERP__CREDENTIALS)")
    for key, relative in _in_folder().items():
        values.setdefault(key, str(folder / relative))
    return Tenant(name=name, folder=folder, values=values, secret_keys=secret_keys | {ERP_KEY})


def choose(asked: str | None) -> Tenant | None:
    """The tenant a command works on: the one asked for; without --tenant, the only one configured where the top
    level names no ERP of its own; else None (the top level, as for a single project).

    Only the tenant chosen is checked: a broken section of another tenant stops that tenant's commands (and
    `erpload tenants`), not everyone's."""
    sections = _sections()
    if asked is not None:
        if asked not in sections:
            known = ", ".join(sections) or "none is configured"
            raise ConfigError(f"there is no tenant '{asked}' (tenants: {known})",
                              hint=f"configure it under [tenants.{asked}] in .dlt/config.toml and .dlt/secrets.toml "
                                   "(`erpload tenants` lists them)")
        return _tenant(asked, *sections[asked])
    if len(sections) == 1 and not top_level_names_erp():
        name, section = next(iter(sections.items()))
        return _tenant(name, *section)
    return None


def top_level_names_erp() -> bool:
    """Whether the top level names an ERP of its own (then it is a project beside any tenants)."""
    return bool(dlt.secrets.get(ERP_KEY) or dlt.config.get(ERP_KEY))


@contextmanager
def working_on(tenant: Tenant | None) -> Iterator[None]:
    """Inside, every setting resolves as the tenant's (its values ahead of the top level's); restored after."""
    if tenant is None:
        yield
        return
    for key in tenant.secret_keys:  # masked wherever a message or log line would show them
        value = tenant.values.get(key)
        if isinstance(value, str) and "://" in value:
            register_url_secrets(value)
        elif isinstance(value, str) and len(value) >= 8:  # not `demo`, nor a flag a secrets file happens to hold
            register_secret(value)
    with in_environment(tenant.environment()):
        yield
