"""`erpload demo`: every stage on the demo ERP, pushing to the d.velop fake it serves for the run."""

from __future__ import annotations

import json
import os
import re
import shutil

import duckdb

from tests.utils import Workspace


def test_demo_runs_every_stage_and_pushes_to_its_fake(workspace: Workspace) -> None:
    result = workspace.cli("demo", "--quiet")
    assert result.exit_code == 0, result.output
    commands = {str(r[0]) for r in workspace.query("select distinct command from runs where status = 'ok'")}
    assert {"extract", "map", "transform datev", "transform dvelop", "transform maesn", "export datev", "push dvelop",
            "push maesn", "push uniconta", "push kombo", "push papershift"} <= commands
    _assert_printed_sql_works_in_a_file_of_any_name(workspace, result.output)
    # everything the transform kept was acknowledged by the fake; nothing is left pending or failed
    states = dict(workspace.query("select state, count(*) from ledger where target = 'dvelop' group by all"))
    assert set(states) == {"acknowledged"}
    tables = [str(r[0]) for r in workspace.query("select table_name from duckdb_tables() where schema_name = 'dvelop'")]
    kept = sum(int(workspace.scalar(f"select count(*) from dvelop.{t}")) for t in tables)  # type: ignore[call-overload]
    assert states["acknowledged"] == kept
    assert workspace.query("select count(*) from exports")[0][0] > 0
    # every booking proposal of the five accounting systems reached the Maesn fake and was acknowledged
    proposals = {str(r[0]) for r in workspace.query("select distinct entity from ledger where target = 'maesn'")}
    assert proposals == {"datev_uo", "exact", "lexware_office", "sevdesk", "xero"}
    assert workspace.query("select distinct state from ledger where target = 'maesn'") == [("acknowledged",)]
    for system in proposals:
        assert workspace.scalar(f"select count(*) from ledger where target = 'maesn' and entity = '{system}'") == \
            workspace.scalar(f"select count(*) from maesn.{system}")
    _assert_payment_terms_written_and_checked(workspace)
    # the demo's fake and its settings are gone with the run
    assert "DESTINATION__DVELOP__BASE_URL" not in os.environ

    # a second demo serves a new, empty fake on another port: another destination, which gets everything once
    result = workspace.cli("demo", "--quiet")
    assert result.exit_code == 0, result.output
    assert "first push to http://127.0.0.1:" in " ".join(result.output.split())
    sent = workspace.query("""select sum(sent) from runs where command = 'push dvelop'
                              and run_id = (select arg_max(run_id, finished_at) from runs
                                            where command = 'push dvelop')""")
    assert sent[0][0] == kept


def _assert_printed_sql_works_in_a_file_of_any_name(workspace: Workspace, output: str) -> None:
    """Every `duckdb <file> "<sql>"` line the demo prints runs, also on a copy of the file under another name."""
    statements = re.findall(r'duckdb \S+ "([^"]+)"', output)
    assert len(statements) >= 5
    other = workspace.root / "another name.duckdb"
    shutil.copyfile(workspace.staging, other)
    with duckdb.connect(str(other), read_only=True) as con:
        for sql in statements:
            con.execute(sql).fetchall()


def _assert_payment_terms_written_and_checked(workspace: Workspace) -> None:
    """The demo profile maps each payment term's id to its DATEV number (its codes, NT30 or SK2-10, are no
    numbers): every DATEV company gets a Zahlungsbedingungen file with all its terms, `erpload datev check`
    finds nothing in it, and every customer and vendor refers to its term by that number."""
    terms = sorted((workspace.root / "out" / "datev").glob("EXTF_Zahlungsbedingungen_*.csv"))
    expected = workspace.query("""select company_code, count(*) from erp.payment_terms join erp.companies
                                  using (company_code) where datev_client_no is not null and not is_deleted
                                  group by all order by 1""")
    assert expected
    assert [p.name.split("_")[2] for p in terms] == [str(r[0]) for r in expected]
    result = workspace.cli("datev", "check", "--json", *map(str, terms))
    assert result.exit_code == 0, result.output
    reports = json.loads(result.output)
    assert [(r["rows"], r["errors"], r["warnings"]) for r in reports] == [(r[1], 0, 0) for r in expected]
    assert workspace.scalar("select count(*) from rejects where target = 'datev' and entity = 'payment_terms'") == 0
    assert workspace.scalar("select count(*) from datev.partners where payment_term_no is null") == 0
