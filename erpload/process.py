"""Process-level tuning for the commands that do the heavy lifting (extract, map).

A command imports dlt, SQLAlchemy, sqlglot and DuckDB: a few hundred thousand objects that live until
the process exits. Python's collector walks all of them at every full collection and once more at
exit, which costs an `erpload map` ~0.3 s of its ~4 s after a 1% change (measured at 1M journal
lines). `gc.freeze()` moves them out of the collector's way; objects created afterwards are
collected as usual.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_objects() -> None:
    """Freeze what exists now, once per process (a long test session freezes only its first start-up)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()
