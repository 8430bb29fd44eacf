"""Engine.IO v4 as specified, where python-engineio 4.15 decides otherwise.

Every rule here is one row of docs/conformance.md (the spec line, what stock does, what we
do) and one case of tests/conformance/. Only requests and handshakes pass through this
module, never a websocket packet: `handle_request` parses the query string of each HTTP
request (the stock method parses it again) and the socket hooks run once per poll.

Server side (`SpecEngineServer`):
* the handshake's `pingInterval` is `round((interval + grace) * 1000)`: stock computes
  `int(interval + grace) * 1000`, so any interval below one second is advertised as 0;
* a request without `transport` is refused (stock assumes polling), a handshake that is not a
  GET is refused (stock: 405 for PUT), any other method on a session is refused;
* a request for a session that is already closed gets 400 (stock: a POST raises KeyError,
  HTTP 500);
* a polling request that comes after the ping deadline (no PONG `ping_timeout` after a PING)
  closes the session and gets 400 (stock serves it: only the service task closes
  such sessions, late or never under load);
* a websocket opened with the sid of a session that is upgraded or upgrading is accepted and
  closed, as Node's engine.io does (stock: refused with HTTP 403); any other refused
  websocket handshake gets HTTP 400 when the ASGI server supports the `websocket.http.response`
  extension (stock: uvicorn's 403);
* a polling POST is answered `ok` (stock `OK`).

Socket side (`SpecSocket`, the base of FastSocket):
* (not a protocol rule) the websocket upgrade empties the handshake's environ once accepted
  (fastpath/environ.py: per connection memory);
* a second GET while one is waiting closes the session: the waiting GET gets the CLOSE
  packet, the second one 400 (stock: both wait, the first takes whatever comes next);
* a POST body that is not a valid payload closes the session with 400 (stock answers OK and
  keeps it); a payload of more than 16 packets is accepted (stock drops all of them silently:
  `Payload.max_decode_packets` is a client-side guard; the body is bounded in bytes).
"""

from __future__ import annotations

import time
import urllib.parse

import engineio
from engineio import async_socket, exceptions, packet
from engineio.async_drivers import asgi as asgi_driver

from server.fastpath.environ import shed as shed_environ

_SEPARATOR = "\x1e"
_MAX_TYPE = packet.NOOP


def decode_packet(encoded) -> packet.Packet | None:
    """The Engine.IO packet, or None when it is not one (engine.io-parser's "parser error")."""
    try:
        pkt = packet.Packet(encoded_packet=encoded)
    except Exception:  # empty, no type digit, bad base64: all one answer
        return None
    if not 0 <= pkt.packet_type <= _MAX_TYPE:
        return None
    return pkt


class SpecSocket(async_socket.AsyncSocket):
    # True while a polling GET waits on the queue (read by the websocket upgrade: the NOOP
    # that ends a pending poll is sent only when there is one, else it would be the first
    # frame on the new websocket).
    polling = False

    def handle_get_request(self, environ):
        # Not a coroutine itself: it returns the one the caller awaits (stock's callers
        # `await` it). A websocket's upgrade coroutine then runs without this method's frame,
        # nor the stock method's, living as long as the connection (~500 bytes each).
        connections = environ.get("HTTP_CONNECTION", "").lower()
        if (
            environ.get("HTTP_UPGRADE", "").lower() == "websocket"
            and "websocket" in self.upgrade_protocols
            and "upgrade" in [part.strip() for part in connections.split(",")]
        ):
            return self._upgrade_websocket(environ)  # stock's upgrade branch
        return self._handle_get(environ, connections)

    async def _handle_get(self, environ, connections: str):
        if "upgrade" in connections or self.upgrading or self.upgraded:
            return await super().handle_get_request(environ)
        if self.polling:
            # engine.io-protocol, test suite "closes the session upon duplicate poll requests"
            await self.close(wait=False, abort=False, reason=self.server.reason.TRANSPORT_ERROR)
            raise exceptions.EngineIOError("overlapping polling GET")
        self.polling = True
        try:
            return await super().handle_get_request(environ)
        finally:
            self.polling = False

    async def _upgrade_websocket(self, environ):
        factory = self.server._async["websocket"]
        if self.upgraded or factory is not asgi_driver.WebSocket:
            return await super()._upgrade_websocket(environ)
        # Stock's `ws(environ)` (asgi_driver.WebSocket.__call__) inline, so that the request
        # is shed once the websocket is accepted: this coroutine, the engine's and uvicorn's
        # run for the connection's whole life and would keep it (fastpath/environ.py).
        ws = factory(self._websocket_handler, self.server)
        ws.asgi_receive = environ["asgi.receive"]
        ws.asgi_send = environ["asgi.send"]
        await ws.asgi_send({"type": "websocket.accept"})
        shed_environ(environ)
        await self._websocket_handler(ws)
        return ""  # as stock: nothing more to send

    async def handle_post_request(self, environ):
        length = int(environ.get("CONTENT_LENGTH", "0"))
        if length > self.server.max_http_buffer_size:
            raise exceptions.ContentTooLongError()
        body = await environ["wsgi.input"].read(length)
        packets = _decode_payload(body)
        if packets is None:
            # "closes the session upon invalid packet format": later requests get 400
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR)
            raise exceptions.EngineIOError("invalid payload")
        for pkt in packets:
            await self.receive(pkt)


