"""The fast WebSocket receive path (server/fastpath/wsreceive.py) parses what arrives as the
stock parser would, however the bytes are cut, and leaves the unusual frames to it.

A raw client speaks RFC 6455 over a plain TCP socket, so the tests decide how frames are cut
into writes (many per write, one split byte by byte) and can send what no library sends
(unmasked frames, invalid UTF-8, fragments). The server is the production stack with the
`/fp` probe namespace of tests/test_fastpath.py.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os

import pytest

from server.asgi import UVICORN_OPTIONS
from tests.conftest import base_env
from tests.test_fastpath import NS, start_node

TIMEOUT = 10


@pytest.fixture(scope="module")
async def node(tmp_path_factory):
    started = await start_node(base_env(ROOMCAST_DATA_DIR=str(tmp_path_factory.mktemp("rx"))))
    yield started
    await started.stop()


def frame(payload: bytes, opcode: int = 1, fin: bool = True, masked: bool = True) -> bytes:
    """A client frame (masked unless told otherwise)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def text(s: str, **kw) -> bytes:
    return frame(s.encode(), 1, **kw)


class RawSocket:
    """Engine.IO over a hand-made WebSocket: frames in, (opcode, payload) out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str, query: str = "", headers: str = "") -> RawSocket:
        """`query` is appended to the URL's query string, `headers` (CRLF-terminated
        lines) to the handshake's."""
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /socket.io/?EIO=4&transport=websocket{query} HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{headers}\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        assert head.startswith(b"HTTP/1.1 101"), head
        sock = cls(reader, writer)
        opcode, data = await sock.recv()
        assert opcode == 1 and data.startswith(b"0"), data  # the Engine.IO OPEN packet
        return sock

    async def send(self, data: bytes, pieces: int = 1) -> None:
        """Write `data` in `pieces` writes (each drained, so they arrive apart)."""
        step = max(1, -(-len(data) // pieces))
        for i in range(0, len(data), step):
            self.writer.write(data[i : i + step])
            await self.writer.drain()
            if pieces > 1:
                await asyncio.sleep(0.001)

    async def recv(self) -> tuple[int, bytes]:
        async def one():
            b0, b1 = await self.reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(await self.reader.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await self.reader.readexactly(8), "big")
            return b0 & 0x0F, await self.reader.readexactly(n)

        return await asyncio.wait_for(one(), TIMEOUT)

    async def recv_message(self) -> str:
        """The next Engine.IO message (text), Engine.IO pings answered and skipped."""
        while True:
            opcode, data = await self.recv()
            if opcode == 1 and data == b"2":
                await self.send(text("3"))
                continue
            if opcode == 1:
                return data.decode()
            raise AssertionError(f"frame {opcode}: {data!r}")

    async def connect_ns(self) -> None:
        await self.send(text(f"40{NS},"))
        assert (await self.recv_message()).startswith(f"40{NS},")

    async def close_code(self) -> int | None:
        """The code of the server's CLOSE frame (None: the connection just ended)."""
        try:
            while True:
                opcode, data = await self.recv()
                if opcode == 8:
                    return int.from_bytes(data[:2], "big")
        except asyncio.IncompleteReadError:
            return None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


def dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def echo(ack_id: int, value) -> bytes:
    return text(f"42{NS},{ack_id}" + dumps(["echo", value]))


def acked(ack_id: int, value) -> str:
    return f"43{NS},{ack_id}" + dumps([value])


@contextlib.asynccontextmanager
async def raw(node):
    sock = await RawSocket.open(node.url)
    try:
        await sock.connect_ns()
        yield sock
    finally:
        sock.close()


def test_the_production_stack_receives_with_the_fast_protocol():
    assert UVICORN_OPTIONS["ws"] == "server.fastpath.wsreceive:FastWebSocketProtocol"


async def test_many_frames_in_one_write_and_one_frame_in_many(node):
    async with raw(node) as sock:
        await sock.send(b"".join(echo(i, i) for i in range(50)))
        assert [await sock.recv_message() for _ in range(50)] == [acked(i, i) for i in range(50)]
        # one frame cut byte by byte, then a frame and a half in one write
        await sock.send(echo(50, "split"), pieces=len(echo(50, "split")))
        assert await sock.recv_message() == acked(50, "split")
        second = echo(52, "b")
        await sock.send(echo(51, "a") + second[:5])
        await sock.send(second[5:])
        assert [await sock.recv_message() for _ in range(2)] == [acked(51, "a"), acked(52, "b")]


@pytest.mark.parametrize("size", [200, 70_000, 300_000])  # 7-bit, 16-bit and 64-bit lengths
async def test_large_frames_in_pieces(node, size):
    value = "é" * (size // 2)
    async with raw(node) as sock:
        await sock.send(echo(1, value), pieces=20)
        assert await sock.recv_message() == acked(1, value)


async def test_binary_attachment_frames(node):
    async with raw(node) as sock:
        placeholder = dumps(["echo", {"_placeholder": True, "num": 0}])
        await sock.send(text(f"451-{NS},7{placeholder}") + frame(b"\x00\x01\xff", opcode=2))
        ack = f"461-{NS},7" + dumps([{"_placeholder": True, "num": 0}])
        assert await sock.recv_message() == ack
        assert await sock.recv() == (2, b"\x00\x01\xff")


async def test_a_websocket_ping_gets_its_pong_and_the_socket_goes_on(node):
    async with raw(node) as sock:
        await sock.send(frame(b"hello", opcode=9) + echo(1, "after"))
        assert await sock.recv() == (10, b"hello")
        assert await sock.recv_message() == acked(1, "after")
        await sock.send(frame(b"", opcode=10))  # an unsolicited pong: ignored
        await sock.send(echo(2, "still"))
        assert await sock.recv_message() == acked(2, "still")


async def test_a_fragmented_message_is_reassembled(node):
    async with raw(node) as sock:
        whole = f"42{NS},1" + dumps(["echo", "in two"])
        await sock.send(text(whole[:6], fin=False) + frame(whole[6:].encode(), opcode=0))
        assert await sock.recv_message() == acked(1, "in two")
        await sock.send(echo(2, "next"))  # the stock parser has the stream now: still served
        assert await sock.recv_message() == acked(2, "next")


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (frame(b'42/fp,1["echo","\xff"]'), 1007),  # invalid UTF-8
        (text('42/fp,1["echo",1]', masked=False), 1002),  # a client frame must be masked
        (bytes([0xC1, 0x80]) + os.urandom(4), 1002),  # RSV1 without an extension
        (frame(b"x", opcode=3), 1002),  # a reserved opcode
    ],
)
async def test_protocol_errors_close_as_the_stock_parser_closes(node, bad, code):
    async with raw(node) as sock:
        await sock.send(echo(1, "before"))  # the fast parser has the stream by now
        assert await sock.recv_message() == acked(1, "before")
        await sock.send(bad)
        assert await sock.close_code() == code


async def test_a_client_close_is_answered(node):
    async with raw(node) as sock:
        await sock.send(echo(1, "x"))
        assert await sock.recv_message() == acked(1, "x")
        await sock.send(frame((1000).to_bytes(2, "big"), opcode=8))
        assert await sock.close_code() == 1000
