"""What the Kombo fake holds and the knobs that steer it: integrations with their employees, the files and warnings
a push returns, and the errors it answers (vendor-apis.md §2, §6.2)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: `datev:` and a base62 id, as in Kombo's example `datev:HWUTwvyx2wLoSUHphiWVrp28`
_INTEGRATION_ID = re.compile(r"[a-z]+:[A-Za-z0-9]+")

FileFormat = Literal["extf", "lodas"]


class ErrorCode(StrEnum):
    """Kombo's platform error codes for the DATEV push (ErrorResponseGeneral in the seed)."""

    AUTHENTICATION_INVALID = "PLATFORM.AUTHENTICATION_INVALID"
    INTEGRATION_NOT_FOUND = "PLATFORM.INTEGRATION_NOT_FOUND"
    INPUT_INVALID = "PLATFORM.INPUT_INVALID"
    IP_NOT_WHITELISTED = "PLATFORM.IP_NOT_WHITELISTED"
    RATE_LIMIT_EXCEEDED = "PLATFORM.RATE_LIMIT_EXCEEDED"
    CONCURRENCY_LIMIT_EXCEEDED = "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED"
    UNKNOWN_ERROR = "PLATFORM.UNKNOWN_ERROR"
    TASK_TIMED_OUT = "PLATFORM.TASK_TIMED_OUT"


#: Only the two 429s are documented (concurrency-limiting guide); every other status is [UNVERIFIED].
DEFAULT_STATUS: dict[ErrorCode, int] = {
    ErrorCode.AUTHENTICATION_INVALID: 401,
    ErrorCode.INTEGRATION_NOT_FOUND: 404,
    ErrorCode.INPUT_INVALID: 400,
    ErrorCode.IP_NOT_WHITELISTED: 403,
    ErrorCode.RATE_LIMIT_EXCEEDED: 429,
    ErrorCode.CONCURRENCY_LIMIT_EXCEEDED: 429,
    ErrorCode.UNKNOWN_ERROR: 500,
    ErrorCode.TASK_TIMED_OUT: 504,
}

#: The static `title` of each code (the fake's wording; Kombo's own titles were not retrievable).
TITLES: dict[ErrorCode, str] = {
    ErrorCode.AUTHENTICATION_INVALID: "The API key is invalid.",
    ErrorCode.INTEGRATION_NOT_FOUND: "The integration could not be found.",
    ErrorCode.INPUT_INVALID: "The input is invalid.",
    ErrorCode.IP_NOT_WHITELISTED: "Your IP address is not whitelisted.",
    ErrorCode.RATE_LIMIT_EXCEEDED: "You have exceeded the rate limit.",
    ErrorCode.CONCURRENCY_LIMIT_EXCEEDED: "You have exceeded the concurrency limit.",
    ErrorCode.UNKNOWN_ERROR: "An unknown error occurred.",
    ErrorCode.TASK_TIMED_OUT: "The task timed out.",
}


class Employee(BaseModel):
    """One employee of an integration's company, as Kombo holds it from the HR system."""

    model_config = ConfigDict(extra="forbid")

    personnel_no: str = Field(min_length=1, description="Personalnummer, as the ERP gives it.")
    first_name: str
    last_name: str
    active: bool = Field(True, description="Inactive employees are left out of the files, with a warning.")
    monthly_salary: Decimal | None = Field(
        None, ge=0, description="Gross monthly salary; without it the EXTF file has no booking for the employee "
        "(a warning says so).")


def _both_formats() -> list[FileFormat]:
    return ["extf", "lodas"]


class IntegrationData(BaseModel):
    """An integration without its id (the id is in the path of `PUT /_fake/integrations/{id}`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    consultant_no: int = Field(29098, ge=1001, le=9999999, description="DATEV Beraternummer in the files.")
    client_no: int = Field(55003, ge=1, le=99999, description="DATEV Mandantennummer in the files.")
    formats: list[FileFormat] = Field(default_factory=_both_formats, description="Which generated files a push "
                                      "returns.")
    employees: list[Employee] = Field(default_factory=list)


class Integration(IntegrationData):
    """One company's DATEV integration at Kombo (the `X-Integration-Id` names it)."""

    id: str

    @field_validator("id")
    @classmethod
    def _kombo_id(cls, value: str) -> str:
        if not _INTEGRATION_ID.fullmatch(value):
            raise ValueError("an integration id is `<tool>:<base62>`, e.g. datev:HWUTwvyx2wLoSUHphiWVrp28")
        return value


class KomboFile(BaseModel):
    """One returned file, exactly as the push answers it: any name (hostile ones included) and any content."""

    model_config = ConfigDict(extra="forbid")

    name: str
    content: str


class FileKnob(BaseModel):
    """Replaces what pushes return: for one integration, or for every integration without its own (`None`).

    `files` None: the files generated from the integration's employees; `warnings` None: the generated warnings.
    """

    model_config = ConfigDict(extra="forbid")

    integration_id: str | None = None
    files: list[KomboFile] | None = None
    warnings: list[str] | None = None


class InjectedError(BaseModel):
    """Answer the next `times` pushes (of `integration_id`, or of any) with `code`, at `status` if given."""

    model_config = ConfigDict(extra="forbid")

    code: ErrorCode
    status: int | None = Field(None, ge=400, le=599, description="None: the code's usual status.")
    times: int = Field(1, ge=1)
    integration_id: str | None = None
    message: str | None = None


class KomboPlan(BaseModel):
    """The fake's own knobs (beside the shared `Faults`); replacing them restarts their counters."""

    model_config = ConfigDict(extra="forbid")

    concurrency_limit: int = Field(30, ge=0, description="Pushes in flight per integration before 429 (Kombo's "
                                   "observed default); hold calls open with the shared latency knob.")
    concurrency_retry_after: int | None = Field(
        None, ge=0, description="Retry-After seconds on a concurrency 429; None: none (Kombo documents none).")
    rate_limited_calls: int = Field(0, ge=0, description="The next N pushes are answered RATE_LIMIT_EXCEEDED.")
    rate_limit_retry_after: int | None = Field(
        1, ge=0, description="Retry-After seconds on those; None: no header ([UNVERIFIED] whether Kombo sends one).")
    errors: list[InjectedError] = Field(
        default_factory=list, description="Errors answered in order, each `times` pushes, after authentication.")
    statuses: dict[ErrorCode, int] = Field(
        default_factory=dict, description="The HTTP status to answer a code with instead of its usual one (also "
        "for errors the fake finds itself), so a client branching on the status instead of `error.code` fails.")
    allowed_ips: list[str] | None = Field(
        None, description="Client addresses allowed; others get IP_NOT_WHITELISTED. None: every address.")
    month: date | None = Field(
        None, description="The month a general push covers (any day of it); None: the current month (UTC).")
