"""One redaction helper for everything erpload prints, logs or stores as a message.

A password in a URL's userinfo runs from the ':' after the user to the last '@' before the host, as URL
parsers split it, so '@', ':', '/', '?' and '#' left unencoded in it are masked with it:

>>> redact("cannot reach postgresql://erp:p@ss:w/rd@db.example.com:5432/erp: timeout")
'cannot reach postgresql://erp:***@db.example.com:5432/erp: timeout'
>>> redact("https://api.example.com/x?token=abc123&page=2 and sqlite:///erp.sqlite?password=s3cret")
'https://api.example.com/x?token=***&page=2 and sqlite:///erp.sqlite?password=***'
>>> redact("ConnectionStringCredentials(drivername='postgresql', password='p@ss word')")
"ConnectionStringCredentials(drivername='postgresql', password=***)"
>>> register_secret("topsecretvalue"); redact("key is topsecretvalue")
'key is ***'

The patterns are written for both Python's `re` and RE2 (DuckDB's regexp_replace): `redact_sql` masks a
column of stored text in bulk with the very same rules.
"""

from __future__ import annotations

import logging
import re
from typing import NamedTuple
from urllib.parse import quote, unquote

MASK = "***"
#: a registered secret shorter than this would mask ordinary words
MIN_SECRET_LENGTH = 4

_SPACE = r"\t\n\x0b\x0c\r "  # spelled out: \s and \S differ between Python (Unicode) and RE2 (ASCII)
_KEYS = (r"password|passwd|pwd|passphrase|sslpassword|secret|client_secret|token|access_token|refresh_token"
         r"|api[_-]?key|access[_-]?key|account[_-]?key")
# (pattern, replacement): the groups kept around the masked part, in the same syntax for re and RE2
_RULES: tuple[tuple[str, str], ...] = (
    # scheme://user:password@host: greedy up to the last '@' of the URL (a URL holds no blank)
    (rf"([A-Za-z][A-Za-z0-9+.-]*://[^{_SPACE}/?#:]*:)[^{_SPACE}]*(@)", rf"\1{MASK}\2"),
    # password=..., ?pwd=...&, token='...' (a query parameter, a DSN, Python's repr of keyword arguments)
    (rf"((?i:{_KEYS})[ ]?=[ ]?)(?:(?:'[^']*'|\"[^\"]*\")[^{_SPACE}&;,)}}\]]*|[^{_SPACE}&;]+)", rf"\1{MASK}"),
    # 'password': '...' and "password": "..." (a dict's repr, JSON)
    (rf"((?i:{_KEYS})['\"][ ]?:[ ]?)(?:'[^']*'|\"[^\"]*\")", rf"\1{MASK}"),
    (r"((?i:bearer)[ ]+)[A-Za-z0-9._~+/-]+=*", rf"\1{MASK}"),
)
_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in _RULES)

_known_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value (an API key, a password) so it is masked wherever it appears."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        _known_secrets.add(value)


def known_secrets() -> list[str]:
    """The registered secrets, longest first (so a secret containing another is masked whole)."""
    return sorted(_known_secrets, key=lambda s: (-len(s), s))


def _secrets_pattern() -> str | None:
    """One alternation of the registered secrets, longest first: a single pass in re and RE2 alike."""
    secrets = known_secrets()
    return "|".join(map(_escape, secrets)) if secrets else None


def _escape(text: str) -> str:
    """`text` as a literal for re and RE2: ASCII other than letters and digits as \\xhh, which both read."""
    return "".join(c if c.isalnum() or not c.isascii() else f"\\x{ord(c):02x}" for c in text)


def redact(text: str) -> str:
    """Mask passwords in URLs, secret parameters, bearer tokens and registered secrets."""
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    secrets = _secrets_pattern()
    return re.sub(secrets, MASK, text) if secrets else text


