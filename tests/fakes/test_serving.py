"""Serving fakes: in a thread on an ephemeral port (tests), in the foreground (`erpload fakes serve`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from erpload.fakes.dvelop import API, DvelopFake
from erpload.fakes.serving import serve_in_thread
from tests.fakes.dvelop_examples import EXAMPLES

REPO = Path(__file__).resolve().parents[2]
SECRET = "s3cret-fake-key-0b7e55"


def test_serve_in_thread_picks_a_free_port_and_stops_on_exit() -> None:
    with serve_in_thread(DvelopFake("k").app) as url:
        host, port = url.removeprefix("http://").split(":")
        assert host == "127.0.0.1"
        assert int(port) > 0
        assert httpx.get(f"{url}/_fake/requests").json() == {"requests": []}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_fake/requests")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_serve_in_thread_on_a_busy_port_raises(busy_port: int) -> None:
    with pytest.raises(OSError, match="in use"), serve_in_thread(DvelopFake("k").app, port=busy_port):
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fakes_cli(*args: str, key: str | None = SECRET) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "ERPLOAD_FAKE_DVELOP_API_KEY"}
    if key:
        env["ERPLOAD_FAKE_DVELOP_API_KEY"] = key
    return subprocess.Popen(
        [sys.executable, "-m", "erpload.cli.fakes", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_fakes_serve_prints_the_url_serves_until_sigterm_and_never_the_key() -> None:
    port = _free_port()
    process = _fakes_cli("serve", "--dvelop-port", str(port), "--maesn-port", str(_free_port()))
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = f"http://127.0.0.1:{port}"
        assert url in first
        while not (line := process.stdout.readline()).startswith("Press Ctrl-C"):  # all it prints when ready
            assert line, "fakes serve ended early"
            first += line
        vendors = f"{url}{API}/buckets/b/vendors"
        good = httpx.put(vendors, json=EXAMPLES["vendors"], headers={"Authorization": f"Bearer {SECRET}"})
        bad = httpx.put(vendors, json=EXAMPLES["vendors"], headers={"Authorization": "Bearer erpload-demo-dvelop-key"})
        assert (good.status_code, bad.status_code) == (201, 401)
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "stopped" in rest
    assert SECRET not in first + rest
    # the key the user chose is named where it is, never printed
    assert "export DESTINATION__DVELOP__API_KEY=$ERPLOAD_FAKE_DVELOP_API_KEY" in first


def test_fakes_serve_prints_settings_that_point_erpload_at_the_fake() -> None:
    port = _free_port()
    process = _fakes_cli("serve", "--dvelop-port", str(port), "--maesn-port", str(_free_port()), key=None)
    try:
        assert process.stdout is not None
        lines = []
        while not (line := process.stdout.readline()).startswith("Press Ctrl-C"):
            assert line, "fakes serve ended early"
            lines.append(line.strip())
        exported = dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))
        assert exported["DESTINATION__DVELOP__BASE_URL"] == f"http://127.0.0.1:{port}"
        # the demo key is the fake's own, made up: printed, and said to be no secret
        assert exported["DESTINATION__DVELOP__API_KEY"] == "erpload-demo-dvelop-key"
        assert any("demo key, not a secret" in line for line in lines)
        assert '[destination.dvelop]' in lines
        assert f'base_url = "http://127.0.0.1:{port}"' in lines
        # what it printed is what the fake accepts
        vendors = f"{exported['DESTINATION__DVELOP__BASE_URL']}{API}/buckets/" \
                  f"{exported['DESTINATION__DVELOP__BUCKET_ID']}/vendors"
        answer = httpx.put(vendors, json=EXAMPLES["vendors"],
                           headers={"Authorization": f"Bearer {exported['DESTINATION__DVELOP__API_KEY']}"})
        assert answer.status_code == 201
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_fakes_serve_on_a_busy_port_says_so(busy_port: int) -> None:
    process = _fakes_cli("serve", "--dvelop-port", str(busy_port), "--maesn-port", str(_free_port()), key=None)
    output, _ = process.communicate(timeout=30)

    assert process.returncode == 2
    assert f"127.0.0.1:{busy_port}" in output
    assert "--dvelop-port" in output
