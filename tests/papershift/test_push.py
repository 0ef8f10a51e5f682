"""`erpload push papershift` against the Papershift fake: the initial sync is created once per integration and
followed to its end, partial and failed syncs name the right employees (as the ERP knows them), nothing is sent
for a bad `--months`, a lost answer is never followed by a second create, and no secret is written anywhere."""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pytest

from erpload.exit_codes import ExitCode
from erpload.fakes.papershift import Integration, SyncStatus
from erpload.fakes.papershift.store import fingerprint
from erpload.transforms.papershift.demo import UNKNOWN_TO_ERP
from tests.papershift.conftest import PASSWORD, Pulse
from tests.utils import Workspace


def _integrations(ws: Workspace) -> dict[str, str]:
    """company code -> integration id, as the papershift plan has them."""
    return {str(c): str(i) for c, i in ws.query("select company_code, integration_id from papershift.integrations")}


def _erp_names(ws: Workspace, company: str) -> dict[int, str]:
    """The company's ERP employees by personnel number as a number."""
    rows = ws.query("select personnel_no, first_name || ' ' || last_name from erp.employees where company_code = ?",
                    [company])
    return {int(str(n)): str(name) for n, name in rows}


def _fake_employees(pulse: Pulse, integration_id: str) -> list[int]:
    found = next(i for i in pulse.fake.integrations() if i["id"] == integration_id)
    numbers: list[int] = found["employee_numbers"]
    return numbers


def test_push_creates_one_initial_sync_per_integration_follows_it_and_a_second_push_creates_none(
        ws: Workspace, pulse: Pulse) -> None:
    first = ws.cli("push", "papershift")
    assert first.exit_code == ExitCode.OK, first.output
    integrations = _integrations(ws)
    assert sorted(integrations.values()) == sorted(pulse.integrations)
    assert [r.status for r in pulse.creates()] == [201] * len(integrations)
    staged = ws.query("select integration_id, status from papershift.syncs where initial order by 1")
    assert staged == [(i, "succeeded") for i in sorted(integrations.values())]
    company, integration = next(iter(integrations.items()))
    fake_sync = pulse.syncs(integration)[0]
    items = ws.query("select item_id, employee_number, status, employee_name, in_erp from papershift.sync_items "
                     "where integration_id = ?", [integration])
    assert sorted(str(i[0]) for i in items) == sorted(i["id"] for i in fake_sync["items"])
    names = _erp_names(ws, company)
    for _, number, status, name, in_erp in items:
        assert status == "succeeded"
        assert (name, in_erp) == ((names[number], True) if number in names else ("not in the ERP", False))
    assert any(number == UNKNOWN_TO_ERP and not in_erp for _, number, _, _, in_erp in items)
    assert f"{UNKNOWN_TO_ERP}" in first.output  # the note on the number the ERP does not know

    pulse.fake.log.clear()
    second = ws.cli("push", "papershift")
    assert second.exit_code == ExitCode.OK, second.output
    assert pulse.creates() == []  # nothing created again; the push only looks whether a later sync ended
    assert {(r.method, r.path.rsplit("/", 1)[-1]) for r in pulse.requests()} == {
        ("POST", "sign_in"), ("GET", "datev_document_syncs")}
    for integration_id in integrations.values():
        assert sum(s["initial"] for s in pulse.syncs(integration_id)) == 1


def test_an_initial_sync_papershift_already_has_is_done_and_followed_not_an_error(
        ws: Workspace, pulse: Pulse) -> None:
    integration = _integrations(ws)["1000"]
    fake_integration = pulse.fake.store.integration(integration)
    assert fake_integration is not None
    existing = pulse.fake.store.create_sync(fake_integration, 3, initial=True, created_by="someone else")

    result = ws.cli("push", "papershift", "--company", "1000")
    assert result.exit_code == ExitCode.OK, result.output
    assert [r.status for r in pulse.creates()] == [422]
    assert "already has the initial document sync" in result.output
    assert ws.query("select sync_id, status, range_in_months from papershift.syncs") == [
        (existing.id, "succeeded", 3)]
    assert ws.query("select state from erpload.ledger where target = 'papershift'") == [("acknowledged",)]


