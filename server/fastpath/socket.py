"""An Engine.IO socket whose websocket loop costs less per packet (python-engineio 4.15).

Stock `AsyncSocket._websocket_handler`:
* reader: every receive is wrapped in a new task plus `wait_for` (two tasks per packet), and
  every text packet goes through `Packet.decode`, which tries `json.loads` on the Socket.IO
  string and fails (an exception per message);
* writer: `poll()` does `wait_for(queue.get())` (a task per wake-up) and each packet goes
  through two wrapper layers before the ASGI send.

Here the reader awaits the ASGI receive directly and a per-socket watchdog timer (one timer
per ping period, not one task per packet) keeps the stock rule "no packet for
ping_interval + ping_timeout closes the socket". MESSAGE packets go straight to the
Socket.IO layer. When frames can be written straight to uvicorn's transport there is no
writer task: the socket's queue becomes a `wsflush.FlushQueue`, flushed by one loop callback
per burst; otherwise a writer task awaits the queue once per wake-up and sends all it holds.
The polling->websocket upgrade handshake and the close sequence are the stock ones, except
where Engine.IO v4 says otherwise (no stray NOOP after an upgrade, an invalid packet closes
the session, polling rules in `protocol.SpecSocket`; docs/conformance.md). What the reader
and writer swallow is logged once per cause and counted (`swallowed.py`).
"""

from __future__ import annotations

import asyncio
import time

from engineio import exceptions, packet

from server.fastpath import eager
from server.fastpath.protocol import SpecSocket, decode_packet
from server.fastpath.swallowed import swallowed
from server.fastpath.wsdirect import direct_protocol
from server.fastpath.wsflush import FlushQueue
from server.fastpath.wsreceive import fast_protocol

_MESSAGE = str(packet.MESSAGE)


