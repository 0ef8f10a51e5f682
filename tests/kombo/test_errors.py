"""Kombo's errors over loopback: judged by `error.code`, never the HTTP status; a refusal fails at once with
Kombo's message, log_url and our fix; a lost answer leaves the push unknown and the company held until a
person settles it; the API key shows up nowhere."""

from __future__ import annotations

import duckdb
import pytest

from erpload.exit_codes import ExitCode
from erpload.fakes.faults import Faults
from erpload.fakes.kombo import GENERAL, ErrorCode, InjectedError, KomboPlan
from tests.kombo.conftest import API_KEY, KomboProject, said


def test_an_unknown_integration_fails_that_company_at_once_whatever_the_status(kombo: KomboProject) -> None:
    failing = kombo.integration("1000")
    # a 429 status with a code that is no limit: retrying on the status would send it again
    kombo.fake.set_plan(KomboPlan(errors=[InjectedError(code=ErrorCode.INTEGRATION_NOT_FOUND, status=429,
                                                        integration_id=failing, times=5)]))
    result = kombo.ws.cli("push", "kombo")
    assert result.exit_code == ExitCode.VENDOR, result.output
    refused = kombo.fake.refused()
    assert [r["integration_id"] for r in refused] == [failing]  # once, not retried
    assert kombo.fake.calls(failing) == []
    assert len(kombo.fake.calls(kombo.integration("2000"))) == 1  # the other companies are pushed
    assert len(kombo.fake.calls(kombo.integration("4000"))) == 1
    text = said(result)
    assert "PLATFORM.INTEGRATION_NOT_FOUND" in text
    assert refused[0]["log_id"] in text  # Kombo's log_url, for its support
    assert "companies.kombo_integration_id" in text  # our fix
    run_id = kombo.last_run()
    pushed = kombo.ws.query("SELECT outcome, error_code, log_url FROM kombo.pushes WHERE run_id = ? "
                            "AND company_code = '1000'", [run_id])
    assert len(pushed) == 1
    assert pushed[0][:2] == ("refused", "PLATFORM.INTEGRATION_NOT_FOUND")
    assert str(pushed[0][2]).endswith(refused[0]["log_id"])
    rejects = kombo.ws.query("SELECT record_key, field, value, reason FROM rejects WHERE run_id = ? "
                             "AND target = 'kombo'", [run_id])
    assert [(r[0], r[1], r[2]) for r in rejects] == [("1000", "kombo_integration_id", failing)]
    assert kombo.ws.query("SELECT record_key FROM current_rejects WHERE target = 'kombo'") == [("1000",)]
    # a failed push is no obstacle: the next push calls the company again, and settles the refusal
    kombo.fake.set_plan(KomboPlan())
    assert kombo.ws.cli("push", "kombo", "--company", "1000").exit_code == 0
    assert len(kombo.fake.calls(failing)) == 1
    assert kombo.ws.query("SELECT record_key FROM current_rejects WHERE target = 'kombo'") == []
    assert kombo.ws.scalar("SELECT count(*) FROM rejects WHERE target = 'kombo'") == 1  # the history keeps it


@pytest.mark.parametrize("code", [ErrorCode.AUTHENTICATION_INVALID, ErrorCode.IP_NOT_WHITELISTED])
def test_a_refused_key_or_address_stops_the_push_with_its_fix(kombo: KomboProject, code: ErrorCode) -> None:
    kombo.fake.set_plan(KomboPlan(errors=[InjectedError(code=code, times=10)]))
    result = kombo.ws.cli("push", "kombo")
    assert result.exit_code == ExitCode.VENDOR, result.output
    assert len(kombo.fake.refused()) == 1  # the first company's push; the others are not tried
    assert kombo.fake.calls() == []
    text = said(result)
    assert code.value in text
    assert "/_fake/logs/" in text
    assert ("DESTINATION__KOMBO__API_KEY" if code is ErrorCode.AUTHENTICATION_INVALID else "whitelist") in text


