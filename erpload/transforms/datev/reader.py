"""Read an EXTF file from bytes: header, heading line and data lines as raw fields, plus byte-level facts.

Fields stay *raw*, exactly as written (quotes and doubled quotes included), because the spec's
regexes are written against the raw field (`"S"`, `"EUR"`). `unquote` gives the value.
The reader never raises on bad input: an empty, binary or non-EXTF file still yields an `ExtfFile`,
whose facts tell the checker what is wrong with it (reference section 1).

>>> f = read_extf(b'"EXTF";700;21\\r\\nKonto;Text\\r\\n1200;"a;b"\\r\\n')
>>> f.header.fields, f.heading.fields, f.rows[0].fields, f.rows[0].number
(['"EXTF"', '700', '21'], ['Konto', 'Text'], ['1200', '"a;b"'], 3)
>>> f.facts.encoding, f.facts.bare_lf_lines, f.facts.last_line_terminated
('cp1252', (), True)
>>> split_line('"Müller ""Bau"" GmbH";;1200')
(['"Müller ""Bau"" GmbH"', '', '1200'], None)
>>> split_line('"offen;1200')[1]
'a quote opened in field 1 is never closed'
>>> unquote('"Müller ""Bau"" GmbH"')
'Müller "Bau" GmbH'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property

from erpload.transforms.datev.spec import ENCODING, QUOTE, SEPARATOR

#: One field: a quoted text (inner quotes doubled) or an unquoted run without `;` and `"`. Each match
#: consumes the separator in front of its field, so `findall` returns the fields in order; a line
#: whose fields joined again differ from the line has a quoting error (described by `_quoting_problem`).
_FIELD = re.compile(r'(?:^|;)("[^"]*(?:""[^"]*)*"|[^;"]*)')
#: A well-formed line whose quoted texts hold no `;`: then splitting at every `;` is right and much
#: faster. Possessive quantifiers (no backtracking; the quoting grammar is unambiguous) make this
#: test about twice as fast as the plain pattern.
_PLAIN_FIELD = r'"[^";]*+(?:""[^";]*+)*+"|[^;"]*+'
_PLAIN_LINE = re.compile(rf"(?:{_PLAIN_FIELD})(?:;(?:{_PLAIN_FIELD}))*+")

UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = {b"\xff\xfe": "UTF-16 (little endian)", b"\xfe\xff": "UTF-16 (big endian)"}


def split_line(line: str) -> tuple[list[str], str | None]:
    """Split one line at `;` outside quotes; returns the raw fields and a quoting problem or None.

    A `;` inside a quoted text is part of the text; `""` inside a quoted text is one `"`.
    On a quoting problem the fields are a best effort (split at every `;`).
    """
    if QUOTE not in line or _PLAIN_LINE.fullmatch(line):
        return line.split(SEPARATOR), None
    fields: list[str] = _FIELD.findall(line)
    if SEPARATOR.join(fields) == line:
        return fields, None
    return line.split(SEPARATOR), _quoting_problem(line)


def _quoting_problem(line: str) -> str:
    """Describe the first quoting error of a line that the fast tokenizer could not split."""
    index, pos, n = 1, 0, len(line)
    while pos <= n:
        if pos < n and line[pos] == QUOTE:
            end = pos + 1
            while True:
                end = line.find(QUOTE, end)
                if end < 0:
                    return f"a quote opened in field {index} is never closed"
                if line.startswith(QUOTE * 2, end):
                    end += 2
                    continue
                break
            after = end + 1
            if after < n and line[after] != SEPARATOR:
                if SEPARATOR in line[pos:end]:  # most likely the closing quote is missing
                    return f"the quote opened in field {index} is not closed before the next ';'"
                return f"field {index} has characters after its closing quote"
            pos = after
        else:
            sep = line.find(SEPARATOR, pos)
            stop = n if sep < 0 else sep
            if QUOTE in line[pos:stop]:
                return f"field {index} has a quote inside a value that does not start with a quote"
            pos = stop
        if pos >= n:
            break
        pos += 1  # the separator
        index += 1
    return "the quoting of this line is broken"  # pragma: no cover - the tokenizer and this walk agree


def unquote(raw: str) -> str:
    """The value of a raw field: surrounding quotes removed, doubled quotes undone."""
    if len(raw) >= 2 and raw[0] == QUOTE and raw[-1] == QUOTE:
        return raw[1:-1].replace(QUOTE * 2, QUOTE)
    return raw


def is_quoted(raw: str) -> bool:
    """True when the raw field is written as a quoted text."""
    return len(raw) >= 2 and raw[0] == QUOTE and raw[-1] == QUOTE


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the file: its 1-based number, raw fields, and a quoting problem if any."""

    number: int
    fields: list[str]
    problem: str | None = None

    @property
    def values(self) -> list[str]:
        """The fields unquoted, e.g. for comparing a written file with its source rows."""
        return [unquote(f) for f in self.fields]


@dataclass(frozen=True)
class FileFacts:
    """What the bytes say before any field is read: encoding, line ends, BOM."""

    size: int
    #: the codec the text was decoded with: "cp1252", or "utf-8" when the bytes are UTF-8 with
    #: multibyte characters (so messages can quote the intended characters)
    encoding: str
    bom: str | None = None
    binary: bool = False
    #: every byte is defined in Windows-1252
    cp1252_valid: bool = True
    #: the first line holding a byte undefined in Windows-1252 (0x81, 0x8D, 0x8F, 0x90, 0x9D)
    first_invalid_cp1252_line: int | None = None
    #: the bytes decode as UTF-8 and contain multibyte sequences: DATEV would show Ã¤ for ä
    looks_utf8: bool = False
    #: the first line with a non-ASCII character, for the UTF-8 message
    first_non_ascii_line: int | None = None
    crlf_lines: int = 0
    #: lines ending with LF only (1-based line numbers)
    bare_lf_lines: tuple[int, ...] = ()
    #: the file ends without a line end after its last line
    last_line_terminated: bool = True
    #: line ends are CR only (classic Mac); the lines were split at CR
    cr_only: bool = False


