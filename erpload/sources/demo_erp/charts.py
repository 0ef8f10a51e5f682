"""Charts of accounts (DATEV SKR03, SKR04 and a Danish standard chart) and tax codes.

Account numbers are the real 4-digit SKR numbers; a company with a longer Sachkontenlänge gets
them right-padded with zeros (SKR04 4400 -> 440000 at length 6), which is how DATEV extends a
chart. Labels stay within DATEV's 40 characters for Kontenbeschriftungen. Every account has a
semantic key ('revenue_19', 'bank', ...) so generators can ask for "the bank account" in any chart.
"""

from __future__ import annotations

from dataclasses import dataclass

# key, class, SKR03, SKR04, German label, DK-STD, Danish label
_ACCOUNTS: tuple[tuple[str, str, str, str, str, str | None, str | None], ...] = (
    ("software", "asset", "0027", "0135", "EDV-Software", "5100", "Software og licenser"),
    ("machines", "asset", "0210", "0440", "Maschinen", "5110", "Maskiner og tekniske anlæg"),
    ("vehicles", "asset", "0320", "0520", "Pkw", "5120", "Biler"),
    ("office_equipment", "asset", "0420", "0650", "Büroeinrichtung", "5130", "Inventar og kontormøbler"),
    ("low_value_assets", "asset", "0480", "0670", "Geringwertige Wirtschaftsgüter", "5140", "Småanskaffelser"),
    ("other_equipment", "asset", "0490", "0690", "Sonstige Betriebs- und Geschäftsausst.", None, None),
    ("prepaid", "asset", "0980", "1900", "Aktive Rechnungsabgrenzung", "5710", "Periodeafgrænsningsposter"),
    ("receivables", "asset", "1400", "1200", "Forderungen aus Lieferungen u. Leist.", "5610",
     "Tilgodehavender fra salg"),
    ("cash", "asset", "1000", "1600", "Kasse", "5820", "Kassebeholdning"),
    ("bank", "bank", "1200", "1800", "Bank", "5810", "Bank"),
    ("bank_2", "bank", "1210", "1810", "Bank 2", "5811", "Bank 2"),
    ("bank_closed", "bank", "1220", "1820", "Bank 3 (aufgelöst)", "5812", "Bank 3 (lukket)"),
    ("transit", "asset", "1360", "1460", "Geldtransit", "5830", "Penge under overførsel"),
    ("input_tax_7", "tax", "1571", "1401", "Abziehbare Vorsteuer 7 %", None, None),
    ("input_tax_19", "tax", "1576", "1406", "Abziehbare Vorsteuer 19 %", "7120", "Købsmoms"),
    ("input_tax_ige_19", "tax", "1574", "1404", "Abziehb. VSt aus innergem. Erwerb 19 %", "7130",
     "Moms af varekøb i udlandet"),
    ("input_tax_rc_19", "tax", "1577", "1407", "Abziehb. VSt nach § 13b UStG 19 %", "7140",
     "Moms af ydelseskøb i udlandet"),
    ("share_capital", "equity", "0800", "2900", "Gezeichnetes Kapital", "6110", "Selskabskapital"),
    ("retained_earnings", "equity", "0860", "2970", "Gewinnvortrag vor Verwendung", "6120", "Overført resultat"),
    ("accrual_audit", "liability", "0977", "3095", "Rückstellungen für Abschlusskosten", "6860",
     "Skyldige revisionshonorarer"),
    ("accrual_other", "liability", "0970", "3070", "Sonstige Rückstellungen", "6870", "Andre hensatte forpligtelser"),
    ("bank_loan", "liability", "0630", "3150", "Verbindl. gegenüber Kreditinstituten", "6700",
     "Gæld til kreditinstitutter"),
    ("payables", "liability", "1600", "3300", "Verbindlichkeiten aus Lief. u. Leist.", "6810", "Leverandørgæld"),
    ("wage_liab", "liability", "1740", "3720", "Verbindlichkeiten aus Lohn und Gehalt", "6815", "Skyldig løn"),
    ("wage_tax_liab", "liability", "1741", "3730", "Verbindl. aus Lohn- und Kirchensteuer", "6820",
     "Skyldig A-skat og AM-bidrag"),
    ("social_liab", "liability", "1742", "3740", "Verbindl. soziale Sicherheit", "6840", "Skyldig ATP og feriepenge"),
    ("output_tax_7", "tax", "1771", "3801", "Umsatzsteuer 7 %", None, None),
    ("output_tax_16", "tax", "1775", "3805", "Umsatzsteuer 16 %", None, None),
    ("output_tax_19", "tax", "1776", "3806", "Umsatzsteuer 19 %", "7110", "Salgsmoms"),
    ("output_tax_ige_19", "tax", "1774", "3804", "USt aus innergem. Erwerb 19 %", "7135",
     "Erhvervelsesmoms EU-varekøb"),
    ("output_tax_rc_19", "tax", "1787", "3837", "Umsatzsteuer nach § 13b UStG 19 %", "7145",
     "Moms af ydelseskøb, salgsside"),
    ("vat_prepayment", "tax", "1780", "3820", "Umsatzsteuer-Vorauszahlungen", "7150", "Momsafregning"),
    ("revenue_19", "revenue", "8400", "4400", "Erlöse 19 % USt", "1010", "Salg af varer og ydelser m/moms"),
    ("revenue_7", "revenue", "8300", "4300", "Erlöse 7 % USt", None, None),
    ("revenue_eu", "revenue", "8125", "4125", "Steuerfreie innergem. Lieferungen", "1020", "Salg til EU-lande u/moms"),
    ("revenue_export", "revenue", "8120", "4120", "Steuerfreie Umsätze § 4 Nr. 1a UStG", "1040",
     "Salg til lande uden for EU"),
    ("skonto_granted", "revenue", "8736", "4736", "Gewährte Skonti 19 % USt", "1090", "Givne kontantrabatter"),
    ("other_income", "revenue", "2700", "4830", "Sonstige Erträge", "1100", "Andre driftsindtægter"),
    ("interest_income", "revenue", "2650", "7100", "Sonstige Zinsen und ähnliche Erträge", "3220", "Renteindtægter"),
    ("fx_gain", "revenue", "2660", "4840", "Erträge aus Kursdifferenzen", "3240", "Kursgevinster"),
    ("goods_19", "expense", "3400", "5400", "Wareneingang 19 % Vorsteuer", "1310", "Varekøb"),
    ("goods_7", "expense", "3300", "5300", "Wareneingang 7 % Vorsteuer", None, None),
    ("goods_ige", "expense", "3425", "5425", "Innergem. Erwerb 19 % VSt und 19 % USt", "1320", "Varekøb fra EU"),
    ("services_rc", "expense", "3123", "5923", "Leist. EU-Untern. 19 % VSt und 19 % USt", "1330",
     "Ydelseskøb fra udlandet"),
    ("incidental_costs", "expense", "3800", "5800", "Bezugsnebenkosten", "1340", "Fragt og told på varekøb"),
    ("skonto_received", "expense", "3736", "5736", "Erhaltene Skonti 19 % Vorsteuer", "1350",
     "Modtagne kontantrabatter"),
    ("wages", "expense", "4110", "6010", "Löhne", "2200", "Timelønninger"),
    ("salaries", "expense", "4120", "6020", "Gehälter", "2210", "Gager og lønninger"),
    ("social_expense", "expense", "4130", "6110", "Gesetzliche soziale Aufwendungen", "2230", "ATP og sociale bidrag"),
    ("rent", "expense", "4210", "6310", "Miete (unbewegliche Wirtschaftsgüter)", "2710", "Husleje"),
    ("energy", "expense", "4240", "6325", "Gas, Strom, Wasser", "2720", "El, vand og varme"),
    ("insurance", "expense", "4360", "6400", "Versicherungen", "2860", "Forsikringer"),
    ("vehicle_costs", "expense", "4530", "6530", "Laufende Kfz-Betriebskosten", "2750",
     "Brændstof og vedligehold biler"),
    ("advertising", "expense", "4600", "6600", "Werbekosten", "2870", "Reklame og markedsføring"),
    ("entertainment", "expense", "4650", "6640", "Bewirtungskosten", "2890", "Repræsentation"),
    ("travel", "expense", "4660", "6650", "Reisekosten Arbeitnehmer", "2880", "Rejseudgifter"),
    ("freight_out", "expense", "4730", "6740", "Ausgangsfrachten", "2760", "Fragt ud"),
    ("it_maintenance", "expense", "4806", "6495", "Wartungskosten für Hard- und Software", "2910",
     "IT-drift og vedligeholdelse"),
    ("depreciation", "expense", "4830", "6220", "Abschreibungen auf Sachanlagen", "3110", "Afskrivninger driftsmidler"),
    ("low_value_writeoff", "expense", "4855", "6260", "Sofortabschreibung GWG", "3120", "Straksafskrivning småaktiver"),
    ("postage", "expense", "4910", "6800", "Porto", "2830", "Porto og gebyrer"),
    ("telephone", "expense", "4920", "6805", "Telefon", "2820", "Telefon og internet"),
    ("internet", "expense", "4925", "6810", "Internetkosten", None, None),
    ("office_supplies", "expense", "4930", "6815", "Bürobedarf", "2810", "Kontorartikler"),
    ("books", "expense", "4940", "6820", "Zeitschriften, Bücher", "2815", "Faglitteratur og abonnementer"),
    ("legal_advice", "expense", "4950", "6825", "Rechts- und Beratungskosten", "2850", "Advokat og rådgivning"),
    ("bookkeeping", "expense", "4955", "6830", "Buchführungskosten", "2840", "Revisor og bogføring"),
    ("audit", "expense", "4957", "6827", "Abschluss- und Prüfungskosten", "2845", "Revision og årsrapport"),
    ("licenses", "expense", "4964", "6837", "Aufwendungen für Lizenzen", "2915", "Softwarelicenser"),
    ("bank_fees", "expense", "4970", "6855", "Nebenkosten des Geldverkehrs", "3250", "Bankgebyrer"),
    ("other_supplies", "expense", "4980", "6850", "Sonstiger Betriebsbedarf", "2990", "Øvrige driftsomkostninger"),
    ("other_expense", "expense", "4900", "6300", "Sonstige betriebliche Aufwendungen", "2995",
     "Andre eksterne omkostninger"),
    ("interest_expense", "expense", "2100", "7300", "Zinsen und ähnliche Aufwendungen", "3210", "Renteudgifter"),
    ("fx_loss", "expense", "2150", "6880", "Aufwendungen aus Kursdifferenzen", "3230", "Kurstab"),
)

