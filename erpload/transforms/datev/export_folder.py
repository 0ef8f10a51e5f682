"""The export folder: a file becomes visible only after the ledger that records it is committed, and
`manifest.json` is derived from that ledger (`erpload.exports`), never appended to.

    out/datev/EXTF_*.csv                          published files
    out/datev/manifest.json                       every file on record for this folder, each once
    out/datev/.erpload/lock                       held by an export (or a repair) from start to manifest
    out/datev/.erpload/pending/<staging>/<file>   written, not yet published; <staging> is a hash of the
                                                  staging file's path, whose full path is in `STAGING` beside

An export holds the lock while it writes into `pending`, commits its ledger and publishes: two exports into one
folder (from two staging files; one staging file has one writer anyway) take turns, and the second sees the
first one's file names. Publishing renames this staging file's pending files that its ledger records and
deletes those it does not (an export killed before its commit), then rewrites the manifest from the ledger:
this staging file's files for the folder, plus the entries of other staging files' files as the manifest has
them, one entry per file name, written to a temp file and renamed over the old one. The same recovery runs at
the start of every export and in `datev reconcile`, so a kill at any step, or a manifest deleted or edited,
is set right by the next of them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from erpload.runs import Run
from erpload.staging import FRAMEWORK_SCHEMA, sql_literal

MANIFEST = "manifest.json"
_STATE = ".erpload"
#: the fields of a manifest entry, in order (`ExportedFile`)
_FIELDS = ("file", "company", "category", "rows", "sha256", "debit_total", "credit_total", "period_start",
           "period_end", "run_id", "reexport", "created_at")

#: Test hook (tests/datev/test_manifest.py): ERPLOAD_TEST_KILL_AT=<step> kills the export with SIGKILL at that
#: step, to prove that the next run recovers from a kill anywhere. Steps: written (files pending, ledger not
#: committed), committed (before any rename), renamed (before the manifest), manifest (temp file written).
KILL_STEPS = ("written", "committed", "renamed", "manifest")


def kill_point(step: str) -> None:
    """The test hook above; does nothing unless the variable names `step`."""
    if os.environ.get("ERPLOAD_TEST_KILL_AT") == step:
        os.kill(os.getpid(), signal.SIGKILL)


def staging_of(con: duckdb.DuckDBPyConnection) -> str:
    """The path of the staging file `con` has open (the owner of the files it exports)."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return str(Path(row[0]).resolve()) if row and row[0] else ":memory:"


def pending_dir(out_dir: Path, con: duckdb.DuckDBPyConnection) -> Path:
    """Where this staging file's export writes its files before they are published."""
    owner = staging_of(con)
    return out_dir / _STATE / "pending" / hashlib.sha256(owner.encode()).hexdigest()[:16]


def prepare_pending(out_dir: Path, con: duckdb.DuckDBPyConnection) -> Path:
    folder = pending_dir(out_dir, con)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "STAGING").write_text(staging_of(con) + "\n", encoding="utf-8")
    return folder


