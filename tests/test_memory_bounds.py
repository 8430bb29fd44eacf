"""Bounded memory per client (issue 12): attachments, the outgoing queue, HTTP bodies.

Each attack runs against a node subprocess; the server's RSS (VmRSS of its process) is read
before, during and after, and the bound asserted with a margin.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
import uuid

import httpx
import pytest
import websockets

from tests.harness import Client, NodeProcess
from tests.test_limits import node_env

MB = 1024 * 1024


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def metric(url: str, name: str, label: str) -> float:
    async with httpx.AsyncClient(base_url=url) as http:
        text = (await http.get("/metrics")).text
    match = re.search(rf"^{name}_total\{{{label}\}} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


async def until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


@pytest.fixture
async def node(tmp_path):
    node = NodeProcess(
        node_env(tmp_path, ROOMCAST_MAX_QUEUE_BYTES=str(256 * 1024), ROOMCAST_RATE_LIMITS="off")
    )
    try:
        await node.wait_ready()
        yield node
    finally:
        node.stop()


async def guest_ws(url: str, **kwargs):
    ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    ws = await websockets.connect(ws_url, max_size=None, **kwargs)
    assert (await asyncio.wait_for(ws.recv(), 5)).startswith("0{")
    await ws.send("40/chat,")
    assert (await asyncio.wait_for(ws.recv(), 5)).startswith("40/chat,")
    return ws


async def closed(ws, timeout: float = 10) -> bool:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed:
        return True


async def test_announced_attachments_are_bounded_in_count_and_bytes(node):
    pid = node.proc.pid
    before = rss(pid)
    # a million announced attachments: refused when announced
    ws = await guest_ws(node.url)
    await ws.send('451000000-/chat,["message",{"_placeholder":true,"num":0}]')
    assert await closed(ws)
    # two announced, then more bytes than one message may have: cut at the frame that passes
    ws = await guest_ws(node.url)
    await ws.send('452-/chat,["message",{"_placeholder":true,"num":0}]')
    chunk = b"\0" * (19 * MB // 10)
    peak = before
    with pytest.raises(websockets.ConnectionClosed):
        for _ in range(200):
            await ws.send(chunk)
            peak = max(peak, rss(pid))
        await closed(ws)
    await asyncio.sleep(0.5)
    after = rss(pid)
    print(
        f"attachment flood RSS: before {before / MB:.1f} MB, during {peak / MB:.1f} MB, "
        f"after {after / MB:.1f} MB"
    )
    assert peak - before < 40 * MB
    assert after - before < 12 * MB
    assert await metric(node.url, "roomcast_limit_disconnects", 'reason="too_many_attachments"')
    assert await metric(node.url, "roomcast_limit_disconnects", 'reason="attachments_too_large"')
    # the node still serves
    async with httpx.AsyncClient(base_url=node.url) as http:
        assert (await http.get("/health")).status_code == 200


async def test_a_client_that_never_reads_is_cut_as_a_slow_consumer(node):
    pid = node.proc.pid
    async with httpx.AsyncClient(base_url=node.url) as http:
        email = f"slow-{uuid.uuid4().hex[:8]}@example.com"
        r = await http.post(
            "/api/v1/auth/register", json={"email": email, "password": "long enough"}
        )
        token = r.json()["access_token"]
    poster = Client("/chat")
    await poster.connect(node.url, auth={"token": token})
    assert (await poster.call("join", {"room": "general"}))["ok"]
    # a guest with a tiny receive buffer joins and then never reads
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", node.port))
    ws = await guest_ws(node.url, sock=raw, max_queue=1)
    await ws.send('42/chat,1["join",{"room":"general"}]')
    await asyncio.sleep(0.5)
    ws.transport.pause_reading()
    before = rss(pid)
    peak = before
    body = "m" * 3900
    try:
        for batch in range(60):  # noqa: B007 (reported below)
            acks = await asyncio.gather(
                *(
                    poster.call("message", {"room": "general", "body": body}, timeout=20)
                    for _ in range(20)
                )
            )
            assert all(a["ok"] for a in acks)
            peak = max(peak, rss(pid))
            if await metric(node.url, "roomcast_limit_disconnects", 'reason="slow_consumer"'):
                break
        else:
            raise AssertionError("the slow consumer was never disconnected")
    finally:
        await poster.close()
        # through its transport: closing `raw` itself would leave the transport registered
        # on this (session-wide) loop with a dead fd, and a later socket that gets the same
        # fd number fails ("File descriptor N is used by transport")
        ws.transport.abort()
    await asyncio.sleep(1)
    after = rss(pid)
    print(
        f"slow consumer RSS: before {before / MB:.1f} MB, during {peak / MB:.1f} MB, "
        f"after {after / MB:.1f} MB (batches of 20 x 4 KB: {batch + 1})"
    )
    assert peak - before < 40 * MB
    assert after - before < 12 * MB


async def test_an_over_limit_polling_post_is_answered_413_and_closed(node):
    async with httpx.AsyncClient(base_url=node.url) as http:
        r = await http.get("/socket.io/?EIO=4&transport=polling")
        sid = re.search(r'"sid":"([^"]+)"', r.text).group(1)
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    writer.write(
        f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 3000000\r\n\r\n".encode()
        + b"4" * 65536
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), 5)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert b"payload_too_large" in answer or b"413" in answer
    try:  # the server closes the connection (a reset: the body was left unread)
        rest = await asyncio.wait_for(reader.read(), 5)
        assert rest == b"" or b"payload_too_large" in rest
    except ConnectionResetError:
        pass
    writer.close()
    with contextlib.suppress(OSError):  # let the fd go before the next connection reuses it
        await writer.wait_closed()
    # and the REST door the same way
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    writer.write(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 50000000\r\n\r\n{"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), 5)
    assert answer.startswith(b"HTTP/1.1 413")
    writer.close()