def test_a_lost_answer_leaves_the_push_unknown_and_the_company_held(kombo: KomboProject) -> None:
    held = kombo.integration("1000")
    kombo.fake.set_faults(Faults(drop_on_calls=[1], match_path=GENERAL))
    result = kombo.ws.cli("push", "kombo", "--company", "1000")
    assert result.exit_code == ExitCode.UNDECIDED, result.output
    first_run = kombo.last_run()
    assert len(kombo.fake.calls(held)) == 1  # it arrived
    assert kombo.ws.query("SELECT record_key, state FROM ledger WHERE target = 'kombo' AND state = 'unknown'") == [
        (first_run, "unknown")]
    assert kombo.ws.query("SELECT outcome FROM kombo.pushes WHERE run_id = ?", [first_run]) == [("unknown",)]

    kombo.fake.set_faults(Faults())
    again = kombo.ws.cli("push", "kombo")
    assert again.exit_code == ExitCode.UNDECIDED, again.output
    assert len(kombo.fake.calls(held)) == 1  # a new run's key does not repeat it
    assert len(kombo.fake.calls(kombo.integration("2000"))) == 1
    assert f"erpload ledger resolve kombo {first_run} --sent" in said(again)

    planned = kombo.ws.cli("transform", "kombo")
    assert planned.exit_code == 0, planned.output
    assert kombo.ws.query("SELECT _company_code, unknown_run FROM kombo.integrations WHERE state = 'unknown'") == [
        ("1000", first_run)]

    settled = kombo.ws.cli("ledger", "resolve", "kombo", first_run, "--sent", "--staging", str(kombo.ws.staging))
    assert settled.exit_code == 0, settled.output
    after = kombo.ws.cli("push", "kombo", "--company", "1000")
    assert after.exit_code == 0, after.output
    assert len(kombo.fake.calls(held)) == 2


@pytest.mark.parametrize("code", [ErrorCode.UNKNOWN_ERROR, ErrorCode.TASK_TIMED_OUT])
def test_an_error_that_may_have_pushed_is_unknown_not_failed(kombo: KomboProject, code: ErrorCode) -> None:
    kombo.fake.set_plan(KomboPlan(errors=[InjectedError(code=code, integration_id=kombo.integration("4000"))]))
    result = kombo.ws.cli("push", "kombo", "--company", "4000")
    assert result.exit_code == ExitCode.UNDECIDED, result.output
    assert len(kombo.fake.refused()) == 1
    run_id = kombo.last_run()
    assert kombo.ws.query("SELECT state FROM ledger WHERE target = 'kombo' AND record_key = ?", [run_id]) == [
        ("unknown",)]
    staged = kombo.ws.query("SELECT outcome, error_code, log_url FROM kombo.pushes WHERE run_id = ?", [run_id])
    assert [(r[0], r[1]) for r in staged] == [("unknown", code.value)]
    assert str(staged[0][2]).endswith(kombo.fake.refused()[0]["log_id"])
    settled = kombo.ws.cli("ledger", "resolve", "kombo", run_id, "--not-sent", "--staging", str(kombo.ws.staging))
    assert settled.exit_code == 0, settled.output


def test_the_api_key_appears_in_no_output_run_ledger_or_staged_table(kombo: KomboProject) -> None:
    outputs = [kombo.ws.cli("push", "kombo", "--dry-run"), kombo.ws.cli("push", "kombo")]
    kombo.fake.set_plan(KomboPlan(errors=[InjectedError(code=ErrorCode.INPUT_INVALID,
                                                        message=f"echo of the key: {API_KEY}")]))
    outputs.append(kombo.ws.cli("push", "kombo", "--company", "2000"))
    assert outputs[-1].exit_code == ExitCode.VENDOR
    for result in outputs:
        assert API_KEY not in result.output
    columns = kombo.ws.query("SELECT schema_name, table_name, column_name FROM duckdb_columns() "
                             "WHERE data_type IN ('VARCHAR', 'JSON', 'VARCHAR[]') AND NOT internal")
    assert ("kombo", "pushes", "message") in columns
    tables: dict[tuple[object, object], list[object]] = {}
    for schema, table, column in columns:
        tables.setdefault((schema, table), []).append(column)
    with duckdb.connect(str(kombo.ws.staging), read_only=True) as con:
        leaks = [f"{s}.{t}" for (s, t), cols in tables.items() if con.execute(
            f'SELECT count(*) FROM "{s}"."{t}" WHERE ' + " OR ".join(f'contains("{c}"::VARCHAR, $1)' for c in cols),
            [API_KEY]).fetchall()[0][0]]
    assert leaks == []
    # what Kombo echoed is kept, the key masked
    assert kombo.ws.scalar("SELECT count(*) FROM kombo.pushes WHERE message LIKE 'echo of the key: %'") == 1
