"""Maesn booking proposals, one pydantic model per accounting system behind Maesn's unified API.

Source: `reference/seeds/maesn-booking-proposals-api.txt` (`POST /accounting/bookingProposals`, the
`bookingProposal` JSON of its example and the notes per target system) and `vendor-apis.md` §3. Field
names are Maesn's own (camelCase). Every value is a JSON string, as in the page's example: amounts
"500.00", tax rates "19", dates "2026-01-31T00:00:00Z". The example writes `"addresses "` and
`"contactName "` with a trailing blank; the property lists and the response do not, nor does erpload.

Per system (the seed's notes; `Proposal` subclasses say which booking types each takes):
- DATEV Unternehmen Online: INVOICE and BILL; `id` a UUID (else ignored), `addresses[].city` at most 30
  characters, `ledgerName` of type ACCOUNT_RECEIVABLE for an INVOICE and ACCOUNT_PAYABLE for a BILL,
  `contactAccountNumber` the customer's or vendor's personal account, `dimension1`/`dimension2` = KOST1/KOST2.
- Exact: BILL; `contactId` the supplier, `accountId` per line (the G/L account's id at Exact),
  `dimension1`/`dimension2` cost center / cost unit, `taxCode` (else the account's default; an
  INCLUSIVE code makes `totalNetAmount` a gross amount, so map ERP codes to exclusive ones),
  `paymentTermsId` the payment term's code.
- Lexware Office: BILL and INVOICE; `contactId`, `accountId` per line = the posting category's id.
- sevdesk: INVOICE; `contactId` and/or `contactName`, `debitCreditIndicator` DEBIT or CREDIT, line
  `accountNumber` and a net or a gross amount.
- Xero: BILL and INVOICE; `bankAccountId` (an account of type BANK), `contactId`, `number`.

These models are the single source of each system's rules. The transform compiles their field
constraints to SQL (`erpload.validation.field_checks`, plus `rules` for the currency list, the IBAN and
the record rules) and checks a whole table at once; the models check one record, and the tests prove
both verdicts agree on every payload.

Where erpload decides what the page leaves open:
- A proposal has at least one line and at most one receipt file, its own. DATEV Unternehmen Online
  needs it (a proposal there files a receipt with its booking data; `id` "only used when uploading
  files"): a document without one is rejected. The other systems book without it, and get it when
  the ERP has one (the demo ERP stores at most 5,000 receipt PDFs, so big demos have documents without).
- Only the fields a system's notes name are sent (plus number, dates, currency, totals, notes and the
  line description, which every system has), so Maesn has no cause for "Field not used by target system".
- Credit notes: only sevdesk documents a form for them (`debitCreditIndicator` CREDIT). For the other
  systems a credit note is outside the system's scope, like a sales invoice for Exact: not sent, counted
  in a note, never booked the wrong way round.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, ConfigDict, Field
from stdnum import iban as stdnum_iban

from erpload.validation import RecordRule, StrictRecord

from .currencies import CURRENCIES

SYSTEMS = ("datev_uo", "exact", "lexware_office", "sevdesk", "xero")
BookingType = Literal["INVOICE", "BILL"]

AMOUNT = r"^-?[0-9]+\.[0-9]{2}$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T00:00:00Z$"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
RATE = r"^[0-9]+(\.[0-9]+)?$"
#: a DATEV account number: digits only, at most 9 (Sachkontenlänge 8 + 1 for personal accounts)
DATEV_ACCOUNT = r"^[0-9]{1,9}$"
#: a file name with an extension, as Maesn needs it (`invoice.pdf`)
FILE_NAME = r"^.*[^.]\.[A-Za-z0-9]{1,10}$"


def maesn(label: str, hint: str, **extra: Any) -> dict[str, Any]:
    """json_schema_extra for a field: its label in reasons, the fix, and what the rule checks."""
    return {"column": label, "fix": hint, **extra}


def _text(label: str, hint: str, **kw: Any) -> Any:
    return Field(min_length=1, json_schema_extra=maesn(label, hint), **kw)


def _amount(label: str, hint: str, **kw: Any) -> Any:
    return Field(pattern=AMOUNT, json_schema_extra=maesn(label, hint, form='an amount with two decimals ("500.00")'),
                 **kw)


def _date(label: str, hint: str, **kw: Any) -> Any:
    return Field(pattern=DATE, json_schema_extra=maesn(label, hint, form='a date ("2026-01-31T00:00:00Z")'), **kw)


def _rate(label: str, hint: str, **kw: Any) -> Any:
    return Field(pattern=RATE, json_schema_extra=maesn(label, hint, form='a percentage ("19", "5.5")'), **kw)


def _known_currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError("is not in Maesn's currency list")
    return value


def _valid_iban(value: str | None) -> str | None:
    if value is not None and not stdnum_iban.is_valid(value):
        raise ValueError("fails the IBAN check (ISO 13616: country, length or check digits)")
    return value


class Strict(StrictRecord):
    """A Maesn JSON object: strict JSON types, no unknown fields, the record rules applied."""


_LINE_TEXT = "describe the invoice line in the ERP"
_NET = "enter the line's net amount in the ERP"
_GROSS = "enter the line's net and tax amounts in the ERP"
_RATE_HINT = "give the line a tax code with a rate in the ERP"


class Address(Strict):
    """`addresses[]`: DATEV Unternehmen Online reads the city, at most 30 characters."""

    city: Annotated[str, Field(min_length=1, max_length=30, json_schema_extra=maesn(
        "city", "shorten the city in the customer's or vendor's address in the ERP (DATEV Unternehmen Online "
        "takes 30 characters)"))]


class DatevUoLineItem(Strict):
    """A line of a DATEV Unternehmen Online proposal: G/L account, BU key, KOST1/KOST2."""

    accountName: str | None = None
    accountNumber: Annotated[str, Field(pattern=DATEV_ACCOUNT, json_schema_extra=maesn(
        "G/L account", "give the line a G/L account of the company's chart in the ERP",
        form="a DATEV account number (digits only, at most 9)"))]
    bookingTaxCode: str | None = None
    description: Annotated[str, _text("line description", _LINE_TEXT)]
    dimension1: str | None = None
    dimension2: str | None = None
    totalGrossAmount: Annotated[str, _amount("line gross amount", _GROSS)]
    totalNetAmount: Annotated[str, _amount("line net amount", _NET)]


class ExactLineItem(Strict):
    """A line of an Exact proposal: the G/L account's id at Exact, cost center and cost unit."""

    accountId: Annotated[str, _text("Exact account id", "map the G/L account to its Exact id in account_ids")]
    description: Annotated[str, _text("line description", _LINE_TEXT)]
    dimension1: str | None = None
    dimension2: str | None = None
    #: Exact's VAT code; without it Exact takes the account's default (seed)
    taxCode: str | None = None
    totalNetAmount: Annotated[str, _amount("line net amount", _NET)]


