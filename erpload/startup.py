"""What `erpload` does first, before it loads the libraries its commands need (~0.5 s of imports).

A Ctrl-C or SIGTERM in that time ends the program quietly with 130 / 143 instead of a traceback from inside an
import; nothing has been read or written yet. From `cli._guard` on, `erpload.interrupts` handles them (and
gives this handler back when the command ends, e.g. for the demo's closing lines). Only the
program itself (the `erpload` script, `python -m erpload.cli`) installs this, never a process that imports
erpload (a test session, a notebook).
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _quiet_exit(signum: int, frame: FrameType | None) -> None:
    name = b"Ctrl-C (SIGINT)" if signum == signal.SIGINT else b"SIGTERM"
    os.write(2, b"erpload stopped by " + name + b"\n")
    raise SystemExit(128 + signum)


def _is_the_program() -> bool:
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return os.path.basename(sys.argv[0]) == "erpload" or str(getattr(spec, "name", None)).startswith("erpload.cli")


if _is_the_program():
    for _signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_signal, _quiet_exit)
