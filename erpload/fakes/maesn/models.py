"""What the Maesn fake accepts as a booking proposal, per target system.

Source: `reference/seeds/maesn-booking-proposals-api.txt` (the v1 create call and its per-system
property notes) and `reference/vendor-apis.md` sections 3.1 and 6.3. `BookingProposal` holds the union of
the fields the seed's example sends, under Maesn's own camelCase names. The seed's example spells
`"addresses "` and `"contactName "` with a trailing blank; that is taken as a typo of the page, and the
fake accepts the names without it only.

Where the fake is stricter than the page says (it must never pass a body Maesn might refuse):
- Unknown fields are refused, at every level (a typo would otherwise be dropped without a word).
- JSON types are strict: amounts are decimal strings ("500.00"), as in the seed, never numbers; dates
  are ISO 8601 date-times ("2026-01-31T00:00:00Z"); `isPaymentOrder` is "true"/"false" or a boolean.
- `currency` must be one of the ISO codes the seed lists for each system.
- DATEV Unternehmen Online: an `id` that is not a UUID is refused (Maesn ignores it, which would lose
  the link between the proposal and its files); `ledgerName` is required.
- `bookingType` must be one the system takes (the seed's lists); `companyId` is required where the seed
  says so (DATEV UO, Exact).

Which fields a system leaves unused (answered with a `meta.warnings` entry "Field not used by target
system: <field>", as in the seed's example answer) is the fake's reading of the per-system notes,
not a documented list. [UNVERIFIED]
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

# The ISO 4217 codes the seed lists under `currency` (the same list for every system).
_CURRENCY_CODES = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYR BZD CAD CDF "
    "CHF CLP CNY COP CRC CUC CVE CZK DJF DKK DOP DZD EEK EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GQE GTQ "
    "GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR "
    "LRD LSL LTL LVL LYD MAD MDL MGA MKD MMK MNT MOP MRO MUR MVR MWK MXN MYR MZM NAD NGN NIO NOK NPR NZD OMR PAB "
    "PEN PGK PHP PKR PLN PYG QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLL SOS SRD SYP SZL THB TJS TMT TND TRY "
    "TTD TWD TZS UAH UGX USD UYU UZS VEB VND VUV WST XAF XCD XDR XOF XPF YER ZAR ZMK ZWR"
)
CURRENCIES = frozenset(_CURRENCY_CODES.split())


def _currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError(f"{value!r} is not one of the ISO 4217 codes Maesn lists")
    return value


def _date_time(value: str) -> str:
    datetime.fromisoformat(value.replace("Z", "+00:00"))  # raises on 2026-02-30 and friends
    return value


Amount = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$")]
DateTime = Annotated[
    str,
    Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    AfterValidator(_date_time),
]
Currency = Annotated[str, AfterValidator(_currency)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Address(_Strict):
    """`addresses[]`: the seed documents `city` only."""

    city: str | None = None


class LineItem(_Strict):
    """`lineItems[]` of a booking proposal."""

    id: str | None = None
    accountCode: str | None = None
    accountId: str | None = None
    accountName: str | None = None
    accountNumber: str | None = None
    bookingTaxCode: str | None = None
    description: str | None = None
    dimension1: str | None = None
    dimension2: str | None = None
    taxCode: str | None = None
    taxRatePercentage: Amount | None = None
    totalGrossAmount: Amount | None = None
    totalNetAmount: Amount | None = None


class BookingProposal(_Strict):
    """The `bookingProposal` form part (a JSON string), as the seed's create call sends it."""

    id: str | None = None
    addresses: list[Address] | None = None
    bankAccountId: str | None = None
    bookingProposalDate: DateTime | None = None
    contactAccountNumber: str | None = None
    contactId: str | None = None
    contactName: str | None = None
    currency: Currency | None = None
    debitCreditIndicator: Literal["DEBIT", "CREDIT"] | None = None
    deliveryDate: DateTime | None = None
    dueDate: DateTime | None = None
    journalCode: str | None = None
    iban: str | None = None
    isPaymentOrder: bool | Literal["true", "false"] | None = None
    ledgerName: str | None = None
    lineItems: list[LineItem] | None = None
    notes: str | None = None
    number: str | None = None
    paidDate: DateTime | None = None
    paymentTermsId: str | None = None
    totalGrossAmount: Amount | None = None
    vatId: str | None = None


class FolderManagement(BaseModel):
    """The `folderManagement` form part (a JSON string): DATEV UO's three-level document folders."""

    model_config = ConfigDict(extra="forbid", strict=True)

    category: str | None = None
    folder: str | None = None
    # `register` would shadow pydantic's deprecated BaseModel.register
    register_: str | None = Field(None, alias="register")


Problem = tuple[str, str]  # (field as "bookingProposal.lineItems[0].accountId", message)


