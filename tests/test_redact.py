"""One URL redaction (`erpload.redact`): property-tested over passwords of any character, then end to end through
a real `erpload` process whose ERP URL carries such a password: not on screen, not in erpload.runs or rejects."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, unquote

import duckdb
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from erpload import redact as redaction
from erpload.redact import MASK, MIN_SECRET_LENGTH, redact, redact_sql, register_secret, register_url_secrets
from erpload.runs import Run
from erpload.staging import ensure_framework_tables

# printable ASCII without blanks (a URL holds none), the characters a URL gives meaning to, and some beyond ASCII
PASSWORD_CHARS = "".join(chr(c) for c in range(0x21, 0x7F)) + "äöüßéø€łžΩ中😀"
password = st.text(alphabet=PASSWORD_CHARS, min_size=1, max_size=24)
user = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.-", min_size=1, max_size=12)
host = st.from_regex(r"[a-z][a-z0-9-]{0,12}(\.[a-z0-9-]{1,8}){0,2}", fullmatch=True)
database = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
port = st.one_of(st.none(), st.integers(1, 65535))
scheme = st.sampled_from(["postgresql", "postgresql+psycopg2", "mysql+pymysql", "mssql+pyodbc", "https"])
# prose around the URL: words and punctuation, no character a URL could continue with
prose = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;()!", max_size=40)
quotes = st.sampled_from([("", ""), ("'", "'"), ('"', '"'), ("(", ")"), ("<", ">"), ("url=", ",")])


@pytest.fixture(autouse=True)
def no_registered_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The properties test the patterns alone: a registered secret would mask anything."""
    monkeypatch.setattr(redaction, "_known_secrets", set())


def _url(s: str, u: str, pw: str, h: str, p: int | None, db: str) -> str:
    return f"{s}://{u}:{pw}@{h}{f':{p}' if p else ''}/{db}"


def _leaks(secret: str, shown: str, baseline: str, *, delimiters: str = "") -> list[str]:
    """Pieces of 4+ characters of `secret` that `shown` holds and the text without the secret does not; with
    `delimiters`, only pieces holding 4+ characters besides them."""
    pieces = {secret[i:j] for i in range(len(secret)) for j in range(i + 4, len(secret) + 1)}
    return sorted(p for p in pieces if p in shown and p not in baseline
                  and len(p.translate({ord(c): None for c in delimiters})) >= MIN_SECRET_LENGTH)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheme, user, password, host, port, database, prose, prose, quotes, st.booleans())
def test_no_piece_of_a_userinfo_password_survives(s: str, u: str, pw: str, h: str, p: int | None, db: str,
                                                  before: str, after: str, quote_pair: tuple[str, str],
                                                  encoded: bool) -> None:
    written = quote(pw, safe="") if encoded else pw
    left, right = quote_pair
    template = f"{before} {left}{_url(s, u, '{}', h, p, db)}{right} {after}"
    shown = redact(template.replace("{}", written))
    baseline = redact(template.replace("{}", MASK))
    assert not _leaks(written, shown, baseline), shown
    assert not _leaks(pw, shown, baseline), shown
    assert f"@{h}" in shown  # the host stays readable
    assert f"{u}:{MASK}@" in shown


@settings(max_examples=200, deadline=None)
@given(password, password, host, host, prose)
def test_several_urls_in_one_text(pw1: str, pw2: str, h1: str, h2: str, middle: str) -> None:
    template = f"tried postgresql://a:{{1}}@{h1}/erp, then {middle} mysql://b:{{2}}@{h2}:3306/erp and gave up"
    shown = redact(template.replace("{1}", pw1).replace("{2}", pw2))
    baseline = redact(template.replace("{1}", MASK).replace("{2}", MASK))
    assert not _leaks(pw1, shown, baseline), shown
    assert not _leaks(pw2, shown, baseline), shown
    assert f"@{h1}/erp" in shown
    assert f"@{h2}:3306/erp" in shown


QUERY_PASSWORD = st.text(alphabet=PASSWORD_CHARS.replace("&", "").replace(";", ""), min_size=1, max_size=24)


@settings(max_examples=300, deadline=None)
@given(QUERY_PASSWORD, st.sampled_from(["password", "pwd", "token", "PASSWORD", "api_key", "sslpassword"]),
       st.sampled_from(["?", "&"]), prose)