@contextlib.contextmanager
def folder_lock(out_dir: Path, run: Run | None = None, *, wait: bool = True) -> Iterator[bool]:
    """Hold the folder's lock (yields True); without `wait`, yields False at once when another process holds it.

    An flock: the kernel releases it when its holder dies, even by SIGKILL."""
    state = out_dir / _STATE
    state.mkdir(parents=True, exist_ok=True)
    with (state / "lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            started = time.monotonic()
            fcntl.flock(handle, fcntl.LOCK_EX)
            if run:
                run.note(f"waited {time.monotonic() - started:.1f} s for another export into {out_dir} to finish")
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def taken_names(out_dir: Path) -> set[str]:
    """File names no new file may take: published, pending for any staging file, or listed in the manifest."""
    names = {p.name for p in out_dir.glob("*.csv")} | {p.name.removesuffix(".part") for p in out_dir.glob("*.part")}
    names |= {p.name for p in (out_dir / _STATE / "pending").glob("*/*.csv")}
    names |= {str(e.get("file")) for e in _read_manifest(out_dir / MANIFEST)[0]}
    return names


@dataclass
class _Recorded:
    """This staging file's files on record for one folder, as manifest entries, by file name."""

    entries: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, out_dir: Path) -> _Recorded:
        exists = con.execute(f"""SELECT count(*) FROM duckdb_tables() WHERE schema_name = '{FRAMEWORK_SCHEMA}'
                                 AND table_name = 'exports'""").fetchone()
        if not exists or not exists[0]:
            return cls({})
        prefix = str(out_dir.resolve() / "x")[:-1]
        rows = con.execute(f"""SELECT file_name, company_code, category, rows, sha256,
                                      CAST(debit_total AS VARCHAR), CAST(credit_total AS VARCHAR),
                                      CAST(period_start AS VARCHAR), CAST(period_end AS VARCHAR), run_id, reexport,
                                      strftime(created_at, '%Y-%m-%dT%H:%M:%S.%g')
                               FROM {FRAMEWORK_SCHEMA}.exports
                               WHERE target = 'datev' AND path = {sql_literal(prefix)} || file_name
                               ORDER BY created_at, file_name""").fetchall()
        return cls({str(r[0]): dict(zip(_FIELDS, r, strict=True)) for r in rows})


def publish_pending(con: duckdb.DuckDBPyConnection, out_dir: Path) -> tuple[int, int]:
    """Publish this staging file's pending files its ledger records, delete the ones it does not.

    Returns (published, deleted)."""
    recorded = _Recorded.load(con, out_dir).entries
    published = deleted = 0
    pending = pending_dir(out_dir, con)
    # `<name>.part` beside the files: what an erpload before the pending folder left
    legacy = [(p, p.name.removesuffix(".part")) for p in sorted(out_dir.glob("*.csv.part"))]
    mine = [(p, p.name) for p in sorted(pending.glob("*.csv"))] if pending.is_dir() else []
    for path, name in [*mine, *legacy]:
        if name in recorded:
            path.replace(out_dir / name)
            published += 1
        else:
            path.unlink()
            deleted += 1
    # a pending folder named after this staging file's old path (the file was moved since): what the ledger
    # records, byte for byte, is this staging file's too
    emptied = {pending}
    for path in sorted((out_dir / _STATE / "pending").glob("*/*.csv")):
        entry = recorded.get(path.name)
        if entry and path.parent != pending and hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]:
            path.replace(out_dir / path.name)
            published += 1
            emptied.add(path.parent)
    for folder in emptied:
        _drop_if_done(folder, mine=folder == pending)
    return published, deleted


def _drop_if_done(folder: Path, *, mine: bool) -> None:
    """Remove a pending folder no file waits in any more (in this staging file's own, also files killed while
    being written: never recorded)."""
    if not folder.is_dir() or any(folder.glob("*.csv")):
        return
    for leftover in folder.glob("*.part"):
        if mine:
            leftover.unlink()
    (folder / "STAGING").unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty: a file appeared meanwhile; left for the next run
        folder.rmdir()


