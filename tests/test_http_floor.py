"""The HTTP floor's short cuts keep their behaviour (server/sanic_signals.py, server/frontdoor.py).

* A chunked REST body is still counted as it arrives and cut at ROOMCAST_MAX_BODY_BYTES (the
  front door now wraps only chunked requests); a chunked body within it is served.
* QuietSanic skips only the http signals no handler is registered for: a registered one fires.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from server.sanic_signals import HTTP_EVENTS, QuietSanic, unheard_events
from tests.harness import NodeProcess
from tests.test_limits import node_env

LIMIT = 4096


@pytest.fixture
async def node(tmp_path):
    node = NodeProcess(
        node_env(tmp_path, ROOMCAST_MAX_BODY_BYTES=str(LIMIT), ROOMCAST_RATE_LIMITS="off")
    )
    try:
        await node.wait_ready()
        yield node
    finally:
        node.stop()


async def _chunked_login(node, body: bytes, *, finish: bool = True) -> bytes:
    """POST a chunked body (`finish`: with its last chunk); the answer as far as it came."""
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    answer = b""
    try:
        with contextlib.suppress(ConnectionError):
            # one write, so that the server reads it all at once (loopback: one segment)
            request = [
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                b"Connection: close\r\n\r\n"
            ]
            for start in range(0, len(body), 1024):
                piece = body[start : start + 1024]
                request.append(b"%x\r\n%b\r\n" % (len(piece), piece))
            if finish:
                request.append(b"0\r\n\r\n")
            writer.write(b"".join(request))
            await writer.drain()
        with contextlib.suppress(ConnectionError):
            while chunk := await asyncio.wait_for(reader.read(4096), 10):
                answer += chunk
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return answer


async def test_a_chunked_body_over_the_limit_is_answered_413(node):
    # Twice the limit and no last chunk: the server reads all that was sent before it
    # answers and closes (unread bytes would make the close a reset, losing the answer).
    answer = await _chunked_login(node, b'{"email": "' + b"a" * (2 * LIMIT), finish=False)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    _, _, rest = answer.partition(b"\r\n\r\n")
    assert b"payload_too_large" in rest or not rest  # a reset may cut the body off


async def test_a_chunked_body_within_the_limit_is_served(node):
    answer = await _chunked_login(node, b'{"email": "nobody@example.com", "password": "wrong-pw"}')
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]


def test_unheard_events_follow_the_registered_names():
    assert unheard_events([]) == HTTP_EVENTS
    assert "http.lifecycle.response" not in unheard_events(["http.lifecycle.response"])
    # a dynamic signal in a namespace hears every event of it
    unheard = unheard_events(["http.lifecycle.<thing>"])
    assert not any(event.startswith("http.lifecycle.") for event in unheard)
    assert "http.routing.after" in unheard


async def _asgi_get(app, path: str) -> tuple[int, dict[bytes, bytes]]:
    """One request through the app's ASGI interface, after its lifespan start-up."""
    startup = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    lifespan_out: asyncio.Queue = asyncio.Queue()
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, startup.get, lifespan_out.put)
    )
    assert (await asyncio.wait_for(lifespan_out.get(), 10))["type"] == "lifespan.startup.complete"
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"x")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    await app(scope, receive, send)
    await startup.put({"type": "lifespan.shutdown"})
    await asyncio.wait_for(lifespan, 10)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], dict(start["headers"])


async def test_a_registered_http_signal_still_fires():
    app = QuietSanic("quiet_signal_test")
    app.config.TOUCHUP = False  # as server/app.py runs it
    heard = []

    @app.get("/hello")
    async def hello(request):
        from sanic.response import text

        return text("hi")

    @app.signal("http.lifecycle.response")
    async def on_response(request, response):
        heard.append(request.path)
        response.headers["x-heard"] = "yes"

    status, headers = await _asgi_get(app, "/hello")
    assert status == 200
    assert heard == ["/hello"]
    assert headers.get(b"x-heard") == b"yes"
    assert "http.lifecycle.response" not in app._unheard()
    assert "http.routing.after" not in app._unheard()  # sanic-ext's Injection listens
    assert "http.routing.before" in app._unheard()
