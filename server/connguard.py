"""uvicorn's httptools protocol with a request timeout and a connection budget per node.

uvicorn times out an idle keep-alive connection after a response, but not a connection that
never sends a request, nor one whose request (headers or body) is never finished: each holds
a file descriptor forever, and ~20 000 of them exhaust the process. Here:

* a request must be complete (headers and body) within `request_timeout` seconds of the
  connection opening or of its first byte; otherwise the connection is closed;
* with more than `max_connections` connections open, a new request gets 503
  (`too_many_connections`) and is closed, `/health` excepted; beyond `max_connections +
  RESERVE` a new connection is answered 503 and closed at once, so the process keeps the
  descriptors it needs (database, Redis, logs) and /health keeps answering.

The values are set by the ASGI factory (`configure`), which uvicorn calls before it accepts
connections. Used as `--http server.connguard:GuardedHttpToolsProtocol` (UVICORN_OPTIONS).
"""

from __future__ import annotations

import json
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("roomcast.connguard")

RESERVE = 32
LIMITS = {"max_connections": 4096, "request_timeout": 15.0}
_refused = [0]
# connections whose first request is not complete yet, oldest first (the eviction order)
_pending: dict = {}


def configure(*, max_connections: int, request_timeout: float) -> None:
    LIMITS.update(max_connections=max_connections, request_timeout=request_timeout)


def _refusal() -> bytes:
    body = json.dumps(
        {
            "error": {
                "code": "too_many_connections",
                "message": "this node is at its connection budget",
                "fields": {},
            }
        }
    ).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def _count_refusal() -> None:
    _refused[0] += 1
    if _refused[0] % 100 == 1:
        log.warning(
            "connection budget of %d reached: refusing (%d so far)",
            LIMITS["max_connections"],
            _refused[0],
        )


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    _timer = None
    _complete = False
    _refusing = False

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if len(self.connections) > LIMITS["max_connections"] + RESERVE:
            # at the hard cap: the oldest connection that never finished a request goes
            # (silent sockets cannot crowd out /health); with none, the new one is refused
            oldest = next(iter(_pending), None)
            if oldest is None:
                self._refuse()
                return
            _pending.pop(oldest, None)
            _count_refusal()
            oldest._refusing = True
            oldest.transport.close()
        _pending[self] = None
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._complete = False
        self._timer = self.loop.call_later(LIMITS["request_timeout"], self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if not self._complete and not self.transport.is_closing():
            _pending.pop(self, None)
            self.transport.close()  # a request never finished: free the descriptor

    def _refuse(self) -> None:
        _count_refusal()
        self._refusing = True
        self._disarm()
        _pending.pop(self, None)
        if not self.transport.is_closing():
            self.transport.write(_refusal())
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._refusing:
            return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._complete or self._timer is None:
            self._arm()  # a new request on a kept-alive connection: its own deadline

    def on_headers_complete(self) -> None:
        if len(self.connections) > LIMITS["max_connections"]:
            path = self.url.split(b"?", 1)[0]
            if path != b"/health":
                self._refuse()
                return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refusing:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refusing:
            return
        self._complete = True
        self._disarm()
        _pending.pop(self, None)
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._complete = True
        self._disarm()
        _pending.pop(self, None)
        if len(self.connections) > LIMITS["max_connections"]:
            self._refuse()
            return
        super().handle_websocket_upgrade()

    def connection_lost(self, exc) -> None:
        self._disarm()
        _pending.pop(self, None)
        super().connection_lost(exc)
