"""What the EXTF checker reports: one `Finding` per problem, one `Report` per file.

`error` means DATEV would refuse or misread the file; `warning` means a deviation DATEV tolerates
(or is known to accept from its own programs) that our writer should still not produce.

>>> f = Finding("error", "the amount must be greater than 0", line=3, column=1,
...             heading="Umsatz (ohne Soll/Haben-Kz)", value="0,00", rule="amount.zero")
>>> f.where
'line 3, column 1 (Umsatz (ohne Soll/Haben-Kz))'
>>> shorten("x" * 100)
'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"

_VALUE_LIMIT = 40


def shorten(value: str, limit: int = _VALUE_LIMIT) -> str:
    """A raw value short enough for one line of output."""
    return value if len(value) <= limit else value[: limit - 2] + "…"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: how bad, where (line, column and its heading or header field name), what, why."""

    severity: Severity
    message: str
    line: int | None = None
    column: int | None = None
    heading: str | None = None
    value: str | None = None
    #: a short stable id, e.g. "encoding.utf8" or "field.length", for scripts and tests
    rule: str = ""

    @property
    def where(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            label = "field" if self.line == 1 else "column"
            parts.append(f"{label} {self.column}" + (f" ({self.heading})" if self.heading else ""))
        return ", ".join(parts) or "file"


@dataclass
class Report:
    """All findings for one file, with what the header says the file is."""

    name: str
    category: int | None = None
    format_name: str | None = None
    version: int | None = None
    #: data lines (lines 3 and following, blank lines not counted)
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not any(f.severity == ERROR for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary with every finding."""
        return {
            "file": self.name,
            "category": self.category,
            "format": self.format_name,
            "version": self.version,
            "rows": self.rows,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [asdict(f) for f in self.findings],
        }
