"""python-socketio's AsyncClient against Roomcast: the cases of client.test.js in Python.

Echo, binary, room fan-out and acks over both transports are in tests/test_fastpath.py; here
the connection-level cases: the polling->websocket upgrade, several namespaces over one
Engine.IO connection, and reconnecting after a server-side disconnect.
"""

from __future__ import annotations

import asyncio

import jwt
import pytest
import socketio

from tests.conftest import base_env
from tests.harness import SECRET
from tests.test_fastpath import NS, start_node


@pytest.fixture(scope="module")
async def node(tmp_path_factory):
    server = await start_node(
        base_env(ROOMCAST_BENCH="1", ROOMCAST_DATA_DIR=str(tmp_path_factory.mktemp("compat")))
    )
    yield server
    await server.stop()


def bench_auth(sub: str = "u0") -> dict:
    return {"token": jwt.encode({"sub": sub}, SECRET, algorithm="HS256")}


async def test_polling_upgrades_to_websocket(node):
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(
            node.url,
            namespaces=["/bench"],
            transports=["polling", "websocket"],
            auth=bench_auth(),
            wait_timeout=5,
        )
        for _ in range(100):  # the upgrade completes in the background, bounded wait
            if client.transport() == "websocket":
                break
            await asyncio.sleep(0.05)
        assert client.transport() == "websocket"
        blob = b"\x00\x01" * 100
        got = await client.call("echo", {"b": blob, "t": "ü"}, namespace="/bench", timeout=5)
        assert got == {"b": blob, "t": "ü"}
    finally:
        await client.disconnect()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_several_namespaces_on_one_connection(node, transport):
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(
            node.url,
            namespaces=["/bench", NS],
            transports=[transport],
            auth=bench_auth(),
            wait_timeout=5,
        )
        assert set(client.connection_namespaces) == {"/bench", NS}
        results = await asyncio.gather(
            client.call("echo", "b", namespace="/bench", timeout=5),
            client.call("echo", "p", namespace=NS, timeout=5),
        )
        assert results == ["b", "p"]
        # the two namespaces have their own sids on one Engine.IO session
        assert client.get_sid("/bench") != client.get_sid(NS)
        assert await client.call("whoami", namespace=NS, timeout=5) == client.get_sid(NS)
    finally:
        await client.disconnect()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_reconnect_after_a_server_side_disconnect(node, transport):
    client = socketio.AsyncClient(reconnection=False)
    gone = asyncio.Event()
    client.on("disconnect", lambda *reason: gone.set(), namespace=NS)
    try:
        await client.connect(node.url, namespaces=[NS], transports=[transport], wait_timeout=5)
        first = client.get_sid(NS)
        await client.emit("kick", first, namespace=NS)
        await asyncio.wait_for(gone.wait(), 5)
        await asyncio.wait_for(client.wait(), 5)  # the client winds down its connection
        await client.connect(node.url, namespaces=[NS], transports=[transport], wait_timeout=5)
        assert client.get_sid(NS) != first
        assert await client.call("echo", "again", namespace=NS, timeout=5) == "again"
    finally:
        await client.disconnect()
