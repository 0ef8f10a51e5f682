"""JSON as the push sends it: members whose value is null left out, at every depth."""

from __future__ import annotations

from typing import Any


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value
