"""The cross-node bus on a Redis Stream (see docs/cluster.md for the guarantee).

Sending: every message python-socketio's pub/sub manager would PUBLISH (emit, callback,
disconnect, enter_room, leave_room, close_room) goes into this node's `Outbox` and one writer
task XADDs what is queued in one round trip (one Lua call per batch, `MAXLEN ~` bounds the
stream). A batch Redis did not take stays queued and is retried every <= 0.5 s until Redis
answers; when Redis lost its data (restart) the last seconds of written messages are re-sent.

Receiving: one reader task XREAD BLOCKs from the last entry id it has seen, so after a lost
connection it resumes where it was. A Redis restart (new `run_id`) resets the position to the
start of the new stream. Each entry carries its origin node (`h`) and that node's sequence
number (`s`): entries seen before (a batch re-sent after an unanswered write) are dropped, a
skipped number is counted as a gap. Cheap filters run before any JSON decoding: own entries;
a message routed to a room (`k=r`) when this node has nobody in that room; an ack callback
for another node (`k=t`).

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

from server.fastpath.outbox import Outbox

log = logging.getLogger("roomcast.bus")

MAX_BATCH = 512
READ_COUNT = 1024
BLOCK_MS = 1000
RETRY_FIRST, RETRY_MAX = 0.02, 0.5
HEARTBEAT_EVERY = 0.5
HEARD_WITHIN = 2.0  # /ready fails when our own heartbeat was not heard for this long
WAIT_WRITTEN = 1.0  # non-emit messages wait at most this long for Redis (then stay queued)
ORIGINS_KEPT = 4096
EMIT, ROUTED, TARGETED, HEARTBEAT = b"m", b"r", b"t", b"hb"
NODE_KEY_TTL = 24 * 3600
FIELDS = 12  # h, s, k, n, x, d: names and values
# One batch in one atomic call: nothing is written when this node's key is missing (Redis
# lost its data), so the writer can first put back what may have been lost, in order.
XADD_SCRIPT = f"""
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('EXPIRE', KEYS[2], {NODE_KEY_TTL})
local n = 0
for i = 2, #ARGV, {FIELDS} do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', ARGV[i], ARGV[i+1], ARGV[i+2],
    ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6], ARGV[i+7], ARGV[i+8], ARGV[i+9], ARGV[i+10],
    ARGV[i+11])
  n = n + 1