class LexwareOfficeLineItem(Strict):
    """A line of a Lexware Office proposal: `accountId` is the posting category's id."""

    accountId: Annotated[str, _text("Lexware posting category",
                                    "map the G/L account to its Lexware posting category id in account_ids")]
    description: Annotated[str, _text("line description", _LINE_TEXT)]
    taxRatePercentage: Annotated[str, _rate("tax rate", _RATE_HINT)]
    totalGrossAmount: Annotated[str, _amount("line gross amount", _GROSS)]
    totalNetAmount: Annotated[str, _amount("line net amount", _NET)]


def _no_line_amount(r: Mapping[str, Any]) -> bool:
    return r.get("totalGrossAmount") is None and r.get("totalNetAmount") is None


class SevdeskLineItem(Strict):
    """A line of a sevdesk proposal: the G/L account number, and a net or a gross amount (or both)."""

    record_rules: ClassVar[tuple[RecordRule, ...]] = (
        RecordRule("totalNetAmount", '"totalGrossAmount" IS NULL AND "totalNetAmount" IS NULL',
                   "'the line has neither a net nor a gross amount; sevdesk needs one'", _NET, _no_line_amount,
                   code="maesn.lines.no_amount"),
    )

    accountNumber: Annotated[str, _text("G/L account", "give the line a G/L account in the ERP")]
    description: Annotated[str, _text("line description", _LINE_TEXT)]
    taxRatePercentage: Annotated[str | None, _rate("tax rate", _RATE_HINT, default=None)]
    totalGrossAmount: Annotated[str | None, _amount("line gross amount", _GROSS, default=None)]
    totalNetAmount: Annotated[str | None, _amount("line net amount", _NET, default=None)]


