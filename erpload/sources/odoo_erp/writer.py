"""Write the demo dataset into PostgreSQL in Odoo's shape (see schema.sql beside this file)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa
import sqlalchemy as sa

from erpload.sources.demo_erp.generator import DemoData, generate
from erpload.sources.odoo_erp import settings
from erpload.sources.odoo_erp.loader import load_schema
from erpload.sources.odoo_erp.reshape import reshape


class NotRepresentable(ValueError):
    """The demo data holds something the Odoo shape would lose; the message names the rows."""


def control_accounts(company: pa.Table, gl_account: pa.Table) -> pa.Table:
    """Odoo's receivable and payable collective accounts, one pair per company.

    The code is the usual SKR one padded to the company's Sachkontenlänge, moved up while the
    company's chart already uses it, so no demo account is shadowed.
    """
    used: dict[int, set[str]] = {}
    for company_id, account_no in zip(
        gl_account.column("company_id").to_pylist(), gl_account.column("account_no").to_pylist(), strict=True
    ):
        used.setdefault(company_id, set()).add(account_no)
    rows: dict[str, list[object]] = {"company_id": [], "kind": [], "code": [], "name": []}
    for company_id, length in zip(
        company.column("company_id").to_pylist(), company.column("gl_account_length").to_pylist(), strict=True
    ):
        for kind, (base, name) in (
            ("receivable", settings.RECEIVABLE_ACCOUNT),
            ("payable", settings.PAYABLE_ACCOUNT),
        ):
            number = int(base.ljust(max(int(length or 0), len(base)), "0"))
            while str(number) in used.get(company_id, set()):
                number += 1
            used.setdefault(company_id, set()).add(str(number))
            for column, value in (("company_id", company_id), ("kind", kind), ("code", str(number)), ("name", name)):
                rows[column].append(value)
    return pa.table(
        {
            "company_id": pa.array(rows["company_id"], pa.int64()),
            "kind": pa.array(rows["kind"], pa.string()),
            "code": pa.array(rows["code"], pa.string()),
            "name": pa.array(rows["name"], pa.string()),
        }
    )


def _check_representable(duck: duckdb.DuckDBPyConnection) -> None:
    """Refuse data the Odoo shape cannot carry, instead of writing a silently different ERP."""
    checks = {
        # Odoo quotes a rate against a company's currency.
        "exchange rates quoted against a currency no company keeps its books in": """
            SELECT rate_id FROM demo_exchange_rate
            WHERE base_currency NOT IN (SELECT local_currency FROM demo_company)""",
        # Odoo keeps the SHA-1 only; the profile computes SHA-256 from the file itself.
        "attachments whose sha256 is not the SHA-256 of their content": """
            SELECT attachment_id FROM demo_attachment WHERE sha256 <> sha256(content)""",
        # Odoo stores the fiscal year's last month, 1..12.
        "companies with a fiscal_year_start_month outside 1..12": """
            SELECT company_id FROM demo_company WHERE fiscal_year_start_month NOT BETWEEN 1 AND 12""",
    }
    for problem, query in checks.items():
        ids = [row[0] for row in duck.execute(query + " LIMIT 10").fetchall()]
        if ids:
            raise NotRepresentable(f"the Odoo shape cannot hold {problem} (ids {ids}); fix the generator data")


def reshape_demo_tables(tables: Mapping[str, pa.Table]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the Odoo-shaped tables `odoo_<table>` built from `tables`."""
    duck = duckdb.connect()
    for name, table in tables.items():
        duck.register(f"demo_{name}", table)
    duck.register("control_accounts", control_accounts(tables["company"], tables["gl_account"]))
    _check_representable(duck)
    reshape(duck)
    return duck


def write_postgres(data: DemoData, url: str) -> dict[str, int]:
    """Write `data` into the PostgreSQL database at `url` as an Odoo-shaped ERP; returns rows per table.

    Existing Odoo tables in the database are replaced. Business keys (company codes, customer and
    vendor numbers, document numbers, line numbers), amounts, dates, texts and `updated_at`
    (as `write_date`) are kept exactly; ids are Odoo's own.

    Args:
        data: the generated demo dataset.
        url: SQLAlchemy URL of a PostgreSQL database (psycopg2 driver).
    """
    duck = reshape_demo_tables(data.tables)
    engine = sa.create_engine(url)
    try:
        connection = engine.raw_connection()
        try:
            return load_schema(duck, connection.driver_connection)
        finally:
            connection.close()
    finally:
        engine.dispose()
        duck.close()


def create_odoo_erp(url: str, *, seed: int = 42, scale: float = 1.0) -> dict[str, int]:
    """Generate the demo dataset and write it to PostgreSQL in Odoo's shape; returns rows per table.

    Args:
        url: SQLAlchemy URL of a PostgreSQL database (psycopg2 driver).
        seed: generator seed; the same seed gives the same business data as the demo ERP.
        scale: size factor (1.0 is the default demo size).
    """
    return write_postgres(generate(seed=seed, scale=scale), url)
