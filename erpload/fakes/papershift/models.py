"""The Papershift fake's seeded world (users, DATEV integrations with their employees) and its knobs (`PulsePlan`).

Field names follow the Pulse API's DATEV document syncs pages (reference/vendor-apis.md §1.2 and §6.1).
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: the media type every Pulse request must declare (JSON:API)
JSON_API = "application/vnd.api+json"


class SyncStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    SUCCEEDED_PARTIALLY = "succeeded_partially"
    FAILED = "failed"


class ItemStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class DocumentType(StrEnum):
    LOBN = "LOBN"  # Lohnabrechnung: payslip
    LSTB = "LSTB"  # Lohnsteuerbescheinigung: annual wage-tax certificate


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class User(BaseModel):
    """Someone who can sign in to Pulse."""

    model_config = ConfigDict(extra="forbid")

    email: str
    password: str


class Integration(BaseModel):
    """A company's DATEV integration in Pulse and the personnel numbers of the employees it syncs documents for."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = ""
    employee_numbers: list[int] = Field(default_factory=list, description="DATEV personnel numbers, each > 0.")

    @field_validator("id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        if not is_uuid(value):
            raise ValueError("an integration id is a UUID")
        return value.lower()

    @field_validator("employee_numbers")
    @classmethod
    def _positive_unique(cls, value: list[int]) -> list[int]:
        if any(n <= 0 for n in value):
            raise ValueError("personnel numbers are positive integers")
        if len(set(value)) != len(value):
            raise ValueError("personnel numbers repeat")
        return sorted(value)


class IntegrationEmployees(BaseModel):
    """The body of `PUT /_fake/integrations/{id}`: what the demo sends per ERP company."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    employee_numbers: list[int] = Field(default_factory=list)


class PulsePlan(BaseModel):
    """The fake's own knobs beside the shared `Faults`: how syncs end, rate limits, tokens, pages.

    A sync takes the outcome knobs when it is created; replacing the plan changes later syncs only. Replacing the
    plan restarts the rate-limit windows.
    """

    model_config = ConfigDict(extra="forbid")

    outcome: SyncStatus = Field(
        SyncStatus.SUCCEEDED, description="How new syncs end: succeeded, succeeded_partially or failed.")
    running_polls: int = Field(
        2, ge=0, description="List GETs that still show a new sync `running`; the next one shows it ended.")
    failing_employees: list[int] = Field(
        default_factory=list,
        description="Personnel numbers whose items fail in a succeeded_partially sync; none of the integration's: "
        "its lowest number fails. A failed sync fails every item, a succeeded one none.")
    document_types: list[DocumentType] = Field(
        default_factory=lambda: [DocumentType.LOBN, DocumentType.LSTB],
        description="`document_types` of a sync that ended succeeded or succeeded_partially (a failed one: []).")
    notice: str | None = Field(
        None, description="`notice` of an ended sync; None: the fake's own sentence for the outcome.")
    rate_limit_per_minute: int = Field(300, ge=1, description="Requests per client in any 60 s (Pulse: 300).")
    sign_in_limit: int = Field(5, ge=1, description="Sign-ins per client in any sign_in_window_seconds (Pulse: 5).")
    sign_in_window_seconds: float = Field(20.0, gt=0, description="The sign-in limit's window (Pulse: 20 s).")
    send_retry_after: bool = Field(
        False, description="Send Retry-After (seconds) with a rate-limit 429; Pulse documents none [UNVERIFIED].")
    token_seconds: float | None = Field(
        None, gt=0, description="Lifetime of a sign-in token; None: it does not expire.")
    page_size: int = Field(25, ge=1, description="Default `page[size]` of the list endpoints.")
    max_page_size: int = Field(100, ge=1, description="Largest `page[size]` accepted (more: 400).")
    schedule_actions: list[str] = Field(
        default_factory=lambda: ["update", "destroy"],
        description="What the signed-in user may do with schedules (`meta.permissions.actions`); a PATCH without "
        "`update` or a DELETE without `destroy` is answered 403.")
