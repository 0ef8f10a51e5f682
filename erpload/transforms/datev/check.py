"""Check an EXTF file against the format declared in `spec`: the answer to "will DATEV take this?".

`check_file(path)` / `check_bytes(data, name)` return a `Report` whose findings say, per line and
column, what DATEV would refuse or misread (errors) and what it tolerates (warnings). The checks, in
file order: file name, encoding and line ends (reference 1), the header (2), the heading line (1.6),
then every data line: field count, each field against its column, and the rules that tie fields of
one line together (7). Categories 21, 16 and 20 are checked in full; 46 and 48 against the kinds and
lengths erpload inferred from DATEV's samples (a wrong kind is an error, an inferred limit a warning);
65 only for its structure; anything else gets a "not supported" finding.

>>> report = check_bytes(b'"EXTF";700;21\\n', "EXTF_test.csv")
>>> report.ok, sorted({f.rule for f in report.errors})[:2]
(False, ['header.field_count', 'header.format_name'])
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from erpload.transforms.datev.check_fields import CONTROL, ColumnCheck, Context
from erpload.transforms.datev.check_header import HeaderInfo, check_header
from erpload.transforms.datev.check_headings import check_headings
from erpload.transforms.datev.check_rows import row_rules
from erpload.transforms.datev.findings import ERROR, WARNING, Finding, Report, shorten
from erpload.transforms.datev.reader import ExtfFile, Line, read_extf, split_line
from erpload.transforms.datev.spec import ENCODING, FILE_NAME, NOT_CP1252, Format

__all__ = ["Finding", "Report", "check_bytes", "check_extf", "check_file"]

_NOT_CP1252 = re.compile(NOT_CP1252)
_FILE_NAME_ANY_CASE = re.compile(FILE_NAME.pattern, re.IGNORECASE)
#: Lines with characters outside Windows-1252 listed one by one before a summary.
_LISTED_LINES = 10


def check_file(path: str | Path) -> Report:
    """Read and check one file; a file that cannot be read is reported, not raised."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Report(name=str(path), findings=[Finding(ERROR, f"cannot read the file: {exc.strerror or exc}",
                                                        rule="file.unreadable")])
    return check_bytes(data, str(path))


def check_bytes(data: bytes, name: str) -> Report:
    """Check the bytes of an EXTF file called `name` (only its last path part is judged)."""
    return check_extf(read_extf(data), name)


def check_extf(extf: ExtfFile, name: str) -> Report:
    """Check an already read file; never raises: a value the checks cannot handle is a finding too."""
    try:
        return _check_extf(extf, name)
    except Exception as exc:  # a checker bug must not hide the findings of a file from its user
        report = Report(name=name, rows=len(extf.raw_rows))
        report.findings.append(_internal_failure(exc))
        return report


def _internal_failure(exc: Exception, line: int | None = None) -> Finding:
    """What the user sees where a check failed on something erpload did not foresee (a bug to report)."""
    return Finding(ERROR, f"erpload could not check this ({type(exc).__name__}: {shorten(str(exc), 80)}); treat "
                   "the file as unchecked here and report it to erpload", line=line, rule="checker.internal")


def _check_extf(extf: ExtfFile, name: str) -> Report:
    report = Report(name=name, rows=len(extf.raw_rows))
    findings = report.findings
    findings += _file_name(name)
    findings += _encoding(extf)
    if extf.header is None:
        return report
    findings += _line_ends(extf)
    info, header_findings = check_header(extf.header)
    findings += header_findings
    report.category, report.format_name, report.version = info.category, info.format_name, info.version
    if info.format is None:
        findings += _structure_only(extf)
    else:
        findings += _check_lines(extf, info, info.format)
    return report


def _file_name(name: str) -> list[Finding]:
    base = Path(name).name
    if FILE_NAME.match(base):
        return []
    if _FILE_NAME_ANY_CASE.match(base):
        return [Finding(WARNING, f"file name {base!r}: DATEV's convention is EXTF_….csv with lower-case .csv",
                        rule="file.name")]
    return [Finding(ERROR, f"file name {base!r}: DATEV imports files named EXTF_<anything>.csv (without \\ / : * ? "
                    '" < > |)', rule="file.name")]


