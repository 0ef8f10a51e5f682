"""One redaction helper for everything erpload prints, logs or stores as a message.

>>> redact("postgresql://erp:s3cret@db.example.com:5432/erp")
'postgresql://erp:***@db.example.com:5432/erp'
>>> redact("https://api.example.com/x?token=abc123&page=2")
'https://api.example.com/x?token=***&page=2'
>>> register_secret("topsecretvalue"); redact("key is topsecretvalue")
'key is ***'
"""

from __future__ import annotations

import re

MASK = "***"

# password in a URL's userinfo: scheme://user:password@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)(?P<secret>[^@\s]+)(?P<tail>@)")
# secret-looking query parameters and key=value pairs
_SECRET_PARAM = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|token|api[_-]?key|secret|access[_-]?key|account[_-]?key)=)"
    r"(?P<secret>[^&\s;]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<head>Bearer\s+)(?P<secret>[A-Za-z0-9._~+/\-]+=*)")

_known_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value (an API key, a password) so it is masked wherever it appears."""
    if value and len(value) >= 4:
        _known_secrets.add(value)


def redact(text: str) -> str:
    """Mask passwords in URLs, secret query parameters, bearer tokens and registered secrets."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['tail']}", text)
    text = _SECRET_PARAM.sub(lambda m: f"{m['head']}{MASK}", text)
    text = _BEARER.sub(lambda m: f"{m['head']}{MASK}", text)
    for secret in sorted(_known_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
