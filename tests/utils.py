"""Shared test helpers: run the CLI for real, read staging, touch the ERP."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from typer.testing import CliRunner

from erpload.cli.main import app
from erpload.exit_codes import ExitCode


@dataclass
class Workspace:
    """One isolated erpload project: its own ERP copy, staging file and dlt state."""

    root: Path
    erp_path: Path

    @property
    def staging(self) -> Path:
        return self.root / "erpload.duckdb"

    @property
    def erp_url(self) -> str:
        return f"sqlite:///{self.erp_path}"

    def cli(self, *args: str, profile: str = "demo", erp_url: str | None = None) -> CliResult:
        """Run an erpload command in-process, the way a user would type it."""
        argv = list(args)
        if args and args[0] in ("extract", "run"):
            argv += ["--erp-url", erp_url or self.erp_url, "--quiet"]
        if args and args[0] in ("extract", "map", "run", "status", "demo", "transform", "export", "push"):
            argv += ["--staging", str(self.staging)]
        if args and args[0] in ("extract", "map", "run"):
            argv += ["--profile", profile]
        result = CliRunner().invoke(app, argv, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with duckdb.connect(str(self.staging), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()

    def scalar(self, sql: str, params: Sequence[object] = ()) -> object:
        return self.query(sql, params)[0][0]

    def scalars(self, sqls: Sequence[str]) -> list[object]:
        """The first value of each query, all through one connection (opening the staging file costs ~25 ms)."""
        with duckdb.connect(str(self.staging), read_only=True) as con:
            return [row[0] if (row := con.execute(sql).fetchone()) else None for sql in sqls]

    def erp(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.erp_path) as con:
            rows = con.execute(sql, list(params)).fetchall()
            con.commit()
        return rows

    def run_results(self, command: str) -> dict[str, tuple[int, int, int, int]]:
        """The last run of `command`: table → (loaded, unchanged, rejected, deleted)."""
        rows = self.query(
            """select table_name, loaded, unchanged, rejected, deleted from runs
               where run_id = (select run_id from runs where command = ? order by finished_at desc limit 1)""",
            [command],
        )
        return {str(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}  # type: ignore[call-overload]


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def finished(self) -> bool:
        """The run finished: exit 0, or 5 when it set records aside (the demo ERP has faults on purpose)."""
        return self.exit_code in (ExitCode.OK, ExitCode.DATA)


def table_fingerprint(ws: Workspace, table: str) -> tuple[int, object]:
    """Row count and an order-independent content hash of a staging table (bookkeeping columns included)."""
    row = ws.query(f"select count(*), sum(hash(t)) from {table} t")[0]
    return int(row[0]), row[1]  # type: ignore[call-overload]


@contextmanager
def shared_workspace(root: Path, erp_template: Path, *commands: tuple[str, ...]) -> Iterator[Workspace]:
    """A project in `root` with its own copy of the ERP, the commands run in it, for a module's tests to share
    (the `workspace` fixture gives each test its own)."""
    erp_path = root / "demo_erp.sqlite"
    shutil.copyfile(erp_template, erp_path)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv("ERPLOAD__DEMO_ERP", str(erp_path))
        mp.delenv("SOURCES__ERP__CREDENTIALS", raising=False)
        ws = Workspace(root=root, erp_path=erp_path)
        for args in commands:
            result = ws.cli(*args)
            assert result.finished, result.output
        yield ws


Commands = tuple[tuple[str, ...], ...]


class Prepared:
    """Projects after a sequence of CLI commands on the demo ERP, each built once and copied into the tests that
    start from it (an extract, map and transform take ~5 s; the copy ~0.05 s).

    Only commands whose results hold no absolute path of the project belong here: extract, map and transform.
    (An export records the path of each file it wrote, so a copy would point at the template's files.)
    """

    SAFE = frozenset({"extract", "map", "transform"})

    def __init__(self, factory: pytest.TempPathFactory, erp_template: Path) -> None:
        self._factory = factory
        self._erp_template = erp_template
        self._built: dict[Commands, Path] = {}

    @property
    def erp_template(self) -> Path:
        """The ERP the templates were built from (a test copies it for its own workspace)."""
        return self._erp_template

    def into(self, ws: Workspace, *commands: tuple[str, ...]) -> Workspace:
        """`ws` as if `commands` had run in it: the staging file and dlt's state copied from the template."""
        unsafe = [c for c in commands if c[0] not in self.SAFE]
        assert not unsafe, f"{unsafe}: not copyable (see Prepared)"
        template = self._built.get(commands) or self._build(commands)
        for item in template.iterdir():
            if item.name == ws.erp_path.name:
                continue  # the test's own ERP copy stays (the commands read the ERP, they never change it)
            if item.is_dir():
                shutil.copytree(item, ws.root / item.name)
            else:
                shutil.copy2(item, ws.root / item.name)
        return ws

    def _build(self, commands: Commands) -> Path:
        """Run `commands` in a new template: the last one on a copy of the template of those before it (so
        `extract` and `extract, map` share the extract)."""
        template = self._factory.mktemp("prepared")
        if len(commands) > 1:
            shutil.copytree(self._built.get(commands[:-1]) or self._build(commands[:-1]), template,
                            dirs_exist_ok=True)
        with shared_workspace(template, self._erp_template, *commands[-1:]):
            pass
        self._built[commands] = template
        return template


def reread_dlt_folder() -> None:
    """dlt reads `.dlt/` once per process; a test that writes it in its own folder has it read again (with the
    `dlt_settings` fixture, which puts back what the process read before)."""
    Container()[PluggableRunContext].reload()


@contextmanager
def dlt_settings_kept() -> Iterator[None]:
    """What dlt read of `.dlt/` before, back afterwards."""
    plugged = Container()[PluggableRunContext]
    before = plugged.context, plugged.providers
    try:
        yield
    finally:
        plugged.context, plugged.providers = before
