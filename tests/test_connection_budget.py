"""Timeouts for every state a connection can sit in, and the connection budget (issue 12.4)."""

from __future__ import annotations

import asyncio
import os
import time

import httpx
import pytest
import websockets

from tests.harness import NodeProcess
from tests.test_limits import node_env

BUDGET = 100


@pytest.fixture
async def node(tmp_path):
    node = NodeProcess(
        node_env(
            tmp_path,
            ROOMCAST_MAX_CONNECTIONS=str(BUDGET),
            ROOMCAST_REQUEST_TIMEOUT="2",
            ROOMCAST_CONNECT_TIMEOUT="2",
        )
    )
    try:
        await node.wait_ready()
        yield node
    finally:
        node.stop()


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def closed_by_server(reader, timeout: float) -> bool:
    try:
        await asyncio.wait_for(reader.read(), timeout)
    except (TimeoutError, ConnectionResetError):
        return False
    return True


async def test_silent_connections_are_capped_timed_out_and_health_answers(node):
    pid = node.proc.pid
    baseline = open_fds(pid)
    silent = [await asyncio.open_connection("127.0.0.1", node.port) for _ in range(300)]
    await asyncio.sleep(0.5)
    during = open_fds(pid)
    print(f"fds: baseline {baseline}, with 300 silent sockets {during} (budget {BUDGET})")
    assert during - baseline <= BUDGET + 32 + 10
    async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
        assert (await http.get("/health")).status_code == 200
        r = await http.get("/api/v1/auth/me")
        assert r.status_code == 503 and r.json()["error"]["code"] == "too_many_connections"
    started = time.monotonic()
    results = await asyncio.gather(*(closed_by_server(r, 10) for r, _ in silent))
    assert all(results), f"{results.count(False)} silent connections never closed"
    assert time.monotonic() - started < 10
    for _, writer in silent:
        writer.close()
    async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
        assert (await http.get("/ready")).status_code == 200


async def test_a_half_sent_request_and_a_session_without_a_namespace_time_out(node):
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    writer.write(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    await writer.drain()
    assert await closed_by_server(reader, 8)
    writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    writer.write(b"GET /health HTTP/1.1\r\nHost")  # headers never finished
    await writer.drain()
    assert await closed_by_server(reader, 8)
    writer.close()
    ws_url = node.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(ws_url) as ws:
        assert (await asyncio.wait_for(ws.recv(), 5)).startswith("0{")
        with pytest.raises(websockets.ConnectionClosed):
            while True:  # no "40": the session is closed after the connect timeout
                await asyncio.wait_for(ws.recv(), 8)