def _encoding(extf: ExtfFile) -> list[Finding]:
    facts = extf.facts
    if facts.size == 0:
        return [Finding(ERROR, "the file is empty", rule="file.empty")]
    if facts.binary:
        what = f"a {facts.bom} text file" if facts.bom else "a binary file (it contains NUL bytes)"
        return [Finding(ERROR, f"this is {what}, not a DATEV CSV file in Windows-1252", rule="encoding.binary")]
    findings: list[Finding] = []
    if facts.bom:
        findings.append(Finding(ERROR, "the file starts with a UTF-8 byte order mark; DATEV files are Windows-1252 "
                                "without one, and DATEV would not recognise the header", line=1, rule="encoding.bom"))
    if facts.looks_utf8:
        example = _utf8_example(extf, facts.first_non_ascii_line)
        findings.append(Finding(
            ERROR, f"the file is UTF-8; DATEV reads Windows-1252 (ANSI) and would show Ã¤ for ä{example}. "
            "Save it as Windows-1252", line=facts.first_non_ascii_line, rule="encoding.utf8"))
        findings += _not_cp1252(extf)
    elif not facts.cp1252_valid:
        findings.append(Finding(ERROR, "the file contains bytes that Windows-1252 does not define (0x81, 0x8D, 0x8F, "
                                "0x90 or 0x9D); it is not a Windows-1252 text", line=facts.first_invalid_cp1252_line,
                                rule="encoding.cp1252"))
    return findings


def _lines(extf: ExtfFile) -> Iterator[Line]:
    yield from (line for line in (extf.header, extf.heading) if line is not None)
    yield from extf.iter_rows()


def _utf8_example(extf: ExtfFile, number: int | None) -> str:
    for line in _lines(extf):
        if line.number == number:
            match = re.search(r"[\w-]*[^\x00-\x7f][\w-]*", ";".join(line.fields))
            word = match.group() if match else ""
            if word:
                shown = word.encode("utf-8").decode(ENCODING, errors="replace")
                return f" (here {shorten(word, 30)!r} would arrive as {shorten(shown, 30)!r})"
    return ""


def _not_cp1252(extf: ExtfFile) -> list[Finding]:
    """Characters a Windows-1252 file cannot carry at all (only possible when the file is UTF-8)."""
    findings: list[Finding] = []
    hits = 0
    for line in _lines(extf):
        for index, raw in enumerate(line.fields, start=1):
            match = _NOT_CP1252.search(raw)
            if match is None or CONTROL.match(match.group()):
                continue
            hits += 1
            if hits <= _LISTED_LINES:
                findings.append(Finding(
                    ERROR, f"{match.group()!r} (U+{ord(match.group()):04X}) has no Windows-1252 code; replace or "
                    "transliterate it", line=line.number, column=index, value=shorten(raw),
                    rule="encoding.not_cp1252"))
            break
    if hits > _LISTED_LINES:
        findings.append(Finding(ERROR, f"{hits - _LISTED_LINES} more lines have characters outside Windows-1252",
                                rule="encoding.not_cp1252"))
    return findings


def _line_ends(extf: ExtfFile) -> list[Finding]:
    facts = extf.facts
    findings: list[Finding] = []
    if facts.cr_only:
        findings.append(Finding(ERROR, "lines end with CR only; DATEV needs CR LF at the end of every line",
                                rule="line_end.cr"))
    elif facts.bare_lf_lines:
        n = len(facts.bare_lf_lines)
        findings.append(Finding(
            ERROR, f"{n} line{'s' if n > 1 else ''} end with LF only (Unix line ends); DATEV needs CR LF at the end "
            "of every line", line=facts.bare_lf_lines[0], rule="line_end.lf"))
    if not facts.last_line_terminated:
        findings.append(Finding(WARNING, "the last line has no line end; DATEV's format ends every line, the last "
                                "one too, with CR LF", rule="line_end.last"))
    for number in extf.blank_lines:
        findings.append(Finding(ERROR, "empty line between the data lines; DATEV expects a record on every line",
                                line=number, rule="line.blank"))
    if extf.trailing_blank_lines:
        findings.append(Finding(WARNING, "empty line(s) at the end of the file", line=extf.trailing_blank_lines[0],
                                rule="line.blank_at_end"))
    return findings


def _quoting(line: Line) -> Finding:
    return Finding(ERROR, f"broken quoting: {line.problem}; a text field is written as \"…\" with every \" inside "
                   "doubled", line=line.number, rule="line.quoting")


def _structure_only(extf: ExtfFile) -> list[Finding]:
    """For a category the checker does not know: quoting and equal field counts."""
    findings = [_quoting(line) for line in _lines(extf) if line.problem and line.number > 1]
    if extf.heading is not None:
        width = len(extf.heading.fields)
        for line in extf.iter_rows():
            if not line.problem and len(line.fields) != width:
                findings.append(Finding(ERROR, f"{len(line.fields)} fields, but line 2 has {width} headings",
                                        line=line.number, rule="line.field_count"))
    return findings


