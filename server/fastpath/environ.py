"""What a socket keeps of its handshake request (engineio's WSGI-style environ).

engineio's `translate_request` builds, for every request, a dict of every header plus a class
made for that request (`AwaitablePayload`: ~2.5 KiB with its functions and dict), and two
objects keep it for the socket's whole life:
* python-socketio's `server.environ[eio_sid]`, handed to every namespace CONNECT (a later
  CONNECT authenticates from it);
* the frames of the engine's request handler, which run as long as the websocket does.
Per websocket connection that is ~5 KiB (benchmarks/memory_per_conn.py). So python-socketio
gets a copy with only the keys a connect handler reads (server/identity.py: token from the
query string or cookie, client address behind trusted proxies; server/sockets.py: origin and
host), and the engine's own environ is emptied once the websocket is accepted.
"""

from __future__ import annotations

# read by server/identity.py (token: query string, cookie; client address: the scope's
# `client`, forwarded headers from trusted proxies) and server/sockets.py (origin, host).
# Not REMOTE_ADDR: engineio fakes it as 127.0.0.1 under ASGI (the scope has the real one).
# A browser's handshake has four of these at most, which with `asgi.scope` still fits the
# smallest dict table (up to five keys): nothing else is kept.
KEPT = (
    "QUERY_STRING",
    "HTTP_COOKIE",
    "HTTP_ORIGIN",
    "HTTP_HOST",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_REAL_IP",
)


# ASGI scope keys read only while the handshake is answered (engineio's translate_request,
# the refusal path's `websocket.http.response` extension); uvicorn's own logging reads
# client, path and query string, which stay
HANDSHAKE_ONLY = ("asgi", "extensions", "raw_path", "state", "subprotocols")


def kept(environ: dict) -> dict:
    """The part of a handshake's environ a socket keeps for its namespace CONNECTs."""
    small = {key: environ[key] for key in KEPT if key in environ}
    scope = environ.get("asgi.scope")
    if scope is not None:
        if scope.get("type") == "websocket":
            small["asgi.scope"] = scope  # uvicorn keeps it for the connection anyway
        else:
            # a polling request's scope (its headers and all) would live as long as the
            # session; the client address is what identity.environ_address reads
            small["asgi.scope"] = {"type": scope.get("type"), "client": scope.get("client")}
    return small


def shed(environ: dict) -> None:
    """Empty a websocket's handshake environ once accepted (nothing reads it afterwards: the
    socket's CONNECTs read `kept`), and of its ASGI scope what only the handshake reads (the
    headers: translate_request and the front door's origin check; HANDSHAKE_ONLY)."""
    scope = environ.get("asgi.scope")
    environ.clear()
    if scope is not None and scope.get("type") == "websocket":
        scope["headers"] = ()
        for key in HANDSHAKE_ONLY:
            scope.pop(key, None)
