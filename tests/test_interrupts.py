"""Ctrl-C (SIGINT) and SIGTERM in every command: a real `erpload` process gets a real signal while it works.

Each test asserts what a user and a script rely on: the documented exit code (130 / 143), no traceback, a message
saying what was done and how to continue, the run in erpload.runs with status `interrupted`, a staging file that
opens, and a next run of the same command that finishes. The signal is sent once the process has the staging file
open (its handlers are installed by then), or at a named point of its output or of the vendor's traffic.
The first tests drive erpload.interrupts in-process.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from erpload import interrupts
from erpload.exit_codes import ExitCode
from erpload.fakes.dvelop import DvelopFake
from erpload.fakes.faults import Faults
from erpload.fakes.serving import serve_in_thread
from erpload.interrupts import Interrupted
from erpload.sources.demo_erp import create_demo_erp
from tests.support.dvelop_records import write_vendors
from tests.utils import Workspace, shared_workspace

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="readiness is read from /proc")

#: big enough that map, transform and export work for half a second or more (the signal must find them at work),
#: small enough for the module's ~90 s
SCALE = 5
API_KEY = "test-dvelop-key-interrupts"
BUCKET = "bucket-interrupts"


def signal_soon(sig: signal.Signals, after: float = 0.2) -> threading.Timer:
    timer = threading.Timer(after, os.kill, (os.getpid(), sig))
    timer.start()
    return timer


def test_a_signal_during_a_query_reaches_the_command_as_interrupted() -> None:
    """DuckDB answers a signal during a query with its own error ("Query interrupted", "Interrupted!"), or not at
    all when the query ends first: either way the command sees `Interrupted` with the signal's code.
    (How soon the query stops is DuckDB's: on a busy machine it sometimes runs on to its end.)"""
    def count() -> None:
        with interrupts.handling(), duckdb.connect() as con, interrupts.cancels(con):
            signal_soon(signal.SIGTERM, after=0.1)
            con.execute("select count(*) from range(300000000) t(i) where i % 7 = 3").fetchall()
            time.sleep(1)  # the query may end before the signal arrives

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as stopped:
        count()
    assert stopped.value.exit_code == 143
    assert signal.getsignal(signal.SIGTERM) == before  # the handlers are given back
    assert interrupts.requested() is None


def test_a_deferred_region_finishes_before_the_signal_is_raised() -> None:
    reached: list[str] = []

    def region() -> None:
        with interrupts.handling():
            with interrupts.deferred():
                signal_soon(signal.SIGINT, after=0.01).join()
                time.sleep(0.05)  # the handler has run by now, and raised nothing here
                reached.append("end of region")
            reached.append("after the region")

    with pytest.raises(Interrupted) as stopped:
        region()
    assert reached == ["end of region"]
    assert stopped.value.exit_code == 130


def test_a_waiting_thread_wakes_at_once_and_stops() -> None:
    outcome: list[str] = []

    def wait() -> None:
        try:
            interrupts.sleep(60)
            outcome.append("slept")
        except Interrupted:
            outcome.append("stopped")

    def command() -> None:
        with interrupts.handling(), interrupts.deferred():
            waiter = threading.Thread(target=wait)
            waiter.start()
            signal_soon(signal.SIGINT, after=0.05)
            waiter.join(timeout=10)

    with pytest.raises(Interrupted):
        command()
    assert outcome == ["stopped"]


@dataclass
class Snapshots:
    erp: Path
    extracted: Path  # a project after extract
    transformed: Path  # after extract, map, transform datev and dvelop


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Snapshots:
    base = tmp_path_factory.mktemp("interrupts")
    erp = base / "erp.sqlite"
    create_demo_erp(erp, seed=7, scale=SCALE)
    extracted, transformed = base / "extracted", base / "transformed"
    extracted.mkdir()
    with shared_workspace(extracted, erp, ("extract",)):
        pass
    shutil.copytree(extracted, transformed, dirs_exist_ok=True)
    with shared_workspace(transformed, erp, ("map",), ("transform", "datev"), ("transform", "dvelop")):
        pass
    return Snapshots(erp, extracted, transformed)


def project(tmp_path: Path, snapshot: Path | None, erp: Path) -> Workspace:
    """A project in tmp_path: a copy of the snapshot (staging file and dlt state) or only the ERP."""
    if snapshot is not None:
        shutil.copytree(snapshot, tmp_path, dirs_exist_ok=True)
    shutil.copyfile(erp, tmp_path / "demo_erp.sqlite")
    return Workspace(root=tmp_path, erp_path=tmp_path / "demo_erp.sqlite")


def erp_env(ws: Workspace, command: str) -> dict[str, str]:
    """The environment pointing a command at the project's ERP (the demo reads its own, the path of which is
    ERPLOAD__DEMO_ERP)."""
    env = {**os.environ, "ERPLOAD__DEMO_ERP": str(ws.erp_path), "SOURCES__ERP__CREDENTIALS": ws.erp_url}
    if command == "demo":
        del env["SOURCES__ERP__CREDENTIALS"]
    return env


@dataclass
class Command:
    """`python -m erpload.cli ...` in the project, its output collected as it comes."""

    ws: Workspace
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        env = {**erp_env(self.ws, self.args[0]), "RUNTIME__LOG_LEVEL": "WARNING", **self.env}
        self.proc = subprocess.Popen([sys.executable, "-m", "erpload.cli", *self.args, "--staging",
                                      str(self.ws.staging)], cwd=self.ws.root, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def holds_staging(self) -> bool:
        """The process has the staging file open: it is at work, its handlers installed."""
        fds = Path(f"/proc/{self.proc.pid}/fd")
        try:
            return any(os.readlink(fd) == str(self.ws.staging) for fd in fds.iterdir())
        except (FileNotFoundError, ProcessLookupError):
            return False

    def printed(self, text: str) -> Callable[[], bool]:
        return lambda: any(text in line for line in self.stdout)

    def signal_when(self, ready: Callable[[], bool], sig: signal.Signals, timeout: float = 60, *,
                    again_after: float | None = None) -> Result:
        """Send `sig` once `ready()`; with `again_after`, a second time that many seconds later."""
        started = time.monotonic()
        while not ready():
            assert self.proc.poll() is None, f"finished before the signal: {''.join(self.stdout + self.stderr)}"
            assert time.monotonic() - started < timeout, "never got ready"
            time.sleep(0.005)
        self.proc.send_signal(sig)
        signalled = time.monotonic()
        if again_after is not None:
            time.sleep(again_after)
            assert self.proc.poll() is None, "it did not wait for the vendor after the first signal"
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=120)
        for reader in self._readers:
            reader.join()
        for stream in (self.proc.stdout, self.proc.stderr):
            assert stream is not None
            stream.close()
        return Result(code, "".join(self.stdout), "".join(self.stderr), time.monotonic() - signalled)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    seconds: float  # from the signal to the end of the process


def run_again(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The same command once more, to its end."""
    environ = {**erp_env(ws, args[0]), **(env or {})}
    result = subprocess.run([sys.executable, "-m", "erpload.cli", *args, "--staging", str(ws.staging)],
                            cwd=ws.root, capture_output=True, text=True, timeout=300, env=environ)
    assert result.returncode in (ExitCode.OK, ExitCode.DATA), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def assert_stopped(result: Result, ws: Workspace, sig: signal.Signals, command: str, typed: str) -> str:
    """What every interrupted command guarantees; returns the interrupted run's id."""
    code, name = {signal.SIGINT: (130, "Ctrl-C (SIGINT)"), signal.SIGTERM: (143, "SIGTERM")}[sig]
    assert result.code == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # what was done, and how to continue
    assert f"erpload {command} stopped by {name}" in result.stderr, result.stderr
    assert "at a safe point" in result.stderr
    assert f"continue: run `{typed} " in result.stderr, result.stderr  # the command line as typed, options too
    runs = ws.query("select run_id, status, message from runs where command = ? order by started_at", [command])
    assert runs, "the interrupted run is not in erpload.runs"
    run_id, status, message = runs[-1]
    assert status == "interrupted"
    assert f"stopped by {name}" in str(message)
    assert f"run {run_id}, status interrupted" in result.stderr
    return str(run_id)


def assert_interrupted(result: Result, ws: Workspace, sig: signal.Signals, typed: str) -> None:
    """`run` and `demo`: the signal stops the step at work, or lands between two steps; either way the
    command says so, records an interrupted run and ends with the signal's code."""
    assert result.code == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig], result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{typed} stopped by" in result.stderr
    assert f"continue: run `{typed} " in result.stderr
    assert "status interrupted" in result.stderr, result.stderr  # (said only once the run is recorded)
    assert ws.query("select count(distinct run_id) from runs where status = 'interrupted'") == [(1,)]


def test_extract_stopped_in_its_load_is_made_good_by_the_next_extract(tmp_path: Path, snapshots: Snapshots) -> None:
    """Every ERP row changed, then Ctrl-C while dlt loads them: the cursors already moved locally, so the next
    extract must deal with the load package left behind (it drops it and reads the rows again)."""
    ws = project(tmp_path, snapshots.extracted, snapshots.erp)
    touch_every_row(ws)
    normalized = ws.root / ".erpload" / "erpload.duckdb" / "pipelines" / "erpload_extract" / "load" / "normalized"
    command = Command(ws, ("extract", "--quiet"))
    result = command.signal_when(lambda: normalized.is_dir() and any(normalized.iterdir()), signal.SIGINT)
    assert_stopped(result, ws, signal.SIGINT, "extract", "erpload extract")
    assert any(normalized.iterdir()), "the load was not stopped midway"

    again = run_again(ws, "extract", "--quiet")
    assert "a load package dlt had not finished" in again.stdout
    assert not normalized.is_dir() or not any(normalized.iterdir())
    assert_erp_raw_is_the_erp(ws)


def touch_every_row(ws: Workspace) -> None:
    with sqlite3.connect(ws.erp_path) as con:
        for (table,) in con.execute("select name from sqlite_master where type = 'table'").fetchall():
            if "updated_at" in {r[1] for r in con.execute(f'pragma table_info("{table}")')}:
                con.execute(f"update \"{table}\" set updated_at = datetime('now')")


def assert_erp_raw_is_the_erp(ws: Workspace) -> None:
    """Every ERP row once, as it is now: nothing lost, nothing twice, nothing stale."""
    staged = [str(r[0]) for r in ws.query("select table_name from duckdb_tables() where schema_name = 'erp_raw' "
                                           "and not starts_with(table_name, '_dlt')")]
    assert len(staged) > 20
    with sqlite3.connect(ws.erp_path) as con:
        for table in staged:
            columns = {r[1] for r in con.execute(f'pragma table_info("{table}")')}
            newest = "max(updated_at)" if "updated_at" in columns else "null"
            count, latest = con.execute(f'select count(*), {newest} from "{table}"').fetchone()
            ours, our_latest = ws.query(f'select count(*), {newest}::varchar from erp_raw."{table}"')[0]
            assert ours == count, table
            assert str(our_latest or "")[:19] == str(latest or "")[:19], table


def test_map_stops_on_sigterm_and_leaves_erp_as_it_was(tmp_path: Path, snapshots: Snapshots) -> None:
    ws = project(tmp_path, snapshots.extracted, snapshots.erp)
    command = Command(ws, ("map",))
    result = command.signal_when(command.holds_staging, signal.SIGTERM)
    assert_stopped(result, ws, signal.SIGTERM, "map", "erpload map")
    assert "erp holds all of this run's changes or none" in result.stderr
    assert ws.query("select table_name from duckdb_tables() where schema_name = 'erp'") == []

    run_again(ws, "map")
    assert int(ws.scalar("select count(*) from erp.journal_lines")) > 0  # type: ignore[call-overload]


@pytest.mark.parametrize(("target", "sig", "table"), [("datev", signal.SIGINT, "bookings"),
                                                      ("dvelop", signal.SIGTERM, "vendors")])
def test_transform_stops_and_leaves_its_dataset_as_it_was(tmp_path: Path, snapshots: Snapshots, target: str,
                                                          sig: signal.Signals, table: str) -> None:
    ws = project(tmp_path, snapshots.transformed, snapshots.erp)
    before = ws.query(f"select count(*), sum(hash(t)) from {target}.{table} t")
    rejects = ws.scalar("select count(*) from rejects")
    command = Command(ws, ("transform", target))
    result = command.signal_when(command.holds_staging, sig)
    assert_stopped(result, ws, sig, f"transform {target}", f"erpload transform {target}")
    assert ws.query(f"select count(*), sum(hash(t)) from {target}.{table} t") == before
    assert ws.scalar("select count(*) from rejects") == rejects

    run_again(ws, "transform", target)


def test_export_stops_on_ctrl_c_and_every_file_on_record_is_there(tmp_path: Path, snapshots: Snapshots) -> None:
    ws = project(tmp_path, snapshots.transformed, snapshots.erp)
    out = tmp_path / "out"
    command = Command(ws, ("export", "datev", "--out", str(out)))
    result = command.signal_when(command.holds_staging, signal.SIGINT)
    assert_stopped(result, ws, signal.SIGINT, "export datev", "erpload export datev")

    def on_record() -> set[str]:
        if not ws.query("select 1 from duckdb_tables() where table_name = 'exports'"):
            return set()
        return {str(r[0]) for r in ws.query("select file_name from exports")}

    # the files and the export ledger agree: a file is visible only once recorded
    assert {p.name for p in out.glob("*.csv")} == on_record()
    run_again(ws, "export", "datev", "--out", str(out))
    assert on_record()
    assert {p.name for p in out.glob("*.csv")} == on_record()
    assert not list(out.glob("*.part"))


@dataclass
class Fake:
    base_url: str
    env: dict[str, str]

    def get(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.base_url}/_fake/{path}", params=params)
        response.raise_for_status()
        return response.json()

    def requests(self) -> list[dict[str, Any]]:
        requests: list[dict[str, Any]] = self.get("requests", path_prefix="/smartinvoice")["requests"]
        return requests

    def applied(self, entity: str) -> dict[str, int]:
        applied: dict[str, int] = self.get(f"state/{BUCKET}/{entity}")["applied"]
        return applied

    def set_faults(self, **knobs: Any) -> None:
        httpx.put(f"{self.base_url}/_fake/faults", json=Faults(**knobs).model_dump()).raise_for_status()


@pytest.fixture
def dvelop() -> Iterator[Fake]:
    with serve_in_thread(DvelopFake(API_KEY).app) as base_url:
        yield Fake(base_url, {"DESTINATION__DVELOP__BASE_URL": base_url, "DESTINATION__DVELOP__BUCKET_ID": BUCKET,
                              "DESTINATION__DVELOP__API_KEY": API_KEY, "DESTINATION__DVELOP__BATCH_SIZE": "8",
                              "DESTINATION__DVELOP__POLL_INTERVAL_S": "0.02"})


def vendors_project(tmp_path: Path) -> Workspace:
    with duckdb.connect(str(tmp_path / "erpload.duckdb")) as con:
        write_vendors(con, 48)  # 48 vendors and their bank accounts: 12 batches of 8
    return Workspace(root=tmp_path, erp_path=tmp_path / "unused.sqlite")


def ledger(ws: Workspace) -> dict[str, set[str]]:
    """State → `entity:key` of every record in the ledger."""
    states: dict[str, set[str]] = {}
    for entity, key, state in ws.query("select entity, record_key, state from ledger"):
        states.setdefault(str(state), set()).add(f"{entity}:{key}")
    return states


def push_until_settled(ws: Workspace, fake: Fake) -> None:
    """Push again; a push asks for a job left unconfirmed once, without waiting, so a job still queued then (its
    records stay `sent` and are not sent again) is settled by the push after."""
    run_again(ws, "push", "dvelop", "--quiet", env=fake.env)
    if "sent" in ledger(ws):
        run_again(ws, "push", "dvelop", "--quiet", env=fake.env)


def assert_each_record_arrived_once(ws: Workspace, fake: Fake) -> None:
    for entity in ("vendors", "vendor_bank_accounts"):
        applied = fake.applied(entity)
        assert len(applied) == 48
        assert set(applied.values()) == {1}, f"{entity}: a record was sent twice"
    assert set(ledger(ws)) == {"acknowledged"}


def test_push_stops_after_the_batch_in_hand_and_the_next_push_sends_nothing_twice(
        tmp_path: Path, dvelop: Fake) -> None:
    ws = vendors_project(tmp_path)
    dvelop.set_faults(latency=0.03, job_queued_polls=2)
    command = Command(ws, ("push", "dvelop", "--quiet"), env=dvelop.env)
    result = command.signal_when(lambda: len(dvelop.requests()) >= 6, signal.SIGINT)  # in the 2nd or 3rd batch
    assert_stopped(result, ws, signal.SIGINT, "push dvelop", "erpload push dvelop")
    assert "every batch the vendor answered is in erpload.ledger" in result.stderr

    posted = [r for r in dvelop.requests() if r["method"] == "POST"]
    assert 0 < len(posted) < 12, "the push did not stop early"
    # what the fake applied is exactly what the ledger holds as sent or acknowledged: the batch in hand
    # finished, the one waiting was not sent
    held = {f"{e}:{k}" for e in ("vendors", "vendor_bank_accounts") for k in dvelop.applied(e)}
    states = ledger(ws)
    assert held == states.get("acknowledged", set()) | states.get("sent", set())
    assert states.get("acknowledged")

    dvelop.set_faults()
    run_again(ws, "push", "dvelop", "--quiet", env=dvelop.env)
    assert_each_record_arrived_once(ws, dvelop)


def test_push_waiting_on_a_stuck_job_stops_on_sigterm(tmp_path: Path, dvelop: Fake) -> None:
    ws = vendors_project(tmp_path)
    dvelop.set_faults(job_queued_seconds=3)  # the first import job stays queued for 3 s
    command = Command(ws, ("push", "dvelop", "--quiet"), env=dvelop.env)
    result = command.signal_when(lambda: len(dvelop.requests()) >= 4, signal.SIGTERM)  # POST, then polls
    assert_stopped(result, ws, signal.SIGTERM, "push dvelop", "erpload push dvelop")
    # it stopped waiting: the job is still queued, so its batch is sent, not acknowledged
    assert set(ledger(ws)) == {"sent", "pending"}
    assert len(ledger(ws)["sent"]) == 8
    assert "1 batch(es) sent but not yet confirmed by dvelop" in result.stdout
    assert len([r for r in dvelop.requests() if r["method"] == "POST"]) == 1

    dvelop.set_faults()
    push_until_settled(ws, dvelop)  # asks for the job first, then sends the rest
    assert_each_record_arrived_once(ws, dvelop)


def test_a_second_ctrl_c_stops_without_waiting_for_a_slow_vendor(tmp_path: Path, dvelop: Fake) -> None:
    ws = vendors_project(tmp_path)
    dvelop.set_faults(match_method="GET", latency=6)  # every poll of an import job takes 6 s to answer
    command = Command(ws, ("push", "dvelop", "--quiet"), env=dvelop.env)
    posted = lambda: any(r["method"] == "POST" for r in dvelop.requests())  # noqa: E731
    # the first Ctrl-C waits for the poll in flight (the batch's outcome), the second stops waiting
    result = command.signal_when(posted, signal.SIGINT, again_after=0.5)
    assert result.seconds < 4.5, "the second Ctrl-C did not stop the wait"
    assert_stopped(result, ws, signal.SIGINT, "push dvelop", "erpload push dvelop")
    assert set(ledger(ws)) == {"sent", "pending"}  # the batch's job id is on record: nothing is lost

    dvelop.set_faults()
    push_until_settled(ws, dvelop)  # asks for the job, then sends the rest
    assert_each_record_arrived_once(ws, dvelop)


def test_run_stops_on_sigterm_while_extracting_and_runs_again(tmp_path: Path,
                                                                       snapshots: Snapshots) -> None:
    ws = project(tmp_path, None, snapshots.erp)
    command = Command(ws, ("run", "--quiet", "--until", "map"))
    opened: list[float] = []

    extract_dir = ws.root / ".erpload" / ws.staging.name / "pipelines" / "erpload_extract"

    def in_extract() -> bool:  # a moment after extract's dlt pipeline exists: dlt reads the ERP (on a fresh
        # clone, `run` holds the staging file open while Python still compiles extract's imports)
        if not opened and command.holds_staging() and extract_dir.exists():
            opened.append(time.monotonic())
        return bool(opened) and time.monotonic() - opened[0] > 0.2

    result = command.signal_when(in_extract, signal.SIGTERM)
    assert_interrupted(result, ws, signal.SIGTERM, "erpload run")
    assert "erpload extract stopped by SIGTERM" in result.stderr

    run_again(ws, "run", "--quiet", "--until", "map")
    assert_erp_raw_is_the_erp(ws)


def test_demo_stops_on_ctrl_c_and_runs_again(tmp_path: Path, snapshots: Snapshots,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # two targets are enough to see the demo recover (the full demo is tests/test_demo.py's)
    monkeypatch.setenv("ERPLOAD__TARGETS", "datev,dvelop")
    ws = project(tmp_path, None, snapshots.erp)
    command = Command(ws, ("demo", "--quiet"))
    result = command.signal_when(command.printed("erpload map · run"), signal.SIGINT)
    assert_interrupted(result, ws, signal.SIGINT, "erpload demo")
    assert "finished before: erpload extract, erpload map" in result.stderr

    run_again(ws, "demo", "--quiet")
