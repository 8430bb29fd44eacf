"""Helpers for the recovery tests: an ordered event log per client, and REST emitters."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
import uuid
from typing import Any

import httpx
import socketio

from tests.harness import SECRET, NodeProcess, create_schema

API = "/api/v1"


class Recorder:
    """A real socketio.AsyncClient on one namespace that logs every event in arrival order."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.sio = socketio.AsyncClient(reconnection=False)
        self.log: list[tuple[str, Any, float]] = []
        self._changed = asyncio.Event()

        async def any_event(event, *args):
            self.log.append((event, args[0] if args else None, time.monotonic()))
            self._changed.set()

        self.sio.on("*", any_event, namespace=namespace)

    async def connect(self, url: str, auth: dict) -> None:
        await self.sio.connect(
            url, namespaces=[self.namespace], transports=["websocket"], auth=auth, wait_timeout=10
        )

    def events(self, name: str) -> list[Any]:
        return [data for event, data, _ in self.log if event == name]

    async def until(self, predicate, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; log tail: {[e for e, *_ in self.log[-8:]]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def recovery(self, timeout: float = 15) -> dict:
        await self.until(lambda: self.events("recovery"), timeout)
        return self.events("recovery")[-1]

    async def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        return await self.sio.call(event, data, namespace=self.namespace, timeout=timeout)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.disconnect(), 3)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def register(http: httpx.AsyncClient) -> dict:
    body = {"email": f"rec-{uuid.uuid4().hex[:10]}@example.com", "password": "long enough pw"}
    r = await http.post(f"{API}/auth/register", json=body)
    assert r.status_code == 201, r.text
    http.cookies.clear()
    return r.json()


async def post_alert(http: httpx.AsyncClient, staff_token: str, user_id: int, n: int) -> dict:
    body = {
        "user_id": user_id,
        "breach_id": f"b-{n}",
        "title": f"alert {n}",
        "severity": "HIGH",
        "confidence": 0.5,
    }
    r = await http.post(f"{API}/alerts", json=body, headers=bearer(staff_token))
    assert r.status_code == 201, r.text
    return r.json()


def position(recovery: dict, stream: str) -> dict:
    """The `{o, e}` to recover `stream` from, out of a `recovery` answer."""
    result = recovery["streams"][stream]
    return {"o": result["o"], "e": result["e"]}


def offsets(events: list[dict], stream: str) -> list[int]:
    return [e["_stream"][stream]["o"] for e in events]


async def own_node(tmp: str, **env: str) -> NodeProcess:
    """A node of our own (SQLite in `tmp`), for tests that break its Redis."""
    db = f"sqlite://{os.path.join(tmp, 'gap.sqlite3')}"
    create_schema(db)
    node = NodeProcess(
        {
            "ROOMCAST_ENV": "test",
            "ROOMCAST_JWT_SECRET": SECRET,
            "ROOMCAST_DATABASE_URL": db,
            "ROOMCAST_DATA_DIR": tmp,
            "ROOMCAST_RATE_LIMITS": "off",
            **env,
        }
    )
    await node.wait_ready(timeout=60)
    return node


async def make_staff(tmp: str, http: httpx.AsyncClient) -> str:
    """A new user of an `own_node`, made staff; their access token."""
    login = await register(http)
    with sqlite3.connect(os.path.join(tmp, "gap.sqlite3")) as conn:
        conn.execute("UPDATE users SET is_staff = 1 WHERE id = ?", (login["user"]["id"],))
    return login["access_token"]


class CuttableProxy:
    """A TCP proxy in front of a server: `cut()` drops every connection through it and
    refuses new ones until `heal()` (a client's network going away and coming back)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.open = True
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._pipes.update((writer, up_writer))

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._pipes.difference_update((writer, up_writer))

    def cut(self) -> None:
        self.open = False
        for writer in list(self._pipes):
            writer.transport.abort()

    def heal(self) -> None:
        self.open = True

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