def others_pending(out_dir: Path, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Files other staging files' exports left pending here (killed after their commit): staging path -> count."""
    mine = pending_dir(out_dir, con)
    found: dict[str, int] = {}
    for folder in (out_dir / _STATE / "pending").glob("*"):
        files = list(folder.glob("*.csv"))
        if folder != mine and files:
            owner = folder / "STAGING"
            found[owner.read_text(encoding="utf-8").strip() if owner.exists() else str(folder)] = len(files)
    return found


def _read_manifest(path: Path) -> tuple[list[dict[str, Any]], str | None]:
    """The manifest's entries and, when it cannot be read, why."""
    if not path.exists():
        return [], None
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
            raise TypeError("'files' is not a list of entries")
        return files, None
    except (ValueError, KeyError, TypeError) as exc:
        return [], f"{type(exc).__name__}: {exc}"


def write_manifest(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[str]:
    """Rewrite `manifest.json` from the ledger (see the module doc), atomically; returns what it set right."""
    path = out_dir / MANIFEST
    existing, unreadable = _read_manifest(path)
    recorded = _Recorded.load(con, out_dir).entries
    if not recorded and not path.exists():
        return []
    repairs = []
    if unreadable:
        kept = path.with_name(f"{MANIFEST}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}")
        path.replace(kept)
        repairs.append(f"{path} could not be read ({unreadable}): kept as {kept.name}, written anew from "
                       "erpload.exports (files other staging files exported here are listed again by their "
                       "next export)")
    names = [str(e.get("file")) for e in existing]
    twice = len(names) - len(set(names))
    missing = [n for n in recorded if n not in set(names)]
    changed = [n for n, e in recorded.items() if n in set(names) and _entry(existing, n) != e]
    merged = {str(e.get("file")): e for e in existing}
    merged.update(recorded)
    files = sorted(merged.values(), key=lambda e: (str(e.get("created_at") or ""), str(e.get("file"))))
    text = json.dumps({"files": files}, indent=2, ensure_ascii=False) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return repairs
    if twice:
        repairs.append(f"{path} listed {twice} file{'s' if twice > 1 else ''} twice: each is listed once now")
    if changed:
        repairs.append(f"{path} disagreed with erpload.exports on {', '.join(changed[:5])}"
                       + (f" and {len(changed) - 5} more" if len(changed) > 5 else "") + ": the ledger's entry wins")
    tmp = out_dir / _STATE / f"{MANIFEST}.tmp"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(text, encoding="utf-8")
    kill_point("manifest")
    tmp.replace(path)
    if missing:
        repairs.append(f"{len(missing)} file{'s' if len(missing) > 1 else ''} on record "
                       f"{'were' if len(missing) > 1 else 'was'} missing from {path}")
    return repairs


def _entry(entries: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    last = None
    for e in entries:
        if e.get("file") == name:
            last = e
    return last


def recover(con: duckdb.DuckDBPyConnection, out_dir: Path, run: Run) -> None:
    """Finish what a killed export left in `out_dir` and rebuild its manifest; each repair is a note.

    Call it holding the folder's lock."""
    if not out_dir.exists():
        return
    published, deleted = publish_pending(con, out_dir)
    if published:
        run.note(f"{out_dir}: published {published} file{'s' if published > 1 else ''} a killed export had "
                 "recorded but not yet made visible")
    if deleted:
        run.note(f"{out_dir}: deleted {deleted} file{'s' if deleted > 1 else ''} a killed export wrote but never "
                 "recorded (their bookings are exported anew)")
    for repair in write_manifest(con, out_dir):
        run.note(repair)
    for staging, count in others_pending(out_dir, con).items():
        run.note(f"{out_dir}: {count} file{'s' if count > 1 else ''} exported from the staging file {staging} "
                 f"wait unpublished (that export was killed): `erpload export datev --staging {staging}` publishes "
                 "them")


def publish(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """After the commit: make the files the ledger records visible, and write the manifest from the ledger."""
    kill_point("committed")
    publish_pending(con, out_dir)
    kill_point("renamed")
    write_manifest(con, out_dir)


def repair_folders(con: duckdb.DuckDBPyConnection, run: Run) -> None:
    """`datev reconcile`: recover every folder this staging file exported to, unless an export holds it."""
    prefix_rows = con.execute(f"SELECT DISTINCT path, file_name FROM {FRAMEWORK_SCHEMA}.exports "
                              "WHERE target = 'datev'").fetchall()
    folders = sorted({Path(str(path)).parent for path, _ in prefix_rows})
    for folder in folders:
        if not folder.exists():
            continue
        with folder_lock(folder, wait=False) as held:
            if held:
                recover(con, folder, run)
            else:
                run.note(f"{folder}: an export into it is running; it sets its manifest right itself")
