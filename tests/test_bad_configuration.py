"""Bad configuration ends with one clear message naming what to fix, and leaves staging as it was."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from erpload.exit_codes import ExitCode
from erpload.profiles import PROFILES_DIR
from tests.utils import Prepared, Workspace, table_fingerprint

DEMO_TEXT = (PROFILES_DIR / "demo.toml").read_text(encoding="utf-8")


def _profile(ws: Workspace, text: str, name: str = "broken") -> str:
    path = ws.root / f"{name}.toml"
    path.write_text(text.replace('name = "demo"', f'name = "{name}"'), encoding="utf-8")
    return str(path)


def _staged_state(ws: Workspace) -> dict[str, object]:
    tables = ws.query("select table_schema || '.' || table_name from information_schema.tables "
                      "where table_schema in ('erp', 'erp_raw') and table_name not like '_dlt%'")
    return {str(t[0]): table_fingerprint(ws, str(t[0])) for t in tables}


def test_unknown_table_names_profile_and_table(workspace: Workspace) -> None:
    profile = _profile(workspace, DEMO_TEXT.replace("[tables.customer]", "[tables.custmer]"))
    result = workspace.cli("extract", profile=profile)
    assert result.exit_code == 2
    assert "profile 'broken'" in result.stderr
    assert "table 'custmer'" in result.stderr
    assert "fix:" in result.stderr
    assert "customer" in result.stderr
    assert "Traceback" not in result.output
    assert not workspace.staging.exists() or not workspace.query(
        "select * from information_schema.tables where table_schema = 'erp_raw'")


def test_unknown_cursor_column_is_named(workspace: Workspace) -> None:
    profile = _profile(workspace, DEMO_TEXT.replace(
        '[tables.vendor]\nprimary_key = ["vendor_id"]\ncursor = "updated_at"',
        '[tables.vendor]\nprimary_key = ["vendor_id"]\ncursor = "modified_on"'))
    result = workspace.cli("extract", profile=profile)
    assert result.exit_code == 2
    assert "table 'vendor'" in result.stderr
    assert "column 'modified_on'" in result.stderr


def test_failing_entity_sql_names_entity_and_leaves_staging_unchanged(workspace: Workspace,
                                                                      prepared: Prepared) -> None:
    prepared.into(workspace, ("extract",), ("map",))
    profile = _profile(workspace, DEMO_TEXT.replace("from erp_raw.employee m", "from erp_raw.employe m"))
    workspace.erp("update customer set city = 'Kiel', updated_at = '2026-11-22 10:00:00.000000' "
                  "where customer_id = (select min(customer_id) from customer)")
    assert workspace.cli("extract").finished
    before = {k: v for k, v in _staged_state(workspace).items() if k.startswith("erp.")}

    result = workspace.cli("map", profile=profile)

    assert result.exit_code == 2
    assert "profile 'broken', entity 'employees'" in result.stderr
    assert "employe" in result.stderr
    # customers come before employees, yet nothing of this run was written
    assert before == {k: v for k, v in _staged_state(workspace).items() if k.startswith("erp.")}
    failed = workspace.query("select status, message from runs where command = 'map' order by finished_at desc limit 1")
    assert failed[0][0] == "failed"
    assert "employees" in str(failed[0][1])


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("x.credit_limit,\n", "", "missing column(s) credit_limit"),
        ("x.credit_limit,\n", "x.credit_limit, x.customer_id,\n", "not in the canonical model customer_id"),
        ("x.credit_limit,\n", "cast(x.credit_limit as varchar) as credit_limit,\n",
         "column 'credit_limit': is VARCHAR, the canonical type is DECIMAL(18,2)"),
        ("x.credit_limit,\n", "x.credit_limit + 0.005 as credit_limit,\n",
         "column 'credit_limit': "),
    ],
    ids=["missing", "extra", "wrong-type", "lossy"],
)
def test_profile_output_disagreeing_with_model_names_the_column(
    workspace: Workspace, prepared: Prepared, old: str, new: str, expected: str
) -> None:
    prepared.into(workspace, ("extract",))
    profile = _profile(workspace, DEMO_TEXT.replace(old, new, 1))
    result = workspace.cli("map", profile=profile)
    assert result.exit_code == 2
    assert "entity 'customers'" in result.stderr
    assert expected in result.stderr.replace("\n", " ")


@pytest.mark.parametrize("scheme", ["postgresql+psycopg2", "postgresql"])
def test_unreachable_database_says_so_without_the_password(workspace: Workspace, scheme: str) -> None:
    result = workspace.cli("extract", erp_url=f"{scheme}://erp:s3cretpw@127.0.0.1:1/erp")
    assert result.exit_code == 3
    assert "cannot reach the ERP database" in result.stderr
    assert "s3cretpw" not in result.output
    assert "***" in result.stderr


def test_missing_sqlite_file_is_not_created(workspace: Workspace) -> None:
    missing = workspace.root / "nope.sqlite"
    result = workspace.cli("extract", erp_url=f"sqlite:///{missing}")
    assert result.exit_code == 3
    assert "does not exist" in result.stderr
    assert not missing.exists()


def test_unknown_profile_lists_the_available_ones(workspace: Workspace) -> None:
    result = workspace.cli("map", profile="sap")
    assert result.exit_code == 2
    assert "unknown profile 'sap'" in result.stderr
    assert "demo" in result.stderr


def test_staging_locked_by_another_process(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, ("extract",))
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(workspace.staging)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        result = workspace.cli("map")
        assert result.exit_code == 4
        assert "open in another process" in result.stderr
        assert "close the duckdb shell" in result.stderr
    finally:
        holder.communicate("")


def test_rows_with_empty_or_duplicate_keys_become_rejects(workspace: Workspace, prepared: Prepared) -> None:
    prepared.into(workspace, ("extract",))
    # a profile whose join duplicates some cost centers and blanks the key of others
    text = DEMO_TEXT.replace(
        "select c.company_code, k.code as cost_center_code, k.description as name",
        "select c.company_code, case when k.cost_center_id % 5 = 0 then null else k.code end as cost_center_code, "
        "k.description as name").replace(
        "from erp_raw.cost_center k join erp_raw.company c using (company_id)",
        "from erp_raw.cost_center k join erp_raw.company c using (company_id) "
        "union all select c.company_code, k.code, k.description, k.is_deleted <> 0, "
        "cast(k.cost_center_id as varchar), k.updated_at from erp_raw.cost_center k "
        "join erp_raw.company c using (company_id) where k.cost_center_id % 5 = 1")
    result = workspace.cli("map", profile=_profile(workspace, text))
    assert result.finished, result.output
    produced = workspace.scalar(
        f"select count(*) from ({_entity_sql(text, 'cost_centers')})")
    loaded, unchanged, rejected, _ = workspace.run_results("map")["erp.cost_centers"]
    assert loaded + unchanged + rejected == produced
    assert rejected > 0
    reasons = {r[0] for r in workspace.query(
        "select reason from rejects where entity = 'cost_centers' and target = 'erp'")}
    assert "key column cost_center_code is empty" in reasons
    assert any(r.startswith("duplicate key: 2 rows share") for r in reasons)
    assert workspace.scalar("select count(*) from rejects where entity = 'cost_centers' and fix is null") == 0
    assert workspace.scalar(
        "select count(*) from (select company_code, cost_center_code from erp.cost_centers group by all "
        "having count(*) > 1)") == 0


def _entity_sql(profile_text: str, entity: str) -> str:
    import tomllib

    return str(tomllib.loads(profile_text)["entities"][entity]["sql"])


def test_profile_path_that_does_not_exist(workspace: Workspace) -> None:
    result = workspace.cli("map", profile=str(Path(workspace.root / "nothing.toml")))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_bad_chunk_size_is_a_configuration_error(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__ERP__CHUNK_SIZE", "lots")
    result = workspace.cli("extract")
    assert result.exit_code == 2
    assert "sources.erp.chunk_size is 'lots'" in result.stderr
    assert "Traceback" not in result.output


def test_map_before_any_extract_says_what_to_run(workspace: Workspace) -> None:
    result = workspace.cli("map")
    assert result.exit_code == 4
    assert "does not exist yet" in result.stderr
    assert "erpload extract" in result.stderr
    assert not workspace.staging.exists()


def test_exit_codes_tell_a_clean_run_from_one_that_set_records_aside(workspace: Workspace) -> None:
    """5 means finished with rejects; a step that set nothing aside ends with 0 (see erpload.exit_codes)."""
    assert workspace.cli("extract").exit_code == ExitCode.OK
    assert workspace.cli("map").exit_code == ExitCode.DATA  # the demo ERP's orphan invoices
    result = workspace.cli("transform", "datev")
    assert workspace.scalar("select count(*) from rejects where target = 'datev'") > 0
    assert result.exit_code == ExitCode.DATA, result.output
    assert "erpload.rejects" in result.stderr
    assert workspace.cli("push", "dvelop", "--dry-run").exit_code == ExitCode.CONFIG  # transform dvelop first


def test_profile_mistake_names_the_file_to_edit(workspace: Workspace) -> None:
    profile = _profile(workspace, DEMO_TEXT.replace('[tables.vendor]\nprimary_key = ["vendor_id"]',
                                                    '[tables.vendor]\nprimary_kee = ["vendor_id"]'))
    result = workspace.cli("extract", profile=profile)
    message = " ".join(result.stderr.split())
    assert result.exit_code == ExitCode.CONFIG
    assert "table 'vendor': has no primary_key" in message
    assert f"fix: edit {profile}: add primary_key" in message


def test_a_staging_file_erpload_did_not_make_gets_a_note_not_a_traceback(workspace: Workspace) -> None:
    import duckdb

    with duckdb.connect(str(workspace.staging)) as con:  # someone else's file, with a `runs` of its own
        con.execute("create table runs (who varchar, what varchar)")
    result = workspace.cli("extract", erp_url=f"sqlite:///{workspace.root / 'missing.sqlite'}")
    assert result.exit_code == ExitCode.SOURCE, result.output
    said = " ".join(result.output.split())
    assert "this run could not be recorded in" in said
    assert "is it erpload's staging file?" in said
    assert "Traceback" not in result.output


def test_an_unknown_backend_is_a_configuration_error_before_anything_is_read(workspace: Workspace) -> None:
    result = workspace.cli("extract", "--backend", "bogus")
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert "sources.erp.backend is 'bogus'" in message
    assert "auto, duckdb, pyarrow" in message
    assert not workspace.staging.exists()