class FastSocket(SpecSocket):
    # uvicorn's protocol while frames are written directly (wsflush.FlushQueue is the queue
    # then; with nothing pending a single packet may skip it, see wsdirect.write_now).
    direct_proto = None

    async def _websocket_handler(self, ws):
        server = self.server
        max_size = server.max_http_buffer_size
        receive = ws.asgi_receive
        proto = fast_protocol(receive)  # frames parsed in data_received (wsreceive.py)

        async def next_frame():
            if proto is not None and proto.inbox is not None:
                data = await proto.next_message()
                if data is not None:
                    if len(data) > max_size:
                        raise ValueError("packet is too large")
                    inline = proto.inline
                    if inline is not None and not inline.idle():
                        await inline.finished()  # the message before it goes first
                    return data
            event = await receive()
            if event["type"] != "websocket.receive":
                return None
            data = event.get("text")
            if data is None:
                data = event.get("bytes")
                if data is None:
                    return None
            if len(data) > max_size:
                raise ValueError("packet is too large")
            if proto is not None and proto.inbox is None:
                proto.take_over()  # when the stock parser sits between frames, queue empty
            return data

        if self.connected:
            # the socket was already connected, so this is an upgrade (stock handshake)
            self.upgrading = True
            try:
                pkt = await next_frame()
            except (OSError, ValueError):
                self.upgrading = False
                return
            decoded = packet.Packet(encoded_packet=pkt) if pkt is not None else None
            if decoded is None or decoded.packet_type != packet.PING or decoded.data != "probe":
                server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
                self.upgrading = False
                return
            await ws.send(packet.Packet(packet.PONG, data="probe").encode())
            if self.polling:
                # end the pending poll; with no poll pending stock queues it anyway and it
                # becomes a stray first frame on the websocket (the spec's sample session:
                # after `5` the next frame is the next message)
                self.queue.put_nowait(packet.Packet(packet.NOOP))
            try:
                pkt = await next_frame()
            except (OSError, ValueError):
                self.upgrading = False
                return
            decoded = packet.Packet(encoded_packet=pkt) if pkt is not None else None
            if decoded is None or decoded.packet_type != packet.UPGRADE:
                self.upgraded = False
                server.logger.info("%s: Failed websocket upgrade, expected UPGRADE", self.sid)
                self.upgrading = False
                return
            self.upgraded = True
            self.upgrading = False
        else:
            self.connected = True
            self.upgraded = True

        if proto is not None and proto.inbox is None:
            proto.take_over()
        direct = direct_protocol(ws.asgi_send)
        if direct is not None:
            # frames go straight to the transport: no writer task, a flush per burst
            flusher = FlushQueue.take_over(self, direct, ws)
            writer_task = None
        else:
            flusher = None
            writer_task = asyncio.ensure_future(self._ws_writer(ws))
        loop = asyncio.get_running_loop()
        limit = server.ping_interval + server.ping_timeout
        reader = asyncio.current_task()
        watch = _Watchdog(loop, reader, limit)
        on_message = server.handlers.get("message")
        if proto is not None and proto.inbox is not None and on_message is not None:
            proto.inline = _Inline(self, on_message, watch, max_size)
        try:
            while True:
                watch.waiting = True
                try:
                    p = await next_frame()
                except asyncio.CancelledError:
                    if watch.fired and reader.uncancel() == 0:
                        break  # silent for ping_interval + ping_timeout: the stock timeout
                    raise
                except Exception as exc:
                    swallowed("ws_reader", exc)
                    break
                watch.waiting = False
                watch.last = loop.time()
                if p is None:
                    break  # connection closed by the client
                try:
                    if p.__class__ is str and p[:1] == _MESSAGE:
                        # A Socket.IO packet: the stock decoder would only fail to parse it
                        # as JSON and keep the string.
                        if on_message is not None:
                            await on_message(self.sid, p[1:])
                    else:
                        pkt = decode_packet(p)
                        if pkt is None:
                            break  # not an Engine.IO packet: the spec closes the session
                        await self.receive(pkt)
                except exceptions.UnknownPacketError:
                    pass
                except exceptions.SocketIsClosedError:
                    server.logger.info("Receive error -- socket is closed")
                    break
                except asyncio.CancelledError:
                    if watch.fired and reader.uncancel() == 0:
                        break
                    raise
                except Exception:
                    server.logger.exception("Unknown receive error")
        finally:
            watch.stop()
            if proto is not None:
                proto.inline = None
        if flusher is not None:
            await flusher.finish()  # what is queued, then the close frame
        else:
            await self.queue.put(None)  # unlock the writer so it can exit
            await writer_task
        await self.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)

    async def _ws_writer(self, ws) -> None:
        """The writer task of the plain ASGI path (no direct protocol: see wsflush)."""
        try:
            await self._write_asgi(ws.asgi_send)
        except Exception as exc:
            swallowed("ws_writer", exc)  # the socket closes; logged once per cause, counted
            return
        finally:
            await ws.close()

    async def _write_asgi(self, send) -> None:
        queue = self.queue
        get_nowait = queue.get_nowait
        task_done = queue.task_done
        while True:
            pkt = await queue.get()
            while True:
                task_done()
                if pkt is None:
                    return
                if pkt.binary:  # not encode(): see wsdirect.frame_of
                    await send({"type": "websocket.send", "bytes": bytes(pkt.data)})
                else:
                    await send({"type": "websocket.send", "text": pkt.encode()})
                try:
                    pkt = get_nowait()
                except asyncio.QueueEmpty:
                    break

    def schedule_ping(self):
        # Stock starts a task per ping cycle that sleeps ping_interval (a task and its
        # coroutine frame per idle connection); a loop timer does the same for ~1/10 the memory.
        if self.last_ping:
            self.last_ping = None
            asyncio.get_running_loop().call_later(self.server.ping_interval, self._ping_due)

    def _ping_due(self) -> None:
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            self.queue.put_nowait(packet.Packet(packet.PING))

    async def close(self, wait=True, abort=False, reason=None):
        pending_poll = abort and not self.upgraded and not self.closed and not self.closing
        await super().close(wait=wait, abort=abort, reason=reason)
        if pending_poll:
            # A polling client that sent CLOSE may still have a GET waiting on the queue;
            # stock leaves it hanging until the ping timeout (45 s), which keeps e.g. Node's
            # client process alive. Node's engine.io answers it with a NOOP (the v4 test
            # suite, "forcefully closes the session"); so do we.
            self.queue.put_nowait(packet.Packet(packet.NOOP))


