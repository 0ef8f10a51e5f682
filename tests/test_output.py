"""What a person sees at the end of a command and while it runs: summaries whose columns fit the command, the top
reasons after a run that set records aside, progress on stderr (forced on with TTY_COMPATIBLE=1, rich's setting,
as stderr is no terminal here) and none with --quiet."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from erpload.cli.main import app
from erpload.cli.summary import top_reasons
from erpload.staging import ensure_framework_tables
from tests.push.conftest import DvelopCase, dvelop, vendors_workspace  # noqa: F401  (fixtures)
from tests.utils import Prepared, Workspace


def summary_headers(stdout: str, command: str) -> list[str]:
    """The column headers of the summary table of `erpload <command>`."""
    lines = stdout.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith(f"erpload {command} · run "))
    header = next(line for line in lines[title:] if line.startswith("┃"))
    return [cell.strip() for cell in header.split("┃")[1:-1]]


def top_reasons_shown(stdout: str) -> bool:
    return "top reasons for" in stdout


def force_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")


# --- summaries ---

def test_an_extract_shows_rows_loaded_unchanged_rejected_its_cursors_and_deletions_only_when_there_are_some(
        workspace: Workspace, prepared: Prepared) -> None:
    ws = prepared.into(workspace, ("extract",))
    again = ws.cli("extract")
    assert again.finished, again.output
    assert summary_headers(again.stdout, "extract") == ["table", "loaded", "unchanged", "rejected", "cursor", "s"]
    assert "counts are rows of each ERP table" in " ".join(again.stdout.split())

    ws.erp("DELETE FROM vendor_bank_account WHERE rowid IN (SELECT rowid FROM vendor_bank_account LIMIT 2)")
    reloaded = ws.cli("extract", "--reload", "vendor_bank_account")
    assert reloaded.finished, reloaded.output
    assert summary_headers(reloaded.stdout, "extract") == ["table", "loaded", "unchanged", "rejected", "deleted",
                                                           "cursor", "s"]


def test_a_map_shows_records_new_or_changed_unchanged_and_rejected_then_its_top_reasons(
        workspace: Workspace, prepared: Prepared) -> None:
    ws = prepared.into(workspace, ("extract",))
    first = ws.cli("map")
    assert first.finished, first.output
    assert summary_headers(first.stdout, "map") == ["table", "new or changed", "unchanged", "rejected", "s"]
    assert "counts are records of each canonical entity" in " ".join(first.stdout.split())
    # the demo ERP has faults on purpose: map sets records aside and says why, most frequent first
    assert top_reasons_shown(first.stdout)
    rows = [line.split() for line in first.stdout.splitlines() if re.match(r"\s+\d+\s+erp\.\w+\s", line)]
    counts = [int(r[0]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert 1 <= len(counts) <= 5
    # one reason per group: the G/L accounts missing are one reason, whichever account it is
    gl = [line for line in first.stdout.splitlines() if "does not exist in" in line and "erp.journal_lines" in line]
    assert len(gl) == 1, first.stdout
    assert f"select * from rejects where run_id = '{_run_id(ws, 'map')}'" in first.stdout

    again = ws.cli("map")  # nothing changed: nothing set aside this time, so no reasons
    assert again.finished, again.output
    assert sum(r[2] for r in ws.run_results("map").values()) == 0
    assert not top_reasons_shown(again.stdout)


def test_a_transform_shows_records_and_its_top_reasons_with_the_fix_of_an_example(
        workspace: Workspace, prepared: Prepared) -> None:
    ws = prepared.into(workspace, ("extract",), ("map",))
    result = ws.cli("transform", "datev")
    assert result.finished, result.output
    assert summary_headers(result.stdout, "transform datev") == ["table", "new or changed", "unchanged", "rejected",
                                                                 "s"]
    text = " ".join(result.stdout.split())
    records = sum(r[2] for r in ws.run_results("transform datev").values())
    rows = ws.scalar("select count(*) from rejects where run_id = ?", [_run_id(ws, "transform datev")])
    # the two units side by side: records set aside (a document once) and the rows rejects holds for them
    assert f"top reasons for the {records:,} records set aside (rejects has {rows:,} rows for them" in text
    example = ws.query("select reason, fix from rejects where run_id = ? and reason like '%does not balance%' "
                       "order by record_key, reason limit 1", [_run_id(ws, "transform datev")])
    assert example, "the demo ERP has an entry that does not balance"
    assert " ".join(str(example[0][1]).split()) in text  # its fix is shown


def test_a_push_shows_sent_unchanged_refused_and_failed(vendors_workspace: Workspace,  # noqa: F811
                                                         dvelop: DvelopCase) -> None:  # noqa: F811
    result = vendors_workspace.cli("push", "dvelop", "--quiet")
    assert result.exit_code == 0, result.output
    assert summary_headers(result.stdout, "push dvelop") == ["table", "sent", "unchanged", "refused", "failed", "s"]
    assert not top_reasons_shown(result.stdout)


# --- options ---

def test_push_company_is_repeatable(vendors_workspace: Workspace, dvelop: DvelopCase) -> None:  # noqa: F811
    one = vendors_workspace.cli("push", "dvelop", "--dry-run", "--company", "1000")
    both = vendors_workspace.cli("push", "dvelop", "--dry-run", "--company", "1000", "--company", "2000")
    assert one.exit_code == both.exit_code == 0, one.output + both.output
    assert "would send 15 of 15 vendors" in one.stdout
    assert "would send 30 of 30 vendors" in both.stdout

    sent = vendors_workspace.cli("push", "dvelop", "-q", "--entity", "vendors", "--company", "2000",
                                 "--company", "9999")
    assert sent.exit_code == 0, sent.output
    assert vendors_workspace.scalar("select count(*) from ledger where target = 'dvelop' and entity = 'vendors' "
                                    "and state = 'acknowledged'") == 15
    assert vendors_workspace.scalar("select count(*) from ledger where target = 'dvelop' and entity = 'vendors' "
                                    "and state = 'acknowledged' and record_key not like '2000/%'") == 0


# --- progress ---

#: the steps line as progress draws it: the title, the step in hand, (steps done/of how many)
STEPS_LINE = r"{title} [^\n\r]*?\((\d+)(?:/(\d+))?\)"


def test_map_shows_its_entities_on_stderr_and_nothing_with_quiet(workspace: Workspace, prepared: Prepared,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ws = prepared.into(workspace, ("extract",))
    force_progress(monkeypatch)
    shown = ws.cli("map", "--full")
    assert shown.finished, shown.output
    lines = re.findall(STEPS_LINE.format(title="map"), plain(shown.stderr))
    assert lines, shown.stderr
    done, total = lines[-1]
    assert done == total == str(len(ws.run_results("map")))  # at the end: every entity done, of as many
    assert "erp.journal_lines" in shown.stderr  # the entity in hand
    assert not re.search(STEPS_LINE.format(title="map"), shown.stdout)  # stdout: the summary, no progress

    quiet = ws.cli("map", "--full", "-q")
    assert quiet.finished, quiet.output
    assert not re.search(STEPS_LINE.format(title="map"), plain(quiet.stderr))
    assert "erp.journal_lines" not in quiet.stderr


def test_transform_and_export_show_their_steps_on_stderr_and_nothing_with_quiet(
        workspace: Workspace, prepared: Prepared, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = prepared.into(workspace, ("extract",), ("map",))
    force_progress(monkeypatch)
    transform = ws.cli("transform", "datev")
    assert transform.finished, transform.output
    lines = re.findall(STEPS_LINE.format(title="transform datev"), plain(transform.stderr))
    assert lines, transform.stderr
    assert int(lines[-1][0]) == len(ws.run_results("transform datev"))
    export = ws.cli("export", "datev")
    assert export.finished, export.output
    assert re.search(STEPS_LINE.format(title="export datev"), plain(export.stderr)), export.stderr
    assert re.search(r"EXTF_[\w-]+\.csv \([\d,]+ lines\)", plain(export.stderr))  # the file in hand
    assert "wrote " in export.stdout  # what the export says while progress shows stays on stdout
    assert "wrote " not in export.stderr

    for args in (("transform", "datev", "--quiet"), ("export", "datev", "-q")):
        quiet = ws.cli(*args)
        assert quiet.finished, quiet.output
        assert not re.search(STEPS_LINE.format(title=" ".join(args[:2])), plain(quiet.stderr)), quiet.stderr


def test_extract_says_when_dlt_normalises_and_loads_after_reading(workspace: Workspace,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    force_progress(monkeypatch)
    argv = ["extract", "--erp-url", workspace.erp_url, "--staging", str(workspace.staging), "--profile", "demo"]
    shown = CliRunner().invoke(app, argv, catch_exceptions=False)
    assert shown.exit_code in (0, 5), shown.output
    assert "dlt loads them into staging" in shown.stderr

    workspace.erp("UPDATE customer SET name = name || ' ' WHERE rowid = 1")
    quiet = CliRunner().invoke(app, [*argv, "--quiet"], catch_exceptions=False)
    assert quiet.exit_code in (0, 5), quiet.output
    assert "dlt" not in quiet.stderr


def plain(text: str) -> str:
    """`text` without terminal control sequences (progress draws with them)."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def _run_id(ws: Workspace, command: str) -> str:
    return str(ws.scalar("select run_id from runs where command = ? order by finished_at desc limit 1", [command]))


