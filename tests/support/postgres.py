"""A throwaway PostgreSQL server for tests: its own cluster, its own port, gone afterwards.

`running_postgres(base_dir)` runs `initdb` + `pg_ctl start` from the locally installed
PostgreSQL server binaries, yields a SQLAlchemy URL, and stops the server and deletes its
files on exit. Trust authentication and `fsync=off` are fine here: the cluster only lives
for one test session and listens on 127.0.0.1 only. `password=` makes the server ask for
it over TCP (scram-sha-256), as a production server would; the URL then carries it.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg2

INSTALL_HINT = "apt-get install -y postgresql"
SERVER_USER = "postgres"  # OS user Debian's postgresql package creates; also the DB superuser name
DATABASE = "erpload_test"
START_TIMEOUT_SECONDS = 60


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries (or the OS user to run them) are missing."""


def find_server_binaries() -> Path:
    """Return the directory holding `initdb` and `pg_ctl`, preferring the newest Debian install."""
    versions = []
    for candidate in Path("/usr/lib/postgresql").glob("*/bin"):
        match = re.fullmatch(r"\d+(\.\d+)?", candidate.parent.name)
        if match and (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            versions.append((float(candidate.parent.name), candidate))
    if versions:
        return max(versions)[1]
    initdb = shutil.which("initdb")
    if initdb and (Path(initdb).parent / "pg_ctl").is_file():
        return Path(initdb).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin "
        f"or on PATH; install them with `{INSTALL_HINT}`"
    )


def _as_root() -> bool:
    return os.geteuid() == 0


def _command(argv: Sequence[str]) -> list[str]:
    # initdb and postgres refuse to run as root, so a root test run hands them to the postgres user.
    if _as_root():
        return ["runuser", "-u", SERVER_USER, "--", *argv]
    return list(argv)


def _run(argv: Sequence[str], cwd: Path, stdin: str | None = None) -> None:
    result = subprocess.run(_command(argv), cwd=cwd, capture_output=True, text=True, check=False, input=stdin)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed with exit code {result.returncode}:\n{result.stdout}{result.stderr}"
        )


def _server_user_ids() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, PostgreSQL must run as the OS user {SERVER_USER!r}, which does not exist; "
            f"`{INSTALL_HINT}` creates it (or run the tests as a non-root user)"
        ) from None
    return entry.pw_uid, entry.pw_gid


def _make_cluster_dir(base_dir: Path) -> Path:
    """Create the directory for data, socket and log, usable by whoever runs the server."""
    base_dir.mkdir(parents=True, exist_ok=True)
    if not _as_root():
        return Path(tempfile.mkdtemp(prefix="postgres-", dir=base_dir))
    uid, gid = _server_user_ids()
    for parent in (base_dir, Path(tempfile.gettempdir())):
        cluster_dir = Path(tempfile.mkdtemp(prefix="postgres-", dir=parent))
        os.chown(cluster_dir, uid, gid)
        # pytest's root-owned temp dirs are mode 0700, so the postgres user may not reach base_dir.
        reachable = subprocess.run(_command(["test", "-w", str(cluster_dir)]), check=False).returncode == 0
        if reachable:
            return cluster_dir
        shutil.rmtree(cluster_dir)
    raise RuntimeError(f"no directory writable by the OS user {SERVER_USER!r} under {base_dir} or /tmp")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start(bin_dir: Path, cluster_dir: Path, data_dir: Path, socket_dir: Path) -> int:
    """Start the server on a free port; retry if another process grabbed the port first."""
    last_error: RuntimeError | None = None
    for _attempt in range(3):
        port = _free_port()
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            _run(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data_dir),
                    "-l",
                    str(cluster_dir / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(START_TIMEOUT_SECONDS),
                    "start",
                ],
                cwd=cluster_dir,
            )
            return port
        except RuntimeError as error:
            log = cluster_dir / "server.log"
            last_error = RuntimeError(f"{error}\n{log.read_text() if log.exists() else ''}")
    assert last_error is not None
    raise last_error


def _create_database(port: int, name: str, password: str | None) -> None:
    connection = psycopg2.connect(host="127.0.0.1", port=port, user=SERVER_USER, dbname="postgres", password=password)
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


@contextmanager
def running_postgres(base_dir: Path, database: str = DATABASE, *, password: str | None = None) -> Iterator[str]:
    """Run a throwaway PostgreSQL server and yield a SQLAlchemy URL to an empty database in it.

    Args:
        base_dir: where to put the cluster (falls back to the system temp dir when running as
            root and the postgres OS user cannot reach base_dir).
        database: name of the database to create.
        password: the superuser's password, required for every TCP login (None: trust, no password).
    """
    bin_dir = find_server_binaries()
    cluster_dir = _make_cluster_dir(base_dir)
    data_dir = cluster_dir / "data"
    socket_dir = cluster_dir / "socket"
    started = False
    try:
        _run(["mkdir", str(data_dir), str(socket_dir)], cwd=cluster_dir)
        auth = ["--auth=trust"]
        if password is not None:
            password_file = cluster_dir / "password"
            _run(["sh", "-c", f"umask 077; cat > {password_file}"], cwd=cluster_dir, stdin=password + "\n")
            auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={password_file}"]
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                SERVER_USER,
                *auth,
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=cluster_dir,
        )
        port = _start(bin_dir, cluster_dir, data_dir, socket_dir)
        started = True
        _create_database(port, database, password)
        user = f"{SERVER_USER}:{quote(password, safe='')}" if password is not None else SERVER_USER
        yield f"postgresql+psycopg2://{user}@127.0.0.1:{port}/{database}"
    finally:
        if started:
            _run(
                [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w", "stop"],
                cwd=cluster_dir,
            )
        shutil.rmtree(cluster_dir, ignore_errors=True)
