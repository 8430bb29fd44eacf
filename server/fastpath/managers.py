"""Client managers whose emits skip python-socketio's task-per-recipient delivery.

`FastManager` replaces `socketio.AsyncManager` (one node), `FastRedisManager` replaces
`socketio.AsyncRedisManager` (several nodes, over the routed Redis Streams bus of
redis_stream.py and bus_reader.py).
Emits with a callback (one ack id per recipient) keep the stock path.
"""

from __future__ import annotations

import base64

import socketio
from engineio import packet as eio_packet
from socketio.packet import Packet

from server.fastpath.bus_lua import PACKET
from server.fastpath.delivery import Pacer, encode_event, enqueue, skip_set
from server.fastpath.redis_stream import RedisStreamBusMixin
from server.fastpath.room_members import Members, SidRoom


class FastEmitMixin:
    def _fast_init(self) -> None:
        self._pacer = Pacer()
        # (namespace, sid) -> the rooms it is in (None and its own sid room included), so a
        # disconnect leaves its rooms directly; stock scans every room of the namespace per
        # disconnect, O(rooms) each and O(n^2) when n sockets with a room each go at once.
        # A list: a socket is in a handful of rooms, and a list of four is ~100 bytes less
        # than a dict.
        self._rooms_of: dict[tuple, list] = {}

    def basic_enter_room(self, sid, namespace, room, eio_sid=None):
        if room is None:
            # the namespace's own room stays a bidict (eio_sid -> sid, duplicate connects)
            super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        else:
            # python-socketio 5.18's BaseManager.basic_enter_room with cheaper member maps
            # than a bidict per room (room_members.py)
            held = self.rooms.get(namespace)
            if held is None:
                if eio_sid is None:
                    raise ValueError("sid is not connected to requested namespace")
                held = self.rooms[namespace] = {}
            if sid != room and self.is_sid_room(namespace, room):
                raise ValueError("cannot enter a sid room")
            if eio_sid is None:
                eio_sid = held[None][sid]
            members = held.get(room)
            if members is not None:
                members[sid] = eio_sid
            elif room == sid:
                held[room] = SidRoom(sid, eio_sid)
            else:
                held[room] = Members({sid: eio_sid})
        joined = self._rooms_of.setdefault((namespace, sid), [])
        if room not in joined:
            joined.append(room)

    def basic_leave_room(self, sid, namespace, room):
        super().basic_leave_room(sid, namespace, room)
        joined = self._rooms_of.get((namespace, sid))
        if joined is not None and room in joined:
            joined.remove(room)
            if not joined:
                del self._rooms_of[(namespace, sid)]

    def basic_disconnect(self, sid, namespace, **kwargs):
        # python-socketio 5.18's BaseManager.basic_disconnect with the room scan replaced
        if namespace not in self.rooms:
            return
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]

    async def _emit_local(self, event, data, namespace, room, skip_sid) -> None:
        if namespace not in self.rooms:
            return
        packets = encode_event(self.server, event, data, namespace)
        await self._deliver(packets, namespace, room, skip_sid)

    async def _deliver(self, packets, namespace, room, skip_sid) -> None:
        await self._pacer.add(self._queue_for(packets, namespace, room, skip_sid))

    def _queue_for(self, packets, namespace, room, skip_sid) -> int:
        """Queue `packets` for the local members of `room`; how many packets were queued."""
        held = self.rooms.get(namespace)
        if held is None:
            return 0
        if room is None or isinstance(room, str):
            # one room: its (sid -> eio_sid) mapping read in place (python-socketio's
            # get_participants copies it for every emit; `enqueue` never awaits nor changes it)
            members = held.get(room)
            if members is None:
                return 0
            recipients = members._fwdm.items()
        else:
            recipients = self.get_participants(namespace, room)
        return enqueue(self.server, packets, recipients, skip_set(skip_sid))


class FastManager(FastEmitMixin, socketio.AsyncManager):
    def __init__(self) -> None:
        super().__init__()
        self._fast_init()

    async def emit(
        self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs
    ):
        if callback is not None:
            return await super().emit(
                event,
                data,
                namespace,
                room=room,
                skip_sid=skip_sid,
                callback=callback,
                to=to,
                **kwargs,
            )
        await self._emit_local(event, data, namespace, to or room, skip_sid)


