"""What a target's pydantic model says of one record, in the terms the SQL rules use: the tests that hold the
two verdicts equal (tests/<target>/test_rules.py) compare these."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from erpload.validation import StrictRecord


def model_verdict(model: type[StrictRecord], payload: dict[str, Any],
                  record: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(fields failing their own constraints, fields whose record rule fails) as `model` sees `payload` (the
    record's non-null fields, with any context the model needs); record rules are judged on `record`."""
    try:
        model.model_validate_json(json.dumps(payload))
    except ValidationError as exc:
        errors = exc.errors()
    else:
        return set(), set()
    fields = {str(e["loc"][0]) for e in errors if e["loc"]}
    if fields:
        return fields, set()
    rules = {r.field for r in model.record_rules if r.broken(record)}
    assert rules, errors  # a record-level error must come from a record rule
    return set(), rules
