"""`FastAsyncServer`: socketio.AsyncServer with the fast socket, send path and JSON.

What changes against python-socketio 5.18 / python-engineio 4.15 (reasons in
docs/performance.md):
* Engine.IO sockets are `FastSocket`s (websocket loop without per-packet tasks);
* `_send_packet` (acks, CONNECT, DISCONNECT, emits with a callback) encodes and queues the
  packet directly instead of through three wrapper coroutines per packet;
* the JSON module is orjson-backed (`jsonmod`), process-wide as python-socketio requires.
Event handlers still run in one task per event (`async_handlers=True`, the stock default): a
slow handler (a database write) never delays the next event of the same socket, which is what
Roomcast's namespaces rely on.
"""

from __future__ import annotations

import engineio
import socketio
from engineio import async_socket
from engineio import packet as eio_packet

from server.fastpath import jsonmod
from server.fastpath.socket import FastSocket


class FastEngineServer(engineio.AsyncServer):
    async def _trigger_event(self, event, *args, **kwargs):
        if event == "connect":
            # engineio builds `AsyncSocket` by module reference in `_handle_connect`; the
            # connect event is the first hook after that, before any transport runs, so
            # the new socket becomes a FastSocket (same attributes, other methods).
            sock = self.sockets.get(args[0])
            if sock is not None and sock.__class__ is async_socket.AsyncSocket:
                sock.__class__ = FastSocket
        return await super()._trigger_event(event, *args, **kwargs)


class FastAsyncServer(socketio.AsyncServer):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("json", jsonmod)
        super().__init__(*args, **kwargs)

    def _engineio_server_class(self):
        return FastEngineServer

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
            put(eio_packet.Packet(eio_packet.MESSAGE, encoded))
