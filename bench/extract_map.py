"""Benchmark: extract + map of the demo ERP, the duckdb backend against the pyarrow backend.

    python -m bench.extract_map [--scale 333] [--skip-sqlalchemy]

Measures, in one run and on copies of the same ERP file, for each of the backends duckdb (DuckDB's SQLite
scanner, erpload's default for SQLite) and pyarrow (dlt's pyarrow backend over SQLAlchemy):
  1. a full extract, then map, into a fresh staging file;
  2. an incremental extract, then map, after 1% of the rows of every transactional table changed;
and, unless skipped, a full extract with dlt's default backend (sqlalchemy), the old baseline for rows/s.
Each step is a real `erpload` subprocess, as users run them (extract and map one process each, so each
has its own peak RSS, from the kernel via wait4). Beside each step's wall time the bench prints the
command's own time from erpload.runs, so the share of Python start-up, imports, recording the run and
exit is visible. The backends are compared on the extract commands' own times.
Goals: duckdb's full extract >= 3x faster than pyarrow's (issue 19); the 1% run < 10% of the full run;
peak RSS < 2 GiB (issue 3).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from erpload.exit_codes import ExitCode

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


def run_erpload(args: list[str], env: dict[str, str], cwd: Path, stdout: Path | None = None) -> tuple[float, float]:
    """Run one erpload command (its output into `stdout`, if given); returns (seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    with open(stdout or os.devnull, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "erpload.cli", *args], env=env, cwd=cwd, stdout=out,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    # 5: the run finished and set records aside (the demo ERP has faults on purpose)
    if os.waitstatus_to_exitcode(status) not in (ExitCode.OK, ExitCode.DATA):
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


BACKENDS = ("pyarrow", "duckdb")


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

    # (backend, "full" / "1%", "extract" / "map") -> step
    steps: dict[tuple[str, str, str], Step] = {}
    with tempfile.TemporaryDirectory(prefix="erpload-bench-") as tmp:
        work = Path(tmp)

        def step(name: str, env: dict[str, str], staging: Path, command: list[str]) -> Step:
            seconds, peak = run_erpload([*command, "--staging", str(staging)], env, work)
            rows, in_command = last_run(staging, command[0])
            result = Step(name, seconds, rows, peak, in_command)
            print(f"  {name}: {result.seconds:.1f} s, {result.rows:,} rows, "
                  f"peak {result.peak_rss_mib:,.0f} MiB (in the command {result.in_command:.1f} s)", flush=True)
            return result

        for backend in BACKENDS:
            # each backend its own copy: the 1% change is made to each the same way
            erp = work / f"erp-{backend}.sqlite"
            shutil.copyfile(template, erp)
            # the demo ERP by name: erpload reads no ERP that is not configured
            env = {**os.environ, "ERPLOAD__DEMO_ERP": str(erp), "SOURCES__ERP__CREDENTIALS": "demo",
                   "SOURCES__ERP__BACKEND": backend, "RUNTIME__LOG_LEVEL": "WARNING"}
            staging = work / f"{backend}.duckdb"
            for load in ("full", "1%"):
                if load == "1%":
                    print(f"  touched {touch_one_percent(erp):,} rows (1% of each transactional table)", flush=True)
                for command in ("extract", "map"):
                    steps[backend, load, command] = step(f"{command}, {backend} ({load})", env, staging,
                                                         [command, "-q"])
        slow = None
        if not args.skip_sqlalchemy:
            erp = work / "erp-sqlalchemy.sqlite"
            shutil.copyfile(template, erp)
            env = {**os.environ, "ERPLOAD__DEMO_ERP": str(erp), "SOURCES__ERP__CREDENTIALS": "demo",
                   "RUNTIME__LOG_LEVEL": "WARNING"}
            slow = step("extract, sqlalchemy (full)", env, work / "slow.duckdb",
                        ["extract", "-q", "--backend", "sqlalchemy"])

    print("\nresults (extract: the command's own time; peak RSS of its process)")
    for load in ("full", "1%"):
        fast, base = steps["duckdb", load, "extract"], steps["pyarrow", load, "extract"]
        if not fast.rows or fast.rows != base.rows:
            raise SystemExit(f"the backends loaded {fast.rows:,} and {base.rows:,} rows ({load}): the comparison "
                             "is void")
        goal = " (goal >= 3x)" if load == "full" else ""
        print(f"  extract {load:>4}: duckdb {fast.in_command:5.1f} s, {fast.peak_rss_mib:,.0f} MiB | pyarrow "
              f"{base.in_command:5.1f} s, {base.peak_rss_mib:,.0f} MiB | "
              f"{base.in_command / fast.in_command:.1f}x faster{goal}, "
              f"{base.peak_rss_mib / fast.peak_rss_mib:.1f}x less memory")
    for backend in BACKENDS:
        full = steps[backend, "full", "extract"].seconds + steps[backend, "full", "map"].seconds
        inc = steps[backend, "1%", "extract"].seconds + steps[backend, "1%", "map"].seconds
        peak = max(s.peak_rss_mib for (b, _, _), s in steps.items() if b == backend)
        print(f"  {backend}: extract + map (wall, start-up included) full {full:.1f} s, 1% changed {inc:.1f} s "
              f"= {inc / full:.1%} of full (goal < 10%); peak RSS {peak:,.0f} MiB (goal < 2048)")
    if slow is not None:
        if not slow.rows:
            raise SystemExit("the sqlalchemy baseline loaded no rows: the comparison is void")
        fast = steps["duckdb", "full", "extract"]
        base = steps["pyarrow", "full", "extract"]
        rate = {name: s.rows / s.in_command for name, s in (("duckdb", fast), ("pyarrow", base),
                                                            ("sqlalchemy", slow))}
        print(f"  extract rows/s duckdb / pyarrow / sqlalchemy: {rate['duckdb']:,.0f} / {rate['pyarrow']:,.0f} / "
              f"{rate['sqlalchemy']:,.0f}; peak RSS sqlalchemy {slow.peak_rss_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