def _decode_payload(body: bytes) -> list[packet.Packet] | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text:
        return []
    if text.startswith("d="):  # JSONP form post, as stock
        text = urllib.parse.parse_qs(text).get("d", [""])[0]
    packets = []
    for part in text.split(_SEPARATOR):
        pkt = decode_packet(part)
        if pkt is None:
            return None
        packets.append(pkt)
    return packets


class SpecEngineServer(engineio.AsyncServer):
    async def handle_request(self, *args, **kwargs):
        scope = args[0]
        refusal = await self._refusal(scope)
        if refusal is None:
            return await super().handle_request(*args, **kwargs)
        receive, send = args[1], args[2]
        if refusal == _ACCEPT_AND_CLOSE:
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 1000})
            return None
        environ = await asgi_driver.translate_request(scope, receive, send)
        if not environ:
            return None  # the client went away before its request arrived
        return await self._make_response(self._bad_request(refusal), environ)

    async def _refusal(self, scope) -> str | None:
        """Why the request is refused (None: the stock handler serves it)."""
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        method = scope.get("method", "GET")
        if method == "OPTIONS":
            return None  # CORS preflight: stock
        if "transport" not in query:
            return "Transport unknown"
        sid = query.get("sid", [None])[0]
        if sid is None:
            return None if method == "GET" else "Bad handshake method"
        if method not in ("GET", "POST"):
            return "Bad request"
        sock = self.sockets.get(sid)
        if sock is None:
            return None  # stock: 400 "Invalid session"
        if sock.closed:
            self.sockets.pop(sid, None)
            return "Session ID unknown"
        if scope["type"] == "websocket":
            return _ACCEPT_AND_CLOSE if sock.upgraded or sock.upgrading else None
        if sock.upgraded:
            return None  # stock: 400 "Unexpected HTTP request"
        last_ping = sock.last_ping
        if last_ping and time.time() - last_ping > self.ping_timeout and not sock.closing:
            # No PONG within pingTimeout of the PING: the session is gone (spec, Timeouts).
            await sock.close(wait=False, abort=False, reason=self.reason.PING_TIMEOUT)
            return "Session ID unknown"
        return None

    async def _trigger_event(self, event, *args, **kwargs):
        if event == "connect":
            sock = self.sockets.get(args[0])
            if sock is not None:
                _fix_open_packet(sock, self.ping_interval + self.ping_interval_grace_period)
        return await super()._trigger_event(event, *args, **kwargs)

    def _ok(self, packets=None, headers=None, jsonp_index=None):
        r = super()._ok(packets, headers=headers, jsonp_index=jsonp_index)
        if packets is None:
            r["response"] = b"ok"  # the spec's sample session and Node: lower case
        return r

    async def _make_response(self, response_dict, environ):
        scope = environ.get("asgi.scope") or {}
        status = response_dict["status"]
        if (
            scope.get("type") == "websocket"
            and not status.startswith("200 ")
            and "websocket.http.response" in (scope.get("extensions") or {})
        ):
            # A refused websocket handshake gets the HTTP status, as Node's engine.io sends
            # (the ASGI close-before-accept would be uvicorn's 403).
            send = environ["asgi.send"]
            headers = response_dict["headers"] + self._cors_headers(environ)
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": int(status.split(" ")[0]),
                    "headers": [(k.encode(), v.encode()) for k, v in headers],
                }
            )
            await send({"type": "websocket.http.response.body", "body": response_dict["response"]})
            return None
        return await super()._make_response(response_dict, environ)


_ACCEPT_AND_CLOSE = "accept-and-close"


def _fix_open_packet(sock, interval: float) -> None:
    # The OPEN packet is queued (not yet encoded) when the connect event fires.
    for pkt in sock.queue._queue:
        if pkt is not None and pkt.packet_type == packet.OPEN and isinstance(pkt.data, dict):
            pkt.data["pingInterval"] = round(interval * 1000)
            pkt.encode_cache = None
            return