class XeroLineItem(Strict):
    """A line of a Xero proposal: the account's code at Xero."""

    accountCode: Annotated[str, _text("Xero account code", "map the G/L account to its Xero code in account_codes")]
    description: Annotated[str, _text("line description", _LINE_TEXT)]
    taxRatePercentage: Annotated[str | None, _rate("tax rate", _RATE_HINT, default=None)]
    totalGrossAmount: Annotated[str, _amount("line gross amount", _GROSS)]
    totalNetAmount: Annotated[str, _amount("line net amount", _NET)]


class BookingProposal(Strict):
    """The fields every system's proposal has: number, dates, currency, total, notes."""

    bookingProposalDate: Annotated[str, _date("invoice date", "enter the invoice date in the ERP")]
    currency: Annotated[str, AfterValidator(_known_currency), Field(json_schema_extra=maesn(
        "currency", "use a currency Maesn lists (ISO 4217 code, e.g. EUR) on the invoice in the ERP",
        one_of="currencies"))]
    dueDate: Annotated[str | None, _date("due date", "enter the due date in the ERP", default=None)]
    notes: str | None = None
    number: Annotated[str, _text("invoice number", "enter the invoice number in the ERP")]
    totalGrossAmount: Annotated[str, _amount("total gross amount", "enter the invoice's gross total in the ERP")]


_CONTACT_ID = maesn("Maesn contact id", "add it in the ERP's external references for system 'maesn'")


class DatevUoBookingProposal(BookingProposal):
    """DATEV Unternehmen Online."""

    id: Annotated[str, Field(pattern=UUID, json_schema_extra=maesn(
        "proposal id", "", form="a UUID derived from the record key"))]
    addresses: list[Address] | None = None
    contactAccountNumber: Annotated[str, Field(pattern=DATEV_ACCOUNT, json_schema_extra=maesn(
        "personal account", "give the customer or vendor a numeric personal account number (Debitor/Kreditor) "
        "in the ERP", form="a DATEV personal account number (digits only, at most 9)"))]
    contactName: str | None = None
    deliveryDate: Annotated[str | None, _date("service date", "enter the service date in the ERP", default=None)]
    iban: Annotated[str | None, AfterValidator(_valid_iban), Field(default=None, json_schema_extra=maesn(
        "IBAN", "correct the vendor's IBAN in the ERP", identifier="iban"))]
    ledgerName: Annotated[str, _text("ledger name", "set ledger_name_invoice and ledger_name_bill under "
                                     "[destination.maesn.datev_uo] in .dlt/config.toml")]
    lineItems: list[DatevUoLineItem] = Field(min_length=1)


class ExactBookingProposal(BookingProposal):
    """Exact."""

    contactId: Annotated[str, Field(min_length=1, json_schema_extra=_CONTACT_ID)]
    paymentTermsId: str | None = None
    lineItems: list[ExactLineItem] = Field(min_length=1)


class LexwareOfficeBookingProposal(BookingProposal):
    """Lexware Office."""

    contactId: Annotated[str, Field(min_length=1, json_schema_extra=_CONTACT_ID)]
    lineItems: list[LexwareOfficeLineItem] = Field(min_length=1)


def _no_contact(r: Mapping[str, Any]) -> bool:
    return r.get("contactId") is None and r.get("contactName") is None


class SevdeskBookingProposal(BookingProposal):
    """sevdesk: a credit note is an invoice with debitCreditIndicator CREDIT."""

    record_rules: ClassVar[tuple[RecordRule, ...]] = (
        RecordRule("contactName", '"contactId" IS NULL AND "contactName" IS NULL',
                   "'the invoice names no contact; sevdesk needs its id or its name'",
                   "enter the customer's name in the ERP", _no_contact, code="maesn.invoices.no_contact"),
    )

    contactId: str | None = None
    contactName: str | None = None
    debitCreditIndicator: Annotated[Literal["DEBIT", "CREDIT"], Field(json_schema_extra=maesn(
        "debit/credit indicator", "mark the document in the ERP as an invoice or a credit note"))]
    lineItems: list[SevdeskLineItem] = Field(min_length=1)