# Accounts that are retired: blocked for new postings, and 'bank_closed' also soft-deleted.
BLOCKED = frozenset({"output_tax_16", "bank_closed"})
DELETED = frozenset({"bank_closed"})


@dataclass(frozen=True)
class TaxCodeDef:
    """A tax code; `rate_bp` is the rate in basis points (19 % = 1900)."""

    code: str
    description: str
    rate_bp: int
    direction: str
    scope: str
    datev_bu_key: str | None
    tax_account_key: str | None
    is_deleted: int = 0


# BU keys are DATEV's standard Steuerschlüssel; the same keys apply in SKR03 and SKR04 (checked against
# ../shared/reference/datev-tax-keys.md: an intra-EU acquisition at 19 % is 19, § 13b reverse charge 94, an EU
# service under § 13b 46; erpload's transforms/datev/tax.py holds the table the bookings are checked against).
_GERMAN_TAX_CODES = (
    TaxCodeDef("U19", "Umsatzsteuer 19 %", 1900, "output", "domestic", "3", "output_tax_19"),
    TaxCodeDef("U7", "Umsatzsteuer 7 %", 700, "output", "domestic", "2", "output_tax_7"),
    TaxCodeDef("U16", "Umsatzsteuer 16 % (2. Halbjahr 2020)", 1600, "output", "domestic", "5", "output_tax_16", 1),
    TaxCodeDef("IGL0", "Steuerfreie innergem. Lieferung § 4 Nr. 1b UStG", 0, "output", "eu", None, None),
    TaxCodeDef("EXP0", "Steuerfreie Ausfuhrlieferung § 4 Nr. 1a UStG", 0, "output", "third_country", None, None),
    TaxCodeDef("V19", "Vorsteuer 19 %", 1900, "input", "domestic", "9", "input_tax_19"),
    TaxCodeDef("V7", "Vorsteuer 7 %", 700, "input", "domestic", "8", "input_tax_7"),
    TaxCodeDef("IGE19", "Innergem. Erwerb 19 % Vorsteuer und Umsatzsteuer", 1900, "input", "eu", "19",
               "input_tax_ige_19"),
    TaxCodeDef("RC19", "Reverse Charge § 13b UStG 19 % VSt und USt", 1900, "input", "reverse_charge", "46",
               "input_tax_rc_19"),
    TaxCodeDef("RC7", "Reverse Charge § 13b UStG 7 % VSt und USt", 700, "input", "reverse_charge", "91",
               "input_tax_7"),
    TaxCodeDef("EX0", "Steuerfrei ohne Vorsteuerabzug", 0, "input", "exempt", None, None),
)
_DANISH_TAX_CODES = (
    TaxCodeDef("DK25S", "Salgsmoms 25 %", 2500, "output", "domestic", None, "output_tax_19"),
    TaxCodeDef("DKEU0", "EU-salg uden moms", 0, "output", "eu", None, None),
    TaxCodeDef("DKEXP0", "Eksport uden moms", 0, "output", "third_country", None, None),
    TaxCodeDef("DK25K", "Købsmoms 25 %", 2500, "input", "domestic", None, "input_tax_19"),
    TaxCodeDef("DKEUK25", "EU-varekøb, erhvervelsesmoms 25 %", 2500, "input", "eu", None, "input_tax_ige_19"),
    TaxCodeDef("DKRC25", "Ydelseskøb udland, omvendt betalingspligt 25 %", 2500, "input", "reverse_charge", None,
               "input_tax_rc_19"),
    TaxCodeDef("DKFRI", "Momsfri", 0, "input", "exempt", None, None),
)

