"""`erpload fakes …`: the loopback vendor fakes, for the demo and for trying things by hand.

`erpload fakes serve` serves every fake on 127.0.0.1 at a fixed port until Ctrl-C. What a fake
received is listed at `<base URL>/_fake/requests`; `/_fake/faults` sets its fault knobs.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.console import Console

#: Where `erpload fakes serve` puts each fake unless told otherwise.
DVELOP_PORT = 8701
#: The environment variable holding the API key the d.velop fake accepts; unset: the demo key.
DVELOP_API_KEY_ENV = "ERPLOAD_FAKE_DVELOP_API_KEY"

fakes_app = typer.Typer(no_args_is_help=True)
out = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160, highlight=False)


@fakes_app.callback()
def fakes() -> None:
    """Loopback fakes of the vendor APIs (d.velop smart invoice), with fault knobs and a request log."""


@fakes_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    dvelop_port: Annotated[int, typer.Option(help="Port of the d.velop smart invoice fake.")] = DVELOP_PORT,
) -> None:
    """Serve the vendor fakes until Ctrl-C.

    The d.velop fake accepts the API key in ERPLOAD_FAKE_DVELOP_API_KEY, or the demo key erpload's
    demo configuration uses when that is unset. Any bucket id is accepted.
    """
    # Imported here: every other erpload command starts without FastAPI and uvicorn.
    from fakes.dvelop import DEMO_API_KEY, DvelopFake
    from fakes.serving import serve_apps

    dvelop = DvelopFake(os.environ.get(DVELOP_API_KEY_ENV) or DEMO_API_KEY)
    key_source = f"from {DVELOP_API_KEY_ENV}" if os.environ.get(DVELOP_API_KEY_ENV) else "the demo key"

    def ready(urls: list[str]) -> None:
        out.print(f"d.velop smart invoice fake: {urls[0]}  (API key: {key_source})")
        out.print(f"  requests received: {urls[0]}/_fake/requests")
        out.print("Press Ctrl-C to stop.")

    try:
        serve_apps([(dvelop.app, dvelop_port)], host, ready)
    except OSError as exc:
        err.print(f"[red]error:[/] cannot listen on {host}:{dvelop_port}: {exc.strerror or exc}")
        err.print("  fix: stop what uses that port, or pick another with --dvelop-port")
        raise typer.Exit(2) from None
    out.print("stopped")


if __name__ == "__main__":
    fakes_app()
