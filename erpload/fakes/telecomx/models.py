"""The Telecom X fake's seeded state: users, resellers with their Uniconta side, invoices per month; and its knobs."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

_TELECOMX_ID = re.compile(r"[0-9a-fA-F]{24}")


class AccessLevel(StrEnum):
    VIEWER = "VIEWER"
    MANAGER = "MANAGER"
    OWNER = "OWNER"
    RESELLER = "RESELLER"
    RESELLER_ADMIN = "RESELLER_ADMIN"
    ADMIN = "ADMIN"


#: may export their own reseller's invoices ("RESELLER (if exporting invoices for themselves)")
RESELLER_LEVELS = frozenset({AccessLevel.RESELLER, AccessLevel.RESELLER_ADMIN})


def is_telecomx_id(value: str) -> bool:
    return bool(_TELECOMX_ID.fullmatch(value))


class User(BaseModel):
    """An employee who can sign in; `customer` is the reseller (or customer) they belong to."""

    model_config = ConfigDict(extra="forbid")

    username: str
    password: str
    access_level: AccessLevel = AccessLevel.RESELLER
    customer: str
    employee: str = "e00000000000000000000001"
    sms_key: str | None = Field(None, description="2FA by SMS: login must carry this `smsKey`.")
    authenticator_token: str | None = Field(None, description="2FA by app: login must carry this `authenticatorToken`.")


class Customer(BaseModel):
    """One end customer of a reseller, as Telecom X and the reseller's Uniconta company know it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    accounting_system_id: str | None = Field(None, description="Telecom X's `finance.accountingSystemId`.")
    in_uniconta: bool = Field(True, description="Whether that account exists in the reseller's Uniconta company.")


class Invoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    customer: str = Field(description="Customer id; one the reseller does not have fails with `customer`.")
    invoice_date: date
    products: list[str] = Field(default_factory=list, description="Product codes on the invoice lines.")

    @property
    def month(self) -> str:
        return self.invoice_date.strftime("%Y-%m")


class Reseller(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    integration_valid: bool = Field(True, description="False: the Uniconta integration is not valid (403).")
    customers: list[Customer] = Field(default_factory=list)
    uniconta_products: list[str] = Field(default_factory=list, description="Product codes Uniconta knows.")
    invoices: list[Invoice] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _telecomx_id(cls, value: str) -> str:
        if not is_telecomx_id(value):
            raise ValueError("a Telecom X id is 24 hex digits")
        return value


class ExportPlan(BaseModel):
    """The fake's own knobs (beside the shared `Faults`); replacing them restarts the export call counter."""

    model_config = ConfigDict(extra="forbid")

    token_seconds: float = Field(900.0, gt=0, description="Lifetime of a login token (15 minutes at Telecom X).")
    export_seconds: float = Field(
        0.0, ge=0, description="How long an export runs after its answer; 0: it completes before the answer leaves.")
    fail_exports: list[int] = Field(
        default_factory=list,
        description="Accepted exports (1-based) that fail midway: what they wrote to Uniconta is deleted again.")
    expire_tokens_at_exports: list[int] = Field(
        default_factory=list,
        description="Export calls (1-based) before which every token issued so far expires: a mid-run expiry.")
    internal_error_exports: list[int] = Field(
        default_factory=list, description="Export calls (1-based, after auth) answered 500 internal_error, unapplied.")
