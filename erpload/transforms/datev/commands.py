"""What `erpload transform datev` and `erpload export datev` run, and the lines `erpload demo` ends with.

Imported when one of those runs: the target's declaration (`target.py`) names these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

from erpload import interrupts
from erpload.runs import Run
from erpload.targets import Call

#: an export writing more files than this lists them in one line (all of them are in manifest.json)
FILES_LISTED = 12


def transform(staging_path: Path, run: Run) -> None:
    """erp → dataset datev, committed with its rejects in one transaction."""
    from erpload.staging import connect, ensure_framework_tables
    from erpload.transforms.datev.config import load_datev_settings
    from erpload.transforms.datev.transform import run_transform

    datev = load_datev_settings()
    with connect(staging_path) as con:
        ensure_framework_tables(con)
        run_transform(con, run, datev.period)  # commits its outcome in one transaction


def export(call: Call) -> Callable[[Run], None]:
    """dataset datev → EXTF files (the settings are checked now, before the run); the run's body."""
    from erpload.staging import connect, ensure_framework_tables
    from erpload.transforms.datev.config import load_datev_settings
    from erpload.transforms.datev.export import publish, run_export
    from erpload.transforms.datev.export_folder import folder_lock

    options = call.options
    out_dir: Path | None = options.get("out_dir")
    datev = load_datev_settings(out_dir)
    dry_run = call.dry_run

    def body(run: Run) -> None:
        # the folder's lock from the first file written to the manifest: exports into one folder take turns
        with connect(call.staging_path) as con, \
                (nullcontext() if dry_run else folder_lock(datev.out_dir, run)):
            ensure_framework_tables(con)
            con.begin()
            plan = run_export(con, run, datev.out_dir, companies=options.get("company"),
                              period=options.get("period"), reexport=options.get("reexport"), dry_run=dry_run,
                              corrections=datev.corrections)
            with interrupts.deferred():  # a signal waits until the files the commit records are published
                con.commit()
                if not dry_run:
                    publish(con, datev.out_dir)
        if not dry_run:
            note_reconciliation(call.staging_path, run, [f.file for f in plan.files if f.debit_total is not None])
        verb = "would write" if dry_run else "wrote"
        shown = plan.files if len(plan.files) <= FILES_LISTED or dry_run else []
        for f in shown:
            totals = f" · Soll {f.debit_total} · Haben {f.credit_total}" if f.debit_total is not None else ""
            call.say(f"{verb} {datev.out_dir / f.file}: {f.rows:,} rows{totals}")
        if plan.files and not shown:
            call.say(f"{verb} {len(plan.files)} files to {datev.out_dir} (each with rows, sha256 and totals in "
                     f"{datev.out_dir / 'manifest.json'} and erpload.exports)")
        if not plan.files:
            call.say("nothing new to export")

    return body


def note_reconciliation(staging_path: Path, run: Run, written: list[str]) -> None:
    """Every export ends with the reconciliation of the periods it wrote files for, in the summary."""
    from erpload.staging import connect
    from erpload.transforms.datev.reconcile import run_reconcile

    if not written:
        run.note("no Buchungsstapel written, so nothing to reconcile: `erpload datev reconcile` checks every file "
                 "on record")
        return
    with connect(staging_path) as con:
        result = run_reconcile(con, periods_of=written)
    if result.ok:
        run.note(f"reconciled: the {result.files:,} Buchungsstapel files of the periods written agree with the ERP's "
                 f"posted ledger in all {result.cells:,} account x month x currency balances"
                 + (f" ({result.held_documents:,} documents held back in erpload.rejects)"
                    if result.held_documents else ""))
    else:
        run.note(f"NOT reconciled: {len(result.differences):,} account x month balances differ from the ERP's posted "
                 f"ledger, {len(result.problems)} files missing or changed; `erpload datev reconcile` names them")


def out_dir() -> Path:
    """Where `erpload export datev` writes unless told otherwise ([erpload.datev] out)."""
    from erpload.transforms.datev.config import load_datev_settings

    return load_datev_settings().out_dir


def demo_notes(staging: Path) -> list[str]:
    """Where the demo's DATEV files are, and how to check them."""
    folder = out_dir()
    return ["The DATEV files for the tax accountant, and their check:", f"  ls {folder}",
            f"  erpload datev check {folder}/*.csv"]
