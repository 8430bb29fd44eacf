"""`roomcast watch` and `roomcast call`: a terminal Socket.IO client for one namespace.

`watch` connects, optionally emits events (subscribe, join...) after every (re)connect, and
prints every event it receives as one JSON line until Ctrl-C; across reconnects it recovers
what it missed (a `recovered` or `gap` line per stream, docs/recovery.md). `call` connects,
emits one event with an ack, prints the ack and exits 0 when it is ok, 1 otherwise.

Modules, one job each: `options` (parsing the command line's values), `session` (REST
sign-in and tokens), `connection` (the socket and its token life cycle), `recovery` (stream
positions across reconnects), `output` (the JSON lines), `commands` (the two commands).
"""

from __future__ import annotations

from server.client_cli.commands import CallOptions, WatchOptions, call, watch
from server.client_cli.options import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNUSABLE,
    ClientError,
    Emit,
    check_namespace,
    parse_emits,
    parse_json,
)
from server.client_cli.session import Credentials

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_UNUSABLE",
    "CallOptions",
    "ClientError",
    "Credentials",
    "Emit",
    "WatchOptions",
    "call",
    "check_namespace",
    "parse_emits",
    "parse_json",
    "watch",
]
