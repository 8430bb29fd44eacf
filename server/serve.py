"""`roomcast serve` under the hood: claim the port first, then run uvicorn on that socket.

The port is bound before anything else happens (migrations, demo passwords on the screen),
so a busy port is one line and nothing else; uvicorn then serves the very socket we hold,
and one "listening on" line is printed once the app has started.
"""

from __future__ import annotations

import errno
import socket
import sys

import uvicorn

from server.settings import Settings


class PortBusy(OSError):
    """The address cannot be listened on; the message says which and what to do."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise PortBusy(f"cannot listen on {host!r}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortBusy(
                f"port {port} on {host} is already in use (another `roomcast serve`?): "
                "stop it, or choose another port with --port or ROOMCAST_PORT"
            ) from None
        raise PortBusy(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def public_url(sock: socket.socket) -> str:
    """The URL a browser on this machine opens for the bound socket."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self.url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(f"listening on {self.url}/ (Ctrl-C to stop)", file=sys.stdout, flush=True)


def run(app, settings: Settings, sock: socket.socket, options: dict) -> None:
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=sock.getsockname()[1],
        log_level="warning",
        ws_max_size=settings.max_socket_message_bytes + 65536,
        timeout_graceful_shutdown=settings.drain_seconds,
        **options,
    )
    _AnnouncingServer(config, public_url(sock)).run(sockets=[sock])