# --- grouping the reasons ---

def _rejects(path: Path, rows: list[tuple[str, str, str, str | None]], *, with_code: bool = False) -> None:
    """Rejects of run `r1` in a new staging file: (record_key, reason, fix, reason_code); without `with_code`
    as rows written before rejects had a reason code (NULL)."""
    with duckdb.connect(str(path)) as con:
        ensure_framework_tables(con)
        for key, reason, fix, code in rows:
            con.execute("INSERT INTO rejects (run_id, target, entity, record_key, reason, fix, created_at, "
                        "reason_code) VALUES ('r1', 'datev', 'bookings', ?, ?, ?, now(), ?)",
                        [key, reason, fix, code if with_code else None])


def test_reasons_that_name_their_values_are_one_reason(tmp_path: Path) -> None:
    staging = tmp_path / "s.duckdb"
    _rejects(staging, [
        ("1", "Belegfeld 1 'ZA_2025_000008' contains '_'", "correct the document number in the ERP", None),
        ("2", "Belegfeld 1 '26 2065#' contains '#'", "correct the document number in the ERP", None),
        ("3", "journal entry LG-2026-000002 does not balance by 9324,62 EUR", None, None),
        ("4", "journal entry AFA-2026-000011 does not balance by 12,00 EUR", None, None),
        ("5", "the vendor's IBAN 'DE00 1234' fails the check", None, None),
    ])

    reasons, rows = top_reasons(staging, "r1")

    assert rows == 5
    assert [(r.rows, r.fix) for r in reasons] == [(2, "correct the document number in the ERP"), (2, None), (1, None)]
    assert reasons[0].reason == "Belegfeld 1 'ZA_2025_000008' contains '_'"  # an example, as it was written


def test_a_reason_code_groups_where_the_rejects_table_has_one(tmp_path: Path) -> None:
    staging = tmp_path / "s.duckdb"
    same_fix = "correct it in the ERP"
    _rejects(staging, [("1", "too long", same_fix, "text.too_long"), ("2", "too long", same_fix, "text.too_long"),
                       ("3", "not a date", same_fix, "date.invalid")], with_code=True)

    reasons, rows = top_reasons(staging, "r1")

    assert rows == 3
    assert [(r.rows, r.reason) for r in reasons] == [(2, "too long"), (1, "not a date")]
