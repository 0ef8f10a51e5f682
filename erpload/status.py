"""`erpload status`: the last runs, read from erpload.runs."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from erpload.staging import FRAMEWORK_SCHEMA, connect, table_exists


def print_status(staging_path: Path, last_runs: int, console: Console) -> None:
    with connect(staging_path, read_only=True) as con:
        if not table_exists(con, FRAMEWORK_SCHEMA, "runs"):
            console.print("No runs recorded yet: run `erpload demo` or `erpload extract`.")
            return
        rows = con.execute(
            f"""WITH recent AS (
                    SELECT run_id FROM {FRAMEWORK_SCHEMA}.runs GROUP BY run_id
                    ORDER BY max(finished_at) DESC LIMIT ?)
                SELECT run_id, command, coalesce(profile, ''), status, table_name, loaded, unchanged,
                       rejected, deleted, coalesce(cursor, ''), duration_s, coalesce(message, ''), finished_at
                FROM {FRAMEWORK_SCHEMA}.runs WHERE run_id IN (SELECT run_id FROM recent)
                ORDER BY finished_at DESC, table_name""",
            [last_runs],
        ).fetchall()
    table = Table(title=f"Last {last_runs} runs in {staging_path.name}", title_justify="left")
    for name in ("run", "command", "profile", "status", "table", "loaded", "unchanged", "rejected",
                 "deleted", "cursor", "s"):
        table.add_column(name, justify="right" if name in ("loaded", "unchanged", "rejected", "deleted", "s")
                         else "left")
    failures = []
    for (run_id, command, profile, status, tname, loaded, unchanged, rejected, deleted, cursor, dur,
         message, _) in rows:
        style = "red" if status != "ok" else None
        table.add_row(run_id, command, profile, status, tname, f"{loaded:,}", f"{unchanged:,}",
                      f"{rejected:,}", f"{deleted:,}", cursor, "" if dur is None else f"{dur:.1f}", style=style)
        if message and (run_id, message) not in failures:
            failures.append((run_id, message))
    console.print(table)
    for run_id, message in failures:
        console.print(f"[red]{run_id}[/]: {message}", highlight=False)