class XeroBookingProposal(BookingProposal):
    """Xero."""

    bankAccountId: Annotated[str, _text("bank account id", "set bank_account_id under [destination.maesn.xero] "
                                        "in .dlt/config.toml (an account of type BANK at Xero)")]
    contactId: Annotated[str, Field(min_length=1, json_schema_extra=_CONTACT_ID)]
    lineItems: list[XeroLineItem] = Field(min_length=1)


class ReceiptFile(Strict):
    """A `files` part: the receipt, named with its extension; the destination reads its bytes by sha256."""

    name: Annotated[str, Field(max_length=255, pattern=FILE_NAME, json_schema_extra=maesn(
        "receipt file name", "name the receipt file in the ERP with its extension (e.g. RE-2026-0001.pdf)",
        form="a file name with an extension (e.g. invoice.pdf)"))]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    mime_type: Annotated[str, Field(min_length=1)]


class FolderManagement(Strict):
    """`folderManagement` (DATEV Unternehmen Online): where the receipt is filed, three levels."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    category: str | None = None
    folder: str | None = None
    # `register` would shadow BaseModel's ABC method of that name
    register_: str | None = Field(default=None, alias="register")


class Proposal(Strict):
    """One booking proposal as the push sends it: the multipart form's parts, by name."""

    #: whether the system takes credit notes (only sevdesk documents a form for them)
    takes_credit_notes: ClassVar[bool] = False

    booking_type: BookingType
    booking_proposal: BookingProposal
    files: list[ReceiptFile] | None = Field(default=None, min_length=1, max_length=1)
    folder_management: FolderManagement | None = None


class DatevUoProposal(Proposal):
    booking_proposal: DatevUoBookingProposal
    files: list[ReceiptFile] = Field(min_length=1, max_length=1)


class ExactProposal(Proposal):
    booking_type: Literal["BILL"]
    booking_proposal: ExactBookingProposal
    folder_management: None = None


class LexwareOfficeProposal(Proposal):
    booking_proposal: LexwareOfficeBookingProposal
    folder_management: None = None


class SevdeskProposal(Proposal):
    takes_credit_notes: ClassVar[bool] = True

    booking_type: Literal["INVOICE"]
    booking_proposal: SevdeskBookingProposal
    folder_management: None = None


class XeroProposal(Proposal):
    booking_proposal: XeroBookingProposal
    folder_management: None = None


PROPOSALS: dict[str, type[Proposal]] = {
    "datev_uo": DatevUoProposal,
    "exact": ExactProposal,
    "lexware_office": LexwareOfficeProposal,
    "sevdesk": SevdeskProposal,
    "xero": XeroProposal,
}

LABELS = {"datev_uo": "DATEV Unternehmen Online", "exact": "Exact", "lexware_office": "Lexware Office",
          "sevdesk": "sevdesk", "xero": "Xero"}


def booking_types(system: str) -> tuple[str, ...]:
    """The booking types `system` takes, from its model: ('INVOICE', 'BILL'), ('BILL',), ..."""
    return typing.get_args(PROPOSALS[system].model_fields["booking_type"].annotation)


def needs_receipt(system: str) -> bool:
    """Whether `system`'s proposals must carry the receipt file (DATEV Unternehmen Online)."""
    return PROPOSALS[system].model_fields["files"].is_required()


def header_model(system: str) -> type[BookingProposal]:
    annotation = PROPOSALS[system].model_fields["booking_proposal"].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, BookingProposal)):
        raise TypeError(f"{system}: booking_proposal is not a BookingProposal")
    return annotation


def line_model(system: str) -> type[Strict]:
    args = typing.get_args(header_model(system).model_fields["lineItems"].annotation)
    if not (args and isinstance(args[0], type) and issubclass(args[0], Strict)):
        raise TypeError(f"{system}: lineItems is not a list of line models")
    return args[0]
