"""The destination contract, written once, run for d.velop and for each of Maesn's five accounting systems.

Real HTTP against each vendor's fake on an ephemeral port, the real CLI, a real DuckDB staging file holding a few
of the demo ERP's transformed records (see `conftest.py`). Upsert APIs (d.velop) and create-only ones (Maesn)
share every test; where the rule differs the test says which applies.
"""

from __future__ import annotations

import json
import re

import pytest

from erpload.exit_codes import ExitCode
from erpload.wording import plural
from tests.contract.cases import VendorCase
from tests.utils import Workspace


def _states(ws: Workspace, vendor: VendorCase, where: str = "true") -> dict[str, int]:
    rows = ws.query(f"SELECT state, count(*) FROM ledger WHERE target = ? AND {where} GROUP BY ALL", [vendor.target])
    return {str(s): int(n) for s, n in rows}  # type: ignore[call-overload]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _push(ws: Workspace, vendor: VendorCase, *extra: str) -> tuple[int, str]:
    result = ws.cli(*vendor.push, "--quiet", *extra)
    return result.exit_code, _one_line(result.output)


def _everything_once(ws: Workspace, vendor: VendorCase) -> None:
    """The vendor holds exactly our records, each arrived once, and the ledger has them all acknowledged."""
    expected = vendor.expected(ws)
    assert vendor.held_payloads(ws) == expected
    assert vendor.held(ws) == dict.fromkeys(expected, 1)
    assert _states(ws, vendor) == {"acknowledged": len(expected)}


def test_happy_path_the_vendor_holds_exactly_our_records_each_once(ws: Workspace, vendor: VendorCase) -> None:
    assert len(vendor.expected(ws)) >= 6  # several requests' worth
    code, output = _push(ws, vendor)
    assert code == ExitCode.OK, output
    _everything_once(ws, vendor)


def test_an_unchanged_rerun_sends_nothing(ws: Workspace, vendor: VendorCase) -> None:
    assert _push(ws, vendor)[0] == ExitCode.OK
    before = vendor.writes()
    code, output = _push(ws, vendor)
    assert code == ExitCode.OK, output
    assert vendor.writes() == before
    _everything_once(ws, vendor)


def test_a_changed_record_is_sent_once_more_or_rejected_when_the_vendor_cannot_change_it(
        ws: Workspace, vendor: VendorCase) -> None:
    assert _push(ws, vendor)[0] == ExitCode.OK
    changed = vendor.change(ws)
    before = vendor.writes()
    code, output = _push(ws, vendor)
    if vendor.create_only:  # the vendor cannot change what it holds: nothing sent, one reject saying so
        assert code == ExitCode.DATA, output
        assert vendor.writes() == before
        rejects = ws.query("SELECT entity || ':' || record_key, reason, fix FROM rejects WHERE target = ?",
                           [vendor.target])
        assert len(rejects) == 1
        assert rejects[0][0] == changed
        assert f"changed in the ERP after {vendor.target} received it" in str(rejects[0][1])
        assert "correct it in the accounting system" in str(rejects[0][2])
        assert set(vendor.held(ws).values()) == {1}
    else:  # an upsert: the new version once, nothing else
        assert code == ExitCode.OK, output
        assert vendor.writes() == before + 1
        held = vendor.held(ws)
        assert held.pop(changed) == 2
        assert set(held.values()) == {1}
        assert vendor.held_payloads(ws) == vendor.expected(ws)
    # the next push sends nothing and reports nothing again
    before = vendor.writes()
    assert _push(ws, vendor)[0] == ExitCode.OK
    assert vendor.writes() == before
    assert ws.scalar("SELECT count(*) FROM rejects WHERE target = ?", [vendor.target]) == int(vendor.create_only)


def test_a_record_the_vendor_refuses_becomes_a_reject_naming_the_field(ws: Workspace, vendor: VendorCase) -> None:
    spoiled = vendor.spoil(ws)
    code, output = _push(ws, vendor)
    assert code == ExitCode.DATA, output  # finished, with a record set aside
    rejects = ws.query("SELECT entity || ':' || record_key, field, reason, record FROM rejects WHERE target = ?",
                       [vendor.target])
    assert [(r[0], r[1]) for r in rejects] == [(spoiled.record, spoiled.field)]
    assert rejects[0][2]  # the vendor's reason
    assert json.loads(str(rejects[0][3]))  # the record as it was sent, for the fix
    held = vendor.held(ws)
    assert spoiled.record not in held
    assert held == {k: 1 for k in vendor.expected(ws) if k != spoiled.record}
    # unchanged, it is not sent again; corrected, it is sent once
    before = vendor.writes()
    assert _push(ws, vendor)[0] == ExitCode.OK
    assert vendor.writes() == before
    vendor.mend(ws, spoiled)
    code, output = _push(ws, vendor)
    assert code == ExitCode.OK, output
    assert vendor.writes() == before + 1
    assert vendor.held(ws) == dict.fromkeys(vendor.expected(ws), 1)
    assert vendor.held_payloads(ws) == vendor.expected(ws)


def test_a_429_storm_with_retry_after_is_ridden_out(ws: Workspace, vendor: VendorCase) -> None:
    # after the first call, 4 answers of 429 with Retry-After: 0: a minimum back-off each, never a busy loop
    vendor.set_faults(throttle_after=1, throttle_count=4, retry_after=0)
    code, output = _push(ws, vendor)
    assert code == ExitCode.OK, output
    assert "4 answered 429 Too Many Requests" in output  # the summary says so, and counts the back-offs
    backing_off = re.search(r"([\d.]+) s backing off", output)
    assert backing_off, output
    assert float(backing_off.group(1)) >= 0.1
    assert vendor.answered(429) == 4
    _everything_once(ws, vendor)


