"""A websocket's outgoing packets written by a loop callback, without a writer task.

With the writer task each socket held a task, an asyncio.Queue and its events for its whole
life, and every delivery paid the Queue's `put_nowait` plus one task wake-up per socket per
burst. Here `FlushQueue` takes the socket's queue's place once the socket writes frames
straight to uvicorn's transport (wsdirect.direct_protocol; websocket-only or upgraded, never
while polling may still read the queue). The first packet of a burst schedules one `flush`
with `loop.call_soon`; the flush writes everything pending in one `transport.write`.

It keeps the interface python-engineio uses on `sock.queue` after an upgrade (`put`,
`put_nowait`, `join`, `qsize`, `empty`) and the writer task's rules:
* packets leave in the order they were put;
* the byte bound of limits.ByteQueue: pending bytes count until written, and past the limit
  the socket is a slow consumer (the same overflow callback, reason `slow_consumer`);
* flow control: while the transport is not writable the frames stay pending (and counted);
  only then a task waits for `writable` and flushes on resume;
* a `None` ends it: what was put before is written, nothing after, then the websocket is
  closed (`ws.close()`, the close frame after the queued frames), as the writer did;
* an exception while framing or writing a packet is swallowed as the writer's (`ws_writer`)
  and closes the socket.
"""

from __future__ import annotations

import asyncio

from server.fastpath import eager
from server.fastpath.swallowed import swallowed
from server.fastpath.wsdirect import _OPEN, MAX_BATCH_BYTES, frame_of


class FlushQueue:
    __slots__ = (
        "bytes",
        "call_soon",
        "closer",
        "ending",
        "joiners",
        "limit",
        "on_overflow",
        "overflowed",
        "pending",
        "proto",
        "scheduled",
        "sock",
        "ws",
    )

    def __init__(self, sock, proto, ws, limit: int = 0, on_overflow=None) -> None:
        self.sock, self.proto, self.ws = sock, proto, ws
        self.limit = limit  # 0: no bound (no max_queue_bytes configured)
        self.on_overflow = on_overflow
        # frames, not packets: built once per packet (shared by an emit's recipients), and
        # joined as they are; a list, lighter per socket than a deque
        self.pending: list[bytes] = []
        self.bytes = 0
        self.overflowed = False
        self.scheduled = False  # a flush is due (or a task waits for `writable` to flush)
        self.ending = False  # a None was put: nothing more is taken
        self.closer = None  # the task writing the last frames and closing the websocket
        self.joiners = None  # futures of `join()` callers
        self.call_soon = asyncio.get_running_loop().call_soon

    @classmethod
    def take_over(cls, sock, proto, ws) -> FlushQueue:
        """Replace `sock.queue`, keeping what it holds (the OPEN packet, packets sent during
        an upgrade) and its byte bound."""
        old = sock.queue
        new = cls(sock, proto, ws, getattr(old, "limit", 0), getattr(old, "_on_overflow", None))
        new.overflowed = getattr(old, "overflowed", False)
        sock.queue = new
        sock.direct_proto = proto  # before the moves: a None among them clears it
        while not old.empty():
            new.put_nowait(old.get_nowait())
        return new

    # -- the queue interface (python-engineio, delivery.enqueue, server._send_*) --

    def put_nowait(self, pkt) -> None:
        if self.ending:
            return  # the writer task stopped at the None: nothing after it was written
        if pkt is None:
            self.ending = True
            self.sock.direct_proto = None  # wsdirect.write_now: nothing jumps ahead now
            self.closer = eager.start(self._close())
            return
        try:
            frame = frame_of(pkt)
        except Exception as exc:
            swallowed("ws_writer", exc)  # the socket closes; logged once per cause, counted
            self.discard()
            self.put_nowait(None)
            return
        self.put_frame(frame)

    def put_frame(self, frame: bytes) -> None:
        """Queue a packet's frame (delivery.enqueue builds it once for every recipient)."""
        if self.ending or self.overflowed:
            return  # ended, or being dropped: hold nothing more for it
        size = len(frame) + 64  # as limits.packet_bytes: the payload plus a small overhead
        if self.limit and self.bytes + size > self.limit:
            self.overflowed = True
            self.on_overflow(self.bytes + size)
            return
        self.bytes += size
        self.pending.append(frame)
        if not self.scheduled:
            self.scheduled = True
            self.call_soon(self.flush)

    async def put(self, pkt) -> None:
        self.put_nowait(pkt)

    def qsize(self) -> int:
        return len(self.pending)

    def empty(self) -> bool:
        return not self.pending

    async def join(self) -> None:
        """Until everything put so far is written (or can no longer be)."""
        while self.pending:
            fut = asyncio.get_running_loop().create_future()
            if self.joiners is None:
                self.joiners = []
            self.joiners.append(fut)
            await fut

    # -- writing --

    def flush(self) -> None:
        """Write what is pending, in batches of up to MAX_BATCH_BYTES, while writable."""
        self.scheduled = False
        proto = self.proto
        pending = self.pending
        if proto is None or not pending:
            return
        try:
            writable = proto.writable
            while pending:
                if not writable.is_set():
                    # the transport's buffer is full: the frames stay pending (and counted)
                    self.scheduled = True
                    eager.start(self._flush_when_writable())
                    return
                if proto.disconnected or proto.close_sent or proto.conn.state is not _OPEN:
                    self.discard()  # the connection can no longer take them
                    return
                if len(pending) == 1:
                    data = pending[0]
                    pending.clear()
                    self.bytes = 0
                elif self.bytes <= MAX_BATCH_BYTES:
                    data = b"".join(pending)
                    pending.clear()
                    self.bytes = 0
                else:
                    size = taken = 0
                    for frame in pending:
                        size += len(frame)
                        taken += 1
                        if size >= MAX_BATCH_BYTES:
                            break
                    data = b"".join(pending[:taken])
                    del pending[:taken]
                    self.bytes -= size + 64 * taken
                proto.transport.write(data)
        except Exception as exc:
            swallowed("ws_writer", exc)  # the socket closes; logged once per cause, counted
            self.discard()
            self.put_nowait(None)
            return
        self._wake_joiners()

    async def _flush_when_writable(self) -> None:
        proto = self.proto
        if proto is not None:
            await proto.writable.wait()  # set again by resume_writing or connection_lost
        self.flush()

    async def _close(self) -> None:
        """After a None: the frames put before it, then the websocket's close."""
        try:
            while self.pending and self.proto is not None:
                proto = self.proto
                if not proto.writable.is_set():
                    await proto.writable.wait()
                self.flush()
                if self.pending and proto.writable.is_set():
                    break  # not written with the transport writable: the connection is gone
        finally:
            self.discard()
            ws = self.ws
            self.ws = None
            self.proto = None  # no reference cycles through the protocol (test_fastpath_release)
            if ws is not None:
                await ws.close()

    async def finish(self) -> None:
        """The socket's websocket ends: write what is queued, close, and wait for that."""
        self.put_nowait(None)
        await self.closer

    def discard(self) -> None:
        """Drop everything pending (also limits.drop: a slow consumer is cut without its
        backlog)."""
        self.pending.clear()
        self.bytes = 0
        self._wake_joiners()

    def _wake_joiners(self) -> None:
        joiners = self.joiners
        if joiners is not None and not self.pending:
            self.joiners = None
            for fut in joiners:
                if not fut.done():
                    fut.set_result(None)
