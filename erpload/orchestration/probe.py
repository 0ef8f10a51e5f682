"""Has a project's ERP anything its last extract did not read? A cheap probe for a sensor, run in its own process:
`python -m erpload.orchestration.probe [--tenant NAME ...] [--top-level]` prints a JSON line per project, in the
order asked, as soon as its answer (or its error) is known, and touches no staging file.

It asks what the extract asks before reading a table (`erpload.sources.erp.has_nothing_new`, against the cursors
dlt keeps beside the staging file, read from dlt's state file), table by table. For a table with news it adds
the newest cursor value and the count of rows at or after the last one to a fingerprint: the same news gives the
same fingerprint, so a sensor keyed on it starts one run for it, not one per tick (a row without a cursor value
is news to every extract). A table without a cursor cannot be probed cheaply: it is named, never news.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from erpload.errors import ErploadError
from erpload.orchestration.projects import TOP_LEVEL
from erpload.redact import redact

STATE_FILE = "state.json"


@dataclass
class Probe:
    #: something to extract: a table with news, or no extract yet
    changed: bool
    #: the same for the same news (and the same last extract)
    fingerprint: str
    #: the tables with news (all of them before the first extract)
    tables: list[str] = field(default_factory=list)
    #: tables without a cursor: not probed
    unprobed: list[str] = field(default_factory=list)


def extract_state(pipelines_dir: Path) -> dict[str, Any] | None:
    """dlt's state of the extract pipeline, read from its file (None before the first extract)."""
    from dlt.common.versioned_state import json_decode_state

    from erpload.steps.extract import PIPELINE_NAME

    path = pipelines_dir / PIPELINE_NAME / STATE_FILE
    if not path.exists():
        return None
    return json_decode_state(path.read_text(encoding="utf-8"))


def probe(tenant: str | None) -> Probe:
    """Probe the ERP of `tenant` (None: as `erpload` without --tenant would choose)."""
    import sqlalchemy as sa

    from erpload.profiles import load_profile
    from erpload.settings import load_settings
    from erpload.sources.erp import cursor_filter, has_nothing_new
    from erpload.steps.extract import erp_engine
    from erpload.steps.extract_rejects import cursor_state
    from erpload.tenants import choose, working_on

    with working_on(choose(tenant)):
        settings = load_settings()
        profile = load_profile(settings.profile)
        state = extract_state(settings.pipelines_dir)
        unprobed = [spec.name for spec in profile.tables if not spec.cursor]
        if state is None:
            return Probe(True, "not extracted yet", [spec.name for spec in profile.tables], unprobed)
        seen: dict[str, str] = {}
        news: dict[str, list[str]] = {}
        engine = erp_engine(settings)
        try:
            with engine.connect() as con:
                for spec in profile.tables:
                    if not spec.cursor:
                        continue
                    cursor = cursor_state(state, spec) or {}
                    last = cursor.get("last_value")
                    seen[spec.name] = str(last)
                    if last is not None and has_nothing_new(con, spec.name, spec.cursor, last,
                                                             len(cursor.get("unique_hashes", []))):
                        continue
                    table = sa.table(spec.name, sa.column(spec.cursor))
                    query = sa.select(sa.func.max(table.c[spec.cursor]), sa.func.count())
                    if last is not None:
                        query = query.where(cursor_filter(table, spec.cursor, last, con.dialect.name))
                    newest, rows = con.execute(query).one()
                    news[spec.name] = [str(newest), str(rows)]
        finally:
            engine.dispose()
    digest = hashlib.sha256(json.dumps({"seen": seen, "news": news}, sort_keys=True).encode()).hexdigest()[:16]
    return Probe(bool(news), digest, sorted(news), unprobed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m erpload.orchestration.probe", description=__doc__)
    parser.add_argument("--tenant", action="append", default=[], help="a tenant whose ERP to probe (repeatable)")
    parser.add_argument("--top-level", action="store_true", help="probe the top level's ERP (no --tenant)")
    args = parser.parse_args(argv)
    asked: list[str | None] = [*args.tenant, *([None] if args.top_level or not args.tenant else [])]
    for tenant in asked:  # one process for all: a sensor's tick pays Python's start once
        try:
            answer = asdict(probe(tenant))
        except ErploadError as exc:
            answer = {"error": str(exc)}
        except Exception as exc:  # a driver's error on an unreachable ERP: the sensor says so for this one only
            answer = {"error": redact(f"{type(exc).__name__}: {exc}")}
        # a line each, as soon as it is known: a caller that stops waiting keeps the answers it has
        print(json.dumps({"key": tenant or TOP_LEVEL, "answer": answer}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
