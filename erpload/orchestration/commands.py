"""Running one erpload stage the way a user does: `python -m erpload.cli <stage> ... [--tenant T] -q` in a child
process, one writer per staging file at a time."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from erpload.exit_codes import ExitCode
from erpload.orchestration.projects import Project
from erpload.redact import redact
from erpload.settings import work_dir

#: how much of erpload's own message a failure carries (its last lines hold the error and its fix)
MESSAGE_CHARS = 4000
#: how long a terminated run waits for erpload to reach a safe point before killing it
STOP_SECONDS = 60


@dataclass(frozen=True)
class StageResult:
    #: the command as a user would type it (no secret is ever on the line)
    command: str
    exit_code: int
    #: erpload's stderr, redacted
    message: str
    #: when the child started (UTC, naive as erpload.runs stores it): its run in erpload.runs started later
    started_at: datetime

    @property
    def finished(self) -> bool:
        """The run finished (0, 5: with records set aside, 7: with records waiting for a decision)."""
        return self.exit_code in (ExitCode.OK, ExitCode.DATA, ExitCode.UNDECIDED)


def run_stage(project: Project, stage: Sequence[str], project_dir: Path) -> StageResult:
    """Run `erpload <stage...> -q` for the project in `project_dir`, the folder whose `.dlt/` configures it."""
    argv = ["erpload", *stage, "-q", *project.tenant_args()]
    # the top level's project must not be turned into a tenant by a variable the orchestrator was started with
    env = {name: value for name, value in os.environ.items() if name != "ERPLOAD_TENANT"}
    started = datetime.now(UTC).replace(tzinfo=None)
    with subprocess.Popen([sys.executable, "-m", "erpload.cli", *argv[1:]], cwd=project_dir, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        try:
            _, stderr = child.communicate()
        except BaseException:  # the run was terminated: erpload stops at a safe point on SIGTERM, recording its run
            child.terminate()
            try:
                child.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
            raise
    message = redact(stderr.strip())
    if len(message) > MESSAGE_CHARS:
        message = "..." + message[-MESSAGE_CHARS:]
    return StageResult(command=" ".join(argv), exit_code=child.returncode, message=message, started_at=started)


def lock_path(staging_path: Path) -> Path:
    """The lock file orchestrated stages of one staging file share, in the folder erpload keeps beside it."""
    return work_dir(staging_path) / "writer.lock"


@contextmanager
def one_writer(staging_path: Path, waiting: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold the staging file's lock: a second stage on it (another run launched by hand, a parallel step of the
    same run) waits here instead of failing at DuckDB's lock. `waiting` is called first if it has to wait."""
    path = lock_path(staging_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
