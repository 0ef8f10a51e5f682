"""`erpload status`: one line per run with its totals, duration and outcome; `--detail` adds each run's tables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from erpload.exit_codes import ExitCode
from erpload.profiles import PROFILES_DIR
from erpload.runs import Run
from tests.push.conftest import DvelopCase, dvelop, vendors_workspace  # noqa: F401 (fixtures)
from tests.utils import Workspace, shared_workspace

RUN_LINE = re.compile(r"^(\d{8}T\d{6}-[0-9a-f]{6})\s")
BROKEN_SQL = ("from erp_raw.employee m", "from erp_raw.employe m")


@dataclass
class RecordedRun:
    """One run as erpload.runs holds it: its table rows summed."""

    run_id: str
    command: str
    profile: str
    status: str
    message: str
    started: datetime
    seconds: float
    loaded: int
    sent: int
    rejected: int
    failed: int

    @property
    def outcome(self) -> str:
        if self.status != "ok" or self.failed:
            return "failed"
        return "set aside" if self.rejected else "ok"

    def tokens(self) -> list[str]:
        """The run's line, split on blanks: a push shows sent and failed, the other commands loaded."""
        counts = [f"{self.sent:,}", f"{self.rejected:,}", f"{self.failed:,}"] if self.command.startswith("push") \
            else [f"{self.loaded:,}", f"{self.rejected:,}"]
        return [self.run_id, *self.command.split(), *([self.profile] if self.profile else []),
                *self.started.strftime("%Y-%m-%d %H:%M").split(), f"{self.seconds:.1f}s", *counts,
                *self.outcome.split()]


def recorded_runs(ws: Workspace) -> list[RecordedRun]:
    """Newest first, read straight from erpload.runs."""
    rows = ws.query("""select run_id, any_value(command), coalesce(any_value(profile), ''), any_value(status),
                              coalesce(any_value(message), ''), min(started_at),
                              epoch(max(finished_at)) - epoch(min(started_at)),
                              sum(loaded), sum(sent), sum(rejected), sum(failed)
                       from runs group by run_id order by max(finished_at) desc""")
    return [RecordedRun(*row) for row in rows]  # type: ignore[arg-type]


def run_lines(output: str) -> dict[str, int]:
    """Run id → the index of its line in `output`."""
    return {m.group(1): i for i, line in enumerate(output.splitlines()) if (m := RUN_LINE.match(line))}


def detail_of(output: str, run_id: str) -> list[str]:
    """The lines `--detail` prints under a run's line, up to the blank line that ends them."""
    below = output.splitlines()[run_lines(output)[run_id] + 1:]
    return below[:below.index("")]


def tables_in(block: list[str]) -> tuple[list[str], list[list[str]]]:
    """The header and the rows (split on blanks) of the table rows in a run's detail."""
    start = next(i for i, line in enumerate(block) if line.split()[:1] == ["table"])
    return block[start].split(), [line.split() for line in block[start + 1:]]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, demo_erp_template: Path) -> Iterator[Workspace]:
    """Extract, map, both transforms, and a map that failed on a broken profile."""
    root = tmp_path_factory.mktemp("status")
    commands = (("extract",), ("map",), ("transform", "datev"), ("transform", "dvelop"))
    with shared_workspace(root, demo_erp_template, *commands) as workspace:
        broken = root / "broken.toml"
        broken.write_text((PROFILES_DIR / "demo.toml").read_text(encoding="utf-8")
                          .replace('name = "demo"', 'name = "broken"').replace(*BROKEN_SQL), encoding="utf-8")
        assert workspace.cli("map", profile=str(broken)).exit_code == ExitCode.CONFIG
        yield workspace


def test_one_line_per_run_with_totals_duration_and_outcome(ws: Workspace) -> None:
    result = ws.cli("status")
    assert result.exit_code == ExitCode.OK, result.output
    runs = recorded_runs(ws)
    lines = result.stdout.splitlines()
    at = run_lines(result.stdout)
    assert list(at) == [r.run_id for r in runs]  # every run once, newest first
    for run in runs:
        assert lines[at[run.run_id]].split() == run.tokens(), run.command
    outcomes = {r.command: r.outcome for r in reversed(runs)}
    assert outcomes == {"extract": "ok", "map": "failed", "transform datev": "set aside",
                        "transform dvelop": "set aside"}
    # the failed run's message, its first line, under its line
    failed = next(r for r in runs if r.status == "failed")
    assert "profile 'broken', entity 'employees'" in lines[at[failed.run_id] + 1]
    assert lines[at[failed.run_id] + 1].startswith("    ")
    assert "fix:" not in result.stdout
    # what is set aside now, counted in current_rejects by reason code (datev's and dvelop's transforms)
    now = " ".join(result.stdout[result.stdout.index("set aside now:"):].split())
    assert "rejects in current_rejects, by reason code: datev." in now or "by reason code: dvelop." in now, now
    # no table rows, and lines that fit a terminal
    assert "erp_raw." not in result.stdout
    assert "datev.bookings" not in result.stdout.split("set aside now:")[0]
    assert max(len(lines[i]) for i in (*at.values(), min(at.values()) - 1)) <= 120  # the runs and their header
    assert "from rejects where run_id = " in result.stdout  # where the set-aside records are


