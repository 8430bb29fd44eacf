"""The cross-node bus, receiving side (docs/cluster.md).

One reader task per node XREAD BLOCKs its own stream `<base>:to:<node>` (only the entries
routed to this node, see bus_lua.py) from the last id it has seen, so after a lost connection
it resumes where it was. A Redis restart (new `run_id`) resets the position; before reading on,
the reader waits until the writer registered this node's rooms again, then reads the catch-up
stream `<base>` from its start (what other nodes wrote before this node was registered again).
Each entry carries its origin node (`h`) and, in `e`, that node's sequence number, the kind,
the namespace, the room (or target node) and the data; sequence numbers increase on every
stream: an entry seen before (a batch re-sent after an unanswered write, the catch-up
and the node stream both holding it) is dropped. Cheap filters run before any decoding: own
entries (the heartbeat), an emit to a room this node has nobody in (`k=r`/`k=p`, possible while
the routing falls back to every node), an ack callback for another node.

Stock python-socketio write-only emitters still PUBLISH on the legacy channel: it is
listened to as well, at most once, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict

from redis.asyncio import Redis

from server.fastpath.bus_lua import EMIT, HEARTBEAT, PACKET, ROUTED, TARGETED

log = logging.getLogger("roomcast.bus")

READ_COUNT = 256  # records (each holds up to bus_lua.PER_RECORD entries)
BLOCK_MS = 1000
RETRY_FIRST, RETRY_MAX = 0.02, 0.5
ORIGINS_KEPT = 4096
FIELDS = 4  # h <origin node> e <entries "seq\0kind\0namespace\0x\0data" joined by \x1e>
REGISTER_WAIT = 5.0  # after a Redis restart, wait this long for the writer to register


def route_of(message: dict) -> tuple[bytes, str]:
    """(kind, key): how Redis routes the message and a receiver filters it undecoded."""
    method = message.get("method")
    if method == "callback":
        return TARGETED, message.get("host_id") or ""
    if method in ("emit", "close_room"):
        room = message.get("room")
    elif method in ("disconnect", "enter_room", "leave_room"):
        room = message.get("sid")  # every socket is in the room named by its sid
    else:
        room = None
    if isinstance(room, str):
        return ROUTED, room
    return EMIT, ""


class BusReaderMixin:
    def _reader_init(self) -> None:
        self._position = b"0-0"
        self._run_id: str | None = None
        self._origins: OrderedDict[bytes, int] = OrderedDict()
        self._heard: float | None = None
        self._host = self.host_id.encode()
        self._catch_up_ready = asyncio.Event()  # the writer registered after a restart
        self._catching_up = False  # a restart was seen: read the catch-up stream first

    def _restart_registered(self) -> None:
        self._catch_up_ready.set()

    async def _thread(self):
        """python-socketio's listener task: the stream reader, plus the legacy channel."""
        loop = asyncio.get_running_loop()
        self._ensure_writer()
        self._tasks = [
            asyncio.current_task(),
            loop.create_task(self._heartbeat_loop()),
            loop.create_task(self._legacy_loop()),
        ]
        reader = self._redis_client(socket_timeout=BLOCK_MS / 1000 + 5, socket_connect_timeout=1)
        reader.set_response_callback("XREAD", lambda response, **_: response)
        delay = RETRY_FIRST
        synced = False
        try:
            while True:
                try:
                    if not synced:
                        await self._sync_position(reader)
                        synced = True
                    if self._catching_up or self._catch_up_ready.is_set():
                        await self._catch_up(reader)
                    reply = await reader.execute_command(
                        "XREAD", "COUNT", READ_COUNT, "BLOCK", BLOCK_MS,
                        "STREAMS", self._own_stream, self._position,
                    )  # fmt: skip
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.bus_stats.read_errors += 1
                    if synced:
                        log.error("bus: stream read failed (%s), will resume", exc)
                    synced = False
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX)
                    continue
                delay = RETRY_FIRST
                entries = _entries(reply)
                if entries:
                    self._position = entries[-1][0]
                    await self._take(entries)
        finally:
            await reader.aclose()

    async def _sync_position(self, reader: Redis) -> None:
        run_id = (await reader.info("server"))["run_id"]
        if self._run_id is None:
            last = await reader.xrevrange(self._own_stream, count=1)
            self._position = last[0][0] if last else b"0-0"
        elif run_id != self._run_id:
            self.bus_stats.restarts += 1
            log.warning("bus: Redis restarted (new run_id): catching up, then reading anew")
            self._position = b"0-0"
            self._catching_up = True
        else:
            log.warning("bus: stream connection back, resuming after %s", self._position)
            with contextlib.suppress(Exception):  # Redis < 7 has no max-deleted-entry-id
                info = await reader.xinfo_stream(self._own_stream)
                if _id(info.get("max-deleted-entry-id")) > _id(self._position):
                    self.bus_stats.gaps += 1
                    log.error("bus: entries for this node were trimmed before it read them")
        self._run_id = run_id

    async def _catch_up(self, reader: Redis) -> None:
        """After a restart: once registered again, everything the catch-up stream holds."""
        if self._catching_up:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._catch_up_ready.wait(), REGISTER_WAIT)
        self._catch_up_ready.clear()
        position = b"0-0"
        while True:
            reply = await reader.execute_command(
                "XREAD", "COUNT", READ_COUNT, "STREAMS", self.stream, position
            )
            entries = _entries(reply)
            if not entries:
                break
            position = entries[-1][0]
            await self._take(entries)
        self._catching_up = False

    async def _take(self, entries) -> None:
        own = self._host
        origins = self._origins
        stats = self.bus_stats
        rooms = self.rooms
        queued = 0  # packets queued by `k=p` entries: paced once per read
        for _record_id, fields in entries:
            if len(fields) != FIELDS:
                continue  # not one of ours
            host = fields[1]
            record = fields[3].split(b"\x1e")
            if host == own:  # only our heartbeats come back (and our catch-up copies)
                for packed in record:
                    parts = packed.split(b"\0", 2)
                    if len(parts) == 3 and parts[1] == HEARTBEAT:
                        self._heard = time.monotonic()
                        break
                continue
            # One origin per record, its seqs increasing: the duplicate check is one lookup
            # per record, and per entry only when the record overlaps what was seen.
            try:
                first = int(record[0].partition(b"\0")[0])
                newest = int(record[-1].partition(b"\0")[0])
            except ValueError:
                continue
            last = origins.get(host)
            if last is not None:
                if newest <= last:
                    stats.duplicates += len(record)
                    continue
                origins.move_to_end(host)
            elif len(origins) >= ORIGINS_KEPT:
                origins.popitem(last=False)
            origins[host] = newest
            overlap = last is not None and first <= last
            for packed in record:
                parts = packed.split(b"\0", 4)
                if len(parts) != 5:
                    continue
                seq, kind, namespace, key, data = parts
                if overlap and int(seq) <= last:
                    stats.duplicates += 1
                    continue
                if kind in (PACKET, ROUTED):
                    namespace, room = namespace.decode(), key.decode()
                    local = rooms.get(namespace)
                    if local is None or room not in local:
                        stats.skipped += 1
                        continue
                    if kind == PACKET:
                        queued += self._deliver_text(namespace, room, data.decode())
                        continue
                elif kind == TARGETED:
                    if key != own:
                        continue
                elif kind != EMIT:
                    continue
                await self._dispatch(data)
        await self._pacer.add(queued)

    async def _dispatch(self, raw) -> None:
        try:
            message = self.json.loads(raw)
            method = message.get("method") if isinstance(message, dict) else None
            if method == "callback":
                await self._handle_callback(message)
            elif method is None or message.get("host_id") == self.host_id:
                return
            elif method == "emit":
                await self._handle_emit(message)
            elif method == "disconnect":
                await self._handle_disconnect(message)
            elif method == "enter_room":
                await self._handle_enter_room(message)
            elif method == "leave_room":
                await self._handle_leave_room(message)
            elif method == "close_room":
                await self._handle_close_room(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("bus: handling a message failed")

    async def _legacy_loop(self) -> None:
        """At most once: what stock write-only emitters PUBLISH on the old channel."""
        delay = RETRY_FIRST
        while True:
            client = self._redis_client(socket_connect_timeout=1)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                delay = RETRY_FIRST
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # retried every 0.5 s at most: said once per outage, not twice a second
                level = logging.WARNING if delay == RETRY_FIRST else logging.DEBUG
                log.log(level, "bus: legacy channel %s lost (%s), resubscribing", self.channel, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
            finally:
                with contextlib.suppress(Exception):  # the connection is gone anyway
                    await pubsub.aclose()
                    await client.aclose()


def _entries(reply) -> list:
    if not reply:
        return []
    return reply[0][1] if isinstance(reply, list) else next(iter(reply.values()))


def _id(entry_id) -> tuple[int, int]:
    if not entry_id:
        return (0, 0)
    if isinstance(entry_id, bytes):
        entry_id = entry_id.decode()
    ms, _, seq = str(entry_id).partition("-")
    return (int(ms), int(seq or 0))