def test_secret_query_parameters(pw: str, key: str, separator: str, after: str) -> None:
    head = "sqlite:///erp.sqlite?mode=ro" if separator == "&" else "sqlite:///erp.sqlite"
    template = f"opened {head}{separator}{key}={{}}&cache=shared {after}"
    shown = redact(template.replace("{}", pw))
    assert not _leaks(pw, shown, redact(template.replace("{}", MASK))), shown
    assert "cache=shared" in shown
    assert shown.startswith(f"opened {head}{separator}{key}={MASK}")


@settings(max_examples=200, deadline=None)
@given(password, user, host, database)
def test_sqlalchemy_renderings(pw: str, u: str, h: str, db: str) -> None:
    url = sa.URL.create("postgresql+psycopg2", username=u, password=pw, host=h, port=5432, database=db)
    baseline = redact(f"Engine({_url('postgresql+psycopg2', u, MASK, h, 5432, db)}) failed") + quote(MASK, safe="")
    for shown in (url.render_as_string(hide_password=False), repr(url)):
        text = redact(f"Engine({shown}) failed")
        assert not _leaks(pw, text, baseline), text


@settings(max_examples=200, deadline=None)
@given(password, user, host, database)
@example(pw="@00/$", u="0", h="a", db="_")  # the two characters between '@' and '/' are shown, no more
@example(pw="@0042/$", u="0", h="a", db="_")  # four are masked
def test_sqlalchemy_renders_what_it_misread_masked(pw: str, u: str, h: str, db: str) -> None:
    """SQLAlchemy reads an unencoded '@' in the password as the end of the userinfo and renders the rest as the
    host: erpload registers the configured URL's password (`load_settings`), so those pieces are masked too.

    A piece is registered from 4 characters between the delimiters a parser splits at: a shorter one would mask
    ordinary words (password '@00/$' is shown as host '00', database '$@a...')."""
    written = _url("postgresql", u, pw, h, 5432, db)
    try:
        shown = str(sa.make_url(written))
    except ValueError:  # e.g. a port SQLAlchemy cannot read: nothing rendered
        return
    redaction._known_secrets.clear()  # one example's secrets must not mask the next one's
    register_url_secrets(written)
    text = redact(f"Engine({shown}) failed")
    baseline = redact(f"Engine({_url('postgresql', u, MASK, h, 5432, db)}) failed")
    assert not _leaks(pw, text, baseline, delimiters="@:/?#&="), text


def test_error_messages_of_sqlalchemy_psycopg2_and_dlt() -> None:
    """Real messages: a driver quoting the host SQLAlchemy cut out of an unencoded password, dlt's credentials."""
    from dlt.common.configuration.specs import ConnectionStringCredentials

    url = f"postgresql+psycopg2://erp:Xy7p@LongTail2024@127.0.0.1:{_closed_port()}/erp"
    with pytest.raises(sa.exc.OperationalError) as caught:
        sa.create_engine(url).connect()
    message = str(caught.value)
    assert "LongTail2024" in message  # psycopg2 names the host SQLAlchemy read: the password's tail
    register_url_secrets(url)
    assert "LongTail2024" not in redact(message)
    assert "Xy7p" not in redact(message)
    encoded = "postgresql://erp:Xy7p%40LongTail2024@db:5432/erp"
    credentials = ConnectionStringCredentials(encoded)
    for shown in (str(credentials), credentials.to_native_representation(), f"failed to connect to '{encoded}'",
                  f'{{"credentials": "{encoded}"}}'):
        assert "Tail2024" not in redact(shown), shown


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(prose, password, st.sampled_from(
    ["postgresql://erp:", "@db:5432/erp", "?password=", "&token=", " Bearer ", "'password': '", "password='",
     '"pwd": "', "'", '"', " ", "\t", "\x0b", "\u00a0", "::", "@", "//"])), max_size=12),
    st.lists(password, max_size=3))
