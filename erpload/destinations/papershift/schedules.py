"""What `erpload papershift schedules` does at Papershift: move or create an integration's schedule, delete its
schedules. Each change is said in a line; what Papershift refuses comes back as a line with its reason."""

from __future__ import annotations

from collections.abc import Callable

from .client import PulseClient, PulseError
from .config import PapershiftSettings


def _refusal(label: str, what: str, error: PulseError) -> str:
    return f"{label}: Papershift refused to {what}: {error.status} {error.detail}"


class ScheduleCommands:
    def __init__(self, settings: PapershiftSettings, *, say: Callable[[str], None],
                 client: PulseClient | None = None) -> None:
        self.client = client or PulseClient(settings)
        self.say = say

    def close(self) -> None:
        self.client.close()

    def set_day(self, label: str, integration_id: str, day: int) -> list[str]:
        """The integration's first schedule moved to `day`, or a new one when it has none; the refusals."""
        existing = sorted(self.client.schedules(integration_id), key=lambda s: (s.created_at or "", s.id))
        if not existing:
            created = self.client.create_schedule(integration_id, day)
            if isinstance(created, PulseError):
                return [_refusal(label, f"create a schedule on day {day}", created)]
            self.say(f"{label}: created schedule {created.id} on day {created.day}")
            return []
        first = existing[0]
        if first.day == day:
            self.say(f"{label}: schedule {first.id} is on day {day} already")
            return []
        changed = self.client.change_schedule(integration_id, first.id, day)
        if isinstance(changed, PulseError):
            return [_refusal(label, f"move schedule {first.id} from day {first.day} to day {day}", changed)]
        self.say(f"{label}: moved schedule {changed.id} from day {first.day} to day {changed.day}")
        return []

    def delete(self, label: str, integration_id: str) -> list[str]:
        """Every schedule of the integration deleted; the refusals."""
        refused = []
        found = self.client.schedules(integration_id)
        if not found:
            self.say(f"{label}: no schedule to delete")
        for schedule in found:
            error = self.client.delete_schedule(integration_id, schedule.id)
            if error is not None:
                refused.append(_refusal(label, f"delete schedule {schedule.id} (day {schedule.day})", error))
            else:
                self.say(f"{label}: deleted schedule {schedule.id} (day {schedule.day})")
        return refused