def test_runs_limits_to_the_newest(ws: Workspace) -> None:
    result = ws.cli("status", "--runs", "2")
    assert result.exit_code == ExitCode.OK
    assert list(run_lines(result.stdout)) == [r.run_id for r in recorded_runs(ws)[:2]]


def test_detail_lists_each_runs_tables_and_their_seconds(ws: Workspace) -> None:
    result = ws.cli("status", "--detail")
    assert result.exit_code == ExitCode.OK, result.output
    for run in recorded_runs(ws):
        stored = ws.query("select table_name, loaded, unchanged, rejected, deleted, duration_s from runs "
                          "where run_id = ? and table_name <> '*' order by table_name", [run.run_id])
        block = detail_of(result.stdout, run.run_id)
        if not stored:  # the failed map wrote no table: its message, whole, with the fix
            assert "profile 'broken', entity 'employees'" in block[0]
            assert any("fix:" in line for line in block)
            continue
        header, rows = tables_in(block)
        assert header[:5] == ["table", "loaded", "unchanged", "rejected", "deleted"], run.command
        assert [r[:5] for r in rows] == [[str(t[0]), *(f"{int(n):,}" for n in t[1:5])] for t in stored]  # type: ignore[call-overload]
        if run.command == "extract":  # dlt loads the tables together: the run's duration, no column per table
            assert "s" not in header
            assert "cursor" in header
        else:  # map and the transforms time each table
            assert header[-1] == "s"
            assert [r[-1] for r in rows] == [f"{t[5]:.2f}" for t in stored]


def test_every_step_records_durations(ws: Workspace) -> None:
    assert ws.scalar("select count(*) from runs where finished_at < started_at") == 0
    untimed = ws.query("""select command, table_name from runs
                          where command in ('map', 'transform datev', 'transform dvelop')
                          and table_name <> '*' and duration_s is null""")
    assert untimed == []
    assert ws.scalar("select count(*) from runs where command = 'transform dvelop'") > 5


def test_a_push_shows_sent_unchanged_refused_and_failed(vendors_workspace: Workspace,  # noqa: F811
                                                        dvelop: DvelopCase) -> None:  # noqa: F811
    ws = vendors_workspace
    with duckdb.connect(str(ws.staging)) as con:
        con.execute("update dvelop.vendors set country = 'Deutschland' where _key = '1000/70004'")  # refused
    dvelop.set_faults(fail_jobs=[2])  # a batch fails at the vendor
    assert ws.cli("push", "dvelop", "--quiet").exit_code == ExitCode.VENDOR
    dvelop.set_faults()
    assert ws.cli("push", "dvelop", "--quiet").exit_code == ExitCode.OK  # the failed batch again

    result = ws.cli("status", "--detail")
    assert result.exit_code == ExitCode.OK, result.output
    lines = result.stdout.splitlines()
    at = run_lines(result.stdout)
    second, first = recorded_runs(ws)
    assert (first.rejected, first.failed, first.outcome) == (1, 8, "failed")
    assert (second.sent, second.failed, second.outcome) == (8, 0, "ok")
    for run in (first, second):
        assert lines[at[run.run_id]].split() == run.tokens()
        stored = ws.query("select table_name, sent, unchanged, rejected, failed from runs where run_id = ? "
                          "order by table_name", [run.run_id])
        header, rows = tables_in(detail_of(result.stdout, run.run_id))
        assert header == ["table", "sent", "unchanged", "refused", "failed"]
        assert rows == [[str(t[0]), *(f"{int(n):,}" for n in t[1:])] for t in stored]  # type: ignore[call-overload]
    assert "8 records failed at the vendor" in lines[at[first.run_id] + 1]


def test_interrupted_runs_say_so(workspace: Workspace) -> None:
    stopped = Run(command="extract", profile="demo")
    stopped.status = "interrupted"
    stopped.message = "interrupted (SIGTERM): extract stopped at a safe point"
    stopped.record_in(workspace.staging)
    older = Run(command="map", profile="demo")
    older.fail("interrupted")  # how runs interrupted before the interrupted status were recorded
    older.record_in(workspace.staging)

    result = workspace.cli("status")

    assert result.exit_code == ExitCode.OK
    outcomes = [line.split()[-1] for line in result.stdout.splitlines() if RUN_LINE.match(line)]
    assert outcomes == ["interrupted", "interrupted"]
    assert "interrupted (SIGTERM): extract stopped at a safe point" in result.stdout


def test_status_without_a_staging_file_says_where_it_looked(workspace: Workspace) -> None:
    result = workspace.cli("status")
    assert result.exit_code == ExitCode.CONFIG
    assert f"there is no staging file at {workspace.staging}" in " ".join(result.stderr.split())
    assert not workspace.staging.exists()