@dataclass(frozen=True)
class ExtfFile:
    """An EXTF file split into header, heading line and data lines, plus its byte-level facts.

    Data lines are kept as text and split when asked for: `iter_rows()` splits one at a time (what the
    checker uses, so a 100k-line file never holds millions of field strings at once), `rows` all.
    """

    facts: FileFacts
    header: Line | None = None
    heading: Line | None = None
    #: (line number, line text without its line end) of every non-empty data line
    raw_rows: tuple[tuple[int, str], ...] = ()
    #: line numbers of empty lines between the data lines (trailing ones in `trailing_blank_lines`)
    blank_lines: tuple[int, ...] = ()
    trailing_blank_lines: tuple[int, ...] = ()

    def iter_rows(self) -> Iterator[Line]:
        """The data lines (line 3 on), split one at a time."""
        for number, text in self.raw_rows:
            yield _line(number, text)

    @cached_property
    def rows(self) -> list[Line]:
        """All data lines, split."""
        return list(self.iter_rows())


def _decode(data: bytes) -> tuple[str, FileFacts]:
    bom = None
    body = data
    if data.startswith(UTF8_BOM):
        bom, body = "UTF-8", data[len(UTF8_BOM):]
    else:
        for mark, name in _UTF16_BOMS.items():
            if data.startswith(mark):
                return "", FileFacts(size=len(data), encoding="unknown", bom=name, binary=True)
    # NUL never occurs in text; a stray control character (e.g. a DOS end-of-file 0x1A) is a field
    # finding instead, so one bad byte does not hide everything else about the file.
    if b"\x00" in body:
        return "", FileFacts(size=len(data), encoding="unknown", bom=bom, binary=True)

    looks_utf8 = False
    first_non_ascii = None
    if not body.isascii():
        first_non_ascii = _line_of(body, _first_non_ascii(body))
        try:
            text = body.decode("utf-8")
            looks_utf8 = True
        except UnicodeDecodeError:
            pass
    cp1252_valid, first_invalid = True, None
    try:
        cp1252_text = body.decode(ENCODING)
    except UnicodeDecodeError as exc:
        cp1252_valid, first_invalid = False, _line_of(body, exc.start)
        cp1252_text = body.decode(ENCODING, errors="replace")
    if not looks_utf8:
        text = cp1252_text
    return text, FileFacts(
        size=len(data),
        encoding="utf-8" if looks_utf8 else ENCODING,
        bom=bom,
        cp1252_valid=cp1252_valid,
        first_invalid_cp1252_line=first_invalid,
        looks_utf8=looks_utf8,
        first_non_ascii_line=first_non_ascii,
    )


def _first_non_ascii(data: bytes) -> int:
    match = re.search(rb"[\x80-\xff]", data)
    return match.start() if match else 0


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _split_lines(text: str) -> tuple[list[str], bool, tuple[int, ...], int, bool]:
    """Lines without their ends; whether the last line was terminated; LF-only lines; CRLF count."""
    cr_only = "\n" not in text and "\r" in text
    parts = text.split("\r" if cr_only else "\n")
    terminated = parts[-1] == ""
    if terminated:
        parts.pop()
    if cr_only:
        return parts, terminated, (), 0, True
    lines: list[str] = []
    bare_lf: list[int] = []
    last = len(parts) - 1
    for number, part in enumerate(parts, start=1):
        if part.endswith("\r"):
            lines.append(part[:-1])
        else:
            lines.append(part)
            if number - 1 < last or terminated:
                bare_lf.append(number)
    crlf = len(parts) - len(bare_lf) - (0 if terminated else 1)
    return lines, terminated, tuple(bare_lf), crlf, False


def read_extf(data: bytes) -> ExtfFile:
    """Split EXTF bytes into header (line 1), heading line (line 2) and data lines; never raises."""
    text, facts = _decode(data)
    if facts.binary or not text:
        return ExtfFile(facts=facts)
    lines, terminated, bare_lf, crlf, cr_only = _split_lines(text)
    facts = replace(facts, crlf_lines=crlf, bare_lf_lines=bare_lf, last_line_terminated=terminated, cr_only=cr_only)
    # Blank lines at the very end are reported apart: a stray final newline is a smaller fault.
    end = len(lines)
    while end > 2 and lines[end - 1] == "":
        end -= 1
    trailing = tuple(range(end + 1, len(lines) + 1))

    header = _line(1, lines[0]) if lines else None
    heading = _line(2, lines[1]) if len(lines) > 1 else None
    rows = tuple((number, lines[number - 1]) for number in range(3, end + 1) if lines[number - 1])
    blanks = tuple(number for number in range(3, end + 1) if not lines[number - 1])
    return ExtfFile(facts=facts, header=header, heading=heading, raw_rows=rows,
                    blank_lines=blanks, trailing_blank_lines=trailing)


def _line(number: int, raw: str) -> Line:
    fields, problem = split_line(raw)
    return Line(number, fields, problem)