class FastRedisManager(RedisStreamBusMixin, FastEmitMixin, socketio.AsyncRedisManager):
    """`stream` is the base of the bus keys (docs/cluster.md); `channel` the legacy pub/sub
    channel that stock write-only emitters publish on (listened to, never published to).

    Every room this node starts or stops holding goes to the registry through the outbox, in
    order with the emits: an emit reaches only the nodes that hold its room."""

    def __init__(
        self,
        url: str,
        channel: str,
        *,
        stream: str | None = None,
        write_only: bool = False,
        outbox_messages: int = 100_000,
        outbox_bytes: int = 64 * 1024 * 1024,
        stream_maxlen: int = 100_000,
        lease_seconds: float = 10.0,
    ) -> None:
        super().__init__(url, channel=channel, write_only=write_only)
        self._fast_init()
        self._bus_init(
            stream=stream or f"{channel}:stream",
            outbox_messages=outbox_messages,
            outbox_bytes=outbox_bytes,
            stream_maxlen=stream_maxlen,
            lease_seconds=lease_seconds,
        )

    # --- the room registry -------------------------------------------------------------------

    def basic_enter_room(self, sid, namespace, room, eio_sid=None):
        held = self.rooms.get(namespace)
        new = isinstance(room, str) and (held is None or room not in held)
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        if new:
            self._enqueue_room(namespace, room, True)

    def basic_leave_room(self, sid, namespace, room):
        held = self.rooms.get(namespace)
        had = isinstance(room, str) and held is not None and room in held
        super().basic_leave_room(sid, namespace, room)
        if had and room not in self.rooms.get(namespace, ()):
            self._enqueue_room(namespace, room, False)

    async def enter_room(self, sid, namespace, room, eio_sid=None):
        # A join is answered once the registry has it (bounded, never while Redis is down):
        # an emit that reaches Redis after that is routed here too.
        await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        if self.outbox.written < self._last_reg_seq:
            await self.wait_written(self._last_reg_seq)

    async def pre_connect(self, eio_sid, namespace):
        # The same for the socket's own (sid) room: the CONNECT is answered once the registry
        # has it, so an emit to the new sid from another node is routed here. Without it a
        # client could learn its sid, and pass it on, before Redis had the room (seen in
        # tests/test_fastpath.py "emit then a disconnect": the emits to it were dropped).
        sid = await super().pre_connect(eio_sid, namespace)
        if sid is not None and self.outbox.written < self._last_reg_seq:
            await self.wait_written(self._last_reg_seq)
        return sid

    # --- emits ---------------------------------------------------------------------------------

    async def emit(
        self,
        event,
        data,
        namespace=None,
        room=None,
        skip_sid=None,
        callback=None,
        to=None,
        **kwargs,
    ):
        room = to or room
        namespace = namespace or "/"
        if callback is not None or self.server is None:
            # acks across nodes and write-only use: python-socketio's own path (which
            # publishes through our `_publish`, so over the bus too)
            return await super().emit(
                event,
                data,
                namespace=namespace,
                room=room,
                skip_sid=skip_sid,
                callback=callback,
                **kwargs,
            )
        # Local recipients first, straight from this call (as the stock manager does, but
        # without a task per recipient), then one entry for the nodes that hold the room.
        packets = encode_event(self.server, event, data, namespace)
        await self._deliver(packets, namespace, room, skip_sid)
        if kwargs.get("ignore_queue"):
            return
        one_room = isinstance(room, str)
        if one_room:
            held = self.rooms.get(namespace)
            sids = held.get(None) if held is not None else None
            if sids is not None and room in sids._fwdm:  # python-socketio's is_sid_room
                return  # a sid of this node: sids are unique, no other node holds it
        if one_room and skip_sid is None and len(packets) == 1 and not packets[0].binary:
            # the Socket.IO packet itself: receivers queue it as it is, no JSON either way
            self._enqueue_entry(PACKET, namespace, room, packets[0].data)
        else:
            self._enqueue(emit_message(self.host_id, event, data, namespace, room, skip_sid))
        # Emits do not wait for a Redis that is down: the outbox keeps them, in order, until
        # it answers. While it answers, a burst waits for the writer past the high-water mark.
        outbox = self.outbox
        if len(outbox) >= self._high_messages or outbox.bytes >= self._high_bytes:
            await self._keep_pace()

    def _deliver_text(self, namespace: str, room: str, text: str) -> int:
        """A `k=p` entry from another node: the packet text for this node's room members
        (the caller paces); how many packets were queued."""
        pkt = eio_packet.Packet(eio_packet.MESSAGE, text)
        pkt.encode()  # the cache every recipient's writer uses
        return self._queue_for([pkt], namespace, room, None)

    async def _handle_emit(self, message):
        # An emit published by another node (or a write-only emitter such as
        # `roomcast send-alert`): the stock decoding, then the fast local delivery.
        if message.get("callback") is not None:
            return await super()._handle_emit(message)
        data = message["data"]
        if message.get("binary"):
            attachments = [base64.b64decode(a) for a in data[1:]]
            data = Packet.reconstruct_binary(data[0], attachments)
        if isinstance(data, list):
            data = data[0] if len(data) == 1 else tuple(data)
        await self._emit_local(
            message["event"],
            data,
            message.get("namespace") or "/",
            message.get("room"),
            message.get("skip_sid"),
        )


def emit_message(host_id: str, event, data, namespace, room, skip_sid) -> dict:
    """python-socketio's pub/sub `emit` message (the same JSON every node understands)."""
    data = list(data) if isinstance(data, tuple) else [data]
    binary = Packet.data_is_binary(data)
    if binary:
        data, attachments = Packet.deconstruct_binary(data)
        data = [data, *[base64.b64encode(a).decode() for a in attachments]]
    return {
        "method": "emit",
        "event": event,
        "data": data,
        "binary": binary,
        "namespace": namespace,
        "room": room,
        "skip_sid": skip_sid,
        "callback": None,
        "host_id": host_id,
    }