end
return n
"""


class BusStats:
    __slots__ = ("duplicates", "gaps", "read_errors", "restarts", "skipped", "write_errors")

    def __init__(self) -> None:
        self.duplicates = self.gaps = self.restarts = 0
        self.write_errors = self.read_errors = self.skipped = 0


def route_of(message: dict) -> tuple[bytes, str]:
    """(kind, key): how a receiver can tell, without decoding, whether the message concerns it."""
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


class RedisStreamBusMixin:
    def _bus_init(
        self,
        *,
        stream: str,
        outbox_messages: int = 100_000,
        outbox_bytes: int = 64 * 1024 * 1024,
        stream_maxlen: int = 100_000,
        **_ignored,
    ) -> None:
        self.stream = stream
        self.stream_maxlen = stream_maxlen
        self.outbox = Outbox(max_messages=outbox_messages, max_bytes=outbox_bytes)
        self.bus_stats = BusStats()
        self._host = self.host_id.encode()
        self._node_key = f"{stream}:node:{self.host_id}"
        self._xadd = None
        self._writer: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []
        self._write_redis: Redis | None = None
        self._position = b"0-0"
        self._run_id: str | None = None
        self._origins: OrderedDict[bytes, int] = OrderedDict()
        self._heard: float | None = None
        self._heartbeat_seq = 0
        self._last_write_error = ""
        self._logged_drops = 0

    def _redis_client(self, **options) -> Redis:
        return Redis.from_url(self.redis_url, **{**self.redis_options, **options})

    # --- sending ---------------------------------------------------------------------------

    def _enqueue(self, message: dict) -> int | None:
        """Queue one manager message; its seq, or None when the outbox bound refused it."""
        if message.get("method") == "heartbeat":
            kind, key = HEARTBEAT, ""
        else:
            kind, key = route_of(message)
        data = self.json.dumps(message)
        namespace = message.get("namespace") or "/"
        host = self.host_id

        def build(seq: int) -> list:
            return ["h", host, "s", seq, "k", kind, "n", namespace, "x", key, "d", data]

        seq = self.outbox.put(build, len(data) + len(key) + 64)
        if seq is None:
            self._report_drop(message.get("method"))
        self._ensure_writer()
        return seq

    def _report_drop(self, method) -> None:
        dropped = self.outbox.dropped
        if dropped - self._logged_drops >= 1000 or self._logged_drops == 0:
            log.error(
                "bus outbox full (%d messages, %d bytes): %s message not sent to other "
                "nodes (%d refused so far)",
                len(self.outbox),
                self.outbox.bytes,
                method,
                dropped,
            )
            self._logged_drops = dropped

    def _ensure_writer(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    async def _publish(self, data):
        """python-socketio's publish hook: queue, and wait (bounded) until Redis has it."""
        seq = self._enqueue(data)
        if seq is not None:
            # past the bound it stays queued and goes out when Redis answers
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.outbox.wait_written(seq), WAIT_WRITTEN)

    async def _write_loop(self) -> None:
        outbox = self.outbox
        delay = RETRY_FIRST
        ever_written = False
        while True:
            await outbox.wait_nonempty()
            batch = outbox.peek(MAX_BATCH)
            try:
                if self._write_redis is None:
                    self._write_redis = self._redis_client(
                        socket_timeout=5, socket_connect_timeout=1
                    )
                    self._xadd = self._write_redis.register_script(XADD_SCRIPT)
                args: list = [self.stream_maxlen]
                for fields in batch:
                    args.extend(fields)
                written = await self._xadd(keys=[self.stream, self._node_key], args=args)
                if written == -1:
                    # This node's key is gone: a fresh Redis (first write, or it restarted
                    # and lost the stream with what other nodes had not read yet).
                    if ever_written:
                        replayed = outbox.requeue_recent()
                        self.bus_stats.restarts += 1
                        log.warning("bus: Redis lost its data, re-sending %d message(s)", replayed)
                    await self._write_redis.set(self._node_key, self.host_id, ex=NODE_KEY_TTL)
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.bus_stats.write_errors += 1
                if not self._last_write_error:
                    log.error("bus: cannot write to Redis (%s), retrying", exc)
                self._last_write_error = f"{type(exc).__name__}: {exc}"[:160]
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            if self._last_write_error:
                log.warning("bus: Redis takes writes again (%d queued)", len(outbox))
                self._last_write_error = ""
            delay = RETRY_FIRST
            ever_written = True
            outbox.taken(len(batch))

    async def flush(self, timeout: float | None = 5.0) -> bool:
        """Wait until everything queued so far is in Redis; False when `timeout` passed first."""
        target = self.outbox.accepted
        if self.outbox.written >= target:
            return True
        self._ensure_writer()
        try:
            await asyncio.wait_for(self.outbox.wait_written(target), timeout)
        except TimeoutError:
            return False
        return True

    async def close_bus(self, timeout: float = 2.0) -> bool:
        """Flush (bounded), stop the tasks and close the connections; True when flushed."""
        flushed = await self.flush(timeout)
        for task in [self._writer, *self._tasks]:
            if task is not None:
                task.cancel()
        for task in [self._writer, *self._tasks]:
            if task is not None:
                with contextlib.suppress(BaseException):  # cancelled or already failed
                    await task
        if self._write_redis is not None:
            await self._write_redis.aclose()
        return flushed

    @property
    def last_write_error(self) -> str:
        return self._last_write_error

    # --- health ----------------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        while True:
            if self.outbox.written >= self._heartbeat_seq:  # the previous one went out
                seq = self._enqueue({"method": "heartbeat", "host_id": self.host_id})
                if seq is not None:
                    self._heartbeat_seq = seq
            await asyncio.sleep(HEARTBEAT_EVERY)

    def bus_check(self) -> str:
        """ "ok", or "error: <why>" (the /ready check)."""
        recently = time.monotonic() - self.outbox.last_drop < HEARD_WITHIN
        if self.outbox.dropped and (recently or self.outbox.full):
            return f"error: outbox full, {self.outbox.dropped} message(s) refused"
        if self._heard is None:
            return "error: own heartbeat not heard yet"
        silent = time.monotonic() - self._heard
        if silent > HEARD_WITHIN:
            why = f"; writes fail: {self._last_write_error}" if self._last_write_error else ""
            return f"error: own heartbeat not heard for {silent:.1f} s{why}"
        return "ok"

    # --- receiving -------------------------------------------------------------------------

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
                    reply = await reader.execute_command(
                        "XREAD", "COUNT", READ_COUNT, "BLOCK", BLOCK_MS,
                        "STREAMS", self.stream, self._position,
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
                if reply:
                    entries = reply[0][1] if isinstance(reply, list) else next(iter(reply.values()))
                    await self._take(entries)
        finally:
            await reader.aclose()

    async def _sync_position(self, reader: Redis) -> None:
        run_id = (await reader.info("server"))["run_id"]
        if self._run_id is None:
            last = await reader.xrevrange(self.stream, count=1)
            self._position = last[0][0] if last else b"0-0"
        elif run_id != self._run_id:
            self.bus_stats.restarts += 1
            log.warning("bus: Redis restarted (new run_id): reading its stream from the start")
            self._position = b"0-0"
        else:
            log.warning("bus: stream connection back, resuming after %s", self._position)
        self._run_id = run_id

    async def _take(self, entries) -> None:
        own = self._host
        origins = self._origins
        stats = self.bus_stats
        rooms = self.rooms
        for entry_id, fields in entries:
            self._position = entry_id
            if len(fields) != FIELDS:
                continue  # not one of ours
            host = fields[1]
            if host == own:
                if fields[5] == HEARTBEAT:
                    self._heard = time.monotonic()
                continue
            seq = int(fields[3])
            last = origins.get(host)
            if last is not None:
                if seq <= last:
                    stats.duplicates += 1
                    continue
                if seq != last + 1:
                    stats.gaps += 1
                    log.error("bus: %d message(s) from node %s lost in Redis", seq - last - 1, host)
                origins.move_to_end(host)
            elif len(origins) >= ORIGINS_KEPT:
                origins.popitem(last=False)
            origins[host] = seq
            kind = fields[5]
            if kind == ROUTED:
                local = rooms.get(fields[7].decode())
                if local is None or fields[9].decode() not in local:
                    stats.skipped += 1
                    continue
            elif kind == TARGETED:
                if fields[9] != own:
                    continue
            elif kind == HEARTBEAT:
                continue
            await self._dispatch(fields[11])

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
                log.warning("bus: legacy channel %s lost (%s), resubscribing", self.channel, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
            finally:
                with contextlib.suppress(Exception):  # the connection is gone anyway
                    await pubsub.aclose()
                    await client.aclose()