# The tax code a document uses, by role; Danish VAT has no reduced rate.
TAX_ROLES: dict[str, dict[str, str]] = {
    "de": {
        "sales_full": "U19", "sales_reduced": "U7", "sales_eu": "IGL0", "sales_export": "EXP0",
        "purchase_full": "V19", "purchase_reduced": "V7", "purchase_eu": "IGE19", "purchase_rc": "RC19",
        "purchase_exempt": "EX0",
    },
    "da": {
        "sales_full": "DK25S", "sales_reduced": "DK25S", "sales_eu": "DKEU0", "sales_export": "DKEXP0",
        "purchase_full": "DK25K", "purchase_reduced": "DK25K", "purchase_eu": "DKEUK25", "purchase_rc": "DKRC25",
        "purchase_exempt": "DKFRI",
    },
}

# The revenue account for each sales tax role (DATEV automatic accounts carry the tax code).
REVENUE_ACCOUNT = {
    "sales_full": "revenue_19", "sales_reduced": "revenue_7", "sales_eu": "revenue_eu",
    "sales_export": "revenue_export",
}

# Automatic accounts (Automatikkonten): posting to them implies the tax code.
_AUTO_TAX = {
    "revenue_19": "sales_full", "revenue_7": "sales_reduced", "revenue_eu": "sales_eu",
    "revenue_export": "sales_export", "goods_19": "purchase_full", "goods_7": "purchase_reduced",
    "goods_ige": "purchase_eu", "services_rc": "purchase_rc", "skonto_granted": "sales_full",
    "skonto_received": "purchase_full",
}


