"""Benchmark: extract + map of the demo ERP at ~1M journal lines.

    python -m bench.extract_map [--scale 333] [--skip-sqlalchemy]

Measures, in one run and on the same ERP file:
  1. full extract + map with the fast backend (pyarrow), into a fresh staging file;
  2. full extract with dlt's default backend (sqlalchemy), the baseline for rows/s;
  3. an incremental extract + map after 1% of the rows of every transactional table changed.
Each step is a real `erpload` subprocess, as users run them: `erpload run --until map` (extract then
map in one process; without --until, run would go on to the DATEV stages, which this does not
measure); its peak RSS comes from the kernel (wait4). Beside each step's wall time the bench prints
the command's own time from erpload.runs, so the share of Python start-up, imports, recording the
run and exit is visible. Extract rows/s compare the extract commands' own times for both backends.
Goals (issue 3): pyarrow ≥ 3x sqlalchemy rows/s; the 1% run < 10% of the full run; peak RSS < 2 GiB.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "results"
TRANSACTIONAL = ("sales_invoice", "sales_invoice_line", "purchase_invoice", "purchase_invoice_line",
                 "journal_entry", "journal_line", "purchase_order", "purchase_order_line", "goods_receipt",
                 "goods_receipt_line")


@dataclass
class Step:
    name: str
    seconds: float  # wall time of the erpload process(es), start-up and exit included
    rows: int
    peak_rss_mib: float
    in_command: float  # the command's own work as erpload.runs times it (no start-up, recording, exit)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def run_erpload(args: list[str], env: dict[str, str], cwd: Path, stdout: Path | None = None) -> tuple[float, float]:
    """Run one erpload command (its output into `stdout`, if given); returns (seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    with open(stdout or os.devnull, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "erpload.cli", *args], env=env, cwd=cwd, stdout=out,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"erpload {' '.join(args)} failed:\n{stderr}")
    return seconds, usage.ru_maxrss / 1024


def last_run(staging: Path, command: str) -> tuple[int, float]:
    """(rows loaded, seconds from start to finish) of the last run of `command`, from erpload.runs."""
    import duckdb

    with duckdb.connect(str(staging), read_only=True) as con:
        row = con.execute(
            "select sum(loaded), epoch(max(finished_at)) - epoch(min(started_at)) from runs "
            "where run_id = (select run_id from runs where command = ? order by finished_at desc limit 1)",
            [command]).fetchone()
    return (int(row[0] or 0), float(row[1] or 0.0)) if row else (0, 0.0)