def redact_sql(expr: str) -> str:
    """A DuckDB expression for `redact(expr)`: the same rules, applied in bulk to a column of text."""
    for pattern, replacement in (*_RULES, *((s, MASK) for s in [_secrets_pattern()] if s)):
        expr = f"regexp_replace({expr}, {_literal(pattern)}, {_literal(replacement)}, 'g')"
    return expr


def might_hold_secret_sql(expr: str) -> str:
    """A cheap DuckDB filter for text `redact_sql` could change (so only those rows are rewritten)."""
    patterns = [pattern for pattern, _ in _RULES] + [s for s in [_secrets_pattern()] if s]
    return "(" + " OR ".join(f"regexp_matches({expr}, {_literal(p)})" for p in patterns) + ")"


def redact_warnings() -> None:
    """Python warnings (a driver's, SQLAlchemy's) reach stderr through `redact` too."""
    import warnings

    shown = warnings.formatwarning
    if getattr(shown, "redacted", False):
        return

    def formatwarning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      line: str | None = None) -> str:
        return redact(shown(message, category, filename, lineno, line))

    formatwarning.redacted = True  # type: ignore[attr-defined]
    warnings.formatwarning = formatwarning


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class UrlCredentials(NamedTuple):
    """A URL split at its userinfo: `scheme://user:password@rest`, the password as written (maybe encoded)."""

    scheme: str
    user: str
    password: str
    rest: str


_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<user>[^/?#:]*):(?P<password>.*)@(?P<rest>.*)",
                       re.DOTALL)


def split_userinfo(url: str) -> UrlCredentials | None:
    """The URL's user, password and the rest after the last '@', or None when it carries no password.

    >>> split_userinfo("postgresql://erp:p@ss/w#rd@db:5432/erp")
    UrlCredentials(scheme='postgresql', user='erp', password='p@ss/w#rd', rest='db:5432/erp')
    """
    match = _USERINFO.fullmatch(url.strip())
    if not match:
        return None
    return UrlCredentials(match["scheme"], match["user"], match["password"], match["rest"])


def register_url_secrets(url: str | None) -> None:
    """Register the secrets of a configured URL: its password as written, decoded and encoded, and the password
    SQLAlchemy reads from it. Where the password holds an unencoded '@', ':', '/', '?', '#', '&' or '=', a parser
    may split it and a driver's error quote a piece of it as a host, port or database name: every run of pieces
    between two such characters is registered too."""
    if not url:
        return
    passwords = [m[2] for m in re.finditer(rf"((?i:{_KEYS})=)([^&;{_SPACE}]+)", url)]
    parts = split_userinfo(url)
    if parts:
        passwords.append(parts.password)
    try:
        import sqlalchemy as sa

        parsed = sa.make_url(url).password
        if parsed:
            passwords.append(str(parsed))
    except Exception:  # a URL SQLAlchemy cannot read is reported where it is used
        pass
    for password in passwords:
        for form in (password, unquote(password), quote(unquote(password), safe=""), quote(unquote(password))):
            register_secret(form)
            for piece in _segments(form):
                register_secret(piece)
                register_secret(unquote(piece))


_DELIMITERS = re.compile(r"[@:/?#&=]")
#: a password with more delimiters than this registers only its single pieces
_MAX_SEGMENT_DELIMITERS = 12


def _segments(password: str) -> set[str]:
    """Every run of `password` from its start or a delimiter to its end or a delimiter."""
    cuts = [m.start() for m in _DELIMITERS.finditer(password)]
    if not cuts:
        return set()
    starts = [0, *(c + 1 for c in cuts)]
    ends = [*cuts, len(password)]
    if len(cuts) > _MAX_SEGMENT_DELIMITERS:
        return {password[a:b] for a, b in zip(starts, ends, strict=True)}
    return {password[a:b] for a in starts for b in ends if b - a >= MIN_SECRET_LENGTH}


class RedactingFilter(logging.Filter):
    """Masks secrets in a log record's message: httpx logs every request's URL, a query token included."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def redact_logs(*names: str) -> None:
    """Put a `RedactingFilter` on each named logger (once): records logged to it are masked before any handler
    sees them."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
