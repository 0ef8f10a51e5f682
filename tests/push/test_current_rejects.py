"""A push reject (the vendor refused a record) stays in `current_rejects` until a later push sends the record."""

from __future__ import annotations

import duckdb

from erpload.exit_codes import ExitCode
from tests.push.conftest import DvelopCase
from tests.utils import Workspace

KEY = "2000/70001"


def _current(ws: Workspace) -> list[tuple[object, ...]]:
    return ws.query("select record_key, field, reason_code from current_rejects where target = 'dvelop'")


def test_a_refused_record_stays_current_until_a_push_sends_it(vendors_workspace: Workspace,
                                                               dvelop: DvelopCase) -> None:
    ws = vendors_workspace
    with duckdb.connect(str(ws.staging)) as con:
        con.execute("update dvelop.vendors set country = 'Denmark' where _key = ?", [KEY])
    refused = ws.cli("push", "dvelop", "--quiet")
    assert refused.exit_code == ExitCode.DATA, refused.output
    assert _current(ws) == [(KEY, "country", "push.refused")]

    # pushed again unchanged: the vendor is not asked again, the refusal stays the verdict, once
    assert ws.cli("push", "dvelop", "--quiet").exit_code in (ExitCode.OK, ExitCode.DATA)
    assert _current(ws) == [(KEY, "country", "push.refused")]

    with duckdb.connect(str(ws.staging)) as con:
        con.execute("update dvelop.vendors set country = 'DK' where _key = ?", [KEY])
    fixed = ws.cli("push", "dvelop", "--quiet")
    assert fixed.exit_code == ExitCode.OK, fixed.output
    assert _current(ws) == []
    assert ws.query("select reason_code, count(*) from rejects where target = 'dvelop' group by 1") == [
        ("push.refused", 1)]  # the history keeps it

