"""The exit codes of every `erpload` command: one table, the same meaning everywhere.

Scripts can branch on them: 0, 5 and 7 mean the run finished (5: with records set aside, listed in
erpload.rejects; 7: with records a person must settle, listed by `erpload ledger --state unknown`); the
others mean it did not, and the message says what to fix.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    #: the run failed: a step did not finish (the message says why; a traceback means a bug in erpload)
    FAILED = 1
    #: bad configuration or profile, or a step that must run first (e.g. push before transform)
    CONFIG = 2
    #: the ERP database cannot be reached or read
    SOURCE = 3
    #: the staging file cannot be used (e.g. open in another process)
    STAGING = 4
    #: the run finished, but records were set aside: each is in erpload.rejects with its reason and fix
    DATA = 5
    #: a vendor refused the credentials, kept failing, or failed records
    VENDOR = 6
    #: the push finished, but records wait for a decision: a create-only vendor may or may not have them
    #: (a dropped connection, a crash mid-request); `erpload ledger --state unknown` lists them and
    #: `erpload ledger resolve` settles each
    UNDECIDED = 7
    #: stopped by Ctrl-C (SIGINT) at a safe point; the run is recorded
    INTERRUPTED = 130
    #: stopped by SIGTERM at a safe point; the run is recorded
    TERMINATED = 143


#: for the README and --help: code, meaning
TABLE: tuple[tuple[int, str], ...] = (
    (ExitCode.OK, "success"),
    (ExitCode.FAILED, "the run failed"),
    (ExitCode.CONFIG, "bad configuration or profile, or a step to run first"),
    (ExitCode.SOURCE, "ERP database unreachable"),
    (ExitCode.STAGING, "staging file unusable (e.g. open in another process)"),
    (ExitCode.DATA, "finished, with records set aside in erpload.rejects"),
    (ExitCode.VENDOR, "a vendor refused or failed"),
    (ExitCode.UNDECIDED, "records wait for a decision: `erpload ledger --state unknown`"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
    (ExitCode.TERMINATED, "terminated (SIGTERM)"),
)


def one_line() -> str:
    """The table in one line, for module docs and help texts."""
    return " · ".join(f"{code} {meaning}" for code, meaning in TABLE)
