"""Per-client memory bounds of the Socket.IO door, in bytes (docs/hardening.md).

* `ByteQueue`: an Engine.IO socket's outgoing queue that counts the bytes it holds. Past
  `limit` the socket is a slow consumer (Centrifugo's `client.queue_max_size`): nothing more
  is queued for it and it is disconnected with the logged reason `slow_consumer`. A websocket
  written directly swaps it for a `wsflush.FlushQueue`, which keeps the same bound and callback.
* `AttachmentGuard`: a binary packet announces its attachment count; the count and the total
  bytes of the attachments are checked when announced and as each arrives, so a client cannot
  make the server hold more than one message's worth (`max_socket_message_bytes`).
"""

from __future__ import annotations

import asyncio
import logging

from server.fastpath import eager
from server.fastpath.wsflush import FlushQueue

log = logging.getLogger("roomcast.limits")

SLOW_CONSUMER = "slow_consumer"
TOO_MANY_ATTACHMENTS = "too_many_attachments"
ATTACHMENTS_TOO_LARGE = "attachments_too_large"
MAX_ATTACHMENTS = 10


def packet_bytes(pkt) -> int:
    """What a queued Engine.IO packet holds, roughly: its payload plus a small overhead."""
    if pkt is None:
        return 0
    data = pkt.data
    if data.__class__ in (str, bytes, bytearray):
        return len(data) + 64
    return 64


class ByteQueue(asyncio.Queue):
    """asyncio.Queue with a byte count; an overflow drops the packet and reports once."""

    def __init__(self, limit: int, on_overflow) -> None:
        super().__init__()
        self.limit = limit
        self.bytes = 0
        self.overflowed = False
        self._on_overflow = on_overflow

    def _put(self, item) -> None:
        if self.overflowed and item is not None:
            return  # the socket is being dropped: hold nothing more for it
        size = packet_bytes(item)
        if item is not None and self.bytes + size > self.limit:
            self.overflowed = True
            self._on_overflow(self.bytes + size)
            return
        self.bytes += size
        super()._put(item)

    def _get(self):
        item = super()._get()
        self.bytes -= packet_bytes(item)
        return item


def install_queue(sock, limit: int, metrics=None) -> None:
    """Give an Engine.IO socket a ByteQueue (keeping what is already queued, the OPEN packet)."""
    old = sock.queue

    def overflow(size: int) -> None:
        log.warning(
            "disconnecting %s: %s (%d bytes queued, limit %d)", sock.sid, SLOW_CONSUMER, size, limit
        )
        if metrics is not None:
            metrics.limit_disconnects.labels(SLOW_CONSUMER).inc()
        eager.start(drop(sock, SLOW_CONSUMER))

    new = ByteQueue(limit, overflow)
    while not old.empty():
        new.put_nowait(old.get_nowait())
    sock.queue = new


async def drop(sock, reason: str) -> None:
    """Disconnect an Engine.IO socket now, without waiting for what it has not read."""
    proto = getattr(sock, "direct_proto", None)
    if proto is not None and not proto.disconnected:
        proto.transport.abort()  # frees the transport's buffer; the reader sees the close
    try:
        await sock.close(wait=False, abort=True, reason=reason)
    except Exception:  # pragma: no cover - already closing
        log.debug("close of %s after %s failed", sock.sid, reason, exc_info=True)
    queue = sock.queue
    if queue.__class__ is FlushQueue:
        queue.discard()  # its backlog goes; the None then closes the websocket
        queue.put_nowait(None)
    elif isinstance(queue, ByteQueue):
        # the writer (if any) stops at the None; the polling GET gets the CLOSE packet
        queue._queue.clear()
        queue.bytes = 0
        super(ByteQueue, queue)._put(None)
        queue._unfinished_tasks += 1
        queue._wakeup_next(queue._getters)
    if sock.server.sockets.get(sock.sid) is sock:
        del sock.server.sockets[sock.sid]


class AttachmentGuard:
    """Counts the attachments a binary packet announced and the bytes received for it."""

    def __init__(self, max_bytes: int, max_count: int = MAX_ATTACHMENTS) -> None:
        self.max_bytes = max_bytes
        self.max_count = max_count
        self.received: dict[str, int] = {}

    def announced(self, eio_sid: str, count: int) -> str | None:
        """A binary packet announced `count` attachments: the refusal reason, or None."""
        if count > self.max_count:
            return TOO_MANY_ATTACHMENTS
        self.received[eio_sid] = 0
        return None

    def arrived(self, eio_sid: str, data) -> str | None:
        total = self.received.get(eio_sid, 0) + len(data)
        if total > self.max_bytes:
            self.received.pop(eio_sid, None)
            return ATTACHMENTS_TOO_LARGE
        self.received[eio_sid] = total
        return None

    def done(self, eio_sid: str) -> None:
        self.received.pop(eio_sid, None)
