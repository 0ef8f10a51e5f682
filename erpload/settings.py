"""Where things are and which ERP to read, resolved the dlt way.

Values come from, highest first: command-line options, environment variables
(`ERPLOAD__STAGING`, `SOURCES__ERP__CREDENTIALS`, ...), `.dlt/secrets.toml`, `.dlt/config.toml`
in the current directory, then the defaults below. There is no default ERP: a command that reads one stops
unless `sources.erp.credentials` names it (`demo` names the embedded demo ERP).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt

from erpload.errors import ConfigError
from erpload.redact import redact, register_url_secrets
from erpload.sources.erp.settings import (
    BACKENDS,
    DEFAULT_BACKEND,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CURSOR_TOLERANCE_HOURS,
)

DEFAULT_STAGING = "erpload.duckdb"
#: `sources.erp.credentials = "demo"` (or `--erp-url demo`): the embedded demo ERP at erpload.demo_erp
DEMO_ERP = "demo"
DEFAULT_DEMO_ERP = "demo_erp.sqlite"
DEFAULT_PROFILE = "demo"


def work_dir(staging_path: Path) -> Path:
    """The folder erpload keeps beside a staging file, owned by it (dlt's state, an orchestrator's lock); keyed
    by the file's name: two staging files in one folder must not share it."""
    return staging_path.parent / ".erpload" / staging_path.name


@dataclass(frozen=True)
class Settings:
    staging_path: Path
    profile: str
    #: the configured ERP: a SQLAlchemy URL, DEMO_ERP, or None when none is configured
    erp_credentials: str | None
    demo_erp_path: Path
    backend: str
    chunk_size: int
    #: a cursor value later than now plus this is not trusted as the table's cursor (see erpload.extract_rejects)
    cursor_tolerance_hours: float = DEFAULT_CURSOR_TOLERANCE_HOURS

    @property
    def pipelines_dir(self) -> Path:
        """dlt's working dir (state, cursors, load packages), beside the staging file and owned by it.

        Keyed by the file's name: two staging files in one directory must not share cursors.
        """
        return work_dir(self.staging_path) / "pipelines"

    @property
    def uses_demo_erp(self) -> bool:
        return self.erp_credentials == DEMO_ERP

    def require_erp(self) -> None:
        """Raise unless an ERP is configured: erpload never falls back to the demo ERP on its own, where a
        misplaced secrets file would turn made-up companies into DATEV files."""
        if self.erp_credentials is None:
            raise no_erp_configured()

    @property
    def erp_url(self) -> str:
        self.require_erp()
        return f"sqlite:///{self.demo_erp_path}" if self.uses_demo_erp else str(self.erp_credentials)

    @property
    def erp_url_for_humans(self) -> str:
        return redact(self.erp_url)


def no_erp_configured() -> ConfigError:
    """The error for a command that reads the ERP when none is configured; says where erpload looked."""
    from dlt.common.runtime.run_context import active

    from erpload.tenants import tenant_names

    secrets = Path(active().settings_dir).resolve() / "secrets.toml"
    found = "it has no [sources.erp] credentials" if secrets.exists() else "there is no such file"
    tenants = ", ".join(tenant_names())  # a broken tenant section must not hide this error
    if tenants:
        return ConfigError(f"no ERP configured: tenants are configured ({tenants}): give --tenant NAME",
                           hint="or set ERPLOAD_TENANT; a project's top level reads an ERP only where "
                                "[sources.erp] credentials names one")
    return ConfigError(
        "no ERP configured: set sources.erp.credentials to the SQLAlchemy URL of your ERP database",
        hint=f'put [sources.erp] credentials = "postgresql://erp_reader@db-host:5432/erp" into {secrets} '
             f"(looked up in the current folder; {found}), or set SOURCES__ERP__CREDENTIALS, or give --erp-url; "
             f'to read the embedded demo ERP, set credentials = "{DEMO_ERP}" (or --erp-url {DEMO_ERP}), '
             "or run `erpload demo`")


@contextmanager
def in_environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in this process's environment for a while (dlt reads settings from it first), then as before."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _config(key: str) -> Any:
    return dlt.config.get(key)


def load_settings(
    *,
    staging: str | Path | None = None,
    profile: str | None = None,
    erp_url: str | None = None,
    backend: str | None = None,
) -> Settings:
    """Resolve settings; explicit arguments (CLI options) win over dlt config."""
    credentials = erp_url or dlt.secrets.get("sources.erp.credentials") or _config("sources.erp.credentials")
    # masked wherever it shows, also in pieces a driver's error may quote (see erpload.redact)
    register_url_secrets(str(credentials) if credentials else None)
    return Settings(
        staging_path=Path(staging or _config("erpload.staging") or DEFAULT_STAGING).resolve(),
        profile=str(profile or _config("erpload.profile") or DEFAULT_PROFILE),
        erp_credentials=str(credentials) if credentials else None,
        demo_erp_path=Path(_config("erpload.demo_erp") or DEFAULT_DEMO_ERP).resolve(),
        backend=_backend(backend or _config("sources.erp.backend")),
        chunk_size=_chunk_size(_config("sources.erp.chunk_size")),
        cursor_tolerance_hours=_tolerance(_config("sources.erp.cursor_tolerance_hours")),
    )


def _backend(value: Any) -> str:
    backend = str(value or DEFAULT_BACKEND).strip().lower()
    if backend not in BACKENDS:
        raise ConfigError(f"sources.erp.backend is {value!r}, not a backend erpload reads an ERP with",
                          hint=f"use one of {', '.join(BACKENDS)} (--backend, SOURCES__ERP__BACKEND, or backend under "
                               f"[sources.erp] in .dlt/config.toml); {DEFAULT_BACKEND} is the default")
    return backend


def _chunk_size(value: Any) -> int:
    try:
        size = int(value or DEFAULT_CHUNK_SIZE)
    except (TypeError, ValueError):
        size = 0
    if size <= 0:
        raise ConfigError(f"sources.erp.chunk_size is {value!r}, not a positive number of rows",
                          hint=f"set it to a whole number such as {DEFAULT_CHUNK_SIZE} in .dlt/config.toml "
                               "or SOURCES__ERP__CHUNK_SIZE")
    return size


def _tolerance(value: Any) -> float:
    if value is None:
        return DEFAULT_CURSOR_TOLERANCE_HOURS
    try:
        hours = float(value)
    except (TypeError, ValueError):
        hours = -1
    if hours < 0:
        raise ConfigError(f"sources.erp.cursor_tolerance_hours is {value!r}, not a number of hours (0 or more)",
                          hint=f"set it to e.g. {DEFAULT_CURSOR_TOLERANCE_HOURS:g} in .dlt/config.toml "
                               "or SOURCES__ERP__CURSOR_TOLERANCE_HOURS")
    return hours


def positive_number(section: str, key: str, value: object, default: float) -> float:
    """`value` of `[section] key` as a positive number, `default` when unset; a ConfigError saying where to fix it."""
    try:
        number = float(value) if value is not None else default  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1
    if number <= 0:
        raise ConfigError(f"{section}.{key} is {value!r}, not a positive number",
                          hint=f"set it in .dlt/config.toml under [{section}], e.g. {key} = {default:g}")
    return number
