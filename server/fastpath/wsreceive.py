"""Receive WebSocket frames without websockets' generator parser and the ASGI receive queue.

Profile of the ack round trip (s3) before this: per client message uvicorn's websockets-sansio
protocol ran websockets' generator-based `Frame.parse` (several generator resumes and a Frame
object per frame), built an ASGI event dict, put it on an asyncio.Queue, paused reading
(`pause_reading`: an epoll_ctl system call) until the app took it, and resumed reading on the
next `receive()` (another one). That was the largest Python cost of an ack after the write
system call itself.

`FastWebSocketProtocol` is uvicorn's protocol (uvicorn 0.54, pinned exactly) with one fast
path: once a FastSocket reader owns the connection (`take_over`), `data_received` splits the
bytes into frames itself. The common frame -- FIN set, text or binary, no RSV bits (no
extension is negotiated: per-message deflate is off), masked as every client frame must be,
within `ws_max_size` -- is unmasked by websockets' C `apply_mask` and appended to `inbox`; the
reader is woken once per `data_received`, not once per frame, and reading is paused only when
the inbox holds INBOX_HIGH messages. PING and PONG frames are handed, whole, to the stock
parser (which sits at a frame boundary, so its state stays right) and the fast path goes on.
Anything else -- CLOSE, a fragment, RSV bits, an unmasked or oversized frame, invalid UTF-8 --
hands the rest of the stream to the stock parser for good (`given_back`), which answers it as
before (close codes 1002, 1007, 1009...). Messages stay in order: the inbox holds only what
arrived after the take-over (taken only with an empty ASGI queue) and before the give-back.
While the reader is idle (parked on an empty inbox) a message is not queued at all: `inline`
(socket._Inline) hands it to the Socket.IO layer right away, sparing the reader's wake-up.
"""

from __future__ import annotations

import asyncio
import weakref

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State
from websockets.speedups import apply_mask

from server.fastpath.lean_sync import LeanEvent, LeanQueue

INBOX_HIGH = 256  # messages waiting for the reader before reading pauses
_TEXT, _BINARY, _PING, _PONG = 0x81, 0x82, 0x89, 0x8A  # first byte with FIN set, RSV clear


class _WakingQueue(LeanQueue):
    """uvicorn's ASGI receive queue; an event put on it (a disconnect) wakes the fast reader.
    A LeanQueue, not an asyncio.Queue: ~3 KiB less per connection (lean_sync.py)."""

    __slots__ = ("proto",)

    def __init__(self, proto: FastWebSocketProtocol) -> None:
        super().__init__()
        # weak: a protocol <-> queue cycle would keep every closed connection (its parser,
        # buffers, headers) alive until a full garbage collection
        self.proto = weakref.ref(proto)

    def put_nowait(self, item) -> None:
        super().put_nowait(item)
        proto = self.proto()
        if proto is not None:
            proto.wake()


class FastWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _WakingQueue(self)
        # uvicorn's flow-control flag (set: the transport takes writes), without a deque
        self.writable = LeanEvent()
        self.writable.set()
        # set by take_over: messages for the reader. A list, not a deque: a deque allocates a
        # 64-slot block up front (~700 bytes per connection); the inbox holds a few messages
        # (at most INBOX_HIGH), so pop(0) moves a few pointers
        self.inbox: list | None = None
        # set by the reader: handles a message at once while the reader is idle (socket.py)
        self.inline = None
        self.given_back = False  # the stock parser has the stream again, for good
        self.waiter: asyncio.Future | None = None
        self._partial = bytearray()  # the start of a frame whose end has not arrived
        self._need = 0  # how many bytes _partial needs before it is worth parsing again
        self._inbox_paused = False
        # what uvicorn hands the app as `receive` (run_asgi reads self.receive): engineio's
        # translate_request closes over it in a class made per request, and a class is
        # always in a reference cycle; a bound method there would keep this protocol (its
        # transport, parser, queue: ~40 objects) alive after the connection until a full
        # garbage collection (tests/test_fastpath_release.py)
        self.receive = _Receive(self)

    def take_over(self) -> list | None:
        """The inbox the reader reads from now on, or None while the stock path must go on
        (a message queued, a frame half parsed, a fragmented message, not open)."""
        conn = self.conn
        if (
            self.inbox is not None
            or self.given_back
            or conn.extensions
            or conn.state is not State.OPEN
            or conn.parser_exc is not None
            or conn.current_size is not None
            or conn.reader.buffer
            or not _at_frame_boundary(conn)
            or not self.queue.empty()
            or self.close_sent
            or self.disconnected
        ):
            return None
        self.inbox = []
        # the handshake's Request and Response (headers and all) are read only before the
        # accept: ~1-2 KiB per connection for nothing afterwards
        self.request = self.response = None
        return self.inbox

    def handle_connect(self, event) -> None:
        super().handle_connect(event)
        # The request's headers are now copied into the ASGI scope. The Request itself stays
        # referenced by websockets' parser (a local of its generator, for the connection's
        # life): its headers emptied, ~2 KiB per connection go (benchmarks/memory_per_conn.py).
        event.headers.clear()

    async def next_message(self):
        """The next message (str or bytes) of a taken-over connection; None when only the
        ASGI queue can answer now (the caller then awaits `receive()`)."""
        inbox = self.inbox
        while not inbox:
            if self.given_back or not self.queue.empty():
                return None
            self.waiter = self.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        data = inbox.pop(0)
        if self._inbox_paused and not inbox:
            self._inbox_paused = False
            if not self.given_back:
                self.transport.resume_reading()
        return data

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        inbox = self.inbox
        if inbox is None or self.given_back:
            return super().data_received(data)
        if self._partial:
            self._partial += data
            if len(self._partial) < self._need:
                return  # a large frame arriving in pieces: parse it once it is whole
            data = bytes(self._partial)
            self._partial = bytearray()
        if self.close_sent:
            return self._give_back(data)
        pos, end = 0, len(data)
        limit = self.config.ws_max_size
        need = 0
        while pos < end:
            if end - pos < 2:
                break
            first, second = data[pos], data[pos + 1]
            if second < 0x80:
                return self._give_back(data[pos:])  # unmasked: the stock parser fails it
            length = second & 0x7F
            head = pos + 2
            if length == 126:
                if end - head < 2:
                    break
                length = int.from_bytes(data[head : head + 2], "big")
                head += 2
            elif length == 127:
                if end - head < 8:
                    break
                length = int.from_bytes(data[head : head + 8], "big")
                head += 8
            stop = head + 4 + length
            if first in (_TEXT, _BINARY):
                if length > limit:
                    return self._give_back(data[pos:])  # 1009, by the stock parser
                if stop > end:
                    need = stop - pos
                    break
                payload = apply_mask(data[head + 4 : stop], data[head : head + 4])
                if first == _TEXT:
                    try:
                        payload = payload.decode()
                    except UnicodeDecodeError:
                        payload = None
                    if payload is None:
                        return self._give_back(data[pos:])  # 1007, by uvicorn
                inline = self.inline
                if inline is not None and not inbox and self.waiter is not None and inline(payload):
                    if self.close_sent or self.transport.is_closing():
                        return self._give_back(data[stop:])  # the message closed the socket
                else:
                    inbox.append(payload)
            elif first in (_PING, _PONG) and length <= 125:
                if stop > end:
                    need = stop - pos
                    break
                super().data_received(data[pos:stop])  # a whole frame: the stock handling
            else:
                return self._give_back(data[pos:])
            pos = stop
        if pos < end:
            self._partial = bytearray(data[pos:])
            self._need = need
        self._delivered()

    def _give_back(self, rest: bytes) -> None:
        self.given_back = True
        if self._inbox_paused:
            self._inbox_paused = False
            self.transport.resume_reading()
        self._delivered()  # before: what the stock parser queues comes after the inbox
        if rest:
            super().data_received(rest)
        self.wake()

    def _delivered(self) -> None:
        if self.inbox:
            if len(self.inbox) >= INBOX_HIGH and not self._inbox_paused and not self.given_back:
                self._inbox_paused = True
                self.transport.pause_reading()
            self.wake()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)  # queues the disconnect: wakes the reader
        self.given_back = True


class _Receive:
    """The ASGI `receive` of a FastWebSocketProtocol, holding it weakly (see __init__)."""

    __slots__ = ("__weakref__", "_proto")

    def __init__(self, proto: FastWebSocketProtocol) -> None:
        self._proto = weakref.ref(proto)

    @property
    def __self__(self) -> FastWebSocketProtocol | None:
        return self._proto()

    def __call__(self):
        proto = self._proto()
        if proto is None:  # nobody holds the connection any more: it is gone
            return _disconnected()
        return WebSocketsSansIOProtocol.receive(proto)


async def _disconnected():
    return {"type": "websocket.disconnect", "code": 1006}


def _at_frame_boundary(conn) -> bool:
    # With an empty buffer the stock parser waits either between frames (in `at_eof()`, at
    # the top of its loop) or inside a frame whose rest has not arrived (in `Frame.parse`).
    inner = conn.parser  # ServerProtocol.parse -> Protocol.parse -> at_eof / Frame.parse...
    while inner.gi_yieldfrom is not None:
        inner = inner.gi_yieldfrom
    return inner.gi_code.co_name == "at_eof"


def fast_protocol(asgi_receive) -> FastWebSocketProtocol | None:
    """The FastWebSocketProtocol behind an ASGI `receive` callable, else None."""
    proto = getattr(asgi_receive, "__self__", None)
    return proto if isinstance(proto, FastWebSocketProtocol) else None
