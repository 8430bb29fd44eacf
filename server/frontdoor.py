"""The ASGI layer in front of both doors: request body bounds and the connection budget.

* A request whose Content-Length is over its door's limit (`ROOMCAST_MAX_BODY_BYTES` for REST,
  `max_socket_message_bytes` for Engine.IO polling) is answered 413 at once, without reading
  the body, and its connection is closed (`connection: close`). A chunked body is counted as
  it arrives and cut the same way.
* At most `ROOMCAST_MAX_CONNECTIONS` requests and websockets are served at once by this node;
  beyond it an HTTP request gets 503 and a websocket handshake is refused (HTTP 503), before
  the process runs out of file descriptors. `/health` is always answered.
"""

from __future__ import annotations

import json
import logging

log = logging.getLogger("roomcast.frontdoor")

SOCKET_PATH = "/socket.io"


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "fields": {}}}).encode()


async def _respond(send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class FrontDoor:
    def __init__(
        self, app, *, rest_limit: int, socket_limit: int, max_connections: int, origin_ok=None
    ) -> None:
        self.app = app
        self.origin_ok = origin_ok
        self.rest_limit = rest_limit
        self.socket_limit = socket_limit
        self.max_connections = max_connections
        self.active = 0
        self.refused = 0

    def __getattr__(self, name):
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "lifespan":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if self.active >= self.max_connections and path != "/health":
            self.refused += 1
            if self.refused % 100 == 1:
                log.warning(
                    "connection budget of %d reached: refusing (%d so far)",
                    self.max_connections,
                    self.refused,
                )
            if kind == "websocket":
                await send({"type": "websocket.http.response.start", "status": 503, "headers": []})
                body = _error("too_many_connections", "this node is at its connection budget")
                await send({"type": "websocket.http.response.body", "body": body})
                return None
            return await _respond(
                send, 503, _error("too_many_connections", "this node is at its connection budget")
            )
        if kind == "websocket" and self.origin_ok is not None and not self._origin(scope):
            # PROTOCOL §4: a bad Origin is refused at the handshake with HTTP 400, on both
            # transports (Engine.IO's own refusal closes the websocket, which uvicorn sends
            # as 403)
            await send({"type": "websocket.http.response.start", "status": 400, "headers": []})
            body = _error("bad_request", "Not an accepted origin.")
            await send({"type": "websocket.http.response.body", "body": body})
            return None
        self.active += 1
        try:
            if kind == "http":
                limit = self.socket_limit if path.startswith(SOCKET_PATH) else self.rest_limit
                return await self._http(scope, receive, send, limit)
            return await self.app(scope, receive, send)
        finally:
            self.active -= 1

    def _origin(self, scope) -> bool:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        environ = {
            "HTTP_HOST": headers.get("host", ""),
            "HTTP_X_FORWARDED_HOST": headers.get("x-forwarded-host", ""),
            "asgi.scope": scope,
        }
        return self.origin_ok(origin, environ)

    async def _http(self, scope, receive, send, limit: int):
        chunked = False
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if not value.isdigit() or int(value) > limit:
                    return await _respond(
                        send, 413, _error("payload_too_large", "request body too large")
                    )
            elif name == b"transfer-encoding":
                chunked = True
        if not chunked:
            # The body is Content-Length bytes (checked above: within the limit), or none
            # without either header (RFC 9112 6.3); uvicorn's parser delivers no more than
            # that. Only a chunked body has to be counted as it arrives.
            return await self.app(scope, receive, send)
        state = {"received": 0, "started": False, "cut": False}

        async def guarded_receive():
            if state["cut"]:
                return {"type": "http.disconnect"}
            event = await receive()
            if event["type"] == "http.request":
                state["received"] += len(event.get("body") or b"")
                if state["received"] > limit:
                    state["cut"] = True
                    if not state["started"]:
                        state["started"] = True
                        await _respond(
                            send, 413, _error("payload_too_large", "request body too large")
                        )
                    return {"type": "http.disconnect"}
            return event

        async def guarded_send(message):
            if state["cut"]:
                return None  # we answered already
            if message["type"] == "http.response.start":
                state["started"] = True
            return await send(message)

        return await self.app(scope, guarded_receive, guarded_send)
