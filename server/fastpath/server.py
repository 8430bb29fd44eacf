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
from socketio import packet as sio_packet

from server.fastpath import jsonmod
from server.fastpath.delivery import encode_ack
from server.fastpath.socket import FastSocket
from server.fastpath.wsdirect import write_now


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

    async def _handle_event_internal(self, server, sid, eio_sid, data, namespace, id):
        # The stock method, with the ACK encoded by orjson in one step when it has no binary
        # part (orjson refuses bytes, so success means a plain text packet).
        r = await server._trigger_event(data[0], namespace, sid, *data[1:])
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
                await server._send_text(eio_sid, text)

    async def _send_text(self, eio_sid, text: str) -> None:
        sock = self.eio.sockets.get(eio_sid)
        if sock is None or sock.closed:
            return
        message = eio_packet.Packet(eio_packet.MESSAGE, text)
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
