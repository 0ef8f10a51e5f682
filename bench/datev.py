"""Benchmark: DATEV transform, file writing and checking at ~1M journal lines.

    python -m bench.datev [--scale 333]

Builds staging from the demo ERP (extract + map, not timed here: bench.extract_map measures those),
then measures in one run:
  1. `erpload transform datev`: rules and rejects over every booking (rows/s);
  2. `erpload export datev`: every Buchungsstapel, Debitoren/Kreditoren and Kontenbeschriftungen file;
  3. the baseline writer: pandas `to_csv` of the same bookings in DATEV's 125 columns (what many
     generators do), so the writer's speed is a ratio measured on this machine, in this run;
  4. `erpload datev check` over every file written (lines/s);
  5. corrections: an incremental export of 1 % new documents (the baseline), then one after 1 % of the
     exported documents changed (0.5 %: the first line doubled) or were cancelled 40 days after their
     date (0.5 %, journal entries too): Generalumkehr + rebooking, and the ratio of the two;
  6. `erpload datev reconcile` over every file on record against the ERP's posted ledger.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from bench.erp_changes import add_documents, cancel_documents, change_documents
from bench.extract_map import run_erpload
from erpload.transforms.datev.layouts import BOOKING_VALUES
from erpload.transforms.datev.spec import BOOKINGS

CACHE = Path(__file__).resolve().parent / "results"
GENERATOR = Path(__file__).resolve().parents[1] / "erpload" / "sources" / "demo_erp"


def _generator_version() -> str:
    """The cached ERP is only reused while the generator that wrote it is unchanged."""
    digest = hashlib.sha256()
    for path in sorted(GENERATOR.glob("*.py")) + sorted(GENERATOR.glob("*.sql")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _pandas_baseline(staging: Path, out: Path) -> tuple[float, int]:
    """The same bookings written the way popular exporters do: a DataFrame of DATEV's 125 columns,
    dates formatted in pandas, `to_csv` with sep=';', decimal=',', cp1252 and quoting by column type
    (QUOTE_NONNUMERIC: text quoted, numbers not). Timed from the DataFrame in memory to the file."""
    with duckdb.connect(str(staging), read_only=True) as con:
        frame = con.execute("SELECT " + ", ".join(
            f"{BOOKING_VALUES[c.heading]} AS \"{c.heading}\"" if c.heading in BOOKING_VALUES
            else f"NULL AS \"{c.heading}\"" for c in BOOKINGS.columns) + " FROM datev.bookings").df()
    started = time.perf_counter()
    for column in BOOKINGS.columns:
        series = frame[column.heading]
        if column.kind == "date" and series.notna().any():
            frame[column.heading] = pd.to_datetime(series).dt.strftime(
                "%d%m" if column.date_format == "TTMM" else "%d%m%Y")
        elif column.kind in ("amount", "decimal"):
            frame[column.heading] = series.astype("float64")
        elif column.kind in ("account", "number"):
            frame[column.heading] = pd.to_numeric(series, errors="coerce").astype("Int64")
    frame.to_csv(out, sep=";", decimal=",", encoding="cp1252", index=False, lineterminator="\r\n",
                 quoting=csv.QUOTE_NONNUMERIC, float_format="%.2f")
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
        run_erpload(["demo-erp", "create", "--path", str(template), "--scale", str(args.scale)], env, CACHE)

    with tempfile.TemporaryDirectory(prefix="erpload-bench-datev-") as tmp:
        work = Path(tmp)
        erp = work / "erp.sqlite"
        shutil.copyfile(template, erp)
        env["ERPLOAD__DEMO_ERP"] = str(erp)
        env["SOURCES__ERP__CREDENTIALS"] = "demo"  # by name: erpload reads no ERP that is not configured
        staging = work / "erpload.duckdb"
        print("building staging (extract + map) ...", flush=True)
        for cmd in (["extract", "-q"], ["map"]):
            run_erpload([*cmd, "--staging", str(staging)], env, work)

        transform_s, transform_rss = run_erpload(["transform", "datev", "--staging", str(staging)], env, work)
        with duckdb.connect(str(staging), read_only=True) as con:
            bookings = con.execute("SELECT count(*) FROM datev.bookings").fetchone()[0]
            rejected = con.execute("SELECT count(*) FROM rejects WHERE target = 'datev'").fetchone()[0]
            journal_lines = con.execute("SELECT count(*) FROM erp.journal_lines").fetchone()[0]
        print(f"ERP: {journal_lines:,} journal lines -> {bookings:,} DATEV bookings ({rejected:,} rejects)")
        print(f"  transform datev: {transform_s:.1f} s, {bookings / transform_s:,.0f} bookings/s, "
              f"peak {transform_rss:,.0f} MiB", flush=True)

        out = work / "out"
        export_s, export_rss = run_erpload(["export", "datev", "--staging", str(staging), "--out", str(out)], env, work)
        files = sorted(out.glob("EXTF_*.csv"))
        booking_files = [f for f in files if f.name.startswith("EXTF_Buchungsstapel")]
        lines = sum(f.read_bytes().count(b"\r\n") - 2 for f in booking_files)
        print(f"  export datev:    {export_s:.1f} s, {len(files)} files, {lines:,} booking lines, "
              f"peak {export_rss:,.0f} MiB", flush=True)

        # before the baseline: a child inherits its parent's peak RSS, and the baseline's DataFrame is big
        check_s, check_rss = run_erpload(["datev", "check", *map(str, files)], env, work)
        print(f"  datev check:     {check_s:.1f} s, {lines / check_s:,.0f} lines/s, peak {check_rss:,.0f} MiB",
              flush=True)
        pandas_s, pandas_rows = _pandas_baseline(staging, work / "pandas.csv")
        print(f"  baseline, pandas to_csv: {pandas_s:.1f} s, {pandas_rows / pandas_s:,.0f} rows/s (writing only)",
              flush=True)

        # 5. corrections against a plain incremental export of as many documents
        def rebuild() -> None:
            for cmd in (["extract", "-q"], ["map"], ["transform", "datev"]):
                run_erpload([*cmd, "--staging", str(staging)], env, work)

        added = add_documents(erp, every=100)
        rebuild()
        incremental_s, _ = run_erpload(["export", "datev", "--staging", str(staging), "--out", str(out)], env, work)
        print(f"  incremental export, {added:,} new documents: {incremental_s:.1f} s", flush=True)
        touched = change_documents(erp, every=200, slot=7) + cancel_documents(erp, every=200, slot=11)
        rebuild()
        correction_out = work / "correction.txt"
        correction_s, correction_rss = run_erpload(["export", "datev", "--staging", str(staging), "--out", str(out)],
                                                   env, work, stdout=correction_out)
        corrected = [line for line in correction_out.read_text().splitlines() if "reversed (Generalumkehr)" in line]
        print(f"  correction export, {touched:,} documents changed or cancelled: {correction_s:.1f} s, "
              f"peak {correction_rss:,.0f} MiB ({len(corrected)} companies corrected)", flush=True)
        reconcile_out = work / "reconcile.txt"
        try:
            reconcile_s, reconcile_rss = run_erpload(["datev", "reconcile", "--staging", str(staging)], env, work,
                                                     stdout=reconcile_out)
        except SystemExit:
            print(reconcile_out.read_text()[:4000])
            raise SystemExit("datev reconcile found differences: the books do not reconcile") from None
        with duckdb.connect(str(staging), read_only=True) as con:
            on_record = con.execute("SELECT sum(rows) FROM exports WHERE category = 21 AND replaced_by IS NULL"
                                    ).fetchone()[0]
        print(f"  datev reconcile: {reconcile_s:.1f} s for {on_record:,} bookings on record, "
              f"peak {reconcile_rss:,.0f} MiB", flush=True)

    ours = transform_s + export_s
    print("\nresults")
    print(f"  staging -> validated files (transform + export, two commands incl. start-up): {ours:.1f} s, "
          f"{bookings / ours:,.0f} bookings/s")
    print(f"  baseline (pandas, writing only):  {pandas_s:.1f} s, {pandas_rows / pandas_s:,.0f} rows/s")
    print(f"  ratio: {(bookings / ours) / (pandas_rows / pandas_s):.1f}x (goal >= 20x); "
          f"peak RSS {max(transform_rss, export_rss):,.0f} MiB")
    print(f"  corrections: {touched:,} documents changed or cancelled {correction_s:.1f} s vs {added:,} new "
          f"documents {incremental_s:.1f} s: {correction_s / incremental_s:.2f}x the plain incremental export "
          f"(each export includes its reconciliation)")
    print(f"  reconcile: {on_record:,} bookings in {reconcile_s:.1f} s, {on_record / reconcile_s:,.0f} bookings/s")


if __name__ == "__main__":
    main()