class _Inline:
    """A Socket.IO message handled straight from `data_received` while the reader is idle.

    The reader would be woken only to pass the message on: here the Socket.IO layer runs at
    once, in a task made for this message (eager.start_owned), and an event's handler runs
    in that same task (one task per event; server.FastAsyncServer._handle_event). Until the
    Socket.IO layer is done with the message -- the task has ended (a CONNECT's handler has
    finished) or it `release`d the socket just before an event handler runs -- the next
    messages queue up for the reader, which lets this one go first: a socket's packets are
    still taken one after another, in order, and a slow event handler delays no other event.
    """

    # __weakref__: tests/test_fastpath_onetask.py checks it is freed with its socket
    __slots__ = ("__weakref__", "max_size", "on_message", "pending", "sock", "waiter", "watch")

    def __init__(self, sock, on_message, watch, max_size: int) -> None:
        self.sock, self.on_message, self.watch, self.max_size = sock, on_message, watch, max_size
        self.pending = None  # the task whose message the Socket.IO layer is still taking
        self.waiter = None  # the reader's future in `finished`

    def idle(self) -> bool:
        pending = self.pending
        if pending is not None and pending.done():
            pending = self.pending = None
        return pending is None

    def release(self) -> bool:
        """From the pending task, just before its event handler runs: the next message may
        go. Only that task can call it: eager.claim gives the owner once, in the context of
        the task start_owned made (asyncio.current_task() to check it costs ~0.3 us). False
        when the socket no longer tracks it (its reader has ended): the handler gets a task."""
        if self.pending is None:
            return False
        self._wake()
        return True

    def _wake(self) -> None:
        self.pending = None
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def finished(self) -> None:
        pending = self.pending
        if pending is None or pending.done():
            self.pending = None
            return
        # No message is handed over here meanwhile (the reader is not parked), so `pending`
        # stays this task until it ends or releases the socket.
        waiter = self.waiter = pending.get_loop().create_future()
        pending.add_done_callback(self._ended)
        try:
            await asyncio.wait((waiter,))  # the pending task is not cancelled with the reader
        finally:
            pending.remove_done_callback(self._ended)
            self.waiter = None
        self.pending = None

    def _ended(self, task) -> None:
        # a done callback may run after the reader went on and a newer task became pending
        if self.pending is task:
            self._wake()

    def __call__(self, data) -> bool:
        """True when `data` was handled here; False: the reader takes it."""
        if data.__class__ is not str or data[:1] != _MESSAGE or len(data) > self.max_size:
            return False
        if not self.idle():
            return False
        watch = self.watch
        watch.last = watch.loop.time()
        self.pending = eager.start_owned(self._message(data[1:]), watch.loop)
        return True

    async def _message(self, text: str) -> None:
        eager.own(self)  # this task's context: the event handler may run here (claim)
        sock = self.sock
        try:
            await self.on_message(sock.sid, text)
        except exceptions.SocketIsClosedError:
            sock.server.logger.info("Receive error -- socket is closed")
        except Exception:
            sock.server.logger.exception("Unknown receive error")
        finally:
            if eager.disown():
                # No event handler claimed this message (a CONNECT, a refused packet), so
                # the socket still waits on this task: it is done now. Neither the finished
                # task nor its context (which held this object: a cycle outliving a closed
                # socket) stays behind on an idle socket.
                self._wake()


class _Watchdog:
    """Cancels the reader when it has waited for a frame longer than `limit` seconds."""

    __slots__ = ("fired", "handle", "last", "limit", "loop", "reader", "waiting")

    def __init__(self, loop, reader, limit: float) -> None:
        self.loop, self.reader, self.limit = loop, reader, limit
        self.last = loop.time()
        self.waiting = True
        self.fired = False
        self.handle = loop.call_at(self.last + limit, self._check)

    def _check(self) -> None:
        now = self.loop.time()
        if self.waiting and now - self.last >= self.limit:
            self.fired = True
            self.handle = None
            self.reader.cancel()
            return
        due = self.last + self.limit if self.waiting else now + self.limit
        self.handle = self.loop.call_at(max(due, now + 0.05), self._check)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