def field_path(prefix: str, loc: Iterable[int | str]) -> str:
    """pydantic's error location under `prefix`: ("lineItems", 0, "accountId") → "prefix.lineItems[0].accountId"."""
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def model_problems(model: type[BaseModel], value: Any, prefix: str) -> tuple[BaseModel | None, list[Problem]]:
    """`value` validated by `model`, or None and one problem per pydantic error."""
    try:
        return model.model_validate(value), []
    except ValidationError as exc:
        return None, [(field_path(prefix, e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]


def _required(proposal: BookingProposal, *names: str) -> list[Problem]:
    return [(f"bookingProposal.{name}", "Field required") for name in names if getattr(proposal, name) is None]


def _lines_need(proposal: BookingProposal, name: str) -> list[Problem]:
    if not proposal.lineItems:
        return [("bookingProposal.lineItems", "at least one line item is required")]
    return [(f"bookingProposal.lineItems[{i}].{name}", "Field required")
            for i, line in enumerate(proposal.lineItems) if getattr(line, name) is None]


def _datev_uo(p: BookingProposal) -> list[Problem]:
    problems = _required(p, "ledgerName")
    if p.id is not None:
        try:
            uuid.UUID(p.id)
        except ValueError:
            problems.append(("bookingProposal.id", "must be a valid UUID for DATEV Unternehmen Online"))
    for i, address in enumerate(p.addresses or []):
        if address.city is not None and len(address.city) > 30:
            problems.append((f"bookingProposal.addresses[{i}].city",
                             f"at most 30 characters for DATEV Unternehmen Online, got {len(address.city)}"))
    return problems


def _sevdesk(p: BookingProposal) -> list[Problem]:
    problems = _required(p, "debitCreditIndicator")
    if not p.lineItems:
        return [*problems, ("bookingProposal.lineItems", "at least one line item is required")]
    problems += [(f"bookingProposal.lineItems[{i}].totalGrossAmount", "totalGrossAmount or totalNetAmount required")
                 for i, line in enumerate(p.lineItems) if line.totalGrossAmount is None and line.totalNetAmount is None]
    return problems


@dataclass(frozen=True)
class TargetSystem:
    """What one target system behind Maesn takes (the seed's per-system notes)."""

    key: str                       # erpload's name, as in the account-key configuration
    title: str                     # the vendor's name, for messages
    booking_types: frozenset[str]
    needs_company_id: bool
    async_endpoint: bool           # the plain endpoint is deprecated for it: use .../async
    check: Callable[[BookingProposal], list[Problem]]
    unused: frozenset[str]         # fields it ignores: "notes", "lineItems[].accountId", "folderManagement"

    def problems(self, proposal: BookingProposal) -> list[Problem]:
        return self.check(proposal)

    def unused_fields(self, proposal: dict[str, Any], folder_management: bool) -> list[str]:
        """The fields sent that this system does not use, in a stable order."""
        sent = {name for name, value in proposal.items() if value is not None}
        for line in proposal.get("lineItems") or []:
            if isinstance(line, dict):
                sent |= {f"lineItems[].{name}" for name, value in line.items() if value is not None}
        if folder_management:
            sent.add("folderManagement")
        return sorted(sent & self.unused)


SYSTEMS: dict[str, TargetSystem] = {
    s.key: s
    for s in (
        TargetSystem(
            "datev_uo", "DATEV Unternehmen Online", frozenset({"INVOICE", "BILL"}), True, True, _datev_uo,
            frozenset({"contactId", "bankAccountId", "debitCreditIndicator", "journalCode", "paymentTermsId",
                       "lineItems[].accountId", "lineItems[].accountCode", "lineItems[].taxCode"}),
        ),
        TargetSystem(
            "exact", "Exact", frozenset({"BILL"}), True, False,
            lambda p: _required(p, "contactId") + _lines_need(p, "accountId"),
            frozenset({"addresses", "contactAccountNumber", "ledgerName", "bankAccountId", "debitCreditIndicator",
                       "isPaymentOrder", "lineItems[].accountNumber", "lineItems[].accountName", "folderManagement"}),
        ),
        TargetSystem(
            "lexware_office", "Lexware Office", frozenset({"BILL", "INVOICE"}), False, False,
            lambda p: _required(p, "contactId") + _lines_need(p, "accountId"),
            frozenset({"contactAccountNumber", "ledgerName", "bankAccountId", "journalCode", "debitCreditIndicator",
                       "isPaymentOrder", "lineItems[].dimension1", "lineItems[].dimension2", "folderManagement"}),
        ),
        TargetSystem(
            "sevdesk", "sevdesk", frozenset({"INVOICE"}), False, False, _sevdesk,
            frozenset({"contactAccountNumber", "ledgerName", "bankAccountId", "journalCode", "isPaymentOrder",
                       "lineItems[].accountId", "folderManagement"}),
        ),
        TargetSystem(
            "xero", "Xero", frozenset({"BILL", "INVOICE"}), False, False,
            lambda p: _required(p, "bankAccountId", "contactId", "number"),
            frozenset({"contactAccountNumber", "ledgerName", "journalCode", "debitCreditIndicator", "isPaymentOrder",
                       "iban", "folderManagement"}),
        ),
    )
}
