"""An ERP database that refuses the login, does not exist, does not answer, is empty or is another database: each
says so and names the setting that fixes it, against a real PostgreSQL server (asking for a password) and real
SQLite files, through the real CLI."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
import sqlalchemy as sa

from erpload.exit_codes import ExitCode
from tests.support.postgres import running_postgres
from tests.utils import Workspace

PASSWORD = "Right#Pass-4711"
WRONG_PASSWORD = "Wrong@Guess-0815"
SETTING_NAMES = ("sources.erp.credentials", "SOURCES__ERP__CREDENTIALS", "--erp-url")


@pytest.fixture(scope="module")
def postgres_with_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.URL]:
    """A PostgreSQL server that asks every TCP login for a password, as a production server does."""
    with running_postgres(tmp_path_factory.mktemp("postgres"), password=PASSWORD) as url:
        yield sa.make_url(url)


def _url(url: sa.URL, *, user: str = "postgres", password: str | None = PASSWORD, database: str | None = None,
         port: int | None = None) -> str:
    userinfo = quote(user) + (f":{quote(password, safe='')}" if password is not None else "")
    return f"postgresql://{userinfo}@127.0.0.1:{port or url.port}/{database or url.database}"


def _sql(url: sa.URL, statements: list[str], database: str = "postgres") -> None:
    con = psycopg2.connect(host="127.0.0.1", port=url.port, user="postgres", password=PASSWORD, dbname=database)
    con.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with con.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        con.close()


def _one_message(stderr: str) -> str:
    return " ".join(stderr.split())  # the console wraps long lines


def test_wrong_password_says_the_login_was_refused_and_names_the_setting(workspace: Workspace,
                                                                        postgres_with_password: sa.URL) -> None:
    result = workspace.cli("extract", erp_url=_url(postgres_with_password, password=WRONG_PASSWORD))
    message = _one_message(result.stderr)
    assert result.exit_code == ExitCode.SOURCE
    assert "refused the login of user postgres (password authentication failed)" in message
    assert "cannot reach" not in message
    assert all(name in message for name in SETTING_NAMES)
    for secret in (WRONG_PASSWORD, quote(WRONG_PASSWORD, safe=""), "Guess-0815", PASSWORD):
        assert secret not in result.output


def test_unknown_user_says_the_login_was_refused(workspace: Workspace, postgres_with_password: sa.URL) -> None:
    result = workspace.cli("extract", erp_url=_url(postgres_with_password, user="erp_reader"))
    assert result.exit_code == ExitCode.SOURCE
    assert "refused the login of user erp_reader (password authentication failed)" in _one_message(result.stderr)


def test_missing_password_says_none_was_given(workspace: Workspace, postgres_with_password: sa.URL) -> None:
    result = workspace.cli("extract", erp_url=_url(postgres_with_password, password=None))
    assert result.exit_code == ExitCode.SOURCE
    assert "refused the login of user postgres (no password given)" in _one_message(result.stderr)


def test_unknown_database_is_named(workspace: Workspace, postgres_with_password: sa.URL) -> None:
    result = workspace.cli("extract", erp_url=_url(postgres_with_password, database="erp_prod"))
    message = _one_message(result.stderr)
    assert result.exit_code == ExitCode.SOURCE
    assert f"server at 127.0.0.1:{postgres_with_password.port} has no database 'erp_prod'" in message
    assert "fix the database name" in message
    assert PASSWORD not in result.output


def test_server_that_does_not_answer_is_still_unreachable(workspace: Workspace,
                                                          postgres_with_password: sa.URL) -> None:
    with running_postgres(workspace.root / "gone", password=PASSWORD) as url:
        port = sa.make_url(url).port  # a port a server listened on moments ago, closed now
    result = workspace.cli("extract", erp_url=_url(postgres_with_password, port=port))
    message = _one_message(result.stderr)
    assert result.exit_code == ExitCode.SOURCE
    assert "cannot reach the ERP database" in message
    assert f"runs and answers at 127.0.0.1:{port}" in message
    assert PASSWORD not in result.output


def test_empty_postgres_database_asks_whether_it_is_the_right_one(workspace: Workspace,
                                                                  postgres_with_password: sa.URL) -> None:
    result = workspace.cli("extract", erp_url=_url(postgres_with_password))
    message = _one_message(result.stderr)
    assert result.exit_code == ExitCode.SOURCE
    assert "has no tables: is it the right database?" in message
    assert "fix the table name" not in message
    assert all(name in message for name in SETTING_NAMES)
    assert PASSWORD not in result.output


def test_tables_in_another_schema_are_pointed_out_and_the_hint_works(workspace: Workspace,
                                                                     postgres_with_password: sa.URL) -> None:
    _sql(postgres_with_password, ["CREATE DATABASE erp_in_schema"])
    _sql(postgres_with_password, ["CREATE SCHEMA sales", "CREATE TABLE sales.customer (customer_id int primary key)"],
         database="erp_in_schema")
    url = _url(postgres_with_password, database="erp_in_schema")

    result = workspace.cli("extract", erp_url=url)
    message = _one_message(result.stderr)
    assert result.exit_code == ExitCode.SOURCE
    assert "has no tables; tables are in schema sales, not in the default one" in message
    assert "?options=-csearch_path%3Dsales" in message

    # following the hint, the database shows its tables: now the profile's other tables are what is missing
    following = workspace.cli("extract", erp_url=url + "?options=-csearch_path%3Dsales")
    assert following.exit_code == ExitCode.CONFIG
    assert "no such table" in _one_message(following.stderr)


def test_empty_sqlite_file_asks_whether_it_is_the_right_database(workspace: Workspace) -> None:
    empty = workspace.root / "empty.sqlite"
    sqlite3.connect(empty).close()
    result = workspace.cli("extract", erp_url=f"sqlite:///{empty}")
    message = _one_message(result.stderr)
    assert result.exit_code == ExitCode.SOURCE
    assert f"the ERP database at sqlite:///{empty} has no tables: is it the right database?" in message
    assert "fix the table name" not in message


def test_database_without_the_profiles_tables_lists_what_it_has_and_what_is_wanted(workspace: Workspace) -> None:
    other = workspace.root / "crm.sqlite"
    with sqlite3.connect(other) as con:
        for n in range(12):
            con.execute(f"create table lead_{n:02d} (id integer primary key)")
    result = workspace.cli("extract", erp_url=f"sqlite:///{other}")
    message = _one_message(result.stderr)
    assert result.exit_code == ExitCode.SOURCE
    assert "has none of the tables profile 'demo' reads: is it the right database?" in message
    assert "It has lead_00, lead_01" in message
    assert "and 4 more" in message  # a few, not all twelve
    assert "lead_11" not in message
    assert "the profile reads attachment, company, cost_center" in message
    assert "--profile" in message


def test_file_that_is_no_sqlite_database_says_so(workspace: Workspace) -> None:
    notes = workspace.root / "notes.sqlite"
    notes.write_text("these are notes, not a database\n" * 200, encoding="utf-8")
    result = workspace.cli("extract", erp_url=f"sqlite:///{notes}")
    assert result.exit_code == ExitCode.SOURCE
    assert f"{notes} is not a SQLite database" in _one_message(result.stderr)


def test_one_missing_table_still_names_the_profile_file(workspace: Workspace, tmp_path: Path) -> None:
    workspace.erp("alter table vendor rename to supplier")
    result = workspace.cli("extract")
    message = _one_message(result.stderr)
    assert result.exit_code == ExitCode.CONFIG
    assert "table 'vendor'" in message
    assert "demo.toml" in message
