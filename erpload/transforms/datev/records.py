"""The records of the `datev` dataset: one pydantic model per table, the single source of the field rules.

Each field names the DATEV column it fills (`column`) and the fix a bookkeeper should make when it
breaks (`fix`). `rules.field_checks` compiles the constraints into DuckDB predicates, so a million
bookings are checked in SQL; the models themselves validate single records (tests use them to prove
the SQL says the same).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from .spec import ACCOUNT_LABELS, BOOKINGS, PARTNERS, PAYMENT_TERMS

#: the characters DATEV allows in Belegfeld 1 and 2 (the OPOS matching key): datev-extf.md 3.1
DOCUMENT_NUMBER_CHARS = "A-Za-z0-9$&%*+\\-/"
#: KOST1/KOST2: letters, digits, blank (portal regex [\w ])
COST_OBJECT_CHARS = "A-Za-z0-9_ "


def datev(column: str, hint: str, *, chars: str | None = None, **extra: Any) -> dict[str, Any]:
    """json_schema_extra for a field: the DATEV column it fills, the fix, and its allowed characters."""
    return {"column": column, "fix": hint, **({"chars": chars} if chars else {}), **extra}


def _length(fmt: Any, heading: str) -> int:
    length: int = fmt.column(heading).max_length
    return length


def _pattern(chars: str) -> str:
    return f"^[{chars}]*$"


class Booking(BaseModel):
    """One Buchungsstapel line (category 21): one line of an invoice or journal entry."""

    model_config = ConfigDict(frozen=True)

    company_code: str
    document_kind: Literal["sales_invoice", "purchase_invoice", "journal_entry"]
    document_no: str
    line_no: int
    posting_date: date = Field(json_schema_extra=datev("Belegdatum", "set the posting date in the ERP"))
    amount: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2, json_schema_extra=datev(
        "Umsatz (ohne Soll/Haben-Kz)", "DATEV cannot book 0,00 or an amount over 9.999.999.999,99: "
        "correct or remove the line in the ERP"))]
    debit_credit: Literal["S", "H"]
    currency_code: Annotated[str, Field(pattern="^[A-Z]{3}$", json_schema_extra=datev(
        "WKZ Umsatz", "use the ISO 4217 code (EUR, USD, ...) for the document currency"))]
    rate: Annotated[Decimal | None, Field(default=None, gt=0, max_digits=10, decimal_places=6,
                                          json_schema_extra=datev(
        "Kurs", "store the exchange rate as document currency per 1 local currency, above 0 and below 10.000"))]
    base_amount: Annotated[Decimal | None, Field(default=None, ge=0, max_digits=12, decimal_places=2,
                                                 json_schema_extra=datev(
        "Basis-Umsatz", "the amount in local currency must fit 10 digits before the comma"))]
    base_currency: str | None = None
    account_no: Annotated[str, Field(pattern="^[0-9]{1,9}$", json_schema_extra=datev(
        "Konto", "give the line a numeric account of the company's account length"))]
    contra_account_no: Annotated[str, Field(pattern="^[0-9]{1,9}$", json_schema_extra=datev(
        "Gegenkonto (ohne BU-Schlüssel)", "give the document a numeric counter account"))]
    bu_key: Annotated[str | None, Field(default=None, pattern="^[0-9]{1,4}$", json_schema_extra=datev(
        "BU-Schlüssel", "set the tax code's DATEV BU key to 1-4 digits"))]
    document_number: Annotated[str, Field(
        min_length=1, max_length=_length(BOOKINGS, "Belegfeld 1"), pattern=_pattern(DOCUMENT_NUMBER_CHARS),
        json_schema_extra=datev("Belegfeld 1", "correct the document number in the ERP: DATEV allows only "
                                "A-Z a-z 0-9 $ & % * + - / and at most 36 characters",
                                chars=DOCUMENT_NUMBER_CHARS))]
    document_number_2: Annotated[str | None, Field(
        default=None, max_length=_length(BOOKINGS, "Belegfeld 2"), pattern=_pattern(DOCUMENT_NUMBER_CHARS),
        json_schema_extra=datev("Belegfeld 2", "shorten the second document number to 12 characters "
                                "A-Z a-z 0-9 $ & % * + - /", chars=DOCUMENT_NUMBER_CHARS))]
    booking_text: Annotated[str | None, Field(default=None, max_length=_length(BOOKINGS, "Buchungstext"),
                                              json_schema_extra=datev(
        "Buchungstext", "free text is cut to 60 characters with a warning", free_text=True))]
    cost_center: Annotated[str | None, Field(
        default=None, max_length=_length(BOOKINGS, "KOST1 - Kostenstelle"), pattern=_pattern(COST_OBJECT_CHARS),
        json_schema_extra=datev("KOST1 - Kostenstelle", "use a cost center code of letters, digits and blanks, "
                                "at most 36 characters", chars=COST_OBJECT_CHARS))]
    cost_unit: Annotated[str | None, Field(
        default=None, max_length=_length(BOOKINGS, "KOST2 - Kostenstelle"), pattern=_pattern(COST_OBJECT_CHARS),
        json_schema_extra=datev("KOST2 - Kostenstelle", "use a cost unit code of letters, digits and blanks, "
                                "at most 36 characters", chars=COST_OBJECT_CHARS))]
    document_link: Annotated[str | None, Field(default=None, max_length=_length(BOOKINGS, "Beleglink"),
                                               json_schema_extra=datev("Beleglink", "the receipt link is too long"))]
    eu_vat_id: Annotated[str | None, Field(default=None, pattern="^[A-Z]{2}[A-Z0-9+*]{2,13}$",
                                           json_schema_extra=datev(
        "EU-Land u. UStID (Bestimmung)", "store the partner's VAT id as country code + number, no blanks"))]
    service_date: date | None = Field(default=None, json_schema_extra=datev("Leistungsdatum", ""))
    tax_period_date: date | None = Field(default=None, json_schema_extra=datev("Datum Zuord. Steuerperiode", ""))
    due_date: date | None = Field(default=None, json_schema_extra=datev("Fälligkeit", ""))
    reversal: bool = Field(default=False, json_schema_extra=datev("Generalumkehr (GU)", ""))
    locked: bool = Field(default=False, json_schema_extra=datev("Festschreibung", ""))


#: A DATEV payment term number (Zahlungsbedingungen column Nummer, Debitoren/Kreditoren column
#: Zahlungsbedingung): 1-3 digits, inferred from DATEV's samples. Leading zeros are refused rather than
#: dropped, so a number taken from a code is the code the ERP shows.
PAYMENT_TERM_NO = "^[1-9][0-9]{0,2}$"


class Partner(BaseModel):
    """One Debitoren/Kreditoren record (category 16): a customer or a vendor and up to 5 bank accounts."""

    model_config = ConfigDict(frozen=True)

    company_code: str
    role: Literal["customer", "vendor"]
    account_no: Annotated[str, Field(pattern="^[0-9]{5,9}$", json_schema_extra=datev(
        "Konto", "give the partner a personal account number of the company's account length + 1 digits"))]
    name: Annotated[str, Field(min_length=1, max_length=_length(PARTNERS, "Name (Adressattyp Unternehmen)"),
                               json_schema_extra=datev(
        "Name (Adressattyp Unternehmen)", "shorten the name in the ERP to 50 characters"))]
    eu_country: Annotated[str | None, Field(default=None, pattern="^[A-Z]{2}$", json_schema_extra=datev(
        "EU-Land", "store the VAT id with its 2-letter country prefix"))]
    eu_vat_no: Annotated[str | None, Field(default=None, max_length=_length(PARTNERS, "EU-UStID"),
                                           pattern="^[A-Z0-9+*]{2,13}$", json_schema_extra=datev(
        "EU-UStID", "store the VAT id as country code + number, no blanks"))]
    street: Annotated[str | None, Field(default=None, max_length=_length(PARTNERS, "Straße"),
                                        json_schema_extra=datev("Straße", "", free_text=True))]
    zip_code: Annotated[str | None, Field(default=None, max_length=_length(PARTNERS, "Postleitzahl"),
                                          json_schema_extra=datev("Postleitzahl", "shorten the postcode to 10 "
                                                                  "characters"))]
    city: Annotated[str | None, Field(default=None, max_length=_length(PARTNERS, "Ort"),
                                      json_schema_extra=datev("Ort", "", free_text=True))]
    country_code: Annotated[str | None, Field(default=None, pattern="^[A-Z]{2}$", json_schema_extra=datev(
        "Land", "use the ISO 3166 2-letter country code"))]
    email: Annotated[str | None, Field(default=None, max_length=_length(PARTNERS, "E-Mail"),
                                       json_schema_extra=datev("E-Mail", "shorten the e-mail address to 60 "
                                                               "characters"))]
    phone: Annotated[str | None, Field(default=None, max_length=_length(PARTNERS, "Telefon"),
                                       json_schema_extra=datev("Telefon", "shorten the phone number to 60 "
                                                               "characters"))]
    tax_number: Annotated[str | None, Field(default=None, max_length=_length(PARTNERS, "Steuernummer"),
                                            json_schema_extra=datev("Steuernummer", "shorten the tax number"))]
    #: the partner's payment term, only when that term is in the Zahlungsbedingungen file too
    payment_term_no: Annotated[str | None, Field(default=None, pattern=PAYMENT_TERM_NO, json_schema_extra=datev(
        "Zahlungsbedingung", "give the payment term a number 1-999"))]


def _bank_fields(n: int) -> dict[str, Any]:
    """Bank account `n` of a partner, flattened the way `master_data.partners_sql` writes it."""
    return {
        f"bank_{n}_iban": (Annotated[str | None, Field(default=None, max_length=_length(PARTNERS, f"IBAN-Nr. {n}"),
                                                       json_schema_extra=datev(f"IBAN-Nr. {n}", "correct the IBAN"))],
                           None),
        f"bank_{n}_bic": (Annotated[str | None, Field(default=None, max_length=_length(PARTNERS, f"SWIFT-Code {n}"),
                                                      json_schema_extra=datev(f"SWIFT-Code {n}", "correct the BIC"))],
                          None),
        f"bank_{n}_bank_name": (Annotated[str | None, Field(
            default=None, max_length=_length(PARTNERS, f"Bankbezeichnung {n}"),
            json_schema_extra=datev(f"Bankbezeichnung {n}", "", free_text=True))], None),
        f"bank_{n}_holder": (Annotated[str | None, Field(
            default=None, max_length=_length(PARTNERS, f"Abw. Kontoinhaber {n}"),
            json_schema_extra=datev(f"Abw. Kontoinhaber {n}", "shorten the account holder's name in the ERP"))],
                             None),
    }


#: a partner with its bank accounts 1-5 (DATEV's first five bank slots)
PartnerWithBanks: type[BaseModel] = create_model(
    "PartnerWithBanks", __base__=Partner, **{k: v for n in range(1, 6) for k, v in _bank_fields(n).items()})


class AccountLabel(BaseModel):
    """One Kontenbeschriftungen record (category 20): a G/L account's label."""

    model_config = ConfigDict(frozen=True)

    company_code: str
    account_no: Annotated[str, Field(pattern="^[0-9]{4,8}$", json_schema_extra=datev(
        "Konto", "G/L account numbers have the company's account length (4-8 digits)"))]
    label: Annotated[str, Field(min_length=1, max_length=_length(ACCOUNT_LABELS, "Kontobeschriftung"),
                                json_schema_extra=datev("Kontobeschriftung", "name the account in the ERP",
                                                        free_text=True))]
    language: Literal["de-DE", "en-GB"] = "de-DE"



