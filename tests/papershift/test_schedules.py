"""`erpload papershift schedules` against the Papershift fake: list, create, move and delete round-trip; a day out
of range is refused before anything is sent; what Papershift refuses is shown with its reason."""

from __future__ import annotations

from erpload.exit_codes import ExitCode
from tests.papershift.conftest import Pulse
from tests.utils import Workspace


def _days(pulse: Pulse, integration_id: str) -> dict[str, int]:
    return {s["id"]: s["day"] for s in pulse.fake.schedules() if s["integration_id"] == integration_id}


def _integration(ws: Workspace, company: str) -> str:
    return str(ws.scalar("select integration_id from papershift.integrations where company_code = ?", [company]))


def test_schedules_round_trip(ws: Workspace, pulse: Pulse) -> None:
    integration = _integration(ws, "1000")
    listed = ws.cli("papershift", "schedules", "--company", "1000")
    assert listed.exit_code == ExitCode.OK, listed.output
    assert "none" in listed.output

    created = ws.cli("papershift", "schedules", "--company", "1000", "--set-day", "15")
    assert created.exit_code == ExitCode.OK, created.output
    (schedule_id, day), = _days(pulse, integration).items()
    assert day == 15
    assert f"created schedule {schedule_id} on day 15" in " ".join(created.output.split())

    moved = ws.cli("papershift", "schedules", "--company", "1000", "--set-day", "20")
    assert moved.exit_code == ExitCode.OK, moved.output
    assert _days(pulse, integration) == {schedule_id: 20}
    listed = ws.cli("papershift", "schedules", "--company", "1000")
    assert schedule_id in listed.output
    assert "update, destroy" in listed.output

    deleted = ws.cli("papershift", "schedules", "--company", "1000", "--delete")
    assert deleted.exit_code == ExitCode.OK, deleted.output
    assert _days(pulse, integration) == {}


def test_set_day_for_every_company_creates_one_schedule_each(ws: Workspace, pulse: Pulse) -> None:
    result = ws.cli("papershift", "schedules", "--set-day", "1")
    assert result.exit_code == ExitCode.OK, result.output
    assert sorted((s["integration_id"], s["day"]) for s in pulse.fake.schedules()) == \
        [(i, 1) for i in sorted(pulse.integrations)]


def test_a_day_papershift_has_a_schedule_on_is_refused_with_its_reason(ws: Workspace, pulse: Pulse) -> None:
    integration = _integration(ws, "2000")
    assert ws.cli("papershift", "schedules", "--company", "2000", "--set-day", "10").exit_code == ExitCode.OK
    other = pulse.fake.store.add_schedule(integration, 3, "someone in Pulse")

    result = ws.cli("papershift", "schedules", "--company", "2000", "--set-day", "3")
    assert result.exit_code == ExitCode.VENDOR, result.output
    said = " ".join(result.output.split())
    assert "Papershift refused to move schedule" in said
    assert "422 day 3 already has a schedule for this DATEV integration" in said
    assert sorted(_days(pulse, integration).values()) == [3, 10]
    assert other.id in _days(pulse, integration)


def test_what_the_user_may_not_do_is_refused_with_its_reason(ws: Workspace, pulse: Pulse) -> None:
    assert ws.cli("papershift", "schedules", "--company", "3000", "--set-day", "5").exit_code == ExitCode.OK
    pulse.plan(schedule_actions=[])
    result = ws.cli("papershift", "schedules", "--company", "3000", "--delete")
    assert result.exit_code == ExitCode.VENDOR, result.output
    assert "403 You may not delete this schedule" in " ".join(result.output.split())
    assert list(_days(pulse, _integration(ws, "3000")).values()) == [5]


def test_bad_requests_are_refused_before_anything_is_sent(ws: Workspace, pulse: Pulse) -> None:
    for args, says in ((("--set-day", "32"), "1 to 31"), (("--set-day", "0"), "1 to 31"),
                       (("--delete",), "--company"), (("--company", "9999"), "no usable Papershift")):
        result = ws.cli("papershift", "schedules", *args)
        assert result.exit_code == ExitCode.CONFIG, result.output
        assert says in result.output
    assert pulse.fake.log.records() == []
