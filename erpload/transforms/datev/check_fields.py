"""Check one raw field against its column: quoting, type, length, pattern, allowed values.

A column's check depends only on the raw value and the file's header (Sachkontenlänge, batch period),
so results are cached per value: a Buchungsstapel repeats its accounts, keys and dates on every line.
Where the spec's regex is stricter than DATEV's own sample files (reference sections 3.1 and 8), a
value DATEV's programs write is accepted with a warning, never with an error. For the formats known
only from a sample file (46, 48, 65) a value of the wrong kind is an error, a length or value list
erpload inferred only a warning (`_KIND_RULES`).

>>> from erpload.transforms.datev.spec import BOOKINGS
>>> ctx = Context(category=21, account_length=4, period=(date(2024, 1, 1), date(2024, 1, 31)))
>>> [i.rule for i in ColumnCheck(BOOKINGS.column("Umsatz (ohne Soll/Haben-Kz)"), ctx)("12.50")]
['amount.decimal_point']
>>> ColumnCheck(BOOKINGS.column("Belegdatum"), ctx)("1502")[0].message
'document date 15.02.2024 is outside the batch period 01.01.2024 to 31.01.2024 (header fields 15 and 16)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from stdnum import bic, iban
from stdnum.exceptions import ValidationError

from erpload.transforms.datev.findings import ERROR, WARNING, Severity
from erpload.transforms.datev.reader import is_quoted, unquote
from erpload.transforms.datev.spec import Column

#: Control characters are forbidden inside fields (reference 1.7): DATEV splits or drops lines at them.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"^[0-9]+$")
_NUMERIC = re.compile(r"^([0-9]+)(?:,([0-9]*))?$")
_THOUSANDS = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]*)?$")
_DOT_DECIMAL = re.compile(r"^-?[0-9]+\.[0-9]+$")
#: Regexes that are nothing but a list of literal values, e.g. ^["](S|H)["]$ or ^(0|1)?$.
_CHOICES = re.compile(r'^\^\(?(?:\["\])?\(([^()\[\]\\{}*+.]+)\)\??(?:\["\])?\)?\$$')
#: Belegfeld 1/2 (reference 3.1): the portal's description lists exactly these characters. Its regex
#: uses \w, which would also admit `_` and (in Python) umlauts.
_BELEGFELD = re.compile(r"^[A-Za-z0-9$&%*+\-/]*$")
_BELEGFELD_LOOSE = re.compile(r"^[A-Za-z0-9$&%*+\-/_]*$")
_CACHE_LIMIT = 20_000
#: Value sets the spec states in words but its regex does not enforce (reference 3.1, col 96).
_EXTRA_CHOICES = {(21, "Buchungstyp"): ("AA", "AG", "AV", "SR", "SU", "SG", "SO")}


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem with one value, before it is placed on a line."""

    severity: Severity
    rule: str
    message: str


@dataclass(frozen=True)
class Context:
    """What the header says that field checks depend on."""

    category: int
    #: header field 14 Sachkontenlänge, None when the header does not give a usable one
    account_length: int | None = None
    #: header fields 15/16, the batch period of a Buchungsstapel
    period: tuple[date, date] | None = None
    #: False for formats whose types and lengths come only from a sample file (46, 48, 65): see `_inferred`
    verified: bool = True


def choices(regex: str | None) -> tuple[str, ...]:
    """The literal values of a regex that only lists values, else ().

    >>> choices('^["](S|H)["]$'), choices(r'^(\\d{1,3})$')
    (('S', 'H'), ())
    """
    match = _CHOICES.match(regex or "")
    return tuple(match.group(1).split("|")) if match else ()


def parse_ttmmjjjj(value: str) -> date | None:
    """A TTMMJJJJ date, or None when it is not a real calendar date.

    >>> parse_ttmmjjjj("29022024"), parse_ttmmjjjj("29022023")
    (datetime.date(2024, 2, 29), None)
    """
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError:
        return None


def parse_amount(value: str) -> Decimal | None:
    """A DATEV number with decimal comma (`1234,56`, `64083`) as Decimal, else None."""
    if not _NUMERIC.match(value):
        return None
    return Decimal(value.replace(",", ".").rstrip(".") or "0")


def _reason(exc: ValidationError) -> str:
    """stdnum's reason in lower case, to sit inside our sentence."""
    text = str(exc).rstrip(".")
    return text[:1].lower() + text[1:]