def test_sql_redaction_masks_exactly_as_python_does(monkeypatch: pytest.MonkeyPatch, parts: list[str],
                                                    secrets: list[str]) -> None:
    monkeypatch.setattr(redaction, "_known_secrets", set())
    for secret in secrets:
        register_secret(secret)
    text = "".join(parts)
    with duckdb.connect() as con:
        in_sql = con.execute(f"SELECT {redact_sql('t')} FROM (SELECT $t AS t)", {"t": text}).fetchone()
    assert in_sql == (redact(text),)


def test_every_stored_message_is_redacted(tmp_path: Path) -> None:
    register_secret("Registered-Api-Key")
    run = Run(command="extract", profile="demo")
    run.note("pulled from postgresql://erp:p@ss@db/erp with Registered-Api-Key")
    run.fail("postgresql://erp:p@ss@db/erp refused password='p@ss'")
    with duckdb.connect(str(tmp_path / "s.duckdb")) as con:
        ensure_framework_tables(con)
        con.execute("""INSERT INTO rejects VALUES (?, 'datev', 'bookings', 'k', 'f', 'sqlite:///x?pwd=hunter22',
                       'the vendor said: token=abcdef123 is wrong', 'rotate Registered-Api-Key', NULL, now(),
                       'push.refused'),
                       ('another-run', 'datev', 'bookings', 'k', 'f', 'token=untouched', 'r', 'h', NULL, now(),
                        'x.y')""",
                    [run.run_id])
        run.record(con)
        stored = con.execute("SELECT value, reason, fix FROM rejects ORDER BY run_id = 'another-run'").fetchall()
        message = con.execute("SELECT DISTINCT message FROM runs").fetchall()
    assert run.notes == ["pulled from postgresql://erp:***@db/erp with ***"]
    assert message == [("postgresql://erp:***@db/erp refused password=***",)]
    assert stored[0] == ("sqlite:///x?pwd=***", "the vendor said: token=*** is wrong", "rotate ***")
    assert stored[1][0] == "token=untouched"  # only the run's own rejects are rewritten


def test_warnings_are_redacted() -> None:
    import warnings

    import erpload.cli.main  # noqa: F401  - installs the redaction of warnings

    shown = warnings.formatwarning("cannot use postgresql://erp:p@ss@db/erp", UserWarning, "x.py", 1, "")
    assert "postgresql://erp:***@db/erp" in shown


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _erpload(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"}
    env.pop("SOURCES__ERP__CREDENTIALS", None)
    return subprocess.run([sys.executable, "-m", "erpload.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def _stored_text(staging: Path) -> str:
    """Every text the run left in erpload.runs and erpload.rejects, in one string."""
    with duckdb.connect(str(staging), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        rows = con.execute("SELECT * FROM runs").fetchall()
        if "rejects" in tables:
            rows += con.execute("SELECT * FROM rejects").fetchall()
    assert rows
    return "\n".join(map(str, rows))


@pytest.mark.parametrize("secret", ["Xy7p@LongTail2024", "s3cr:et/pa#th?q@Tail!Wörd", "p%40ss%2Fw0rd%3Aok"])
def test_unreachable_postgresql_shows_no_password(tmp_path: Path, secret: str) -> None:
    url = f"postgresql://erp:{secret}@127.0.0.1:{_closed_port()}/erp"
    done = _erpload(tmp_path, "extract", "--erp-url", url, "--staging", "s.duckdb", "--quiet")
    assert done.returncode == 3, done.stderr
    assert "cannot reach the ERP database" in done.stderr
    shown = done.stdout + done.stderr + _stored_text(tmp_path / "s.duckdb")
    assert not _leaks(secret, shown, ""), shown
    assert not _leaks(unquote(secret), shown, ""), shown


def test_sqlite_password_parameter_shows_nowhere(tmp_path: Path, demo_erp_template: Path) -> None:
    """A whole run up to the transforms (rejects included: the demo ERP has faults on purpose)."""
    secret = "Sq1ite-S3cret"
    url = f"sqlite:///{demo_erp_template}?password={secret}&mode=ro"
    done = _erpload(tmp_path, "run", "--erp-url", url, "--staging", "s.duckdb", "--quiet", "--until", "transform")
    assert done.returncode in (0, 5), done.stderr
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM rejects").fetchone() != (0,)
    shown = done.stdout + done.stderr + _stored_text(tmp_path / "s.duckdb")
    assert not _leaks(secret, shown, ""), shown
