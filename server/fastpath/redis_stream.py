"""The cross-node bus on Redis Streams, sending side (see docs/cluster.md for the guarantee).

Every message python-socketio's pub/sub manager would PUBLISH (emit, callback, disconnect,
enter_room, leave_room, close_room), every room this node starts or stops holding (`+`/`-`),
and a heartbeat go into this node's `Outbox`, in order. One writer task hands what is queued
to Redis in one round trip: `bus_lua.BATCH_SCRIPT` registers the rooms and XADDs each message
only to the per-node streams of the nodes that hold its room (the routing runs inside Redis,
after every earlier registration). A batch Redis did not take stays queued and is retried
every <= 0.5 s; when Redis lost its data (restart) this node registers its rooms again and
re-sends the last seconds of messages. While the writer fails or hangs, the breaker is open:
nothing waits for Redis (`wait_written` answers False at once), the outbox just keeps order.

The receiving side is `bus_reader.BusReaderMixin`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from server.fastpath.bus_lua import (
    BATCH_SCRIPT,
    EMIT,
    HEARTBEAT,
    JOIN,
    LEAVE,
    LEAVE_SCRIPT,
    PACKET,
    REGISTER_SCRIPT,
    ROUTED,
    TARGETED,
)
from server.fastpath.bus_reader import BusReaderMixin, route_of
from server.fastpath.outbox import Outbox

log = logging.getLogger("roomcast.bus")

MAX_BATCH = 4096  # entries per Lua call (a burst of emits crosses in few round trips)
MAX_BURST = 16384  # entries per Lua call while more than MAX_BATCH wait (a backlog: fewer calls)
RETRY_FIRST, RETRY_MAX = 0.02, 0.5
HEARTBEAT_EVERY = 0.5
HEARD_WITHIN = 2.0  # /ready fails when our own heartbeat was not heard for this long
WAIT_WRITTEN = 1.0  # non-emit messages and joins wait at most this long for Redis
BREAKER_SLOW = 0.5  # a write unanswered this long opens the breaker, as a failed one does
STALE_AFTER = 1.5  # a node whose registrations are this old makes routing fall back to all
HIGH_WATER = 4  # an outbox past 1/4 of its bound makes emits wait for the writer (below)


KINDS = {kind: kind.decode() for kind in (EMIT, ROUTED, PACKET, TARGETED, HEARTBEAT, JOIN, LEAVE)}


class BusStats:
    __slots__ = ("duplicates", "gaps", "read_errors", "restarts", "skipped", "write_errors")

    def __init__(self) -> None:
        self.duplicates = self.gaps = self.restarts = 0
        self.write_errors = self.read_errors = self.skipped = 0


class RedisStreamBusMixin(BusReaderMixin):
    def _bus_init(
        self,
        *,
        stream: str,
        outbox_messages: int = 100_000,
        outbox_bytes: int = 64 * 1024 * 1024,
        stream_maxlen: int = 100_000,
        lease_seconds: float = 10.0,
        **_ignored,
    ) -> None:
        self.stream = stream  # the catch-up stream; also the base of every bus key
        self.stream_maxlen = stream_maxlen
        self.lease_ms = int(lease_seconds * 1000)
        self.outbox = Outbox(max_messages=outbox_messages, max_bytes=outbox_bytes)
        # past either mark an emit waits for the writer (while Redis answers): _keep_pace
        self._high_messages = max(MAX_BATCH, outbox_messages // HIGH_WATER)
        self._high_bytes = outbox_bytes // HIGH_WATER
        self.bus_stats = BusStats()
        self._own_stream = f"{stream}:to:{self.host_id}"
        self._batch = self._register = None
        self._writer: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []
        self._write_redis: Redis | None = None
        self._write_started = 0.0  # monotonic start of the write in flight, 0: none
        self._ever_written = False
        self._last_reg_seq = 0  # seq of the last +/- queued
        self._heartbeat_seq = 0
        self._last_write_error = ""
        self._logged_drops = 0
        self._reader_init()

    def _redis_client(self, **options) -> Redis:
        return Redis.from_url(self.redis_url, **{**self.redis_options, **options})

    # --- sending ---------------------------------------------------------------------------

    def _enqueue(self, message: dict) -> int | None:
        """Queue one manager message (JSON); its seq, or None when the outbox refused it."""
        kind, key = route_of(message)
        return self._enqueue_entry(
            kind, message.get("namespace") or "/", key, self.json.dumps(message), message
        )

    def _enqueue_entry(self, kind: bytes, namespace: str, key: str, data: str, what=None):
        if "\0" in key or "\x1e" in key or "\0" in namespace or "\x1e" in namespace:
            log.error("bus: room or namespace with a NUL or \\x1e not sent: %r %r", namespace, key)
            return None
        outbox = self.outbox
        seq = outbox.put(f"{outbox.accepted + 1}\0{KINDS[kind]}\0{namespace}\0{key}\0{data}")
        if seq is None:
            method = what.get("method") if isinstance(what, dict) else kind.decode()
            self._report_drop(method)
        self._ensure_writer()
        return seq

    def _enqueue_room(self, namespace: str, room: str, joined: bool) -> None:
        """This node starts (joined) or stops holding anybody in `room`."""
        seq = self._enqueue_entry(JOIN if joined else LEAVE, namespace, room, "")
        if seq is not None:
            self._last_reg_seq = seq

    async def _keep_pace(self) -> None:
        """Called by an emit past the high-water mark. A burst of emits that outruns the
        writer while Redis takes writes waits until the writer brought the outbox down to
        half the mark: the bound is there for outages, not for bursts. An emit loop that
        never awaits I/O (a room held only by other nodes: local delivery never paces it)
        would otherwise fill the outbox before the writer ran once. One pause per half a
        mark, not one per batch: every pause lets each socket writer run with what it has.
        While the breaker is open nothing waits: the outbox keeps what it can, as
        documented."""
        outbox = self.outbox
        low_messages, low_bytes = self._high_messages // 2, self._high_bytes // 2
        while (len(outbox) > low_messages or outbox.bytes > low_bytes) and not self.bus_open():
            if not await self.wait_written(outbox.written + 1, BREAKER_SLOW):
                return

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

    def bus_open(self) -> bool:
        """The breaker: True while Redis does not take writes (failed, or unanswered for
        BREAKER_SLOW): then nobody waits for it."""
        if self._last_write_error:
            return True
        started = self._write_started
        return bool(started) and time.monotonic() - started > BREAKER_SLOW

    async def wait_written(self, seq: int, timeout: float = WAIT_WRITTEN) -> bool:
        """Until Redis has `seq`; False at once while the breaker is open, or after `timeout`."""
        outbox = self.outbox
        deadline = time.monotonic() + timeout
        while outbox.written < seq:
            left = deadline - time.monotonic()
            if left <= 0 or self.bus_open():
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(outbox.progress().wait(), min(left, BREAKER_SLOW))
        return True

    async def _publish(self, data):
        """python-socketio's publish hook: queue, and wait (bounded, breaker) for Redis."""
        seq = self._enqueue(data)
        if seq is not None:
            await self.wait_written(seq)  # past it, it stays queued and goes out later

    def _writer_client(self) -> Redis:
        if self._write_redis is None:
            # no client-side retries: a failure opens the breaker at once, the loop retries
            self._write_redis = self._redis_client(
                socket_timeout=5, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
            )
            self._batch = self._write_redis.register_script(BATCH_SCRIPT)
            self._register = self._write_redis.register_script(REGISTER_SCRIPT)
        return self._write_redis

    def _room_snapshot(self) -> list[str]:
        return [
            f"{namespace}:{room}"
            for namespace, rooms in self.rooms.items()
            for room in rooms
            if isinstance(room, str)
        ]

    async def _register_node(self, restart: bool) -> None:
        reader = not self.write_only
        rooms = self._room_snapshot() if reader else []
        args = [self.stream, self.host_id, int(reader), int(restart), self.lease_ms, *rooms]
        await self._register(args=args)
        if restart:
            self._restart_registered()

    async def _write_loop(self) -> None:
        outbox = self.outbox
        delay = RETRY_FIRST
        head = [self.stream, self.host_id, int(not self.write_only), self.lease_ms]
        head += [int(STALE_AFTER * 1000), self.stream_maxlen]
        while True:
            await outbox.wait_nonempty()
            queued = len(outbox)
            batch = outbox.peek(MAX_BATCH if queued <= MAX_BATCH else min(queued, MAX_BURST))
            self._write_started = time.monotonic()
            try:
                self._writer_client()
                last_seq = int(batch[-1].partition("\0")[0])
                args = [*head, int(last_seq >= self._last_reg_seq), "\x1e".join(batch)]
                written = await self._batch(args=args)
                if written < 0:
                    # -1: this node's key is gone (a fresh Redis: first write, or it lost its
                    # data); -2: the registry swept this node (silent for a whole lease)
                    restart = written == -1 and self._ever_written
                    if restart:
                        replayed = outbox.requeue_recent()
                        self.bus_stats.restarts += 1
                        log.warning("bus: Redis lost its data, re-sending %d message(s)", replayed)
                    elif written == -2:
                        log.warning("bus: this node's lease had run out, registering again")
                    await self._register_node(restart)
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.bus_stats.write_errors += 1
                if not self._last_write_error:
                    log.error("bus: cannot write to Redis (%s), retrying", exc)
                self._last_write_error = f"{type(exc).__name__}: {exc}"[:160] or "error"
                outbox.wake()  # waiters see the open breaker
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            finally:
                self._write_started = 0.0
            if self._last_write_error:
                log.warning("bus: Redis takes writes again (%d queued)", len(outbox))
                self._last_write_error = ""
            delay = RETRY_FIRST
            self._ever_written = True
            outbox.taken(len(batch))

    async def flush(self, timeout: float | None = 5.0, *, breaker: bool = False) -> bool:
        """Wait until everything queued so far is in Redis; False when `timeout` passed first
        (with `breaker`: also at once while Redis does not take writes)."""
        target = self.outbox.accepted
        if self.outbox.written >= target:
            return True
        self._ensure_writer()
        if breaker:
            return await self.wait_written(target, 5.0 if timeout is None else timeout)
        try:
            await asyncio.wait_for(self.outbox.wait_written(target), timeout)
        except TimeoutError:
            return False
        return True

    async def close_bus(self, timeout: float = 2.0) -> bool:
        """Flush (bounded), stop the tasks, leave the registry, close the connections; True
        when flushed."""
        flushed = await self.flush(timeout)
        for task in [self._writer, *self._tasks]:
            if task is not None:
                task.cancel()
        for task in [self._writer, *self._tasks]:
            if task is not None:
                with contextlib.suppress(BaseException):  # cancelled or already failed
                    await task
        if self._write_redis is not None:
            if flushed and not self.write_only:
                with contextlib.suppress(Exception):  # a lease later the others sweep it
                    leave = self._write_redis.eval(LEAVE_SCRIPT, 0, self.stream, self.host_id)
                    await asyncio.wait_for(leave, 1.0)
            await self._write_redis.aclose()
        return flushed

    @property
    def last_write_error(self) -> str:
        return self._last_write_error

    # --- health ----------------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        while True:
            if self.outbox.written >= self._heartbeat_seq:  # the previous one went out
                seq = self._enqueue_entry(HEARTBEAT, "/", "", "")
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