class PaymentTerm(BaseModel):
    """One Zahlungsbedingungen record (category 46): days until due and one cash discount.

    The canonical model has one discount step and due days counted from the invoice date, so the
    record is a Fälligkeitstyp 1 term (datev-extf.md section 6; kinds and lengths inferred from
    DATEV's sample, see `extf_spec.json`)."""

    model_config = ConfigDict(frozen=True)

    company_code: str
    #: the ERP's code: partners refer to the term by it
    payment_term_code: str
    #: canonical datev_term_no, else the code (which then has to be such a number)
    payment_term_no: Annotated[str, Field(pattern=PAYMENT_TERM_NO, json_schema_extra=datev(
        "Nummer", "map the payment term's DATEV number 1-999 in the profile (payment_terms.datev_term_no), or give "
        "it a numeric code 1-999 without leading zero in the ERP: DATEV keys payment terms by number and erpload "
        "never cuts or renumbers a code", form="a number 1-999 without leading zeros"))]
    name: Annotated[str, Field(min_length=1, max_length=_length(PAYMENT_TERMS, "Bezeichnung"),
                               json_schema_extra=datev("Bezeichnung", "name the payment term in the ERP",
                                                       free_text=True))]
    net_days: Annotated[int, Field(ge=0, le=999, json_schema_extra=datev(
        "Fällig Tage", "DATEV counts at most 999 days to the due date: correct the payment term in the ERP"))]
    discount_days: Annotated[int | None, Field(default=None, ge=0, le=999, json_schema_extra=datev(
        "Skonto 1 Tage", "DATEV counts at most 999 discount days: correct the payment term in the ERP"))]
    # written in hundredths of a percent (300 = 3,00 %), like DATEV's sample: see layouts.PAYMENT_TERM_VALUES
    discount_percent: Annotated[Decimal | None, Field(default=None, gt=0, lt=100, max_digits=4, decimal_places=2,
                                                      json_schema_extra=datev(
        "Skonto 1%", "a cash discount lies between 0,01 % and 99,99 %: correct the payment term in the ERP"))]
