"""The error tree. Every error erpload raises on purpose says what went wrong and what to do.

    ErploadError
    ├── ConfigError          bad or missing configuration: profile, credentials, paths
    │   └── ProfileError     a profile disagrees with the ERP or with the canonical model
    ├── SourceError          the ERP database cannot be read
    └── StagingError         the DuckDB staging file cannot be used (e.g. locked by another process)

Records that cannot be processed are not errors: they become rows in the rejects table.
"""

from __future__ import annotations

from pathlib import Path

from erpload.redact import redact


class ErploadError(Exception):
    """Root of all errors erpload raises on purpose; `str()` is one sentence plus the fix."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = redact(message)
        self.hint = redact(hint) if hint else None
        super().__init__(self.render())

    def render(self) -> str:
        return f"{self.message}\n  fix: {self.hint}" if self.hint else self.message


class ConfigError(ErploadError):
    """Configuration is missing or wrong."""


class ProfileError(ConfigError):
    """A profile disagrees with the ERP database or with the canonical model."""

    def __init__(
        self,
        message: str,
        *,
        profile: str,
        entity: str | None = None,
        table: str | None = None,
        column: str | None = None,
        hint: str | None = None,
        path: Path | str | None = None,
    ) -> None:
        self.profile = profile
        self.path = path
        self.entity = entity
        self.table = table
        self.column = column
        where = [f"profile '{profile}'"]
        if entity:
            where.append(f"entity '{entity}'")
        if table:
            where.append(f"table '{table}'")
        if column:
            where.append(f"column '{column}'")
        # the fix starts with the file to edit: a profile's name alone does not say where it lives
        if path is not None:
            hint = f"edit {path}: {hint}" if hint else f"edit {path}"
        super().__init__(f"{', '.join(where)}: {message}", hint=hint)


class SourceError(ErploadError):
    """The ERP database is unreachable or does not answer as expected."""


class StagingError(ErploadError):
    """The DuckDB staging file cannot be opened or written."""
