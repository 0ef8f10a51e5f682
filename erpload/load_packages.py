"""dlt's load packages: no copy of ERP data outlives its load, and no package a crash left behind stops a run.

dlt writes every extracted row into a load package (parquet, jsonl or insert_values files) under the
pipeline's working dir and, by default, keeps the package in `load/loaded/` after loading it: a second,
unencrypted copy of employee IBANs, salaries and tax ids beside the staging file, forever. erpload has
dlt delete a package's data files once they are loaded (`load.delete_completed_jobs`) and empty the
merge staging dataset (`load.truncate_staging_dataset`), and sweeps what older runs or an aborted
package left in `load/loaded/`.

A package that is still pending when a run starts was left by an interrupted run or by dlt's own CLI
(`dlt pipeline ... drop`, which loads into a stray `<pipeline>.duckdb` in the current directory and
leaves its package half done). dlt's `run` would load that package instead of the new data and, after
the CLI's drop, return nothing at all. `drop_leftovers` removes the extract pipeline's whole working
dir instead: dlt then restores its state from the staging file, i.e. the cursors of the last complete
load, and the extract reads every row since then again (merge keeps them single).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import dlt

#: where dlt keeps packages not yet loaded, relative to a pipeline's working dir
_PENDING = ("normalize/extracted", "load/new", "load/normalized")
_LOADED = "load/loaded"
#: the files dlt writes rows into (compressed or not)
DATA_FILE_KINDS = (".parquet", ".jsonl", ".insert_values", ".csv")


def keep_no_copies() -> None:
    """Configure dlt, for every pipeline this process runs, to delete what it loaded (see the module doc)."""
    dlt.config["load.delete_completed_jobs"] = True
    dlt.config["load.truncate_staging_dataset"] = True


def data_files(root: Path) -> list[Path]:
    """Every file under `root` that holds rows of a load package (parquet, jsonl, insert_values, csv; gzipped too)."""
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and any(kind in p.name for kind in DATA_FILE_KINDS))


def sweep_loaded(working_dir: Path) -> int:
    """Delete the packages in `load/loaded/` (history only: dlt never reads them again); returns how many."""
    loaded = working_dir / _LOADED
    if not loaded.is_dir():
        return 0
    packages = [p for p in loaded.iterdir() if p.is_dir()]
    for package in packages:
        shutil.rmtree(package)
    return len(packages)


@dataclass
class Leftovers:
    """The pending packages found in a pipeline's working dir."""

    load_ids: list[str] = field(default_factory=list)
    #: tables a package meant to drop (`dlt pipeline ... drop`)
    dropped_tables: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.load_ids)


def find_leftovers(working_dir: Path) -> Leftovers:
    found = Leftovers()
    for folder in _PENDING:
        base = working_dir / folder
        if not base.is_dir():
            continue
        for package in sorted(p for p in base.iterdir() if p.is_dir()):
            found.load_ids.append(package.name)
            found.dropped_tables += _dropped_tables(package)
    return found


def _dropped_tables(package: Path) -> list[str]:
    try:
        state = json.loads((package / "load_package_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(t.get("name")) for t in state.get("dropped_tables") or [] if isinstance(t, dict)]


def drop_leftovers(working_dir: Path) -> str | None:
    """Remove the working dir if it holds a pending package; returns the note for the run summary, or None."""
    leftovers = find_leftovers(working_dir)
    if not leftovers:
        return None
    shutil.rmtree(working_dir)
    tables = sorted(set(leftovers.dropped_tables))
    meant = f", meant to drop {', '.join(tables)}" if tables else ""
    note = (f"a load package dlt had not finished ({', '.join(leftovers.load_ids)}{meant}) was dropped: an "
            "interrupted run or `dlt pipeline ... drop` left it; the cursors were restored from the staging file's "
            "last complete load, so rows since then were read again")
    if tables:
        note += ("; an interrupted `erpload extract --reload` is finished by this run, a drop by dlt's CLI is not: "
                 f"use `erpload extract --reload {' --reload '.join(tables)}`")
    stray = Path.cwd() / f"{working_dir.name}.duckdb"
    if stray.exists():
        note += f"; {stray} is not erpload's: dlt's CLI created it, delete it"
    return note
