"""The bus outbox: what this node published and Redis has not yet taken, in order, bounded.

Every message a node publishes gets the next sequence number of this node (`seq`, from 1) and
waits here until one routing batch (bus_lua.BATCH_SCRIPT) holding it succeeds; a batch is
only removed once Redis answered, so a failed write is retried from the same place. The bound
is on the count and on the bytes of the payloads: a message that would exceed either is
refused (not queued, no sequence number) and counted in `dropped`; what is queued stays a
gap-free prefix.

What was written stays in `recent` for REPLAY_SECONDS (at most REPLAY_MESSAGES of it): when
Redis lost its data (a restart), entries other nodes had not yet read went with it, so the
writer puts `recent` back at the front and writes it again; receivers drop what they already
had by (origin, seq).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from itertools import islice

REPLAY_SECONDS = 5.0
REPLAY_MESSAGES = 20_000
OVERHEAD = 64  # bytes counted per message beyond its entry text (the bound's unit)


class Outbox:
    __slots__ = (
        "_head_seq",
        "_items",
        "_nonempty",
        "_progress",
        "_recent",
        "_recent_count",
        "accepted",
        "bytes",
        "dropped",
        "last_drop",
        "max_bytes",
        "max_messages",
        "written",
    )

    def __init__(self, *, max_messages: int, max_bytes: int) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        # the entries "seq\0...": their seqs are consecutive (the queue is a gap-free run,
        # a replay puts back the run just before it), so only the first one's is kept
        self._items: deque[str] = deque()
        self._head_seq = 1  # seq of _items[0] (of the next put while empty)
        self.bytes = 0
        self.accepted = 0  # the last sequence number given out
        self.written = 0  # every seq <= written is in Redis
        self.dropped = 0
        self.last_drop = 0.0  # time.monotonic() of the last refusal
        self._nonempty = asyncio.Event()
        self._progress = asyncio.Event()
        self._recent: deque[tuple[float, list]] = deque()  # (when written, batch of entries)
        self._recent_count = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def full(self) -> bool:
        """At its count bound (the byte bound is judged per message, in `put`)."""
        return len(self._items) >= self.max_messages

    def put(self, entry: str) -> int | None:
        """Queue `entry`, which starts with the next seq (`accepted + 1`: the caller formats
        it whole, one string built per message); the seq, or None when the bound refuses."""
        seq = self.accepted + 1
        nbytes = len(entry) + OVERHEAD
        items = self._items
        if len(items) >= self.max_messages or self.bytes + nbytes > self.max_bytes:
            self.dropped += 1
            self.last_drop = time.monotonic()
            return None
        self.accepted = seq
        if not items:
            self._head_seq = seq
            self._nonempty.set()
        items.append(entry)
        self.bytes += nbytes
        return seq

    async def wait_nonempty(self) -> None:
        while not self._items:
            self._nonempty.clear()
            await self._nonempty.wait()

    def peek(self, limit: int) -> list[str]:
        """The first `limit` queued entries (at most)."""
        items = self._items
        return list(items) if len(items) <= limit else list(islice(items, limit))

    def taken(self, count: int) -> None:
        """The first `count` queued messages are in Redis."""
        now = time.monotonic()
        items = self._items
        if count == len(items):
            batch = list(items)
            items.clear()
        else:
            batch = [items.popleft() for _ in range(count)]
        self.bytes -= sum(map(len, batch)) + OVERHEAD * count
        self._head_seq += count
        self.written = max(self.written, self._head_seq - 1)
        recent = self._recent
        recent.append((now, batch))
        self._recent_count += count
        while recent and (
            self._recent_count - len(recent[0][1]) >= REPLAY_MESSAGES
            or now - recent[0][0] > REPLAY_SECONDS
        ):
            self._recent_count -= len(recent.popleft()[1])
        self.wake()

    def requeue_recent(self) -> int:
        """Put what was written in the last REPLAY_SECONDS back at the front, in order."""
        now = time.monotonic()
        replay = [
            entry for at, batch in self._recent if now - at <= REPLAY_SECONDS for entry in batch
        ][-REPLAY_MESSAGES:]
        self._recent.clear()
        self._recent_count = 0
        self._items.extendleft(reversed(replay))
        self.bytes += sum(map(len, replay)) + OVERHEAD * len(replay)
        if replay:
            self._head_seq = int(replay[0].partition("\0")[0])
            self._nonempty.set()
        return len(replay)

    async def wait_written(self, seq: int) -> None:
        while self.written < seq:
            await self._progress.wait()

    def progress(self) -> asyncio.Event:
        """Set at the next progress (or `wake`)."""
        return self._progress

    def wake(self) -> None:
        """Wake whoever waits for progress (a failed write: waiters re-judge)."""
        progress, self._progress = self._progress, asyncio.Event()
        progress.set()
