"""/bench exists only with ROOMCAST_BENCH=1 and follows shared/bench/README.md's contract."""

from __future__ import annotations

import asyncio

import jwt
import pytest
import socketio

from server.app import create_asgi
from server.settings import load_settings
from tests.conftest import base_env
from tests.harness import SECRET, InProcessServer


@pytest.fixture(scope="module")
async def bench_server(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("bench"))
    settings = load_settings(base_env(ROOMCAST_BENCH="1", ROOMCAST_DATA_DIR=data_dir))
    # /bench needs no database: the app is built without opening one.
    server = InProcessServer(create_asgi(settings, manage_database=False))
    await server.start()
    yield server
    await server.stop()


def bench_token(sub: str, secret: str = SECRET) -> str:
    return jwt.encode({"sub": sub}, secret, algorithm="HS256")


async def bench_client(url: str, sub: str) -> tuple[socketio.AsyncClient, asyncio.Queue]:
    client = socketio.AsyncClient(reconnection=False)
    inbox: asyncio.Queue = asyncio.Queue()
    client.on("msg", inbox.put_nowait, namespace="/bench")
    await client.connect(
        url,
        namespaces=["/bench"],
        transports=["websocket"],
        auth={"token": bench_token(sub)},
        wait_timeout=5,
    )
    return client, inbox


async def test_echo_fanout_and_targeted(bench_server):
    a, a_inbox = await bench_client(bench_server.url, "u0")
    b, b_inbox = await bench_client(bench_server.url, "u1")
    try:
        assert await a.call("echo", {"x": [1, "y"]}, namespace="/bench", timeout=5) == {
            "x": [1, "y"]
        }
        ack = await a.call("fanout", {"count": 3, "size": 100}, namespace="/bench", timeout=5)
        assert ack["count"] == 3
        for inbox in (a_inbox, b_inbox):
            seqs = [(await asyncio.wait_for(inbox.get(), 5))["seq"] for _ in range(3)]
            assert seqs == [0, 1, 2]
        ack = await a.call(
            "targeted", {"count": 4, "users": 2, "size": 80}, namespace="/bench", timeout=5
        )
        assert ack["count"] == 4
        got_a = [(await asyncio.wait_for(a_inbox.get(), 5))["seq"] for _ in range(2)]
        got_b = [(await asyncio.wait_for(b_inbox.get(), 5))["seq"] for _ in range(2)]
        assert got_a == [0, 2] and got_b == [1, 3]
    finally:
        await a.disconnect()
        await b.disconnect()


async def test_bad_token_is_refused(bench_server):
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            bench_server.url,
            namespaces=["/bench"],
            transports=["websocket"],
            auth={"token": bench_token("u0", secret="x" * 40)},
            wait_timeout=5,
        )


async def test_bench_is_off_by_default(server):
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            server.url,
            namespaces=["/bench"],
            transports=["websocket"],
            auth={"token": bench_token("u0")},
            wait_timeout=5,
        )