@pytest.mark.parametrize("outcome", [SyncStatus.SUCCEEDED_PARTIALLY, SyncStatus.FAILED])
def test_partial_and_failed_syncs_name_the_employees_whose_documents_failed(
        ws: Workspace, pulse: Pulse, outcome: SyncStatus) -> None:
    integration = _integrations(ws)["1000"]
    employees = _fake_employees(pulse, integration)
    names = _erp_names(ws, "1000")
    failing = [employees[0], UNKNOWN_TO_ERP] if outcome is SyncStatus.SUCCEEDED_PARTIALLY else employees
    pulse.plan(outcome=outcome, failing_employees=failing)

    result = ws.cli("push", "papershift", "--company", "1000", "--months", "2")
    assert result.exit_code == ExitCode.DATA, result.output  # the failed employees are set aside
    assert ws.query("select status from papershift.syncs") == [(outcome.value,)]
    failed_items = ws.query("select employee_number, count(*) from papershift.sync_items where status = 'failed' "
                            "group by all order by 1")
    assert failed_items == [(n, 2) for n in sorted(failing)]
    rejects = ws.query("select record_key, value, reason, fix from erpload.rejects where target = 'papershift' "
                       "order by value::int")
    assert [(r[0], r[1]) for r in rejects] == [(f"1000/{n}", str(n)) for n in sorted(failing)]
    for _, value, reason, fix in rejects:
        number = int(str(value))
        assert names.get(number, "not in the ERP") in str(reason)
        assert ("personnel number the ERP does not know" in str(fix)) == (number not in names)
    said = " ".join(result.output.split())  # the console wraps long notes
    assert f"ended {outcome.value}" in said
    assert f"the documents of {len(failing)} employee(s) failed" in said
    # the call was made and answered: the next push neither creates again nor reports the same failures again
    again = ws.cli("push", "papershift", "--company", "1000")
    assert again.exit_code == ExitCode.OK, again.output
    assert len(pulse.creates()) == 1
    assert len(ws.query("select * from erpload.rejects where target = 'papershift'")) == len(failing)


def test_later_syncs_are_looked_at_their_failures_reported_and_what_they_fetch_settles_earlier_rejects(
        ws: Workspace, pulse: Pulse) -> None:
    """The initial sync is one month here, as a schedule's sync is: a month a newer sync fetched is settled."""
    integration = _integrations(ws)["1000"]
    first_failing, second_failing = _fake_employees(pulse, integration)[:2]

    def current() -> list[str]:
        return sorted(str(k) for (k,) in ws.query(
            "select record_key from erpload.current_rejects where target = 'papershift'"))

    pulse.plan(outcome=SyncStatus.SUCCEEDED_PARTIALLY, failing_employees=[first_failing], running_polls=0)
    initial = ws.cli("push", "papershift", "--company", "1000", "--months", "1")
    assert initial.exit_code == ExitCode.DATA, initial.output
    assert current() == [f"1000/{first_failing}"]

    # a schedule's sync fetches it: the reject is settled, and the sync is staged beside the initial one
    pulse.plan(outcome=SyncStatus.SUCCEEDED, running_polls=0)
    fetched = pulse.fake.run_schedule(integration)
    assert fetched is not None
    settled = ws.cli("push", "papershift", "--company", "1000")
    assert settled.exit_code == ExitCode.OK, settled.output
    assert current() == []
    assert ws.query("select initial, status from papershift.syncs order by created_at") == [
        (True, "succeeded_partially"), (False, "succeeded")]
    assert f"document sync {fetched['id']} succeeded" in " ".join(settled.output.split())

    # the next one cannot fetch another employee's documents: reported once, like the initial sync's
    pulse.plan(outcome=SyncStatus.SUCCEEDED_PARTIALLY, failing_employees=[second_failing], running_polls=0)
    pulse.fake.run_schedule(integration)
    reported = ws.cli("push", "papershift", "--company", "1000")
    assert reported.exit_code == ExitCode.DATA, reported.output
    assert current() == [f"1000/{second_failing}"]
    quiet = ws.cli("push", "papershift", "--company", "1000")
    assert quiet.exit_code == ExitCode.OK, quiet.output
    assert ws.scalar(f"select count(*) from erpload.rejects where record_key = '1000/{second_failing}'") == 1

    # two ended since the last push: an older one that failed and a newer one that fetched the same month
    pulse.plan(outcome=SyncStatus.FAILED, running_polls=0)
    pulse.fake.run_schedule(integration)
    pulse.plan(outcome=SyncStatus.SUCCEEDED, running_polls=0)
    pulse.fake.run_schedule(integration)
    both = ws.cli("push", "papershift", "--company", "1000")
    assert both.exit_code == ExitCode.OK, both.output  # the newer one fetched what the older one could not
    assert current() == []
    assert ws.scalar("select count(*) from papershift.syncs") == 5
    assert len(pulse.creates()) == 1  # one initial sync, ever


