"""Writing the files Kombo returns, under names that can never leave the run's folder or replace a file.

Kombo names its files (`EXTF_Stammdaten.csv`); erpload takes that name as untrusted text. `safe_name` keeps its
last path part, without a drive letter, control characters (NUL included) or characters Windows refuses,
without leading or trailing dots and spaces; a name Windows reserves for a device (CON, NUL, COM1 ...) gets a
leading `_`; an over-long one is cut to `MAX_NAME` characters, keeping its extension; an empty one becomes
`file`. `FileWriter` makes names unique in its folder (case-insensitively, as on Windows and macOS: `a.csv`,
`a~2.csv`), checks that the path it resolves to is directly in the folder, and creates each file exclusively,
so nothing already there is overwritten.

>>> safe_name("../../x")
'x'
>>> safe_name("C:\\\\Windows\\\\system.ini"), safe_name("/etc/passwd"), safe_name("a\\x00b.csv")
('system.ini', 'passwd', 'a_b.csv')
>>> safe_name("CON"), safe_name("nul.txt"), safe_name("..."), safe_name("")
('_CON', '_nul.txt', 'file', 'file')
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

MAX_NAME = 120
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
_DRIVE = re.compile(r"^[A-Za-z]:")
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                       *(f"{d}{n}" for d in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³"))})


def safe_name(given: str) -> str:
    """`given` as a plain file name fit for any file system (see the module doc)."""
    name = _DRIVE.sub("", given.encode("utf-8", errors="replace").decode("utf-8"))  # lone surrogates: `?`
    name = re.split(r"[/\\]", name)[-1]
    name = _FORBIDDEN.sub("_", name).strip(" .")
    if not name:
        return "file"
    if name.partition(".")[0].rstrip(" ").upper() in _RESERVED:
        name = "_" + name
    if len(name) > MAX_NAME:
        suffix = name[name.rfind("."):] if "." in name[1:] else ""
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: MAX_NAME - len(suffix)].rstrip(" .") + suffix
    return name


@dataclass(frozen=True)
class Written:
    """One file as given and as written."""

    given: str
    name: str
    path: Path
    size: int
    sha256: str


class FileWriter:
    """Writes one run's files into `folder` (created): each under a safe, unique name, never over another."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._taken: set[str] = set()

    def unique(self, given: str) -> str:
        """A safe name for `given` that no file of this folder has, in any case (`dup.csv`, `dup~2.csv`)."""
        name = safe_name(given)
        stem, suffix = (name[: name.rfind(".")], name[name.rfind("."):]) if "." in name[1:] else (name, "")
        candidate, n = name, 1
        while candidate.casefold() in self._taken or (self.folder / candidate).exists():
            n += 1
            tail = f"~{n}{suffix}"
            candidate = stem[: MAX_NAME - len(tail)] + tail
        self._taken.add(candidate.casefold())
        return candidate

    def write(self, given: str, data: bytes) -> Written:
        """Write `data` under a safe name for `given`; raises OSError when the disk refuses."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = self.unique(given)
        path = self.folder / name
        root = self.folder.resolve()
        if path.resolve().parent != root:  # cannot happen with a safe name; a last check, never a silent escape
            raise OSError(f"the name {name!r} for {given!r} would leave {root}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return Written(given, name, path, len(data), hashlib.sha256(data).hexdigest())
