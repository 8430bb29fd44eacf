"""ASGI entry point for `uvicorn --factory server.asgi:create` (what `roomcast serve` runs).

Run it with the options of `UVICORN_OPTIONS` (`roomcast serve` does); on the command line:

    uvicorn --factory server.asgi:create --loop uvloop --no-proxy-headers \\
        --http server.connguard:GuardedHttpToolsProtocol \\
        --ws server.fastpath.wsreceive:FastWebSocketProtocol --ws-per-message-deflate false \\
        --ws-ping-interval 0 \\
        --no-access-log --timeout-graceful-shutdown 10

Why (docs/performance.md has the figures): uvloop and httptools are the fastest loop and HTTP
parser; websockets-sansio is the implementation whose frames server/fastpath/wsdirect writes
directly and whose receive path server/fastpath/wsreceive replaces for the common frame;
per-message deflate is off as in Node's socket.io (its default since v3): it costs a
compression context per connection (~300 KiB with the default window) and CPU on every frame,
and with it on the frames cannot be shared between recipients.
"""

from __future__ import annotations

from typing import Any

import socketio

from server.app import create_asgi
from server.logs import configure_logging
from server.settings import load_settings

UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "uvloop",
    # httptools with a request timeout and a connection budget (server/connguard.py)
    "http": "server.connguard:GuardedHttpToolsProtocol",
    # one rule for forwarding headers: ROOMCAST_TRUSTED_PROXIES (server/identity.py)
    "proxy_headers": False,
    # uvicorn's websockets-sansio protocol with a fast frame parser (server/fastpath/wsreceive)
    "ws": "server.fastpath.wsreceive:FastWebSocketProtocol",
    "ws_per_message_deflate": False,
    # no websocket-level keepalive pings: Engine.IO pings every socket itself (and closes it
    # when no PONG comes), as Node's socket.io does; uvicorn's ping is a second loop timer
    # per connection (~540 bytes) and a second ping every 20 s for nothing
    "ws_ping_interval": None,
    "access_log": False,
}


def uvicorn_flags(drain_seconds: int = 10) -> list[str]:
    """UVICORN_OPTIONS as `uvicorn` command-line flags (test nodes and benchmarks run the CLI).

    `--timeout-graceful-shutdown` bounds uvicorn's half of a graceful stop (waiting for open
    requests); pass ROOMCAST_DRAIN_SECONDS (server.drain)."""
    o = UVICORN_OPTIONS
    deflate = "true" if o["ws_per_message_deflate"] else "false"
    flags = ["--loop", o["loop"], "--http", o["http"], "--ws", o["ws"]]
    flags += ["--ws-per-message-deflate", deflate]
    if not o["ws_ping_interval"]:
        flags += ["--ws-ping-interval", "0"]
    if not o["access_log"]:
        flags.append("--no-access-log")
    flags += ["--timeout-graceful-shutdown", str(drain_seconds)]
    if not o["proxy_headers"]:
        flags.append("--no-proxy-headers")
    return flags


def create() -> socketio.ASGIApp:
    settings = load_settings()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    return create_asgi(settings)
