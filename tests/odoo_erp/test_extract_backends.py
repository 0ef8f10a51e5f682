"""The duckdb backend (DuckDB's PostgreSQL scanner) stages exactly what the pyarrow backend stages from the
Odoo-shaped ERP: JSONB as text, numerics, timestamps, booleans; on a full load and on an incremental one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import psycopg2
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from erpload.cli.main import app
from erpload.exit_codes import ExitCode
from erpload.sources.odoo_erp import create_odoo_erp
from tests.support.staging_compare import compare_erp_raw

BACKENDS = ("pyarrow", "duckdb")
DATABASE = "erpload_backends"


def _extract(staging: Path, backend: str, url: str) -> str:
    result = CliRunner().invoke(app, ["extract", "--staging", str(staging), "--profile", "odoo", "--erp-url", url,
                                      "--quiet"], env={"SOURCES__ERP__BACKEND": backend})
    assert result.exit_code in (ExitCode.OK, ExitCode.DATA), result.output
    return result.output


def _last_extract(staging: Path) -> dict[str, object]:
    last = "(SELECT arg_max(run_id, finished_at) FROM runs WHERE command = 'extract')"
    with duckdb.connect(str(staging), read_only=True) as con:
        return {
            "tables": con.execute(f"SELECT table_name, loaded, unchanged, rejected, cursor FROM runs "
                                  f"WHERE run_id = {last} ORDER BY ALL").fetchall(),
            "rejects": con.execute(f"SELECT entity, record_key, field, value, reason, reason_code FROM rejects "
                                   f"WHERE target = 'erp_raw' AND run_id = {last} ORDER BY ALL").fetchall(),
        }


@pytest.fixture(scope="module")
def odoo(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Path]]:
    """The Odoo ERP in a database of its own, extracted once by each backend into its own staging file."""
    con = psycopg2.connect(postgres_url.replace("postgresql+psycopg2", "postgresql"))
    try:
        con.autocommit = True  # CREATE DATABASE runs outside a transaction
        with con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            cur.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        con.close()
    url = sa.make_url(postgres_url).set(database=DATABASE).render_as_string(hide_password=False)
    create_odoo_erp(url, scale=0.1)
    with sa.create_engine(url).begin() as erp:  # so that a test can empty a cursor (staging keeps NOT NULL)
        erp.execute(sa.text("ALTER TABLE res_currency ALTER COLUMN write_date DROP NOT NULL"))
    work = tmp_path_factory.mktemp("odoo-backends")
    staging = {backend: work / f"{backend}.duckdb" for backend in BACKENDS}
    for backend, path in staging.items():
        output = _extract(path, backend, url)
        assert "DuckDB's scanner" not in output  # no fallback: the comparison is between the two backends
    return url, staging


def test_a_full_load_stages_the_same_tables_types_and_rows(odoo: tuple[str, dict[str, Path]]) -> None:
    _, staging = odoo

    comparison = compare_erp_raw(staging["pyarrow"], staging["duckdb"])

    assert comparison.differences == {}
    assert comparison.tables == 36
    assert comparison.rows > 3_000
    assert _last_extract(staging["pyarrow"]) == _last_extract(staging["duckdb"])


def test_an_incremental_load_stages_and_reports_the_same(odoo: tuple[str, dict[str, Path]]) -> None:
    url, staging = odoo
    now = datetime.now(UTC).replace(tzinfo=None)
    with sa.create_engine(url).begin() as con:
        con.execute(sa.text("UPDATE res_partner SET name = 'Changed GmbH', write_date = :t "
                            "WHERE id = (SELECT min(id) FROM res_partner)"), {"t": now - timedelta(minutes=9)})
        con.execute(sa.text("""UPDATE res_country SET name = '{"en_US": "Neuland", "de_DE": "Neuland"}', """
                            "write_date = :t WHERE id = (SELECT min(id) FROM res_country)"),
                    {"t": now - timedelta(minutes=8)})
        con.execute(sa.text("UPDATE res_partner SET name = 'Typo GmbH', write_date = '2062-03-01 10:00:00' "
                            "WHERE id = (SELECT min(id) + 1 FROM res_partner)"))
        con.execute(sa.text("UPDATE res_currency SET write_date = NULL WHERE id = (SELECT min(id) FROM res_currency)"))

    for backend, path in staging.items():
        _extract(path, backend, url)

    assert compare_erp_raw(staging["pyarrow"], staging["duckdb"]).differences == {}
    report = _last_extract(staging["duckdb"])
    assert report == _last_extract(staging["pyarrow"])
    assert {(r[0], r[5]) for r in report["rejects"]} == {  # type: ignore[attr-defined]
        ("res_partner", "erp_raw.cursor.in_future"), ("res_currency", "erp_raw.cursor.empty")}
    with duckdb.connect(str(staging["duckdb"]), read_only=True) as con:
        assert con.execute("SELECT name FROM erp_raw.res_country ORDER BY id LIMIT 1").fetchone() == (
            '{"de_DE": "Neuland", "en_US": "Neuland"}',)  # JSONB's own text, as PostgreSQL writes it
