"""Benchmark: DATEV transform, file writing and checking at ~1M journal lines.

    python -m bench.datev [--scale 333]

Builds staging from the demo ERP (extract + map, not timed here: bench.extract_map measures those),
then measures in one run:
  1. `erpload transform datev`: rules and rejects over every booking (rows/s);
  2. `erpload export datev`: every Buchungsstapel, Debitoren/Kreditoren and Kontenbeschriftungen file;
  3. the baseline writer: pandas `to_csv` of the same bookings in DATEV's 125 columns (what many
     generators do), so the writer's speed is a ratio measured on this machine, in this run;
  4. `erpload datev check` over every file written (lines/s).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from transforms.datev.layouts import BOOKING_VALUES
from transforms.datev.spec import BOOKINGS

CACHE = Path(__file__).resolve().parent / "results"
GENERATOR = Path(__file__).resolve().parents[1] / "sources" / "demo_erp"


def _generator_version() -> str:
    """The cached ERP is only reused while the generator that wrote it is unchanged."""
    digest = hashlib.sha256()
    for path in sorted(GENERATOR.glob("*.py")) + sorted(GENERATOR.glob("*.sql")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _erpload(args: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "erpload.cli", *args], env=env, cwd=cwd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"erpload {' '.join(args)} failed:\n{proc.stderr}")
    return time.perf_counter() - started


def _pandas_baseline(staging: Path, out: Path) -> tuple[float, int]:
    """pandas to_csv of every booking, 125 columns, decimal comma, cp1252: the usual generator's writer."""
    with duckdb.connect(str(staging), read_only=True) as con:
        frame = con.execute("SELECT " + ", ".join(
            f"{BOOKING_VALUES[c.heading]} AS \"{c.index}\"" if c.heading in BOOKING_VALUES else f"NULL AS \"{c.index}\""
            for c in BOOKINGS.columns) + " FROM datev.bookings").df()
    started = time.perf_counter()
    frame.columns = BOOKINGS.headings
    frame.to_csv(out, sep=";", decimal=",", encoding="cp1252", index=False, lineterminator="\r\n")
    return time.perf_counter() - started, len(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=333.0, help="demo ERP scale (333 ≈ 1M journal lines)")
    args = parser.parse_args()

    CACHE.mkdir(exist_ok=True)
    template = CACHE / f"demo_erp_scale{args.scale:g}_{_generator_version()}.sqlite"
    env = {**os.environ, "RUNTIME__LOG_LEVEL": "WARNING"}
    env.pop("SOURCES__ERP__CREDENTIALS", None)
    if not template.exists():
        print(f"generating the demo ERP at scale {args.scale:g} (cached in {template.name}) ...", flush=True)
        _erpload(["demo-erp", "create", "--path", str(template), "--scale", str(args.scale)], env, CACHE)

    with tempfile.TemporaryDirectory(prefix="erpload-bench-datev-") as tmp:
        work = Path(tmp)
        erp = work / "erp.sqlite"
        shutil.copyfile(template, erp)
        env["ERPLOAD__DEMO_ERP"] = str(erp)
        staging = work / "erpload.duckdb"
        print("building staging (extract + map) ...", flush=True)
        for cmd in (["extract", "-q"], ["map"]):
            _erpload([*cmd, "--staging", str(staging)], env, work)

        transform_s = _erpload(["transform", "datev", "--staging", str(staging)], env, work)
        with duckdb.connect(str(staging), read_only=True) as con:
            bookings = con.execute("SELECT count(*) FROM datev.bookings").fetchone()[0]
            rejected = con.execute("SELECT count(*) FROM rejects WHERE target = 'datev'").fetchone()[0]
            journal_lines = con.execute("SELECT count(*) FROM erp.journal_lines").fetchone()[0]
        print(f"ERP: {journal_lines:,} journal lines -> {bookings:,} DATEV bookings ({rejected:,} rejects)")
        print(f"  transform datev: {transform_s:.1f} s, {bookings / transform_s:,.0f} bookings/s", flush=True)

        out = work / "out"
        export_s = _erpload(["export", "datev", "--staging", str(staging), "--out", str(out)], env, work)
        files = sorted(out.glob("EXTF_*.csv"))
        lines = sum(f.read_bytes().count(b"\r\n") - 2 for f in files)
        print(f"  export datev:    {export_s:.1f} s, {len(files)} files, {lines:,} data lines, "
              f"{lines / export_s:,.0f} lines/s (whole command)", flush=True)

        pandas_s, pandas_rows = _pandas_baseline(staging, work / "pandas.csv")
        print(f"  pandas to_csv:   {pandas_s:.1f} s, {pandas_rows / pandas_s:,.0f} lines/s (writing only)", flush=True)

        check_s = _erpload(["datev", "check", *map(str, files)], env, work)
        print(f"  datev check:     {check_s:.1f} s, {lines / check_s:,.0f} lines/s", flush=True)

    print("\nresults")
    print(f"  writer vs pandas to_csv (same bookings): {lines / export_s:,.0f} / {pandas_rows / pandas_s:,.0f} lines/s "
          f"= {(lines / export_s) / (pandas_rows / pandas_s):.1f}x, and ours includes ledger, manifest and the "
          "master data files")


if __name__ == "__main__":
    main()
