"""The two servers every conformance case runs against, configured alike.

* "roomcast": Roomcast's Socket.IO server classes (`FastAsyncServer` + `FastManager`, what
  `server.sockets.make_sio` builds), under uvicorn with the production options;
* "stock": python-socketio's own `AsyncServer(async_mode="asgi")` under the same uvicorn,
  with python-socketio's own JSON (the standard library): Roomcast installs its orjson module
  process-wide, so the stock server gets a packet class that keeps the stdlib.

Both serve the application of the specifications' test suites (socketio/socket.io-protocol,
test-suite/): on connect the server emits `auth` with the client's auth payload; `message`
is echoed as `message-back`; `message-with-ack` is acked with its arguments; on "/" and
"/custom". A few extra events drive the send-path comparison (tests/conformance/test_send_path.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import socketio
import uvicorn
from engineio import json as stdlib_json

from server.asgi import UVICORN_OPTIONS
from server.fastpath import FastAsyncServer, FastManager

# the spec test suites' values (engine.io-protocol test-suite: PING_INTERVAL, PING_TIMEOUT)
PING_INTERVAL = 0.3
PING_TIMEOUT = 0.2
MAX_PAYLOAD = 1_000_000
KINDS = ("roomcast", "stock")


class StdlibPacket(socketio.packet.Packet):
    json = stdlib_json


def make_sio(kind: str) -> socketio.AsyncServer:
    common: dict[str, Any] = {
        "async_mode": "asgi",
        "ping_interval": PING_INTERVAL,
        "ping_timeout": PING_TIMEOUT,
        "max_http_buffer_size": MAX_PAYLOAD,
        "logger": False,
        "engineio_logger": False,
    }
    if kind == "roomcast":
        return FastAsyncServer(client_manager=FastManager(), **common)
    return socketio.AsyncServer(serializer=StdlibPacket, **common)


def serve_spec_app(sio: socketio.AsyncServer) -> None:
    for ns in ("/", "/custom"):
        _register(sio, ns)


def _register(sio: socketio.AsyncServer, ns: str) -> None:
    async def connect(sid, environ, auth=None):
        await sio.enter_room(sid, "everyone", namespace=ns)
        # The suite's server emits `auth` on "connection", after the CONNECT packet; a
        # python-socketio connect handler runs before it, so the emit waits one loop turn.
        payload = auth if auth is not None else {}
        sio.start_background_task(sio.emit, "auth", payload, to=sid, namespace=ns)

    async def message(sid, *args):
        await sio.emit("message-back", args, to=sid, namespace=ns)

    async def message_with_ack(sid, *args):
        return args

    async def fanout(sid, *args):
        """Emit the arguments to the room everyone (the broadcast path), then ack."""
        await sio.emit("fanned", args, room="everyone", namespace=ns)
        return "done"

    async def ask(sid, *args):
        """Call the client (an emit with an ack id) and ack with its answer."""
        answer = await sio.call("question", args, to=sid, namespace=ns, timeout=5)
        return {"answer": answer}

    async def bye(sid, *args):
        await sio.disconnect(sid, namespace=ns)

    sio.on("connect", connect, namespace=ns)
    sio.on("message", message, namespace=ns)
    sio.on("message-with-ack", message_with_ack, namespace=ns)
    sio.on("fanout", fanout, namespace=ns)
    sio.on("ask", ask, namespace=ns)
    sio.on("bye", bye, namespace=ns)


class SpecServer:
    """One of the two servers under uvicorn on port 0, in the test session's event loop."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.sio = make_sio(kind)
        serve_spec_app(self.sio)
        self.server = uvicorn.Server(
            uvicorn.Config(
                socketio.ASGIApp(self.sio),
                host="127.0.0.1",
                port=0,
                log_level="warning",
                lifespan="off",
                timeout_graceful_shutdown=2,
                **UVICORN_OPTIONS,
            )
        )
        self.task: asyncio.Task | None = None
        self.url = ""

    @property
    def eio_url(self) -> str:
        return f"{self.url}/socket.io/?EIO=4"

    @property
    def ws_url(self) -> str:
        return self.eio_url.replace("http://", "ws://")

    async def start(self) -> SpecServer:
        self.task = asyncio.create_task(self.server.serve())
        deadline = time.monotonic() + 15
        while not self.server.started:
            if self.task.done() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.kind} server did not start")
            await asyncio.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self.server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self.task), 10)
        except TimeoutError:
            self.server.force_exit = True
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task