def touch_one_percent(erp: Path) -> int:
    """Move the cursor of 1% of the rows of every transactional table; returns rows touched."""
    touched = 0
    with sqlite3.connect(erp) as con:
        for table in TRANSACTIONAL:
            pk = con.execute(f"select name from pragma_table_info('{table}') where pk = 1").fetchone()[0]
            # each row its own instant, as edits in an ERP have
            cur = con.execute(
                f"update {table} set updated_at = '2026-11-21 12:' || printf('%02d:%02d.%06d', "
                f"({pk} / 1000000) % 60, ({pk} / 10000) % 60, {pk} % 1000000) where {pk} % 100 = 7")
            touched += cur.rowcount
    return touched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=333.0, help="demo ERP scale (333 ≈ 1M journal lines)")
    parser.add_argument("--skip-sqlalchemy", action="store_true", help="skip the slow baseline")
    args = parser.parse_args()

    CACHE.mkdir(exist_ok=True)
    template = CACHE / f"demo_erp_scale{args.scale:g}.sqlite"
    if not template.exists():
        print(f"generating the demo ERP at scale {args.scale:g} (cached in {template}) ...", flush=True)
        # in a child process: Linux carries a process's peak RSS into the children it starts, so
        # generating here would inflate every step's peak measured below
        seconds, _ = run_erpload(["demo-erp", "create", "--path", str(template), "--scale", str(args.scale)],
                                 dict(os.environ), CACHE)
        print(f"  {seconds:.1f} s", flush=True)
    with sqlite3.connect(template) as con:
        journal_lines = con.execute("select count(*) from journal_line").fetchone()[0]
        total_rows = sum(con.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in con.execute(
            "select name from sqlite_master where type = 'table' and name <> 'demo_fault'").fetchall())
    print(f"ERP: {journal_lines:,} journal lines, {total_rows:,} rows in all tables", flush=True)

    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="erpload-bench-") as tmp:
        work = Path(tmp)
        erp = work / "erp.sqlite"
        shutil.copyfile(template, erp)
        # the demo ERP by name: erpload reads no ERP that is not configured
        env = {**os.environ, "ERPLOAD__DEMO_ERP": str(erp), "SOURCES__ERP__CREDENTIALS": "demo",
               "RUNTIME__LOG_LEVEL": "WARNING"}

        def step(name: str, staging: Path, commands: list[list[str]], count_command: str) -> Step:
            seconds = 0.0
            peak = 0.0
            for cmd in commands:
                s, rss = run_erpload([*cmd, "--staging", str(staging)], env, work)
                seconds += s
                peak = max(peak, rss)
            rows, in_command = last_run(staging, count_command)
            result = Step(name, seconds, rows, peak, in_command)
            steps.append(result)
            print(f"  {name}: {result.seconds:.1f} s, {result.rows:,} rows, {result.rows_per_s:,.0f} rows/s, "
                  f"peak {result.peak_rss_mib:,.0f} MiB (in the command {result.in_command:.1f} s)", flush=True)
            return result

        def step_of_last_run(name: str, staging: Path, command: str) -> Step:
            rows, in_command = last_run(staging, command)
            print(f"    {name}: {rows:,} rows in {in_command:.1f} s", flush=True)
            return Step(name, in_command, rows, 0.0, in_command)

        fast = work / "fast.duckdb"
        until_map = [["run", "--until", "map", "-q"]]
        full_run = step("run --until map, pyarrow (full)", fast, until_map, "extract")
        step_of_last_run("map (full, inside the run)", fast, "map")
        if not args.skip_sqlalchemy:
            step("extract, sqlalchemy (full)", work / "slow.duckdb", [["extract", "-q", "--backend", "sqlalchemy"]],
                 "extract")
        touched = touch_one_percent(erp)
        print(f"touched {touched:,} rows (1% of each transactional table)", flush=True)
        inc_run = step("run --until map, pyarrow (1% changed)", fast, until_map, "extract")
        inc_map = step_of_last_run("map (1% changed, inside the run)", fast, "map")

    full = full_run.seconds
    incremental = inc_run.seconds
    inc_overhead = incremental - inc_run.in_command - inc_map.in_command
    extract_fast = dataclasses.replace(full_run, seconds=full_run.in_command)
    print("\nresults")
    print(f"  full extract + map (pyarrow, `erpload run --until map`): {full:.1f} s")
    print(f"  incremental, 1% changed:           {incremental:.1f} s = {incremental / full:.1%} of the full run"
          " (goal < 10%)")
    print(f"    of which outside the two commands' own work (start-up, imports, recording, exit): "
          f"{inc_overhead:.1f} s")
    if not args.skip_sqlalchemy:
        slow = next(s for s in steps if "sqlalchemy" in s.name)
        if not slow.rows:
            raise SystemExit("the sqlalchemy baseline loaded no rows: the comparison is void")
        slow = dataclasses.replace(slow, seconds=slow.in_command)
        print(f"  extract rows/s pyarrow/sqlalchemy: {extract_fast.rows_per_s:,.0f} / {slow.rows_per_s:,.0f} = "
              f"{extract_fast.rows_per_s / slow.rows_per_s:.1f}x (goal ≥ 3x)")
    fast_path = [s for s in steps if "sqlalchemy" not in s.name]
    print(f"  peak RSS, pyarrow path:            {max(s.peak_rss_mib for s in fast_path):,.0f} MiB (goal < 2048)")
    if not args.skip_sqlalchemy:
        print(f"  peak RSS, sqlalchemy baseline:     {slow.peak_rss_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
