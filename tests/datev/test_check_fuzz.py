"""`erpload datev check` never crashes: any field of a real EXTF file, set to any value, gives findings.

The files are DATEV's samples and erpload's own export of the demo ERP (all four categories). Hypothesis
replaces fields (header and data lines) with odd values - dates of year 9999 or 0001, numbers too big
for anything, signs, separators, quotes, control characters, any text - and inserts arbitrary lines.
The checker must return a report, and it must not have needed its safety net (`checker.internal`):
every odd value is judged by a real check.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpload.transforms.datev.check import check_bytes, check_file
from tests.datev.test_check import CHECKED_SAMPLES, restored
from tests.utils import Workspace

ODD_VALUES = (
    "99991231", "99990101", "99991201", "00010101", "18991231", "20250231", "31129999", "01010001", "3112", "0000",
    "9999", "3102", "2902", "9" * 40, "-9" * 20, "99999999999999999999999,99", "1,999999999", "-0", "+5", " 5",
    "1e309", "NaN", "Infinity", "\u0661\u0662", "\uff11\uff12", "0x10", "", '"', '""', '"""', '"x', "1,2,3", ",",
    ",5", "1,", "-",
    "\x00", "\x7f", "\x81", "\u00a0", "€", "ÄÖÜß", "EUR", "XX", "DE", "DE89370400440532013000", "S", "H", "0,00",
    "-0,01", "1;2", "\r", "\n", "\r\n", "2147483648", "-2147483649",
)
_values = st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=12),
                    st.integers(min_value=-(10**30), max_value=10**30).map(str))


@pytest.fixture(scope="module")
def real_files(demo_erp_template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """DATEV's samples and one file per category of erpload's own export of the demo ERP."""
    root = tmp_path_factory.mktemp("fuzz")
    ws = Workspace(root=root, erp_path=root / "demo_erp.sqlite")
    shutil.copyfile(demo_erp_template, ws.erp_path)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv("ERPLOAD__DEMO_ERP", str(ws.erp_path))
        mp.delenv("SOURCES__ERP__CREDENTIALS", raising=False)
        for args in (("extract",), ("map",), ("transform", "datev"), ("export", "datev", "--out", "out")):
            assert ws.cli(*args).finished
    ours = sorted((root / "out").glob("EXTF_*.csv"))
    kinds = {p.name.split("_")[1]: p for p in ours}  # one Buchungsstapel is enough, one of each other category
    assert len(kinds) >= 4, kinds
    return [restored(s) for s in CHECKED_SAMPLES] + [p.read_bytes() for p in kinds.values()]


def _assert_judged(data: bytes) -> None:
    report = check_bytes(data, "EXTF_fuzz.csv")
    internal = [f for f in report.findings if f.rule == "checker.internal"]
    assert not internal, internal


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_value_in_any_field_of_a_real_file_is_a_finding_not_a_crash(real_files: list[bytes],
                                                                         data: st.DataObject) -> None:
    lines = data.draw(st.sampled_from(real_files)).split(b"\r\n")
    for _ in range(data.draw(st.integers(1, 4))):
        number = data.draw(st.integers(0, min(len(lines), 5) - 1))  # the header and the first data lines
        fields = lines[number].split(b";")
        index = data.draw(st.integers(0, len(fields) - 1))
        fields[index] = data.draw(_values).encode("cp1252", errors="replace")
        lines[number] = b";".join(fields)
    _assert_judged(b"\r\n".join(lines))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_arbitrary_lines_and_bytes_inside_a_real_file_are_findings(real_files: list[bytes],
                                                                   data: st.DataObject) -> None:
    lines = data.draw(st.sampled_from(real_files)).split(b"\r\n")
    position = data.draw(st.integers(0, len(lines)))
    inserted = data.draw(st.one_of(st.binary(max_size=200),
                                   st.text(max_size=200).map(lambda t: t.encode("utf-8"))))
    _assert_judged(b"\r\n".join([*lines[:position], inserted, *lines[position:]]))


def test_a_batch_dated_in_the_year_9999_is_an_error_not_a_traceback(real_files: list[bytes], tmp_path: Path) -> None:
    """The file `export` wrote for a booking dated 9999-12-31 before map refused such dates."""
    ours = next(f for f in real_files if b'"Buchungsstapel"' in f.split(b"\r\n")[0] and b'"erpload"' in f)
    lines = ours.split(b"\r\n")
    header = lines[0].split(b";")
    header[12], header[14], header[15] = b"99990101", b"99991201", b"99991231"
    lines[0] = b";".join(header)
    path = tmp_path / "EXTF_Buchungsstapel_9999.csv"
    path.write_bytes(b"\r\n".join(lines))
    report = check_file(path)
    assert not [f for f in report.findings if f.rule == "checker.internal"]
    assert {f.column for f in report.findings if f.rule == "header.date_implausible"} == {13, 15, 16}
    assert not report.ok
