"""What the Socket.IO door does with packets it cannot use (docs/hardening.md).

* A malformed packet that carries an ack id gets an error ack: `validation_error` naming the
  field when the JSON had an integer out of range, else `bad_request`.
* One that cannot be answered (no ack id, or a namespace the socket is not in) is dropped and
  counted; the log says so at most once per LOG_EVERY seconds, with the count.
* Every malformed packet takes one token from the connection's invalid-packet budget (when
  rate limits are on); a client that spends it is disconnected (`invalid_packets`).
* Binary attachments are bounded (limits.AttachmentGuard): too many announced, or more bytes
  than one message may have, disconnects with the reason logged.
"""

from __future__ import annotations

import logging
import re
import time

from server.acks import failed
from server.errors import BadRequest, Invalid
from server.fastpath.delivery import encode_ack
from server.fastpath.limits import AttachmentGuard, drop
from server.jsonin import JsonRefused
from server.ratelimit import TokenBucket

log = logging.getLogger("roomcast.packets")

INVALID_PACKETS = "invalid_packets"
LOG_EVERY = 10.0
INVALID_RATE, INVALID_BURST = 1.0, 20
# type 2 (EVENT) or 5 (BINARY_EVENT), attachments, namespace, then the ack id
_ACKED = re.compile(r"([25])(?:\d{1,10}-)?(?:(/[^,]{0,200}),)?(\d{1,18})")


def ack_target(data) -> tuple[str, int] | None:
    """(namespace, ack id) of a text packet that asks for an ack, however broken the rest."""
    if data.__class__ is not str:
        return None
    match = _ACKED.match(data)
    if match is None:
        return None
    namespace = (match.group(2) or "/").split("?", 1)[0]
    return namespace, int(match.group(3))


def error_for(exc: Exception):
    if isinstance(exc, JsonRefused):
        field = exc.field(skip=1)  # the path starts at the packet's argument list
        if field is not None:
            return Invalid(exc.message, fields={field: exc.message})
        return BadRequest(exc.message)
    return BadRequest("malformed packet")


class PacketPolicy:
    def __init__(self, server, *, max_attachment_bytes: int, budget: bool) -> None:
        self.server = server
        self.attachments = AttachmentGuard(max_attachment_bytes)
        self.budget = budget
        self._buckets: dict[str, TokenBucket] = {}
        self.dropped = 0
        self._unlogged = 0
        self._logged_at = 0.0
        self.metrics = None

    async def malformed(self, eio_sid: str, data, exc: Exception) -> None:
        """A packet the server could not use: answer it if it can be answered, then count it."""
        target = ack_target(data)
        answered = False
        if target is not None:
            namespace, ack_id = target
            answered = await self.error_ack(eio_sid, namespace, ack_id, error_for(exc))
        if not answered:
            self._count_drop(eio_sid, data, exc)
        await self.spend(eio_sid)

    async def error_ack(self, eio_sid: str, namespace: str, ack_id: int, error) -> bool:
        server = self.server
        if server.manager.sid_from_eio_sid(eio_sid, namespace) is None:
            return False
        text = encode_ack(server, namespace, ack_id, [failed(error)])
        if text is None:
            return False
        server._put_text(eio_sid, text)
        self._count("answered")
        return True

    async def spend(self, eio_sid: str) -> None:
        if not self.budget:
            return
        bucket = self._buckets.get(eio_sid)
        if bucket is None:
            bucket = self._buckets[eio_sid] = TokenBucket(rate=INVALID_RATE, burst=INVALID_BURST)
        if not bucket.take():
            await self.cut(eio_sid, INVALID_PACKETS)

    async def cut(self, eio_sid: str, reason: str) -> None:
        """Disconnect the connection now, the reason logged and counted."""
        self.forget(eio_sid)
        self.server._binary_packet.pop(eio_sid, None)
        sock = self.server.eio.sockets.get(eio_sid)
        if sock is None or sock.closed:
            return
        log.warning("disconnecting %s: %s", eio_sid, reason)
        if self.metrics is not None:
            self.metrics.limit_disconnects.labels(reason).inc()
        await drop(sock, reason)

    def forget(self, eio_sid: str) -> None:
        self._buckets.pop(eio_sid, None)
        self.attachments.done(eio_sid)

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.malformed_packets.labels(outcome).inc()

    def _count_drop(self, eio_sid: str, data, exc: Exception) -> None:
        self.dropped += 1
        self._unlogged += 1
        self._count("dropped")
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY:
            sample = data[:80] if data.__class__ is str else f"<{len(data)} bytes>"
            log.warning(
                "dropped %d malformed packet(s) with no ack to answer (last from %s: %s: %r)",
                self._unlogged,
                eio_sid,
                type(exc).__name__,
                sample,
            )
            self._unlogged = 0
            self._logged_at = now
