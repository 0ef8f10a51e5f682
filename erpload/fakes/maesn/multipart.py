"""A strict `multipart/form-data` reader (RFC 7578) for the Maesn fake: exactly the bytes each part carried.

The fake needs the raw bytes of every file part (its sha256 is part of a proposal's fingerprint) and the
file name as the client sent it, so it reads the body itself rather than through a form library that may
spool, guess or rename. It is strict on purpose: a body a lenient server might still accept (no closing
delimiter, a part without `Content-Disposition: form-data; name=...`) is refused, so a client bug shows.

File names come as browsers and httpx send them: UTF-8 inside quotes, with `"`, CR and LF written as
`%22`, `%0D`, `%0A` (the HTML form encoding); a backslash escape inside the quotes is also understood.

>>> body = (b'--b1\\r\\nContent-Disposition: form-data; name="bookingType"\\r\\n\\r\\nBILL\\r\\n'
...         b'--b1\\r\\nContent-Disposition: form-data; name="files"; filename="RE 1%22.pdf"\\r\\n'
...         b'Content-Type: application/pdf\\r\\n\\r\\n%PDF\\r\\n--b1--\\r\\n')
>>> [(p.name, p.filename, p.content_type, p.data) for p in parse_form_data(body, "multipart/form-data; boundary=b1")]
[('bookingType', None, None, b'BILL'), ('files', 'RE 1".pdf', 'application/pdf', b'%PDF')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class MultipartError(ValueError):
    """The body is not well-formed `multipart/form-data`; the message says where."""


@dataclass(frozen=True)
class Part:
    """One form part: `filename` is None for a plain field, `data` the exact bytes between the delimiters."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def text(self) -> str:
        """The part as UTF-8 text (a form field's value)."""
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MultipartError(f"part {self.name!r} is not UTF-8 text") from exc


_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_HTML_FORM_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n", "%0d": "\r", "%0a": "\n"}


def _params(header_value: str) -> tuple[str, dict[str, str]]:
    """`form-data; name="x"; filename="y.pdf"` → ("form-data", {"name": "x", "filename": "y.pdf"})."""
    kind, _, rest = header_value.partition(";")
    params: dict[str, str] = {}
    for key, raw in _PARAM.findall(";" + rest):
        value = raw.strip()
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
            value = re.sub(r"%(22|0[DdAa])", lambda m: _HTML_FORM_ESCAPES[m.group(0)], value)
        params[key.lower()] = value
    return kind.strip().lower(), params


def boundary_of(content_type: str | None) -> str:
    """The boundary of a `multipart/form-data` content type; MultipartError for any other type."""
    kind, params = _params(content_type or "")
    if kind != "multipart/form-data":
        raise MultipartError(f"Content-Type is {content_type or 'missing'!s}, not multipart/form-data")
    boundary = params.get("boundary", "")
    if not 1 <= len(boundary) <= 70:
        raise MultipartError("Content-Type multipart/form-data has no boundary (1 to 70 characters)")
    return boundary


def _part(segment: bytes, index: int) -> Part:
    head, separator, data = segment.partition(b"\r\n\r\n")
    if not separator:
        raise MultipartError(f"part {index + 1} has no blank line between its headers and its content")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", errors="strict").split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon:
            raise MultipartError(f"part {index + 1} has a malformed header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    kind, params = _params(headers.get("content-disposition", ""))
    if kind != "form-data" or not params.get("name"):
        raise MultipartError(f'part {index + 1} lacks "Content-Disposition: form-data; name=..."')
    return Part(params["name"], params.get("filename"), headers.get("content-type"), data)


def parse_form_data(body: bytes, content_type: str | None) -> list[Part]:
    """The parts of a `multipart/form-data` body, in order; MultipartError when it is malformed."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    if body.startswith(delimiter):
        rest = body[len(delimiter):]
    else:  # a preamble before the first delimiter is allowed and ignored
        start = body.find(b"\r\n" + delimiter)
        if start < 0:
            raise MultipartError("the body does not contain the boundary of its Content-Type")
        rest = body[start + 2 + len(delimiter):]
    parts: list[Part] = []
    for index, segment in enumerate(rest.split(b"\r\n" + delimiter)):
        if segment.startswith(b"--"):  # the closing delimiter: what follows is the epilogue
            return parts
        line_end = segment.find(b"\r\n")
        if line_end < 0 or segment[:line_end].strip(b" \t"):
            raise MultipartError(f"part {index + 1} does not start on the line after its delimiter")
        try:
            parts.append(_part(segment[line_end + 2:], index))
        except UnicodeDecodeError as exc:
            raise MultipartError(f"part {index + 1} has headers that are not UTF-8") from exc
    raise MultipartError("the body ends without the closing delimiter (--boundary--): it was cut short")
