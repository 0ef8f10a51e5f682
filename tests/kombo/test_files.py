"""The files Kombo returns: hostile names never leave the run's folder nor replace a file; EXTF files are
checked with erpload's checker and its findings reported and staged; LODAS and other files are saved, not
checked."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from erpload.fakes.kombo import FileKnob, KomboFile
from tests.kombo.conftest import KomboProject, said

#: names a vendor (or whoever controls it) could send, each trying to write somewhere else or over something
HOSTILE = [
    "../../x.csv", "../../../../../../tmp/kombo-escape.csv", "/etc/passwd", "/tmp/kombo-absolute.csv",
    "C:\\Windows\\win.ini", "D:evil.csv", "..\\..\\y.csv", "sub/dir/z.csv", "a\x00b.csv", "tab\there\r\n.csv",
    "CON", "nul.txt", "COM1.csv", "lpt9", "dup.csv", "dup.csv", "DUP.csv", "", ".", "..", "...",
    "x" * 300 + ".csv", "x" * 300 + ".csv", "EXTF_Stammdaten.csv", "EXTF_Stammdaten.csv",
]


def files_under(root: Path) -> set[Path]:
    return {Path(dirpath) / name for dirpath, _, names in os.walk(root) for name in names}


def test_every_hostile_name_stays_inside_the_run_folder_and_overwrites_nothing(kombo: KomboProject) -> None:
    contents = [f"file {i}: {name!r}\r\n" for i, name in enumerate(HOSTILE)]
    kombo.fake.set_files(FileKnob(files=[KomboFile(name=n, content=c) for n, c in zip(HOSTILE, contents,
                                                                                      strict=True)]))
    before = files_under(kombo.ws.root)
    outside = [Path("/tmp/kombo-escape.csv"), Path("/tmp/kombo-absolute.csv")]
    assert not any(p.exists() for p in outside)

    result = kombo.ws.cli("push", "kombo", "--company", "1000")
    assert result.exit_code == 0, result.output
    run_id = kombo.last_run()
    folder = (kombo.ws.root / "out" / "datev" / "kombo" / "1000" / run_id).resolve()
    new = files_under(kombo.ws.root) - before
    assert {p.parent.resolve() for p in new} == {folder}  # nothing anywhere else, nothing in a sub-folder
    assert len(new) == len(HOSTILE)  # every file written, none over another
    assert not any(p.exists() for p in outside)
    staged = kombo.ws.query("SELECT name_given, name_written, sha256 FROM kombo.files WHERE run_id = ?", [run_id])
    assert sorted(str(r[0]) for r in staged) == sorted(HOSTILE)  # the names as given, NUL and all
    written = [str(r[1]) for r in staged]
    assert len({w.casefold() for w in written}) == len(HOSTILE)
    for name in written:
        assert not set(name) & set("/\\:"), name
        assert not any(ord(ch) < 32 for ch in name)
        assert name.split(".")[0].upper() not in {"CON", "NUL", "COM1", "LPT9", ""}
        assert len(name) <= 120
    # each file holds its own content
    by_given: dict[str, set[str]] = {}
    for row in staged:
        data = (folder / str(row[1])).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row[2]
        by_given.setdefault(str(row[0]), set()).add(data.decode("cp1252"))
    for given, content in zip(HOSTILE, contents, strict=True):
        assert content in by_given[given]
    assert "written as" in said(result)  # renamed files are named in the notes


def test_extf_files_are_checked_and_their_findings_reported(kombo: KomboProject) -> None:
    good = next(f for f in _generated(kombo) if f.name.startswith("EXTF"))
    lines = good.content.split("\r\n")
    broken_row = lines[2].split(";")
    broken_row[0] = "-12,5"  # an amount DATEV refuses: negative, one decimal
    broken = "\r\n".join([lines[0], lines[1], ";".join(broken_row), *lines[3:]])
    lodas = next(f for f in _generated(kombo) if f.name.startswith("LODAS"))
    kombo.fake.set_files(FileKnob(files=[
        KomboFile(name="EXTF_Lohn.csv", content=broken), KomboFile(name="EXTF_ok.csv", content=good.content),
        KomboFile(name="LODAS_Stammdaten.txt", content=lodas.content),
        KomboFile(name="readme.txt", content="hello\r\n")]))
    result = kombo.ws.cli("push", "kombo", "--company", "1000")
    assert result.exit_code == 0, result.output
    run_id = kombo.last_run()
    rows = {str(r[0]): r[1:] for r in kombo.ws.query(
        "SELECT name_written, format, checked, errors, warnings FROM kombo.files WHERE run_id = ?", [run_id])}
    assert rows["EXTF_ok.csv"] == ("extf", True, 0, 0)
    assert rows["LODAS_Stammdaten.txt"] == ("lodas", False, None, None)
    assert rows["readme.txt"] == ("other", False, None, None)
    fmt, checked, errors, _ = rows["EXTF_Lohn.csv"]
    assert (fmt, checked) == ("extf", True)
    assert isinstance(errors, int)
    assert errors > 0
    findings = kombo.ws.query("SELECT severity, line, \"column\", rule FROM kombo.file_findings "
                              "WHERE run_id = ? AND name_written = 'EXTF_Lohn.csv'", [run_id])
    assert sum(1 for f in findings if f[0] == "error") == errors
    assert {(f[1], f[2]) for f in findings if f[0] == "error"} == {(3, 1)}  # line 3, the amount's column
    text = said(result)
    assert f"'EXTF_Lohn.csv': EXTF checked: {errors} error(s)" in text
    assert "line 3, column 1" in text
    assert "'LODAS_Stammdaten.txt': LODAS ASCII, saved and not checked" in text
    assert "'readme.txt': not a DATEV format erpload knows" in text


def _generated(kombo: KomboProject) -> list[KomboFile]:
    """The files the fake makes for company 1000's integration, as a push returns them."""
    from datetime import date

    from erpload.fakes.kombo.datev_files import generated_files

    integration = next(i for i in kombo.fake.integrations() if i.id == kombo.integration("1000"))
    return generated_files(integration, date.today(), payroll=False)


def test_files_that_cannot_be_written_are_said_and_the_push_still_counts(kombo: KomboProject,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = kombo.ws.root / "blocked-out"
    out.mkdir()
    (out / "kombo").write_text("a file where the folder should be")
    monkeypatch.setenv("ERPLOAD__DATEV__OUT", str(out))
    result = kombo.ws.cli("push", "kombo", "--company", "4000")
    assert result.exit_code == 0, result.output  # Kombo pushed: the ledger must say so, or the next run repeats it
    run_id = kombo.last_run()
    assert kombo.ws.query("SELECT state FROM ledger WHERE target = 'kombo' AND record_key = ?", [run_id]) == [
        ("acknowledged",)]
    rows = kombo.ws.query("SELECT name_given, name_written, format, errors, note FROM kombo.files WHERE run_id = ? "
                          "ORDER BY 1", [run_id])
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [("EXTF_Stammdaten.csv", None, "extf", 0),
                                                        ("LODAS_Stammdaten.txt", None, "lodas", None)]
    assert all(str(r[4]).startswith("not saved: ") for r in rows)
    assert "'EXTF_Stammdaten.csv': not saved:" in said(result)
