"""Rules that tie fields of one data line together (reference section 7, rules 17-22).

Only what the file itself can prove: the foreign-currency columns go together and agree, the
Leistungsdatum comes with its tax period, a SEPA mandate names its bank, a down-payment order names its
booking type; for Debitoren/Kreditoren one main bank account and a VAT ID without its country prefix;
for Diverse Adressen one main bank account.
Each rule returns (1-based column, issue) pairs; the checker puts them on the line.

>>> from erpload.transforms.datev.spec import BOOKINGS
>>> rules = row_rules(BOOKINGS, 125, currency="EUR")
>>> row = [""] * 125
>>> row[0], row[2], row[3], row[4], row[5] = "100,00", '"CHF"', "1,100000", "95,00", '"EUR"'
>>> [(column, issue.severity) for column, issue in rules(row)]
[(5, 'error')]
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from erpload.transforms.datev.check_fields import Issue, parse_amount
from erpload.transforms.datev.findings import ERROR, WARNING
from erpload.transforms.datev.reader import unquote
from erpload.transforms.datev.spec import Format

RowRule = Callable[[list[str]], list[tuple[int, Issue]]]
_CENT = Decimal("0.01")
#: Basis-Umsatz may be off by this much with a warning: DATEV's own sample has a row off by 0,03.
_TOLERATED = Decimal("0.05")
_EMPTY = ("", '""')


def row_rules(fmt: Format, count: int, currency: str = "EUR") -> RowRule:
    """The cross-field rule of `fmt` for lines with `count` columns; a no-op for formats without any."""
    if fmt.category == 21:
        return _Bookings(fmt, count, currency)
    if fmt.category == 16:
        return _Partners(fmt, count)
    if fmt.category == 48:
        return _MainBank(fmt, count)
    return _no_rules


def _no_rules(fields: list[str]) -> list[tuple[int, Issue]]:
    return []


class _Bookings:
    """Buchungsstapel: foreign currency, tax period, SEPA, down payments, info pairs."""

    def __init__(self, fmt: Format, count: int, currency: str) -> None:
        def at(heading: str) -> int:
            # Every column used here exists since formatversion 9 (120 columns), the oldest one checked.
            return fmt.column(heading).index - 1

        self.currency = currency
        self.amount, self.wkz, self.rate = at("Umsatz (ohne Soll/Haben-Kz)"), at("WKZ Umsatz"), at("Kurs")
        self.base, self.base_wkz = at("Basis-Umsatz"), at("WKZ Basis-Umsatz")
        self.bank, self.mandate = at("Geschäftspartnerbank"), at("SEPA-Mandatsreferenz")
        self.order, self.order_type = at("Auftragsnummer"), at("Buchungstyp")
        self.service_date, self.tax_period = at("Leistungsdatum"), at("Datum Zuord. Steuerperiode")
        # Beleginfo and Zusatzinformation come as Art/Inhalt pairs (reference 7, rule 16).
        self.pairs = [
            (c.index - 1, c.index, c.heading)
            for c in fmt.columns
            if c.index < count and (c.heading.startswith(("Beleginfo - Art", "Zusatzinformation - Art")))
        ]
        # The pairs sit in two unbroken runs of columns (21-36 and 48-87): slices of them are cheap to test.
        beleginfo = [p for p in self.pairs if p[2].startswith("Beleginfo")]
        zusatz = [p for p in self.pairs if p[2].startswith("Zusatzinformation")]
        self.info_spans = [(run[0][0], run[-1][1] + 1) for run in (beleginfo, zusatz) if run]

    def __call__(self, fields: list[str]) -> list[tuple[int, Issue]]:
        issues: list[tuple[int, Issue]] = []
        if (fields[self.wkz] not in _EMPTY or fields[self.rate] or fields[self.base]
                or fields[self.base_wkz] not in _EMPTY):
            issues += self._currency(fields)
        if fields[self.service_date] and not fields[self.tax_period]:
            issues.append((self.service_date + 1, Issue(
                WARNING, "bookings.service_date",
                "Leistungsdatum without Datum Zuord. Steuerperiode (column 116); DATEV asks for both")))
        if fields[self.mandate] not in _EMPTY and not fields[self.bank]:
            issues.append((self.mandate + 1, Issue(
                ERROR, "bookings.sepa_bank",
                "SEPA-Mandatsreferenz without Geschäftspartnerbank (column 17); DATEV needs the bank the "
                "mandate belongs to")))
        elif fields[self.bank] and fields[self.mandate] in _EMPTY:
            issues.append((self.bank + 1, Issue(
                WARNING, "bookings.sepa_bank",
                "Geschäftspartnerbank without SEPA-Mandatsreferenz (column 105); the two belong together")))
        if fields[self.order] not in _EMPTY and fields[self.order_type] in _EMPTY:
            issues.append((self.order_type + 1, Issue(
                ERROR, "bookings.order_type",
                "Auftragsnummer (column 95) is given, so DATEV needs the Buchungstyp: AA, AG, AV, SR, SU, SG or SO")))
        # One C-level test per run instead of 28 Python comparisons: is any info field filled at all?
        if any("".join(fields[start:stop]).replace('"', "") for start, stop in self.info_spans):
            issues += self._info_pairs(fields)
        return issues

    def _info_pairs(self, fields: list[str]) -> list[tuple[int, Issue]]:
        issues: list[tuple[int, Issue]] = []
        for art, inhalt, heading in self.pairs:
            has_art, has_inhalt = fields[art] not in _EMPTY, fields[inhalt] not in _EMPTY
            if has_art != has_inhalt:
                issues.append((art + 1 if has_art else inhalt + 1, Issue(
                    WARNING, "bookings.info_pair",
                    f"{heading} (column {art + 1}) and its Inhalt (column {inhalt + 1}) belong together, but only "
                    "one of them is filled")))
        return issues

    def _currency(self, fields: list[str]) -> list[tuple[int, Issue]]:
        wkz = unquote(fields[self.wkz])
        given = {
            3: wkz,
            4: fields[self.rate],
            5: fields[self.base],
            6: unquote(fields[self.base_wkz]),
        }
        if wkz in ("", self.currency) and not given[4] and not given[5]:
            return []  # WKZ Basis-Umsatz alone, or the home currency spelled out: nothing to convert
        missing = [str(c) for c, v in given.items() if not v]
        if missing:
            return [(int(missing[0]), Issue(
                ERROR, "bookings.foreign_currency",
                "a foreign-currency booking needs WKZ Umsatz, Kurs, Basis-Umsatz and WKZ Basis-Umsatz "
                f"(columns 3-6) together; column {', '.join(missing)} is empty"))]
        amount, rate, base = parse_amount(fields[self.amount]), parse_amount(given[4]), parse_amount(given[5])
        if rate is not None and rate == 0:
            return [(4, Issue(ERROR, "bookings.rate_zero", "Kurs 0 is not a rate; DATEV divides by it"))]
        if amount is None or rate is None or base is None:
            return []  # the field checks already report the malformed number
        expected = (amount / rate).quantize(_CENT, rounding=ROUND_HALF_UP)
        difference = abs(base - expected)
        if difference == 0:
            return []
        text = (f"Basis-Umsatz {_de(base)} should be Umsatz ÷ Kurs = {fields[self.amount]} ÷ {given[4]} = "
                f"{_de(expected)}; it is off by {_de(difference)}")
        if difference <= _TOLERATED:
            return [(5, Issue(WARNING, "bookings.base_amount", f"{text} (rounding?)"))]
        return [(5, Issue(ERROR, "bookings.base_amount", text))]


def _de(amount: Decimal) -> str:
    """An amount the way a German bookkeeper reads it: decimal comma."""
    return f"{amount:f}".replace(".", ",")


class _MainBank:
    """Debitoren/Kreditoren and Diverse Adressen: at most one bank account is the main one."""

    def __init__(self, fmt: Format, count: int) -> None:
        self.main_bank = [c.index - 1 for c in fmt.columns
                          if c.heading.startswith("Kennz. Hauptbankverb.") and c.index <= count]

    def __call__(self, fields: list[str]) -> list[tuple[int, Issue]]:
        mains = [i for i in self.main_bank if unquote(fields[i]) == "1"]
        if len(mains) > 1:
            return [(mains[1] + 1, Issue(
                ERROR, "partners.main_bank",
                f"{len(mains)} bank accounts are marked as main bank account (Kennz. Hauptbankverb. = 1); "
                "DATEV allows one"))]
        return []


class _Partners(_MainBank):
    """Debitoren/Kreditoren: one main bank account, VAT ID split into country and number."""

    def __init__(self, fmt: Format, count: int) -> None:
        super().__init__(fmt, count)
        self.eu_country, self.eu_vat = fmt.column("EU-Land").index - 1, fmt.column("EU-UStID").index - 1

    def __call__(self, fields: list[str]) -> list[tuple[int, Issue]]:
        issues = super().__call__(fields)
        country, vat = unquote(fields[self.eu_country]), unquote(fields[self.eu_vat])
        if country and vat.upper().startswith(country.upper()) and len(vat) > 2 and not vat[:2].isdigit():
            issues.append((self.eu_vat + 1, Issue(
                ERROR, "partners.vat_prefix",
                f"EU-UStID starts with the country code {country}; DATEV takes the country from EU-Land "
                f"(column 9), write only {vat[len(country):]}")))
        return issues