def test_a_failing_job_marks_its_records_failed_with_the_vendors_message(ws: Workspace, vendor: VendorCase) -> None:
    vendor.set_faults(fail_jobs=[2])  # the second import job / async task ends failed
    code, output = _push(ws, vendor)
    assert code == ExitCode.VENDOR, output
    states = _states(ws, vendor)
    failed = {f"{e}:{k}" for e, k in ws.query("SELECT entity, record_key FROM ledger WHERE state = 'failed'")}
    assert states["failed"] == len(failed) >= 1
    assert states == {"acknowledged": len(vendor.expected(ws)) - len(failed), "failed": len(failed)}
    assert f"{plural(len(failed), 'record')} failed" in output
    responses = {str(r) for (r,) in ws.query("SELECT DISTINCT response FROM ledger WHERE state = 'failed'")}
    assert len(responses) == 1
    assert vendor.failure_message in responses.pop()

    vendor.set_faults()
    before = vendor.writes()
    code, output = _push(ws, vendor)
    assert code == ExitCode.OK, output
    assert vendor.writes() == before + 1  # the failed records, and only those, once more
    assert _states(ws, vendor) == {"acknowledged": len(vendor.expected(ws))}
    assert vendor.held_payloads(ws) == vendor.expected(ws)
    # the rule, create-only or not: FAILED means the vendor holds none of it, so a re-run sends it; at a
    # create-only API the failed arrival created nothing, so each record exists there once
    assert vendor.created(ws) == dict.fromkeys(vendor.expected(ws), 1)
    if vendor.create_only:
        assert {k: n for k, n in vendor.held(ws).items() if n > 1} == dict.fromkeys(failed, 2)


def test_bad_credentials_end_with_one_clear_message_and_no_secret(
        ws: Workspace, vendor: VendorCase, monkeypatch: pytest.MonkeyPatch) -> None:
    right = vendor.env[vendor.secret_setting]
    wrong = "wrong-key-Zx81kq"
    monkeypatch.setenv(vendor.secret_setting, wrong)
    code, output = _push(ws, vendor)
    assert code == ExitCode.VENDOR, output
    assert output.count("refused the credentials") == 1, output
    assert "api_key" in output  # the fix names the setting
    assert wrong not in output
    assert right not in output
    assert _states(ws, vendor, "state = 'acknowledged'") == {}
    stored = ws.query("SELECT message FROM runs WHERE command LIKE 'push %'")
    assert stored
    assert all(wrong not in str(m) and right not in str(m) for (m,) in stored)


def test_a_dry_run_sends_and_marks_nothing(ws: Workspace, vendor: VendorCase) -> None:
    counts = {e: sum(1 for k in vendor.expected(ws) if k.startswith(f"{e}:")) for e in vendor.entities}
    result = ws.cli(*vendor.push, "--dry-run")
    assert result.exit_code == ExitCode.OK, result.output
    for entity, n in counts.items():
        assert f"would send {n} of {n} {entity}" in result.stdout
    assert vendor.requests() == 0
    assert ws.scalar("SELECT count(*) FROM ledger") == 0
    # after a real push, the dry run sees nothing left to send
    assert _push(ws, vendor)[0] == ExitCode.OK
    result = ws.cli(*vendor.push, "--dry-run")
    for entity, n in counts.items():
        assert f"would send 0 of {n} {entity}" in result.stdout


def test_a_dropped_connection_after_the_vendor_applied_the_request(ws: Workspace, vendor: VendorCase) -> None:
    vendor.set_faults(match_method="POST", drop_on_calls=[2])  # the vendor applies the 2nd POST, its answer is lost
    code, output = _push(ws, vendor)
    expected = vendor.expected(ws)
    if not vendor.create_only:  # an upsert: sent again (by the client at once, or by the next push), harmlessly
        assert code in (ExitCode.OK, ExitCode.VENDOR), output
        vendor.set_faults()
        assert _push(ws, vendor)[0] == ExitCode.OK
        held = vendor.held(ws)
        assert set(held) == set(expected)
        twice = [k for k, n in held.items() if n == 2]
        assert 1 <= len(twice) <= 8  # the dropped batch, once more
        assert set(held.values()) == {1, 2}
        assert vendor.held_payloads(ws) == expected
        assert _states(ws, vendor) == {"acknowledged": len(expected)}
        return
    # create-only: held as `unknown`, never sent again blindly; a person decides
    assert code == ExitCode.UNDECIDED, output
    assert "1 record waits for a decision" in output
    assert _states(ws, vendor) == {"acknowledged": len(expected) - 1, "unknown": 1}
    assert vendor.held(ws) == dict.fromkeys(expected, 1)  # it did arrive
    vendor.set_faults()
    before = vendor.writes()
    code, output = _push(ws, vendor)
    assert code == ExitCode.UNDECIDED, output
    assert vendor.writes() == before
    ((entity, key),) = ws.query("SELECT entity, record_key FROM ledger WHERE state = 'unknown'")
    listed = ws.cli("ledger", "--staging", str(ws.staging), "--state", "unknown")
    assert listed.exit_code == 0, listed.output
    assert str(key) in listed.stdout
    # a person looks in the accounting system (the fake's inspection API) and finds it
    assert f"{entity}:{key}" in vendor.held(ws)
    decided = ws.cli("ledger", "resolve", vendor.target, str(key), "--sent", "--staging", str(ws.staging))
    assert decided.exit_code == 0, decided.output
    code, output = _push(ws, vendor)
    assert code == ExitCode.OK, output
    _everything_once(ws, vendor)