def test_a_failed_sync_without_items_is_set_aside_too(ws: Workspace, pulse: Pulse) -> None:
    integration = _integrations(ws)["4000"]
    pulse.fake.put_integration(Integration(id=integration, name="no employees in Papershift"))
    pulse.plan(outcome=SyncStatus.FAILED)
    result = ws.cli("push", "papershift", "--company", "4000")
    assert result.exit_code == ExitCode.DATA, result.output
    assert ws.query("select field, value from erpload.rejects where target = 'papershift'") == [("status", "failed")]
    assert "no employee is named" in " ".join(result.output.split())


def test_a_sync_still_running_at_the_timeout_is_followed_by_the_next_push_without_a_second_create(
        ws: Workspace, pulse: Pulse, monkeypatch: pytest.MonkeyPatch) -> None:
    pulse.plan(running_polls=3)
    monkeypatch.setenv("DESTINATION__PAPERSHIFT__SYNC_TIMEOUT_S", "0.001")  # one look, then the push ends
    first = ws.cli("push", "papershift", "--company", "2000")
    assert first.exit_code == ExitCode.OK, first.output
    assert ws.query("select status from papershift.syncs") == [("running",)]
    assert "still running" in first.output

    monkeypatch.setenv("DESTINATION__PAPERSHIFT__SYNC_TIMEOUT_S", "30")
    second = ws.cli("push", "papershift", "--company", "2000")
    assert second.exit_code == ExitCode.OK, second.output
    assert [r.status for r in pulse.creates()] == [201]
    assert ws.query("select status from papershift.syncs") == [("succeeded",)]
    assert ws.scalar("select count(*) from papershift.sync_items where status = 'succeeded'") == \
        len(pulse.syncs(_integrations(ws)["2000"])[0]["items"])


@pytest.mark.parametrize(("args", "env"), [
    (("--months", "13"), None), (("--months", "0"), None), ((), "15"), ((), "six")])
def test_a_bad_range_in_months_is_refused_before_anything_is_sent(
        ws: Workspace, pulse: Pulse, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], env: str | None) -> None:
    if env is not None:
        monkeypatch.setenv("DESTINATION__PAPERSHIFT__RANGE_IN_MONTHS", env)
    result = ws.cli("push", "papershift", *args)
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "1 to 12" in result.output
    assert pulse.fake.log.records() == []