#: Findings that hold whatever DATEV's exact limits are: the value is not of its column's kind (digits,
#: a date, unquoted) or fails an ISO check. For a format known only from its sample file (46, 48, 65)
#: the kind is read off DATEV's own sample, so these stay errors; lengths, value lists and "required"
#: are erpload's inference there and only warn.
_KIND_RULES = frozenset({
    "field.control_character", "field.quoted_number", "number.not_digits", "account.not_digits",
    "amount.not_a_number", "amount.decimal_point", "amount.thousands_separator", "amount.negative",
    "date.invalid", "iban.invalid", "bic.invalid",
})


def _inferred(issue: Issue) -> Issue:
    """An issue of an unverified format: an error only when it is about the value's kind (`_KIND_RULES`)."""
    if issue.severity == ERROR and issue.rule not in _KIND_RULES:
        return Issue(WARNING, issue.rule, issue.message)
    return issue


def _fmt(day: date) -> str:
    return day.strftime("%d.%m.%Y")


class ColumnCheck:
    """The compiled checks for one column; call it with a raw field to get its issues."""

    def __init__(self, column: Column, ctx: Context) -> None:
        self.column = column
        self.ctx = ctx
        self._choices = (column.allowed or _EXTRA_CHOICES.get((ctx.category, column.heading))
                         or choices(column.regex))
        #: raw value -> issues; the checker reads it directly to save a call per field
        self.cache: dict[str, tuple[Issue, ...]] = {}
        heading = column.heading
        self._belegfeld = ctx.category == 21 and heading in ("Belegfeld 1", "Belegfeld 2")
        self._iban = ctx.category in (16, 48) and heading.startswith("IBAN")
        self._bic = ctx.category in (16, 48) and heading.startswith("SWIFT")

    def __call__(self, raw: str) -> tuple[Issue, ...]:
        cached = self.cache.get(raw)
        if cached is None:
            issues = self._check(raw)
            if not self.ctx.verified:
                issues = [_inferred(issue) for issue in issues]
            cached = tuple(issues)
            if len(self.cache) < _CACHE_LIMIT:
                self.cache[raw] = cached
        return cached

    # -- one value ---------------------------------------------------------------------------
    def _check(self, raw: str) -> list[Issue]:
        col = self.column
        if CONTROL.search(raw):
            return [Issue(ERROR, "field.control_character",
                          "contains a control character (tab, line break or similar); DATEV does not allow "
                          "them inside a field - replace it with a blank")]
        if col.kind == "unknown":
            return []
        # Unverified formats soften what is inferred afterwards (`_inferred`).
        severe = ERROR
        issues: list[Issue] = []
        quoted = is_quoted(raw)
        value = unquote(raw) if quoted else raw
        if col.quoted:
            if raw and not quoted:
                issues.append(Issue(WARNING, "field.unquoted_text",
                                    "text written without quotes; DATEV's format puts every text field in quotes"))
        else:
            # An empty number written as "" is what DATEV's own sample does: read it as empty.
            if quoted and value:
                issues.append(Issue(severe, "field.quoted_number",
                                    "a number, amount, account or date written in quotes; DATEV reads quoted "
                                    "fields as text, write it without quotes"))
        if value == "":
            if col.required:
                issues.append(Issue(severe, "field.required", "required, but empty"))
            return issues
        kind = col.kind
        if kind == "text":
            # Patterns are matched against the value re-quoted without doubled quotes, so `.{0,60}` counts
            # characters the way DATEV's length limit does.
            issues += self._text(f'"{value}"', value, severe)
        elif kind in ("amount", "decimal"):
            issues += self._decimal(value, severe)
        elif kind == "number":
            issues += self._number(value, severe)
        elif kind == "account":
            issues += self._account(value, severe)
        elif kind == "date":
            issues += self._date(value, severe)
        return issues

    def _pattern_hint(self) -> str:
        regex = self.column.regex or ""
        if "[A-Z]{3}" in regex:
            return "a three-letter currency code in capitals, e.g. EUR"
        if "[A-Z]{2}" in regex:
            return "two capital letters, e.g. DE"
        if r"\d{1,4}" in regex:
            return "1 to 4 digits"
        if r"[\w ]" in regex:
            return "letters, digits and blanks only"
        if r"\w{" in regex:
            return "letters and digits only, no blanks or punctuation"
        return f"the form DATEV documents for this column ({regex})"

    def _text(self, normalized: str, value: str, severe: Severity) -> list[Issue]:
        col = self.column
        if col.max_length is not None and len(value) > col.max_length:
            return [Issue(severe, "field.too_long",
                          f"{len(value)} characters, DATEV allows at most {col.max_length}")]
        if self._choices:
            if value not in self._choices:
                return [Issue(severe, "field.not_allowed", f"must be one of {', '.join(self._choices)}")]
            return []
        if self._belegfeld:
            return self._belegfeld_chars(value)
        if self._iban:
            return self._check_iban(value)
        if self._bic:
            return self._check_bic(value)
        pattern = col.pattern
        if pattern is not None and not pattern.match(normalized):
            return [Issue(severe, "field.pattern", f"not allowed here: expected {self._pattern_hint()}")]
        return []

    def _belegfeld_chars(self, value: str) -> list[Issue]:
        if _BELEGFELD.match(value):
            return []
        bad = sorted({ch for ch in value if not _BELEGFELD_LOOSE.match(ch)})
        if not bad:
            return [Issue(WARNING, "belegfeld.underscore",
                          "contains '_'; DATEV's description allows only letters A-Z, digits and $ & % * + - / "
                          "(its regex also lets '_' through)")]
        shown = " ".join("blank" if ch == " " else repr(ch) for ch in bad)
        return [Issue(ERROR, "belegfeld.characters",
                      f"contains {shown}; a document number may only hold letters A-Z, digits and $ & % * + - / "
                      "(no blanks, umlauts, dots, commas); DATEV matches open items by it")]

    def _check_iban(self, value: str) -> list[Issue]:
        try:
            iban.validate(value)
        except ValidationError as exc:
            return [Issue(ERROR, "iban.invalid", f"not a valid IBAN ({_reason(exc)})")]
        if value != iban.compact(value):
            return [Issue(WARNING, "iban.format", "IBAN written with blanks or lower case; write it compact")]
        return []

    def _check_bic(self, value: str) -> list[Issue]:
        try:
            bic.validate(value)
        except ValidationError as exc:
            return [Issue(ERROR, "bic.invalid",
                          f"not a valid SWIFT/BIC code ({_reason(exc)}); "
                          "it has 8 or 11 letters and digits")]
        return []

    def _decimal(self, value: str, severe: Severity) -> list[Issue]:
        col = self.column
        match = _NUMERIC.match(value)
        if match is None:
            if _THOUSANDS.match(value):
                return [Issue(severe, "amount.thousands_separator",
                              "uses a dot as thousands separator; DATEV expects digits and a decimal comma only, "
                              f"e.g. {value.replace('.', '')}")]
            if _DOT_DECIMAL.match(value):
                comma = value.replace(".", ",")
                return [Issue(severe, "amount.decimal_point",
                              f"uses a dot as decimal separator; DATEV expects a comma, e.g. {comma}")]
            if value.startswith("-"):
                return [Issue(severe, "amount.negative",
                              "negative; DATEV amounts are always positive, the direction is the "
                              "Soll/Haben-Kennzeichen")]
            return [Issue(severe, "amount.not_a_number", "not a number with decimal comma, e.g. 1234,56")]
        integer, decimals = match.groups()
        if col.max_length is not None and len(integer) > col.max_length:
            return [Issue(severe, "amount.too_many_digits",
                          f"{len(integer)} digits before the comma, DATEV allows at most {col.max_length}")]
        if decimals is not None and len(decimals) > max(col.decimals, 1):
            return [Issue(severe, "amount.too_many_decimals",
                          f"{len(decimals)} decimal places, DATEV allows at most {col.decimals}")]
        if col.kind == "amount" and parse_amount(value) == 0:
            return [Issue(severe, "amount.zero", "0 is not allowed; DATEV needs an amount greater than 0")]
        if col.pattern is not None:
            if col.pattern.match(value):
                return []
            if col.decimals and decimals is not None and len(decimals) == col.decimals:
                # Right shape, but the portal's regex is narrower (Skonto `[1-9]…`, EU-Steuersatz `\d{2}`):
                # DATEV's own sample files break these, so they are only worth a note.
                return [Issue(WARNING, "amount.pattern",
                              f"does not match the portal's pattern {col.regex}")]
        elif decimals:
            return []
        if col.decimals:
            example = f"{integer},{(decimals or '').ljust(col.decimals, '0')}"
            return [Issue(WARNING, "amount.decimals",
                          f"write {col.decimals} decimal places with a comma, e.g. {example}; DATEV's own files "
                          "sometimes omit them")]
        return []

    def _number(self, value: str, severe: Severity) -> list[Issue]:
        col = self.column
        if not _DIGITS.match(value):
            return [Issue(severe, "number.not_digits", "must be a whole number (digits only)")]
        if self._choices:
            if value not in self._choices:
                return [Issue(severe, "field.not_allowed", f"must be one of {', '.join(self._choices)}")]
            return []
        if col.max_length is not None and len(value) > col.max_length:
            return [Issue(severe, "number.too_long", f"{len(value)} digits, DATEV allows at most {col.max_length}")]
        if col.pattern is not None and not col.pattern.match(value):
            # e.g. Geschäftspartnerbank `1` where the portal asks for \d{3}: DATEV's sample writes it so.
            return [Issue(WARNING, "number.pattern", f"does not match the portal's pattern {col.regex}")]
        return []

    def _account(self, value: str, severe: Severity) -> list[Issue]:
        col = self.column
        if not _DIGITS.match(value):
            return [Issue(severe, "account.not_digits", "account numbers are digits only")]
        if len(value) > (col.max_length or 9):
            return [Issue(severe, "account.too_long",
                          f"{len(value)} digits, DATEV allows at most {col.max_length or 9}")]
        if value.strip("0") == "":
            if col.required:
                return [Issue(severe, "account.zero", "account number 0 is not an account")]
            return [Issue(WARNING, "account.zero", "0 written where no account is meant; leave the field empty")]
        issues = self._account_length(value)
        if not issues and col.pattern is not None and not col.pattern.match(value):
            issues.append(Issue(WARNING, "account.pattern", f"does not match the portal's pattern {col.regex}"))
        return issues

    def _account_length(self, value: str) -> list[Issue]:
        length, n = self.ctx.account_length, len(value)
        if length is None:
            return []
        category = self.ctx.category
        first = self.column.index == 1
        if category == 16 and first:
            if n != length + 1:
                return [Issue(ERROR, "account.length",
                              f"{n} digits; with Sachkontenlänge {length} (header field 14) a Debitor/Kreditor "
                              f"account has exactly {length + 1} digits")]
            return []
        if category == 20 and first:
            if n > length:
                return [Issue(ERROR, "account.length",
                              f"{n} digits; with Sachkontenlänge {length} (header field 14) a G/L account has "
                              f"{length} digits")]
            if n < length:
                return [Issue(WARNING, "account.short",
                              f"{n} digits, shorter than the Sachkontenlänge {length}; DATEV fills it up - "
                              "make sure that is the account you mean")]
            return []
        if category == 21:
            if n > length + 1:
                return [Issue(ERROR, "account.length",
                              f"{n} digits; with Sachkontenlänge {length} (header field 14) accounts have "
                              f"{length} (G/L) or {length + 1} (Debitor/Kreditor) digits")]
            if n < length:
                return [Issue(WARNING, "account.short",
                              f"{n} digits, shorter than the Sachkontenlänge {length}; DATEV accepts it as a "
                              "G/L account, but write the full number")]
        return []

    def _date(self, value: str, severe: Severity) -> list[Issue]:
        col = self.column
        if col.date_format == "TTMM":
            return self._ttmm(value, severe)
        day = parse_ttmmjjjj(value)
        if day is None:
            return [Issue(severe, "date.invalid", "not a real date in the form TTMMJJJJ, e.g. 31012024")]
        if col.pattern is not None and not col.pattern.match(value):
            return [Issue(WARNING, "date.pattern", f"date {_fmt(day)} is outside the years DATEV's pattern allows")]
        return []

    def _ttmm(self, value: str, severe: Severity) -> list[Issue]:
        if len(value) != 4 or not _DIGITS.match(value):
            return [Issue(severe, "date.invalid", "the document date is 4 digits TTMM, e.g. 3101 for 31 January")]
        dd, mm = int(value[:2]), int(value[2:])
        period = self.ctx.period
        # The row carries no year: DATEV takes it from the header (reference 3.1, col 10). With no usable
        # period, a leap year keeps 2902 acceptable.
        years = sorted({period[0].year, period[1].year}) if period else [2000]
        days = []
        for year in years:
            try:
                days.append(date(year, mm, dd))
            except ValueError:
                continue
        if not days:
            return [Issue(severe, "date.invalid", f"{value[:2]}.{value[2:]}. is not a real date (TTMM)")]
        if period and not any(period[0] <= d <= period[1] for d in days):
            return [Issue(severe, "date.outside_period",
                          f"document date {_fmt(days[0])} is outside the batch period {_fmt(period[0])} to "
                          f"{_fmt(period[1])} (header fields 15 and 16)")]
        return []