@dataclass(frozen=True)
class AccountDef:
    """One G/L account of a chart, number not yet padded to the company's length."""

    key: str
    number: str
    description: str
    account_class: str
    auto_tax_code: str | None
    is_blocked: int
    is_deleted: int


def pad_account(number: str, length: int) -> str:
    """Extend a 4-digit account to `length` digits by appending zeros (8400 -> 840000)."""
    return number + "0" * (length - len(number))


def language_of(chart: str) -> str:
    """'da' for the Danish chart, 'de' for the SKRs."""
    return "da" if chart == "DK-STD" else "de"


def chart_accounts(chart: str) -> list[AccountDef]:
    """The accounts of `chart` ('SKR03', 'SKR04' or 'DK-STD')."""
    language = language_of(chart)
    accounts = []
    for key, account_class, skr03, skr04, label_de, dk_no, label_da in _ACCOUNTS:
        number = {"SKR03": skr03, "SKR04": skr04}.get(chart, dk_no)
        label = label_da if chart == "DK-STD" else label_de
        if number is None or label is None:
            continue
        role = _AUTO_TAX.get(key)
        auto = TAX_ROLES[language][role] if role else None
        if language == "da" and key == "revenue_7":
            auto = None
        accounts.append(
            AccountDef(key, number, label, account_class, auto, int(key in BLOCKED), int(key in DELETED))
        )
    return accounts


def tax_codes(chart: str) -> tuple[TaxCodeDef, ...]:
    """The tax codes used with `chart`."""
    return _DANISH_TAX_CODES if chart == "DK-STD" else _GERMAN_TAX_CODES
