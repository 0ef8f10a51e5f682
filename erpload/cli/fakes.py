"""`erpload fakes …`: every declared target's loopback fake, for the demo and for trying things by hand.

`erpload fakes serve` serves each fake on 127.0.0.1 at its fixed port (`--<target>-port` moves it) until
Ctrl-C, and prints per fake what it accepts and the settings that point erpload at it. What a fake
received is listed at `<base URL>/_fake/requests`; `/_fake/faults` sets its fault knobs.
"""

from __future__ import annotations

import inspect
import json
import socket
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from erpload.cli.help_format import WholeSentences
from erpload.targets import Target, load, targets

fakes_app = typer.Typer(cls=WholeSentences, no_args_is_help=True)
out = Console(width=None if sys.stdout.isatty() else 160, highlight=False, markup=False)  # TOML has [brackets]
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160, highlight=False)


@fakes_app.callback()
def fakes() -> None:
    """Loopback fakes of the vendor APIs, with fault knobs and a request log."""


def _port_flag(target: Target) -> str:
    return f"--{target.name}-port"


def _busy(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on, or None (bound the way the fakes bind: reusable at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def toml_of(env: dict[str, str]) -> list[str]:
    """The same settings as .dlt TOML: `DESTINATION__X__API_KEY` is `api_key` under `[destination.x]`."""
    sections: dict[str, list[str]] = {}
    for name, value in env.items():
        parts = name.lower().split("__")
        sections.setdefault(".".join(parts[:-1]), []).append(f"{parts[-1]} = {json.dumps(value)}")
    lines = []
    for section, keys in sections.items():
        lines += [f"[{section}]", *keys]
    return lines


def _print_fake(target: Target, server: Any, url: str) -> None:
    assert target.fake is not None
    out.print(f"{target.fake.title} fake ({target.name}): {url}")
    for line in server.accepts():
        out.print(f"  accepts {line}")
    out.print(f"  requests received: {url}/_fake/requests")
    env = server.env(url, printable=True)
    out.print("  point erpload at it with these environment variables:")
    for name, value in env.items():
        out.print(f"    export {name}={value}")
    out.print("  or in .dlt/config.toml (a key belongs in .dlt/secrets.toml):")
    for line in toml_of(env):
        out.print(f"    {line}")


def serve_fakes(host: str, ports: dict[str, int]) -> None:
    """Serve the fakes of the targets in `ports` (name → port) until SIGINT or SIGTERM."""
    # Imported here: every other erpload command starts without FastAPI and uvicorn.
    from erpload.fakes.serving import serve_apps

    declared = targets()
    for name, port in ports.items():
        problem = _busy(host, port)
        if problem:
            err.print(f"[red]error:[/] cannot listen on {host}:{port} for the {name} fake: {problem}")
            err.print(f"  fix: stop what uses that port, or pick another with {_port_flag(declared[name])}")
            raise typer.Exit(2)
    servers = {name: load(declared[name].fake.factory)() for name in ports}  # type: ignore[union-attr]

    def ready(urls: list[str]) -> None:
        for name, url in zip(ports, urls, strict=True):
            _print_fake(declared[name], servers[name], url)
        out.print("Press Ctrl-C to stop.")

    try:
        serve_apps([(servers[name].app, port) for name, port in ports.items()], host, ready)
    except OSError as exc:
        err.print(f"[red]error:[/] cannot listen on {host}: {exc.strerror or exc}")
        err.print("  fix: stop what uses the port, or pick another with " + ", ".join(
            _port_flag(declared[name]) for name in ports))
        raise typer.Exit(2) from None
    out.print("stopped")


def _serve_command() -> Any:
    """`erpload fakes serve` with a `--<target>-port` option per declared fake."""
    with_fakes = [t for t in targets().values() if t.fake is not None]

    def serve(host: str, **ports: int) -> None:
        serve_fakes(host, {t.name: ports[f"{t.name}_port"] for t in with_fakes})

    parameters = [inspect.Parameter("host", inspect.Parameter.KEYWORD_ONLY, default="127.0.0.1",
                                    annotation=Annotated[str, typer.Option(help="Address to listen on.")])]
    for t in with_fakes:
        assert t.fake is not None
        parameters.append(inspect.Parameter(
            f"{t.name}_port", inspect.Parameter.KEYWORD_ONLY, default=t.fake.port,
            annotation=Annotated[int, typer.Option(_port_flag(t), help=f"Port of the {t.fake.title} fake.")]))
    serve.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    serve.__annotations__ = {p.name: p.annotation for p in parameters}
    serve.__doc__ = ("Serve every vendor fake on loopback until Ctrl-C, printing per fake what it accepts and the "
                     "settings that point erpload at it.\n\nA fake's demo key is printed: it is made up, known "
                     "only to the fake, not a secret. A key you chose for a fake (in its "
                     "ERPLOAD_FAKE_<TARGET>_API_KEY) is named, never printed.")
    return serve


fakes_app.command("serve")(_serve_command())


if __name__ == "__main__":
    fakes_app()
