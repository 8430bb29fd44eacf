"""A websocket written straight to the transport has no writer task (server/fastpath/wsflush.py),
and keeps the writer's rules: order across flushes, flow control, the slow-consumer bound.

The server is the production stack in this process (tests/test_fastpath.py's `/fp` probe); a
raw client (tests/test_fastpath_receive.py) decides when it reads. The server's socket is
looked up to send from the server side and to read what it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket

import pytest
import websockets

from server.asgi import UVICORN_OPTIONS
from server.fastpath.limits import SLOW_CONSUMER
from server.fastpath.wsflush import FlushQueue
from tests.conftest import base_env
from tests.test_fastpath import NS, start_node
from tests.test_fastpath_receive import RawSocket, text
from tests.test_memory_bounds import metric

TIMEOUT = 10


@pytest.fixture(scope="module")
async def node(tmp_path_factory):
    started = await start_node(base_env(ROOMCAST_DATA_DIR=str(tmp_path_factory.mktemp("fl"))))
    yield started
    await started.stop()


@contextlib.asynccontextmanager
async def client(node):
    """A raw websocket client on `/fp` and the server's Engine.IO socket for it."""
    raw = await RawSocket.open(node.url)
    try:
        await raw.connect_ns()
        await raw.send(text(f'42{NS},1["whoami"]'))
        answer = await raw.recv_message()
        sid = json.loads(answer[answer.index("[") :])[0]
        sio = node.runtime.sio
        yield raw, sid, sio.eio.sockets[sio.manager.eio_sid_from_sid(sid, NS)]
    finally:
        raw.close()


def small_send_buffer(sock) -> None:
    """The kernel takes only a few KiB, so the server's transport soon stops being writable."""
    sock.direct_proto.transport.get_extra_info("socket").setsockopt(
        socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
    )


async def received_seqs(raw: RawSocket, n: int) -> list[int]:
    seqs = []
    for _ in range(n):
        message = await raw.recv_message()
        assert message.startswith(f'42{NS},["msg",'), message[:40]
        seqs.append(json.loads(message[message.index("[") :])[1]["seq"])
    return seqs


async def test_no_writer_task_and_packets_keep_their_order_across_flushes(node):
    sio = node.runtime.sio
    async with client(node) as (raw, sid, sock):
        assert sock.queue.__class__ is FlushQueue
        writers = [
            t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__name__", "") == "_ws_writer"
        ]
        assert writers == []
        # bursts of several sizes, some frames larger than a batch's worth (MAX_BATCH_BYTES):
        # one flush per burst, some in several writes
        seq = 0
        for burst in (1, 7, 40, 3):
            for i in range(burst):
                body = "x" * (300_000 if i % 5 == 4 else 10)
                await sio.emit("msg", {"seq": seq, "body": body}, to=sid, namespace=NS)
                seq += 1
            await asyncio.sleep(0)  # the flush runs before this task resumes
        assert await received_seqs(raw, seq) == list(range(seq))
        assert sock.queue.bytes == 0


async def test_frames_wait_while_the_transport_is_full_and_leave_on_resume(node):
    sio = node.runtime.sio
    async with client(node) as (raw, sid, sock):
        small_send_buffer(sock)
        queue = sock.queue
        body = "y" * 16_000
        for seq in range(64):  # ~1 MiB, under the slow-consumer bound
            await sio.emit("msg", {"seq": seq, "body": body}, to=sid, namespace=NS)
        await asyncio.sleep(0)  # the flush: it writes until the transport pauses
        assert not sock.direct_proto.writable.is_set()
        assert queue.pending and queue.bytes > 0  # kept, and counted against the bound
        assert await received_seqs(raw, 64) == list(range(64))  # reading resumes the flush
        assert queue.bytes == 0 and not queue.pending


async def test_a_reader_that_stops_is_cut_at_the_byte_bound(node):
    sio = node.runtime.sio
    before = await metric(node.url, "roomcast_limit_disconnects", f'reason="{SLOW_CONSUMER}"')
    async with client(node) as (raw, sid, sock):
        small_send_buffer(sock)
        queue = sock.queue
        limit = queue.limit
        assert limit > 0
        body = "z" * 16_000
        for seq in range(limit // 16_000 + 20):
            await sio.emit("msg", {"seq": seq, "body": body}, to=sid, namespace=NS)
            assert queue.bytes <= limit  # never more than the bound held for it
        assert queue.overflowed
        # the connection ends: what arrived before the cut, then nothing
        with pytest.raises((asyncio.IncompleteReadError, ConnectionResetError)):
            while True:
                await raw.recv()
        assert not queue.pending and queue.bytes == 0
    after = await metric(node.url, "roomcast_limit_disconnects", f'reason="{SLOW_CONSUMER}"')
    assert after == before + 1


@pytest.fixture(scope="module")
async def deflate_node(tmp_path_factory):
    """A server with per-message deflate on: frames differ per connection, so they cannot be
    written directly (wsdirect.direct_protocol) and the socket keeps its writer task."""
    UVICORN_OPTIONS["ws_per_message_deflate"] = True
    try:
        started = await start_node(
            base_env(ROOMCAST_DATA_DIR=str(tmp_path_factory.mktemp("fl-deflate")))
        )
    finally:
        UVICORN_OPTIONS["ws_per_message_deflate"] = False
    yield started
    await started.stop()


async def test_the_asgi_path_keeps_its_writer_task_and_the_order(deflate_node):
    sio = deflate_node.runtime.sio
    ws_url = deflate_node.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(ws_url, compression="deflate") as ws:
        assert (await asyncio.wait_for(ws.recv(), TIMEOUT)).startswith("0{")
        await ws.send(f"40{NS},")
        assert (await asyncio.wait_for(ws.recv(), TIMEOUT)).startswith(f"40{NS},")
        await ws.send(f'42{NS},1["whoami"]')
        answer = await asyncio.wait_for(ws.recv(), TIMEOUT)
        sid = json.loads(answer[answer.index("[") :])[0]
        sock = sio.eio.sockets[sio.manager.eio_sid_from_sid(sid, NS)]
        assert sock.queue.__class__ is not FlushQueue and sock.direct_proto is None
        writers = [
            t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__name__", "") == "_ws_writer"
        ]
        assert len(writers) == 1
        for seq in range(50):
            await sio.emit("msg", {"seq": seq}, to=sid, namespace=NS)
        seqs = []
        while len(seqs) < 50:
            message = await asyncio.wait_for(ws.recv(), TIMEOUT)
            if message == "2":
                await ws.send("3")
                continue
            seqs.append(json.loads(message[message.index("[") :])[1]["seq"])
        assert seqs == list(range(50))
    await asyncio.wait_for(writers[0], TIMEOUT)  # the writer ends with the connection