def _layout_version(fmt: Format, version: int | None, extf: ExtfFile) -> int:
    """The version whose columns the lines are checked against: the header's, or the heading line's width."""
    if version is not None:
        return version
    width = len(extf.heading.fields) if extf.heading else 0
    for candidate in (fmt.version, *fmt.other_versions):
        if fmt.column_count(candidate) == width:
            return candidate
    return fmt.version


class _RowChecker:
    """Every check of one data line: each non-empty field against its column, required fields, row rules."""

    def __init__(self, fmt: Format, count: int, info: HeaderInfo) -> None:
        ctx = Context(category=fmt.category, account_length=info.account_length, period=info.period,
                      verified=fmt.verified)
        columns = fmt.columns[:count]
        self.checks = [ColumnCheck(column, ctx) for column in columns]
        self.required = [column.index - 1 for column in columns if column.required]
        self.headings = [column.heading for column in columns]
        self.rules = row_rules(fmt, count, info.currency)

    def __call__(self, number: int, fields: list[str], findings: list[Finding]) -> None:
        headings = self.headings
        # Most fields are empty ("" is DATEV's way to write an empty text): skipping them in one
        # comprehension, and reading each column's cache directly, keeps 100k lines at a few seconds.
        for check, raw in [(c, r) for c, r in zip(self.checks, fields, strict=True) if r and r != '""']:
            issues = check.cache.get(raw)
            if issues is None:
                issues = check(raw)
            for issue in issues:
                index = check.column.index
                findings.append(Finding(issue.severity, issue.message, number, index, headings[index - 1],
                                        shorten(raw), issue.rule))
        for index in self.required:
            if fields[index] in ("", '""'):
                findings.append(Finding(ERROR, "required, but empty", number, index + 1, headings[index], "",
                                        "field.required"))
        for column, issue in self.rules(fields):
            findings.append(Finding(issue.severity, issue.message, number, column, headings[column - 1],
                                    shorten(fields[column - 1]), issue.rule))


def _check_lines(extf: ExtfFile, info: HeaderInfo, fmt: Format) -> list[Finding]:
    version = _layout_version(fmt, info.version, extf)
    count = fmt.column_count(version) or len(fmt.columns)
    findings = check_headings(extf.heading, fmt, version) if extf.heading or extf.raw_rows else []
    if extf.heading is not None and extf.heading.problem:
        findings.append(_quoting(extf.heading))
    heading_width = len(extf.heading.fields) if extf.heading else count
    findings += _version_mismatch(fmt, info.version, count, heading_width, extf)

    check_row = _RowChecker(fmt, count, info)
    # Lines as wide as the heading line but not as the header's version: one finding, not one per line.
    shifted, first_shifted = 0, 0
    for number, text in extf.raw_rows:
        fields, problem = split_line(text)
        if problem:
            findings.append(_quoting(Line(number, fields, problem)))
        elif len(fields) == count:
            try:
                check_row(number, fields, findings)
            except Exception as exc:  # one odd line: report it and go on with the others
                findings.append(_internal_failure(exc, number))
        elif len(fields) == heading_width:
            shifted += 1
            first_shifted = first_shifted or number
        else:
            findings.append(_field_count(number, len(fields), count))
    if shifted:
        findings.append(Finding(
            ERROR, f"{shifted} data line{'s' if shifted > 1 else ''} have {heading_width} fields like the heading "
            f"line, but {fmt.name} formatversion {version} has {count} columns; no field of these lines was checked",
            line=first_shifted, rule="line.field_count"))
    if not extf.raw_rows and extf.heading is not None:
        findings.append(Finding(WARNING, "the file has no data lines", rule="line.none"))
    return findings


def _field_count(number: int, n: int, count: int) -> Finding:
    if n < count:
        what = f"{count - n} field{'s' if count - n > 1 else ''} missing"
    else:
        what = f"{n - count} field{'s' if n - count > 1 else ''} too many"
    return Finding(ERROR, f"{n} fields instead of {count} ({what}); DATEV reads fields by position, so every field "
                   "after the gap would land in the wrong column", line=number, rule="line.field_count")


def _version_mismatch(fmt: Format, version: int | None, count: int, width: int, extf: ExtfFile) -> list[Finding]:
    """The header names one format version, but the lines are as wide as another one."""
    if version is None or width == count:
        return []
    other = next((v for v in (fmt.version, *fmt.other_versions) if fmt.column_count(v) == width), None)
    if other is None:
        return []
    header = extf.header.fields[4] if extf.header and len(extf.header.fields) > 4 else ""
    return [Finding(
        ERROR, f"the header says formatversion {version} ({count} columns), but the file has {width} columns, which "
        f"is formatversion {other}; DATEV maps fields by position and would misread every line - write "
        f"formatversion {other} in the header or drop the extra columns",
        line=1, column=5, heading="Formatversion", value=header, rule="header.version_columns")]
