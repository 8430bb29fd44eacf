"""`FastAsyncServer`: socketio.AsyncServer with the fast socket, send path and JSON.

What changes against python-socketio 5.18 / python-engineio 4.15 (reasons in
docs/performance.md):
* Engine.IO sockets are `FastSocket`s (websocket loop without per-packet tasks);
* `_send_packet` (acks, CONNECT, DISCONNECT, emits with a callback) encodes and queues the
  packet directly instead of through three wrapper coroutines per packet;
* the JSON module is orjson-backed (`jsonmod`), process-wide as python-socketio requires;
* the engine server follows Engine.IO v4 where python-engineio does not (`protocol.py`), and a
  CONNECT to an unknown namespace gets Socket.IO v5's `{"message": "Invalid namespace"}`
  (docs/conformance.md).
Event handlers still run concurrently (`async_handlers=True`, the stock default): a slow
handler (a database write) never delays the next event of the same socket, which is what
Roomcast's namespaces rely on; each handler runs in a task of its own (`eager.py`), as in
stock python-socketio with `async_handlers=True` -- for a message taken from `data_received`
that is the task made for the message (one task per event, not two; socket._Inline). The
dispatch of a client event to an `AsyncNamespace` method is a look-up built once per
(namespace, event) (`_target`), not python-socketio's per-event handler search.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
from collections import deque

import socketio
from engineio import async_socket
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from server.errors import BadRequest
from server.fastpath import eager, jsonmod
from server.fastpath.delivery import encode_ack, message_packet
from server.fastpath.environ import kept as kept_environ
from server.fastpath.limits import install_queue
from server.fastpath.packets import PacketPolicy
from server.fastpath.protocol import SpecEngineServer
from server.fastpath.socket import FastSocket
from server.fastpath.wsdirect import write_now

_UNSET = object()
_MAX_TARGETS = 4096  # (namespace, event) pairs remembered by FastAsyncServer._target


# `2`, `/namespace,` (query cut off below), an ack id of at most 100 ASCII digits, then
# the JSON array. Anything else -- an attachment count, an over-long id, other digits, no
# payload -- does not match and goes to the stock decoder. One match instead of a Python loop
# per character of the head.
_EVENT_HEAD = re.compile(r"2(?:(/[^,]*),)?([0-9]{0,100})\[")


def _parse_event(text: str):
    """(namespace, id, args) of a text EVENT packet, or None to let the stock decoder judge."""
    head = _EVENT_HEAD.match(text)
    if head is None:
        return None
    namespace, digits = head.groups()
    if namespace is not None and "?" in namespace:
        namespace = namespace.split("?", 1)[0]
    try:
        args = jsonmod.loads(text[head.end() - 1 :])
    except ValueError:
        return None
    if args.__class__ is not list or not args:
        return None
    return namespace, int(digits) if digits else None, args


class FastEngineServer(SpecEngineServer):
    max_queue_bytes = 0  # the outgoing byte bound per socket (limits.ByteQueue); 0: none
    rc_metrics = None

    async def _trigger_event(self, event, *args, **kwargs):
        if event == "connect":
            # engineio builds `AsyncSocket` by module reference in `_handle_connect`; the
            # connect event is the first hook after that, before any transport runs, so
            # the new socket becomes a FastSocket (same attributes, other methods).
            sock = self.sockets.get(args[0])
            if sock is not None and sock.__class__ is async_socket.AsyncSocket:
                sock.__class__ = FastSocket
            if sock is not None and self.max_queue_bytes:
                install_queue(sock, self.max_queue_bytes, self.rc_metrics)
        return await super()._trigger_event(event, *args, **kwargs)


class FastAsyncServer(socketio.AsyncServer):
    def __init__(
        self,
        *args,
        max_queue_bytes: int = 0,
        packet_budget: bool = True,
        connect_timeout: float = 45,
        **kwargs,
    ):
        kwargs.setdefault("json", jsonmod)
        self._targets: dict = {}  # (namespace, event) -> coroutine function or None
        super().__init__(*args, **kwargs)
        self.eio.max_queue_bytes = max_queue_bytes
        self.connect_timeout = connect_timeout
        self._connects_due: deque[tuple[float, str]] = deque()  # (deadline, eio_sid)
        self._connect_sweep: asyncio.TimerHandle | None = None
        self.policy = PacketPolicy(
            self, max_attachment_bytes=self.eio.max_http_buffer_size, budget=packet_budget
        )

    def handle_request(self, *args, **kwargs):
        # stock's `return await self.eio.handle_request(...)` without a coroutine of its own
        # (the ASGI app awaits what this returns): one frame less living as long as each
        # websocket (~400 bytes)
        return self.eio.handle_request(*args, **kwargs)

    def use_metrics(self, metrics) -> None:
        self.eio.rc_metrics = self.policy.metrics = metrics

    def _engineio_server_class(self):
        return FastEngineServer

    async def _handle_connect(self, eio_sid, namespace, data):
        # Socket.IO v5: a CONNECT to a namespace nobody serves is refused with the object
        # `{"message": "Invalid namespace"}` (socket.io-client reads `data.message`); stock
        # sends the bare string "Unable to connect".
        ns = namespace or "/"
        if not (
            ns in self.handlers
            or ns in self.namespace_handlers
            or self.namespaces == "*"
            or ns in self.namespaces
        ):
            refusal = {"message": "Invalid namespace"}
            pkt = self.packet_class(sio_packet.CONNECT_ERROR, data=refusal, namespace=ns)
            return await self._send_packet(eio_sid, pkt)
        return await super()._handle_connect(eio_sid, namespace, data)

    async def _handle_eio_message(self, eio_sid, data):
        # The common packet, a text EVENT `2[/ns,][id][...]`, parsed by hand: the stock
        # decoder builds a Packet (with a binary scan) for it. Anything else, or anything
        # unusual about it, goes to the stock method, whose errors become error acks or
        # counted drops (fastpath/packets.py) instead of tracebacks.
        pending = self._binary_packet.get(eio_sid)
        if pending is None:
            if data.__class__ is str and data[:1] == "2":
                event = _parse_event(data)
                if event is not None:
                    namespace, ack_id, args = event
                    return await self._handle_event(eio_sid, namespace, ack_id, args)
        else:
            refusal = self.policy.attachments.arrived(eio_sid, data)
            if refusal is not None:
                return await self.policy.cut(eio_sid, refusal)
        try:
            await super()._handle_eio_message(eio_sid, data)
        except Exception as exc:
            self._binary_packet.pop(eio_sid, None)
            return await self.policy.malformed(eio_sid, data, exc)
        if pending is None and eio_sid in self._binary_packet:
            announced = self._binary_packet[eio_sid]
            if announced.attachment_count < 1:
                del self._binary_packet[eio_sid]
                return await self.policy.malformed(eio_sid, data, ValueError("no attachments"))
            refusal = self.policy.attachments.announced(eio_sid, announced.attachment_count)
            if refusal is not None:
                return await self.policy.cut(eio_sid, refusal)
        elif pending is not None and eio_sid not in self._binary_packet:
            self.policy.attachments.done(eio_sid)

    async def _handle_eio_connect(self, eio_sid, environ):
        await super()._handle_eio_connect(eio_sid, environ)
        # the keys a namespace CONNECT reads, not the whole request (fastpath/environ.py)
        self.environ[eio_sid] = kept_environ(environ)
        # An Engine.IO session that never connects a namespace holds a descriptor for
        # nothing: closed after connect_timeout (socket.io's connectTimeout, 45 s). One timer
        # for all sessions, over a queue in deadline order (one timeout: the order of
        # arrival): a loop timer per session costs ~700 bytes for 45 s, an entry here ~80.
        loop = asyncio.get_running_loop()
        self._connects_due.append((loop.time() + self.connect_timeout, eio_sid))
        if self._connect_sweep is None:
            self._connect_sweep = loop.call_at(self._connects_due[0][0], self._sweep_connects)

    def _sweep_connects(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        due = self._connects_due
        while due and due[0][0] <= now:
            self._connect_due(due.popleft()[1])
        self._connect_sweep = loop.call_at(due[0][0], self._sweep_connects) if due else None

    def _connect_due(self, eio_sid) -> None:
        sock = self.eio.sockets.get(eio_sid)
        if sock is None or sock.closed:
            return
        if any(self.manager.sid_from_eio_sid(eio_sid, ns) for ns in self.namespace_handlers):
            return
        eager.start(self.policy.cut(eio_sid, "connect_timeout"))

    async def _handle_eio_disconnect(self, eio_sid, reason):
        self.policy.forget(eio_sid)
        return await super()._handle_eio_disconnect(eio_sid, reason)

    async def _handle_event(self, eio_sid, namespace, id, data):
        # stock, minus its per-event log call; the handler in the message's task when it has one
        namespace = namespace or "/"
        if data.__class__ is not list or not data or data[0].__class__ is not str:
            # no event name (an empty array, no payload, an object or list as the name): stock
            # fails in a task nobody reads ("Task exception was never retrieved")
            if id is not None and await self.policy.error_ack(
                eio_sid, namespace, id, BadRequest("an event is [name, ...args]: name missing")
            ):
                return await self.policy.spend(eio_sid)
            return await self.policy.malformed(eio_sid, "", ValueError("no event name"))
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if not self.manager.is_connected(sid, namespace):
            self.logger.warning("%s is not connected to namespace %s", sid, namespace)
            return
        if self.async_handlers:
            owner = eager.claim()
            if owner is not None and owner.release():
                # this task was made for this one message (socket._Inline): the handler runs
                # in it, and the socket's next message gets a task of its own (eager.py)
                return await self._handle_event_internal(self, sid, eio_sid, data, namespace, id)
            # in a task of its own (eager.py)
            eager.start(self._handle_event_internal(self, sid, eio_sid, data, namespace, id))
        else:
            await self._handle_event_internal(self, sid, eio_sid, data, namespace, id)

    def register_namespace(self, namespace_handler):
        self._targets.clear()
        return super().register_namespace(namespace_handler)

    def on(self, event, handler=None, namespace=None):
        self._targets.clear()
        return super().on(event, handler=handler, namespace=namespace)

    def _target(self, namespace: str, event: str):
        """What the stock dispatch (`_trigger_event` -> `AsyncNamespace.trigger_event`) ends
        up awaiting for a client event, as one coroutine function of (sid, *args); built once
        per (namespace, event) and kept. None: leave it to the stock dispatch (handlers
        registered with `on`, catch-alls, unknown events, plain functions)."""
        key = (namespace, event)
        target = self._targets.get(key, _UNSET)
        if target is not _UNSET:
            return target
        target = None
        ns = self.namespace_handlers.get(namespace)
        if (
            not self.handlers  # `@sio.on` handlers come first in the stock order
            and isinstance(ns, socketio.AsyncNamespace)
            and event not in self.reserved_events
        ):
            handler = getattr(ns, "on_" + event, None)
            if handler is not None and inspect.iscoroutinefunction(handler):
                if type(ns).trigger_event is socketio.AsyncNamespace.trigger_event:
                    target = handler
                else:
                    # the namespace dispatches itself (namespaces.base: metrics, limits)
                    target = functools.partial(ns.trigger_event, event)
        if target is not None or len(self._targets) < _MAX_TARGETS:
            # unknown names are remembered too (as None), but only so many: clients choose them
            self._targets[key] = target
        return target

    async def _handle_event_internal(self, server, sid, eio_sid, data, namespace, id):
        # The stock method, with python-socketio's dispatch per event replaced by a look-up
        # (`_target`), and the ACK encoded by orjson in one step when it has no binary part
        # (orjson refuses bytes, so success means a plain text packet).
        target = self._target(namespace, data[0]) if server is self else None
        if target is None:
            r = await server._trigger_event(data[0], namespace, sid, *data[1:])
        else:
            try:
                r = await target(sid, *data[1:])
            except asyncio.CancelledError:  # as the stock dispatch
                r = None
        if r != self.not_handled and id is not None:
            if r is None:
                args = []
            elif isinstance(r, tuple):
                args = list(r)
            else:
                args = [r]
            text = encode_ack(server, namespace, id, args)
            if text is None:
                await server._send_packet(
                    eio_sid,
                    self.packet_class(sio_packet.ACK, namespace=namespace, id=id, data=args),
                )
            else:
                server._put_text(eio_sid, text)  # no coroutine per ack

    def _put_text(self, eio_sid, text: str) -> None:
        """Write or queue one Socket.IO text packet; nothing here waits (the queue is
        unbounded, or bounded in bytes by dropping the socket: limits.ByteQueue)."""
        sock = self.eio.sockets.get(eio_sid)
        if sock is None or sock.closed:
            return
        message = message_packet(text)
        if not write_now(sock, message):
            sock.queue.put_nowait(message)

    async def _send_packet(self, eio_sid, pkt):
        sock = self.eio.sockets.get(eio_sid)
        if sock is None or sock.closed:
            return  # stock: a warning or SocketIsClosedError raised into a task nobody reads
        encoded = pkt.encode()
        put = sock.queue.put_nowait
        if encoded.__class__ is list:
            for part in encoded:
                put(eio_packet.Packet(eio_packet.MESSAGE, part))
        else:
            message = eio_packet.Packet(eio_packet.MESSAGE, encoded)
            if not write_now(sock, message):
                put(message)
