"""Which column of the `datev` dataset fills which DATEV column, per category (heading -> SQL over a row).

Columns not named here are written empty. The headings are DATEV's (see `spec`), so a typo fails at
import time of the writer (`line_sql` raises on an unknown heading), not in the accountant's office.
"""

from __future__ import annotations

from .master_data import MAX_BANK_ACCOUNTS, bank_column

BOOKING_VALUES: dict[str, str] = {
    "Umsatz (ohne Soll/Haben-Kz)": "amount",
    "Soll/Haben-Kennzeichen": "debit_credit",
    "WKZ Umsatz": "currency_code",
    "Kurs": "rate",
    "Basis-Umsatz": "base_amount",
    "WKZ Basis-Umsatz": "base_currency",
    "Konto": "account_no",
    "Gegenkonto (ohne BU-Schlüssel)": "contra_account_no",
    "BU-Schlüssel": "bu_key",
    "Belegdatum": "posting_date",
    "Belegfeld 1": "document_number",
    "Belegfeld 2": "document_number_2",
    "Buchungstext": "booking_text",
    "Beleglink": "document_link",
    "KOST1 - Kostenstelle": "cost_center",
    "KOST2 - Kostenstelle": "cost_unit",
    "EU-Land u. UStID (Bestimmung)": "eu_vat_id",
    "Festschreibung": "CASE WHEN locked THEN 1 ELSE 0 END",
    "Leistungsdatum": "service_date",
    "Datum Zuord. Steuerperiode": "tax_period_date",
    "Fälligkeit": "due_date",
    "Generalumkehr (GU)": "CASE WHEN reversal THEN '1' ELSE '0' END",
}


def _bank(n: int) -> dict[str, str]:
    iban, primary = bank_column(n, "iban"), bank_column(n, "is_primary")
    return {
        f"Bankbezeichnung {n}": bank_column(n, "bank_name"),
        f"Länderkennzeichen {n}": f"left({iban}, 2)",
        f"IBAN-Nr. {n}": iban,
        f"SWIFT-Code {n}": bank_column(n, "bic"),
        f"Abw. Kontoinhaber {n}": bank_column(n, "holder"),
        f"Kennz. Hauptbankverb. {n}": f"CASE WHEN {primary} THEN '1' WHEN {iban} IS NOT NULL THEN '0' END",
    }


PARTNER_VALUES: dict[str, str] = {
    "Konto": "account_no",
    "Name (Adressattyp Unternehmen)": "name",
    "Adressattyp": "'2'",  # Unternehmen: the ERP keeps companies as partners
    "EU-Land": "eu_country",
    "EU-UStID": "eu_vat_no",
    "Straße": "street",
    "Postleitzahl": "zip_code",
    "Ort": "city",
    "Land": "country_code",
    "Telefon": "phone",
    "E-Mail": "email",
    "Steuernummer": "tax_number",
    "Zahlungsbedingung": "payment_term_no",
    **{k: v for n in range(1, MAX_BANK_ACCOUNTS + 1) for k, v in _bank(n).items()},
}

ACCOUNT_LABEL_VALUES: dict[str, str] = {
    "Konto": "account_no",
    "Kontobeschriftung": "label",
    "SprachId": "language",
    "Kontenbeschriftung lang": "label",
}

# The canonical model knows due days and one discount step counted from the invoice date: DATEV's
# Fälligkeitstyp 1, as in rows 10-13 of DATEV's sample (the period columns of type 2 stay empty).
PAYMENT_TERM_VALUES: dict[str, str] = {
    "Nummer": "payment_term_no",
    "Bezeichnung": "name",
    "Fälligkeitstyp": "1",
    # hundredths of a percent without a comma (3,00 % -> 300), as DATEV's sample writes it: an inferred,
    # unconfirmed reading of that sample, see the column's note in extf_spec.json
    "Skonto 1%": "CAST(discount_percent * 100 AS INTEGER)",
    "Skonto 1 Tage": "discount_days",
    "Fällig Tage": "net_days",
}
