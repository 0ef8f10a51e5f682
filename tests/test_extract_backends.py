"""The duckdb backend (DuckDB's SQLite scanner) stages exactly what the pyarrow backend stages, on a full load
and on an incremental one with the ERP's awkward rows; where the scanner cannot be loaded, extract reads with
pyarrow and says so."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from erpload.cli.main import app
from erpload.exit_codes import ExitCode
from erpload.sources.erp.duckdb_scan import Cast, attach_target, open_scan
from tests.support.staging_compare import compare_erp_raw
from tests.test_extract_faults import _allow_null
from tests.utils import Workspace, shared_workspace

BACKENDS = ("pyarrow", "duckdb")


def _change_the_erp(ws: Workspace, now: datetime) -> None:
    """Changes an extract must pick up, and rows it must set aside or report, the same on every ERP copy."""

    def _recent(minutes_ago: int) -> str:
        return (now - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%d %H:%M:%S.%f")

    _allow_null(ws, "currency", "updated_at")
    with sqlite3.connect(ws.erp_path) as con:
        con.executescript(f"""
            -- ordinary changes: the cursor moves (one spelled with 'T', as some writers do)
            UPDATE journal_line SET line_text = 'changed', updated_at = '{_recent(9)}'
                WHERE line_id IN (SELECT line_id FROM journal_line ORDER BY line_id LIMIT 3);
            UPDATE journal_entry SET description = 'changed', updated_at = '{_recent(8).replace(" ", "T")}'
                WHERE entry_id = (SELECT min(entry_id) FROM journal_entry);
            -- a new row
            CREATE TEMP TABLE copied AS SELECT * FROM customer
                WHERE customer_id = (SELECT min(customer_id) FROM customer);
            UPDATE copied SET customer_id = 990001, customer_no = 'K990001', updated_at = '{_recent(7)}';
            INSERT INTO customer SELECT * FROM copied;
            -- a value that does not convert: loaded as NULL and a reject
            UPDATE customer SET credit_limit = 'thirty', updated_at = '{_recent(6)}'
                WHERE customer_id = (SELECT min(customer_id) FROM customer WHERE customer_id > 1);
            -- a cursor in the future: loaded, reported, never the table's cursor
            UPDATE vendor SET name = 'Typo GmbH', updated_at = '2062-03-01 10:00:00.000000'
                WHERE vendor_id = (SELECT min(vendor_id) FROM vendor);
            -- a row without a cursor value: loaded and reported on every run
            UPDATE currency SET description = 'No Time', updated_at = NULL
                WHERE currency_code = (SELECT min(currency_code) FROM currency);
        """)


def _extract(ws: Workspace, backend: str) -> str:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCES__ERP__BACKEND", backend)
        result = ws.cli("extract")
    assert result.finished, result.output
    return result.output


def _last_extract(ws: Workspace) -> dict[str, object]:
    """What the last extract reported: per table its counts and cursor, and its rejects."""
    last = "(SELECT arg_max(run_id, finished_at) FROM runs WHERE command = 'extract')"
    return {
        "tables": ws.query(f"SELECT table_name, loaded, unchanged, rejected, cursor FROM runs WHERE run_id = {last} "
                           "ORDER BY ALL"),
        "rejects": ws.query(f"SELECT entity, record_key, field, value, reason, reason_code FROM rejects "
                            f"WHERE target = 'erp_raw' AND run_id = {last} ORDER BY ALL"),
    }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, demo_erp_template: Path) -> dict[str, Workspace]:
    """The demo ERP extracted by each backend, and a staging file that pyarrow started and duckdb goes on with;
    then the ERP changed (the same way in each project's copy): `loaded["pyarrow"]` etc. before the second
    extract, for the tests to run it."""
    root = tmp_path_factory.mktemp("backends")
    projects = {"pyarrow": "pyarrow", "duckdb": "duckdb", "switched": "pyarrow"}
    with_first_extract = {}
    for name, backend in projects.items():
        (root / name).mkdir()
        with shared_workspace(root / name, demo_erp_template) as ws:
            _extract(ws, backend)
            with_first_extract[name] = ws
    return with_first_extract


def test_a_full_load_stages_the_same_tables_types_and_rows(loaded: dict[str, Workspace]) -> None:
    comparison = compare_erp_raw(loaded["pyarrow"].staging, loaded["duckdb"].staging)

    assert comparison.differences == {}
    assert comparison.tables == 25
    assert comparison.rows > 4_000
    assert _last_extract(loaded["pyarrow"]) == _last_extract(loaded["duckdb"])


def test_an_incremental_load_stages_and_reports_the_same(loaded: dict[str, Workspace]) -> None:
    now = datetime.now(UTC)
    for name, ws in loaded.items():
        _change_the_erp(ws, now)
        _extract(ws, "pyarrow" if name == "pyarrow" else "duckdb")

    reports = {name: _last_extract(ws) for name, ws in loaded.items()}
    for name in ("duckdb", "switched"):
        comparison = compare_erp_raw(loaded["pyarrow"].staging, loaded[name].staging)
        assert comparison.differences == {}, name
        assert reports[name] == reports["pyarrow"], name
    # the comparison is about these rows: each backend read them and set aside or reported the odd ones
    codes = {(r[0], r[5]) for r in reports["duckdb"]["rejects"]}  # type: ignore[attr-defined]
    assert codes == {("customer", "erp_raw.value_not_converted"), ("vendor", "erp_raw.cursor.in_future"),
                     ("currency", "erp_raw.cursor.empty")}
    ws = loaded["duckdb"]
    assert ws.scalar("SELECT count(*) FROM erp_raw.journal_line WHERE line_text = 'changed'") == 3
    assert ws.scalar("SELECT description FROM erp_raw.journal_entry ORDER BY entry_id LIMIT 1") == "changed"
    assert ws.scalar("SELECT count(*) FROM erp_raw.customer WHERE customer_id = 990001") == 1


ODD_BUT_FINE = [
    # (timestamp as some writer spelled it, NUMERIC(18,2), REAL, BOOLEAN, BLOB, JSON)
    ("2025-01-02 10:00:00", 12.5, 0.1 + 0.2, 0, b"\x00\xff\xfe", '{"a": [1, 2.50]}'),
    ("2025-01-02T10:00:00.5", 7, 1e300, 1, b"", "[]"),
    ("2025-01-02 10:00", 0.1 + 0.2, -0.0, 0, None, None),
    ("2025-01-02T10:00:00Z", 99999999.99, 5e-324, 1, b"%PDF-1.4", '"text"'),
    ("2025-01-02 10:00:00+02:00", -3.25, 1.5, 0, b"\n", "null"),
    ("2025-01-02", 1e-5, 2.0, 1, b"\x80", "{}"),
    ("2025-01-02 10:00:00.1234567", 12.35, 3.0, 0, b"a", "1"),
]
#: what the SQLite scanner's typed reading takes: no UTC offset, no number in the JSON column (SQLite stores
#: '1' there as the number 1: the column has NUMERIC affinity)
TYPED_READABLE = [row for row in ODD_BUT_FINE if "+02:00" not in str(row[0]) and row[5] != "1"]


def _odd_table(erp: Path, rows: list[tuple[object, ...]]) -> None:
    with sqlite3.connect(erp) as con:
        con.execute("CREATE TABLE odd (id INTEGER PRIMARY KEY, ts TIMESTAMP, amount NUMERIC(18,2), ratio REAL, "
                    "flag BOOLEAN, content BLOB, doc JSON)")
        con.executemany("INSERT INTO odd VALUES (?, ?, ?, ?, ?, ?, ?)", [(i, *row) for i, row in enumerate(rows)])


# all of them: the full load reads text through sqlite_query; TYPED_READABLE: the scanner's typed reading
# (`ErpScan.reads_typed`, asserted below); each must stage what pyarrow stages
@pytest.mark.parametrize("all_of_them", [True, False], ids=["text-read", "typed-read"])
def test_values_stored_oddly_but_convertible_stage_alike(workspace: Workspace, tmp_path: Path,
                                                         all_of_them: bool) -> None:
    """SQLite's text timestamps in every spelling SQLAlchemy reads (an offset is converted to UTC), REALs that
    need 17 digits, integers in a NUMERIC column, blobs that are no text, JSON kept as its text."""
    rows = ODD_BUT_FINE if all_of_them else TYPED_READABLE
    _odd_table(workspace.erp_path, rows)
    profile = tmp_path / "odd.toml"
    profile.write_text('name = "odd"\n[tables.odd]\nprimary_key = ["id"]\ncursor = "ts"\n')
    staging = {}
    for backend in BACKENDS:
        staging[backend] = workspace.root / f"{backend}.duckdb"
        result = CliRunner().invoke(app, ["extract", "--staging", str(staging[backend]), "--profile", str(profile),
                                          "--erp-url", workspace.erp_url, "--quiet"],
                                    env={"SOURCES__ERP__BACKEND": backend})
        assert result.exit_code == ExitCode.OK, result.output

    comparison = compare_erp_raw(staging["pyarrow"], staging["duckdb"])

    assert comparison.differences == {}
    assert comparison.rows == len(rows)
    with duckdb.connect(str(staging["duckdb"]), read_only=True) as con:
        assert con.execute("SELECT content FROM erp_raw.odd WHERE id = 0").fetchone() == (b"\x00\xff\xfe",)
        if all_of_them:
            assert con.execute("SELECT ts FROM erp_raw.odd WHERE id = 4").fetchone() == (datetime(2025, 1, 2, 8),)


def test_the_typed_read_is_taken_only_where_it_reads_the_same(tmp_path: Path) -> None:
    erp = tmp_path / "erp.sqlite"
    _odd_table(erp, TYPED_READABLE)
    engine = sa.create_engine(f"sqlite:///{erp}")
    table = sa.Table("odd", sa.MetaData(), autoload_with=engine)
    types = {"id": "BIGINT", "ts": "TIMESTAMP", "amount": "DECIMAL(18,2)", "ratio": "DOUBLE", "flag": "BOOLEAN",
             "content": "BLOB", "doc": "VARCHAR"}
    scan, _ = open_scan("duckdb", engine)
    assert scan is not None
    with scan:
        assert not scan.reads_typed(table, types)  # the probe has not vouched for the table
        scan.convertible_tables({"odd": ("id",)})
        assert scan.reads_typed(table, types)
        assert not scan.reads_typed(table, {**types, "doc": "JSON"})  # a type the scanner does not read as
        with sqlite3.connect(erp) as con:
            con.execute("UPDATE odd SET ts = '2025-01-02 10:00:00-05:00' WHERE id = 1")
        assert not scan.reads_typed(table, types)  # the scanner would drop the offset
        with sqlite3.connect(erp) as con:
            con.execute("UPDATE odd SET ts = '2025-01-02 10:00:00' WHERE id = 1")
        assert scan.reads_typed(table, types)
        scan.convertible_tables({"odd": ("id", "flag")})
        with sqlite3.connect(erp) as con:
            con.execute("UPDATE odd SET flag = 'yes' WHERE id = 2")
        assert not scan.reads_typed(table, types)  # a key that does not convert (the probe checks no key)
        scan.convertible_tables({"odd": ("id",)})
        with sqlite3.connect(erp) as con:
            con.execute("UPDATE odd SET flag = 1, doc = 2 WHERE id = 2")
        assert not scan.reads_typed(table, types)  # a number in a JSON column, which SQLite stores as one
    engine.dispose()


def test_without_the_extension_extract_reads_with_pyarrow_and_says_so(workspace: Workspace, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "extensions"
    broken.mkdir()
    (broken / "sqlite_scanner.duckdb_extension").write_bytes(b"not an extension")
    monkeypatch.setenv("SOURCES__ERP__DUCKDB_EXTENSIONS", str(broken))

    output = _extract(workspace, "auto")

    assert "read the ERP with the pyarrow backend, not through DuckDB's scanner" in output
    assert "could not load" in output
    assert workspace.scalar("SELECT count(*) FROM erp_raw.journal_line") == \
        workspace.erp("SELECT count(*) FROM journal_line")[0][0]


def test_an_explicit_pyarrow_backend_opens_no_scan_and_notes_nothing(workspace: Workspace,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__ERP__DUCKDB_EXTENSIONS", str(workspace.root / "no such folder"))

    output = _extract(workspace, "pyarrow")

    assert "DuckDB's scanner" not in output


def test_a_missing_extension_file_is_named(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'erp.sqlite'}")

    scan, why_not = open_scan("duckdb", engine, tmp_path)

    assert scan is None
    assert why_not == f"{tmp_path / 'sqlite_scanner.duckdb_extension'} does not exist (sources.erp.duckdb_extensions)"


def test_a_postgres_password_is_quoted_for_libpq_and_never_in_a_failure() -> None:
    url = sa.make_url("postgresql+psycopg2://erp_reader:it's%20a\\secret@127.0.0.1:9/erp?sslmode=disable")

    assert attach_target(url) == "host='127.0.0.1' port='9' dbname='erp' user='erp_reader' sslmode='disable'"
    # port 9 (discard) on loopback: nothing listens, the scanner cannot connect and says why
    scan, why_not = open_scan("duckdb", sa.create_engine(url))
    assert scan is None
    assert why_not is not None
    assert "could not open the ERP" in why_not
    assert "secret" not in why_not


def test_other_databases_are_read_by_pyarrow_without_a_word() -> None:
    engine = sa.create_mock_engine("mysql://u@127.0.0.1/erp", executor=print)  # a dialect, without its driver

    assert open_scan("auto", engine) == (None, None)
    assert open_scan("duckdb", engine) == (None, "DuckDB has no scanner for mysql databases")



def test_a_database_that_fails_under_the_scan_is_reported_as_the_database(tmp_path: Path) -> None:
    erp = tmp_path / "erp.sqlite"
    _odd_table(erp, TYPED_READABLE)
    engine = sa.create_engine(f"sqlite:///{erp}")
    scan, _ = open_scan("duckdb", engine)
    assert scan is not None
    erp.write_bytes(b"no longer a database" * 512)  # replaced after the extract attached it

    with scan, pytest.raises(sa.exc.OperationalError, match="file is not a database"):
        list(scan.batches(scan.query("SELECT id FROM odd"), [Cast("id", "BIGINT", from_sqlite_text=True)], set(), 10))
    engine.dispose()
