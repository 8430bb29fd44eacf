"""Encode an emit once and put the same Engine.IO packet on every local recipient's queue.

Stock `AsyncManager.emit` creates one asyncio task per recipient (each awaiting
`eio.send_packet` -> `AsyncSocket.send`) and then `asyncio.wait`s on all of them: for a room of
1000 that is 1000 tasks per emit and about a third of the server's CPU. The queue is unbounded,
so `put` never waits: doing the puts in a plain loop is the same work without the tasks. A
websocket written directly (wsflush.FlushQueue) takes the packet's frame, built once per emit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import orjson
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from server.fastpath import jsonmod
from server.fastpath.wsdirect import frame_of
from server.fastpath.wsflush import FlushQueue

# After this many queued packets an emit yields to the event loop once, so a burst of large
# fan-outs cannot hold the loop (and every other socket's reads) for long; writers still
# drain many packets per wake-up.
YIELD_EVERY = 8192


def encode_event(server, event: str, data, namespace: str) -> list[eio_packet.Packet]:
    """The Engine.IO MESSAGE packet(s) of one EVENT (several when binary attachments)."""
    if isinstance(data, tuple):
        args = [event, *data]
    elif data is not None:
        args = [event, data]
    else:
        args = [event]
    if server.packet_class is sio_packet.Packet and sio_packet.Packet.json is jsonmod:
        # orjson cannot serialise bytes, so when it succeeds the event has no binary
        # attachment and the text packet is the stock one, without the stock's recursive
        # binary scan of the payload. Anything orjson refuses takes the stock path below.
        try:
            body = orjson.dumps(args, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            pass
        else:
            head = "2" if namespace == "/" else f"2{namespace},"
            pkt = eio_packet.Packet(eio_packet.MESSAGE, head + body)
            pkt.encode()  # fill the cache once for every recipient
            return [pkt]
    encoded = server.packet_class(sio_packet.EVENT, namespace=namespace, data=args).encode()
    if not isinstance(encoded, list):
        encoded = [encoded]
    packets = [eio_packet.Packet(eio_packet.MESSAGE, part) for part in encoded]
    for pkt in packets:
        if not pkt.binary:
            # Fill the encode cache once for every recipient (a text packet encodes the same
            # for websocket and polling; binary ones differ, so they stay lazy).
            pkt.encode()
    return packets


def encode_ack(server, namespace: str | None, ack_id: int, args: list) -> str | None:
    """The text of an ACK packet by orjson, or None when it needs the stock (binary) path."""
    if server.packet_class is not sio_packet.Packet or sio_packet.Packet.json is not jsonmod:
        return None
    try:
        body = orjson.dumps(args, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return None
    if namespace is None or namespace == "/":
        return f"3{ack_id}{body}"
    return f"3{namespace},{ack_id}{body}"


def message_packet(text: str) -> eio_packet.Packet:
    """The Engine.IO MESSAGE packet of a Socket.IO text packet, built in one step: its
    encoding and its WebSocket frame (the cache wsdirect.frame_of reads) filled in, without
    the stock constructor's type checks (an ack: one per round trip)."""
    encoded = "4" + text
    payload = encoded.encode()
    n = len(payload)
    if n < 126:
        frame = bytes((0x81, n)) + payload  # FIN + text, unmasked (server to client)
    elif n < 65536:
        frame = b"\x81\x7e" + n.to_bytes(2, "big") + payload
    else:
        frame = b"\x81\x7f" + n.to_bytes(8, "big") + payload
    pkt = _new_packet(_Packet)
    pkt.packet_type = eio_packet.MESSAGE
    pkt.data = text
    pkt.binary = False
    pkt.encode_cache = encoded
    pkt.ws_frame = frame
    return pkt


_Packet = eio_packet.Packet
_new_packet = object.__new__


def skip_set(skip_sid) -> frozenset:
    if skip_sid is None:
        return frozenset()
    if isinstance(skip_sid, list | tuple | set | frozenset):
        return frozenset(skip_sid)
    return frozenset((skip_sid,))


def enqueue(
    server, packets: list[eio_packet.Packet], recipients: Iterable[tuple[str, str]], skip: frozenset
) -> int:
    """Put `packets` on each recipient's Engine.IO queue; returns how many were queued.

    A recipient whose Engine.IO socket is gone or closed is skipped (stock logs "Cannot send
    to sid" or raises inside a task nobody reads). Ping timeouts are still detected by the
    engine's service task and the websocket reader.
    """
    sockets = server.eio.sockets
    queued = 0
    single = packets[0] if len(packets) == 1 else None
    # a websocket written directly queues the packet's frame: built once here for all of them
    frame = frame_of(single) if single is not None else None
    for sid, eio_sid in recipients:
        if sid in skip:
            continue
        sock = sockets.get(eio_sid)
        if sock is None or sock.closed:
            continue
        queue = sock.queue
        if single is None:
            for pkt in packets:
                queue.put_nowait(pkt)
        elif queue.__class__ is FlushQueue:
            queue.put_frame(frame)
        else:
            queue.put_nowait(single)
        queued += 1
    return queued * len(packets)


class Pacer:
    """Yields to the loop after YIELD_EVERY queued packets (summed over emits)."""

    __slots__ = ("pending",)

    def __init__(self) -> None:
        self.pending = 0

    async def add(self, queued: int) -> None:
        self.pending += queued
        if self.pending >= YIELD_EVERY:
            self.pending = 0
            await asyncio.sleep(0)
