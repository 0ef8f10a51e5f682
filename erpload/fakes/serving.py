"""Serve fakes with uvicorn: in a background thread for tests, in the foreground for the demo."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

STARTUP_TIMEOUT = 10.0


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if port:  # a fixed port must be reusable right after the previous run ended
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # uvicorn writes a response's head and body separately; without this, Nagle holds the body until
    # the client's delayed ACK (~40 ms a request). Accepted connections inherit it on Linux.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` on `host:port` (0: a free port the OS picks) in a daemon thread; yield its base URL.

    The socket is bound before the thread starts, so a busy port raises OSError here. On exit
    the server stops accepting, closes its connections and the thread is joined.
    """
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,  # leave the process's logging alone (pytest's capture, the CLI's console)
        log_level="warning",
        access_log=False,
        http="h11",
        ws="none",
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"fake:{bound_port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the fake on {host}:{bound_port} did not start")
            time.sleep(0.01)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT)
        sock.close()


def serve_apps(apps: Sequence[tuple[ASGIApp, int]], host: str, on_ready: Callable[[list[str]], None]) -> None:
    """Serve each `(app, port)` on `host` until SIGINT or SIGTERM; `on_ready` gets the base URLs in order.

    OSError from a busy port is raised before anything is served.
    """
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.ExitStack() as stack:
            urls = [stack.enter_context(serve_in_thread(app, host, port)) for app, port in apps]
            on_ready(urls)
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
