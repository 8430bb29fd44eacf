"""Write whole WebSocket frames straight to uvicorn's transport, many per system call.

Profile of a room fan-out after the delivery fix: ~50 % of the server's CPU was uvicorn's
`websocket.send` -> websockets' `send_text` -> `Frame.serialize` -> one `transport.write`
(one write(2) system call) per message per socket. Server-to-client frames are not masked,
so without a compression extension the bytes of a frame depend only on the payload: we build
the frame once per Engine.IO packet (shared by every recipient of an emit) and a socket's
flush (wsflush.FlushQueue) writes everything it has pending in ONE `transport.write`.

This reaches into uvicorn's websockets-sansio protocol (uvicorn 0.54, pinned below 0.55), so
it is used only when the ASGI `send` callable is that protocol's own bound method and no
extension (permessage-deflate) was negotiated; anything else keeps the plain ASGI send. The
protocol's own state is honoured: flow control (`writable`), a lost connection, a close
already sent, and websockets' connection state.
"""

from __future__ import annotations

from typing import Any

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.protocol import State

    _OPEN = State.OPEN
except ImportError:  # pragma: no cover - another uvicorn: the ASGI path only
    WebSocketsSansIOProtocol = None
    _OPEN = None

MAX_BATCH_BYTES = 256 * 1024


def frame_of(pkt: Any) -> bytes:
    """The unmasked, unfragmented WebSocket frame of an Engine.IO packet (cached on it)."""
    cache = pkt.__dict__
    frame = cache.get("ws_frame")
    if frame is None:
        if pkt.binary:
            # pkt.data, not pkt.encode(): encode() caches its first result whatever the
            # transport, and a polling recipient of the same packet needs base64.
            payload, first = bytes(pkt.data), 0x82  # FIN + binary
        else:
            payload, first = pkt.encode().encode(), 0x81  # FIN + text
        n = len(payload)
        if n < 126:
            header = bytes((first, n))
        elif n < 65536:
            header = bytes((first, 126)) + n.to_bytes(2, "big")
        else:
            header = bytes((first, 127)) + n.to_bytes(8, "big")
        frame = header + payload
        cache["ws_frame"] = frame
    return frame


def direct_protocol(asgi_send: Any):
    """uvicorn's protocol behind `asgi_send` when frames may be written directly, else None."""
    proto = getattr(asgi_send, "__self__", None)
    if WebSocketsSansIOProtocol is None or not isinstance(proto, WebSocketsSansIOProtocol):
        return None
    if proto.conn.extensions:
        return None  # permessage-deflate: frames differ per connection
    return proto


def write_now(sock: Any, pkt: Any) -> bool:
    """Write one packet straight away when nothing can be ahead of it; False: queue it.

    For an ack the queue hand-off costs a scheduled flush per packet. When the socket's
    FlushQueue holds nothing, no packet is pending, so writing now keeps the order. Emits
    keep using the queue even for one recipient: a burst of emits then leaves in a few
    writes per socket (one system call per frame measured 2-3x the CPU per targeted
    delivery).
    """
    proto = sock.direct_proto  # set only while the queue is a FlushQueue (None once it ends)
    if (
        proto is None
        or sock.queue.pending
        or not proto.writable.is_set()
        or proto.disconnected
        or proto.close_sent
        or proto.conn.state is not _OPEN
    ):
        return False
    proto.transport.write(frame_of(pkt))
    return True
