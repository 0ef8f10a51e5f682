"""`erpload demo`: every stage on the demo ERP, pushing to the d.velop fake it serves for the run."""

from __future__ import annotations

import os

from tests.utils import Workspace


def test_demo_runs_every_stage_and_pushes_to_its_fake(workspace: Workspace) -> None:
    result = workspace.cli("demo", "--quiet")
    assert result.exit_code == 0, result.output
    commands = {str(r[0]) for r in workspace.query("select distinct command from runs where status = 'ok'")}
    assert {"extract", "map", "transform datev", "transform dvelop", "export datev", "push dvelop"} <= commands
    # everything the transform kept was acknowledged by the fake; nothing is left pending or failed
    states = dict(workspace.query("select state, count(*) from ledger where target = 'dvelop' group by all"))
    assert set(states) == {"acknowledged"}
    tables = [str(r[0]) for r in workspace.query("select table_name from duckdb_tables() where schema_name = 'dvelop'")]
    kept = sum(int(workspace.scalar(f"select count(*) from dvelop.{t}")) for t in tables)  # type: ignore[call-overload]
    assert states["acknowledged"] == kept
    assert workspace.query("select count(*) from exports")[0][0] > 0
    # the demo's fake and its settings are gone with the run
    assert "DESTINATION__DVELOP__BASE_URL" not in os.environ

    # a second demo sends nothing: the ledger remembers what the (new, empty) fake's predecessor took
    result = workspace.cli("demo", "--quiet")
    assert result.exit_code == 0, result.output
    sent = workspace.query("""select sum(sent) from runs where command = 'push dvelop'
                              and run_id = (select max(run_id) from runs where command = 'push dvelop')""")
    assert sent[0][0] == 0
