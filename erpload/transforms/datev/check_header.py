"""Check line 1, the EXTF header: 31 fields, each against its regex, and how they fit together.

Returns what later checks need (category, format version, Sachkontenlänge, batch period) as a
`HeaderInfo`, with None wherever the header does not give a usable value. DATEV's own programs write
the reserved tail (fields 23-30) sloppily (reference 2), so deviations there are warnings.

>>> from erpload.transforms.datev.reader import split_line, Line
>>> raw = ('"EXTF";700;21;"Buchungsstapel";13;20240130140440439;;"RE";"";"";29098;55003;20240101;4;'
...        '20240101;20240831;"Buchungsstapel";"WD";1;0;0;"EUR";;"";;;"03";;;"";""')
>>> info, findings = check_header(Line(1, split_line(raw)[0]))
>>> info.category, info.version, info.account_length, info.period, findings
(21, 13, 4, (datetime.date(2024, 1, 1), datetime.date(2024, 8, 31)), [])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from erpload.transforms.datev.findings import ERROR, WARNING, Finding, Severity, shorten
from erpload.transforms.datev.reader import Line, is_quoted, unquote
from erpload.transforms.datev.spec import FORMATS, HEADER, HEADER_FIELD_COUNT, HEADER_VERSION, Format

#: Reserved and rarely used fields where DATEV's own sample files deviate from the portal's rules.
_LENIENT = frozenset({7, 23, 24, 25, 26, 27, 28, 29, 30})
_HANDLED_APART = frozenset({1, 2, 3, 4, 5})
#: Categories DATEV knows but this checker does not (reference 0: the Natural-Stapel sample).
_OTHER_CATEGORIES = {66: "Natural-Stapel"}


@dataclass(frozen=True)
class HeaderInfo:
    """What the header says, where it says it usably."""

    category: int | None = None
    format: Format | None = None
    format_name: str | None = None
    version: int | None = None
    account_length: int | None = None
    fiscal_year_start: date | None = None
    period: tuple[date, date] | None = None
    currency: str = "EUR"


def _finding(severity: Severity, index: int, message: str, raw: str | None, rule: str) -> Finding:
    return Finding(severity, message, line=1, column=index, heading=HEADER[index - 1].heading,
                   value=None if raw is None else shorten(raw), rule=rule)


def _yyyymmdd(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y%m%d").date() if len(value) == 8 and value.isdigit() else None
    except ValueError:
        return None


def _one_year_after(day: date) -> date:
    if day.year >= date.max.year:  # 9999: no later date exists, nothing ends after it
        return date.max
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _implausible_year(day: date) -> bool:
    """A year before 1900 or after next year: a typo (9999, 0202), not a period anyone books into."""
    return day.year < 1900 or day.year > date.today().year + 1


def check_header(line: Line | None) -> tuple[HeaderInfo, list[Finding]]:
    """Check line 1 and say what it declares; never raises."""
    if line is None or line.fields == [""]:
        return HeaderInfo(), [Finding(ERROR, "the file is empty; an EXTF file starts with the header line "
                                      '"EXTF";700;…', line=1, rule="header.missing")]
    fields = line.fields
    if line.problem:
        return HeaderInfo(), [Finding(ERROR, f"the header line's quoting is broken: {line.problem}", line=1,
                                      rule="line.quoting")]
    if unquote(fields[0]) not in ("EXTF", "DTVF"):
        return HeaderInfo(), [_finding(ERROR, 1, 'this is not a DATEV EXTF file: line 1 must start with "EXTF"',
                                       fields[0], "header.not_extf")]
    findings: list[Finding] = []
    if unquote(fields[0]) == "DTVF":
        findings.append(_finding(WARNING, 1, '"DTVF" marks files written by DATEV\'s own programs; other programs '
                                 'write "EXTF"', fields[0], "header.dtvf"))
    findings += _field_count(fields)
    padded = fields + [""] * (HEADER_FIELD_COUNT - len(fields))
    fmt, version, more = _format(padded)
    findings += more
    category = fmt.category if fmt else None
    for column in HEADER:
        if column.index not in _HANDLED_APART:
            findings += _check_field(column.index, padded[column.index - 1], category)
    info, more = _semantics(padded, fmt, version)
    return info, findings + more


def _field_count(fields: list[str]) -> list[Finding]:
    n = len(fields)
    if n == HEADER_FIELD_COUNT:
        return []
    if n > HEADER_FIELD_COUNT and not any(fields[HEADER_FIELD_COUNT:]):
        return [Finding(WARNING, f"the header has {n} fields, DATEV's has {HEADER_FIELD_COUNT}: remove the extra ';' "
                        "at the end of line 1", line=1, rule="header.field_count")]
    return [Finding(ERROR, f"the header has {n} fields, DATEV expects exactly {HEADER_FIELD_COUNT}", line=1,
                    rule="header.field_count")]


def _format(fields: list[str]) -> tuple[Format | None, int | None, list[Finding]]:
    """Fields 2-5: header version, category, format name and format version, and whether they agree."""
    findings: list[Finding] = []
    if fields[1] != str(HEADER_VERSION):
        hint = " (510 is DATEV's format from before 2016)" if fields[1] == "510" else ""
        findings.append(_finding(ERROR, 2, f"the header version must be {HEADER_VERSION}{hint}", fields[1],
                                 "header.version"))
    raw_category, name = fields[2], unquote(fields[3])
    category = int(raw_category) if raw_category.isdigit() else None
    fmt = FORMATS.get(category) if category is not None else None
    if fmt is None:
        known = ", ".join(f"{c} {f.name}" for c, f in sorted(FORMATS.items()))
        label = _OTHER_CATEGORIES.get(category or -1, name)
        findings.append(_finding(
            ERROR, 3, f"format category {raw_category} ({label}) is not supported by this checker, which knows "
            f"{known}; only the file's encoding, line ends and quoting were checked", raw_category,
            "header.category_unsupported"))
        return None, None, findings
    if name != fmt.name:
        findings.append(_finding(ERROR, 4, f"category {category} is called {fmt.name!r}, not {name!r}", fields[3],
                                 "header.format_name"))
    raw_version = fields[4]
    version = int(raw_version) if raw_version.isdigit() else None
    count = fmt.column_count(version) if version is not None else None
    if count is None:
        versions = ", ".join(map(str, sorted([fmt.version, *fmt.other_versions])))
        findings.append(_finding(
            ERROR, 5, f"{fmt.name} has no formatversion {raw_version or '(empty)'}; DATEV knows "
            f"{versions} (current: {fmt.version})", raw_version, "header.format_version"))
        return fmt, None, findings
    if version != fmt.version:
        findings.append(_finding(
            WARNING, 5, f"older formatversion {version} of {fmt.name} ({count} columns); the current one is "
            f"{fmt.version}; DATEV is reported to still import the older one", raw_version,
            "header.old_format_version"))
    return fmt, version, findings


def _check_field(index: int, raw: str, category: int | None) -> list[Finding]:
    column = HEADER[index - 1]
    required = column.required or (category is not None and category in column.required_for)
    if raw == "":
        if required:
            return [_finding(ERROR, index, "required, but empty", raw, "header.required")]
        return []
    pattern = column.pattern
    if pattern is None or pattern.match(raw):
        return []
    severity = WARNING if index in _LENIENT else ERROR
    value = unquote(raw)
    if column.kind == "empty" or column.regex in ('^["]["]$', "^$"):
        return [_finding(severity, index, "reserved field, DATEV leaves it empty", raw, "header.reserved")]
    if column.quoted and not is_quoted(raw) and pattern.match(f'"{raw}"'):
        return [_finding(severity, index, "text written without quotes", raw, "header.unquoted_text")]
    if not column.quoted and is_quoted(raw) and pattern.match(value):
        return [_finding(severity, index, "written in quotes; this header field is a number", raw,
                         "header.quoted_number")]
    rule = column.note or f"the pattern {column.regex}"
    return [_finding(severity, index, f"not allowed here; DATEV expects: {rule}", raw, "header.pattern")]


def _semantics(fields: list[str], fmt: Format | None, version: int | None) -> tuple[HeaderInfo, list[Finding]]:
    """Values that must be real (timestamp, dates, ranges) and the batch period rules for Buchungsstapel."""
    findings: list[Finding] = []
    stamp = fields[5]
    if len(stamp) == 17 and stamp.isdigit():
        try:
            datetime.strptime(stamp[:14], "%Y%m%d%H%M%S")
        except ValueError:
            findings.append(_finding(ERROR, 6, "not a real date and time (JJJJMMTTHHMMSSFFF)", stamp,
                                     "header.timestamp"))
    for index, low in ((11, 1001), (12, 1)):
        raw = fields[index - 1]
        if raw.isdigit() and int(raw) < low:
            findings.append(_finding(ERROR, index, f"must be at least {low}", raw, "header.range"))
    dates: dict[int, date | None] = {}
    for index in (13, 15, 16):
        raw = fields[index - 1]
        dates[index] = _yyyymmdd(raw)
        if raw and raw.isdigit() and len(raw) == 8 and dates[index] is None:
            findings.append(_finding(ERROR, index, "not a real date (JJJJMMTT)", raw, "header.date"))
        day = dates[index]
        if day is not None and _implausible_year(day):
            findings.append(_finding(ERROR, index, f"the year {day.year} lies before 1900 or more than a year ahead; "
                                     "a typo in the year? Documents of that date belong in no open fiscal year",
                                     raw, "header.date_implausible"))
    raw_length = fields[13]
    account_length = int(raw_length) if raw_length.isdigit() and 4 <= int(raw_length) <= 8 else None
    period = None
    start, end, fiscal = dates[15], dates[16], dates[13]
    if fmt is not None and fmt.category == 21 and start and end:
        if start > end:
            findings.append(_finding(ERROR, 15, f"the batch period starts ({start:%d.%m.%Y}) after it ends "
                                     f"({end:%d.%m.%Y}, field 16)", fields[14], "header.period"))
        else:
            period = (start, end)
        if fiscal and start < fiscal:
            findings.append(_finding(ERROR, 15, f"the batch period starts before the fiscal year "
                                     f"({fiscal:%d.%m.%Y}, field 13)", fields[14], "header.period"))
        if fiscal and end >= _one_year_after(fiscal):
            findings.append(_finding(
                ERROR, 16, f"the batch period ends after the fiscal year that starts {fiscal:%d.%m.%Y} (field 13); "
                "a batch must stay inside one fiscal year because DATEV takes each document date's year from "
                "the header", fields[15], "header.period"))
    currency = unquote(fields[21]) or "EUR"
    return HeaderInfo(
        # For an unsupported category the report still says what the file claims to be.
        category=fmt.category if fmt else (int(fields[2]) if fields[2].isdigit() else None),
        format=fmt,
        format_name=fmt.name if fmt else (unquote(fields[3]) or None),
        version=version,
        account_length=account_length,
        fiscal_year_start=fiscal,
        period=period,
        currency=currency,
    ), findings