def test_a_dropped_answer_to_the_create_leaves_the_call_unknown_and_the_next_push_does_not_create_again(
        ws: Workspace, pulse: Pulse) -> None:
    pulse.faults(match_method="POST", match_path="/api/v1/datev_integrations", drop_on_calls=[1])
    first = ws.cli("push", "papershift", "--company", "1000")
    assert first.exit_code == ExitCode.UNDECIDED, first.output
    assert ws.query("select state from erpload.ledger where target = 'papershift'") == [("unknown",)]
    integration = _integrations(ws)["1000"]
    assert len(pulse.syncs(integration)) == 1  # it did arrive

    pulse.faults()
    second = ws.cli("push", "papershift", "--company", "1000")
    assert second.exit_code == ExitCode.UNDECIDED, second.output
    assert "ledger resolve papershift initial" in second.output
    assert len(pulse.creates()) == 1
    assert len(pulse.syncs(integration)) == 1

    # a person looked at Papershift and settles it: the next push follows the sync it created, still no create
    assert ws.cli("ledger", "resolve", "papershift", "initial", "--sent").exit_code == 0
    third = ws.cli("push", "papershift", "--company", "1000")
    assert third.exit_code == ExitCode.OK, third.output
    assert len(pulse.creates()) == 1
    assert ws.query("select sync_id, status from papershift.syncs") == [(pulse.syncs(integration)[0]["id"],
                                                                         "succeeded")]


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/datev_integrations"), ("POST", "/api/v1/users/sign_in")])
def test_rate_limit_answers_are_waited_out(ws: Workspace, pulse: Pulse, method: str, path: str) -> None:
    # the first two looks at the sync list, or sign-ins, are answered 429 (without Retry-After: Pulse documents none)
    pulse.faults(match_method=method, match_path=path, throttle_after=0, throttle_count=2, retry_after=None)
    result = ws.cli("push", "papershift", "--company", "3000")
    assert result.exit_code == ExitCode.OK, result.output
    assert "2 answered 429 Too Many Requests" in " ".join(result.output.split())
    assert [r.status for r in pulse.requests(method, path)][:3] == [429, 429, 200]
    assert [r.status for r in pulse.creates()] == [201]
    assert ws.query("select status from papershift.syncs") == [("succeeded",)]


def test_force_asks_again_and_follows_the_sync_papershift_keeps(ws: Workspace, pulse: Pulse) -> None:
    assert ws.cli("push", "papershift", "--company", "1000").exit_code == ExitCode.OK
    first = ws.query("select sync_id, status from papershift.syncs")
    forced = ws.cli("push", "papershift", "--company", "1000", "--force")
    assert forced.exit_code == ExitCode.OK, forced.output
    assert [r.status for r in pulse.creates()] == [201, 422]
    assert ws.query("select sync_id, status from papershift.syncs") == first
    assert sum(s["initial"] for s in pulse.syncs(_integrations(ws)["1000"])) == 1


def test_a_dry_run_sends_nothing(ws: Workspace, pulse: Pulse) -> None:
    result = ws.cli("push", "papershift", "--dry-run")
    assert result.exit_code == ExitCode.OK, result.output
    assert result.output.count("would call Papershift") == len(_integrations(ws))
    assert pulse.fake.log.records() == []


def _every_text(ws: Workspace) -> str:
    """Every value of every table a push writes (erpload's runs, ledger and rejects in `main`, the papershift
    dataset), as text; the ERP's own datasets are left out (read before any sign-in, and slow to dump)."""
    with duckdb.connect(str(ws.staging), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables where table_catalog = "
                             "current_database() and table_schema not in ('erp', 'erp_raw')").fetchall()
        assert {"papershift", "main"} <= {str(s) for s, _ in tables}
        texts: list[Any] = [con.execute(f'select * from "{s}"."{t}"').fetchall() for s, t in tables
                            if s in ("papershift", "main")]
    return repr(texts)


def test_the_token_and_the_password_are_in_no_output_run_ledger_or_staged_table(
        ws: Workspace, pulse: Pulse) -> None:
    pulse.plan(outcome=SyncStatus.SUCCEEDED_PARTIALLY, running_polls=1)
    outputs = [ws.cli("push", "papershift").output, ws.cli("papershift", "schedules").output,
               ws.cli("ledger").output, ws.cli("status").output]
    everything = "\n".join(outputs) + _every_text(ws)
    sessions = {s["token"] for s in pulse.fake.sessions()}
    assert sessions
    assert PASSWORD not in everything
    # a sign-in token is 43 URL-safe characters; the fake knows each only by a fingerprint of it
    candidates = set(re.findall(r"[A-Za-z0-9_-]{43}", everything))
    assert not {fingerprint(c) for c in candidates} & sessions
    assert not re.search(r"Bearer (?!\*)", everything)
