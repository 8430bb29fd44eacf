"""The history interface, its value types, and the in-memory backend (one process)."""

from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

Positions = dict[str, dict[str, Any]]  # {"user:2": {"o": 17, "e": "9f1c..."}}


def new_epoch() -> str:
    return secrets.token_hex(6)


@dataclass(slots=True)  # not frozen: a frozen __init__ sets each field the slow way
class Entry:
    """One stored event: its offset in the stream read, and its positions in all streams."""

    offset: int
    ts: float  # seconds since the epoch, when it was stored
    event: str
    data: dict | None
    positions: Positions | bytes  # bytes: still JSON (decoded when the identity is asked)
    # The Socket.IO EVENT arguments as JSON text, positions included (`["ev", {..}]`), when
    # the store kept the payload encoded (Redis): replayed as is, never decoded.
    body: str | None = None

    @property
    def identity(self) -> tuple:
        """The same for the copies of one emit stored in several streams."""
        positions = self.positions
        if isinstance(positions, bytes):
            positions = orjson.loads(positions)
        return tuple(sorted((s, p["o"]) for s, p in positions.items()))


@dataclass(slots=True)
class Slice:
    """What a stream holds after an offset: its epoch, latest offset and the entries."""

    epoch: str
    latest: int
    entries: list[Entry] = field(default_factory=list)
    oldest: int | None = None  # the oldest offset still held (latest + 1 when none)


class History(Protocol):
    size: int
    ttl: int

    async def append(self, namespace: str, streams: list[str], event: str, data: dict) -> Positions:
        """Store one event in each stream; return its position in each."""

    async def read(self, namespace: str, after: dict[str, int]) -> dict[str, Slice]:
        """For each stream, the entries with an offset above `after[stream]`, oldest first
        (none for a negative offset: then only the epoch and latest offset are wanted)."""

    async def close(self) -> None: ...


@dataclass(slots=True)
class _MemoryStream:
    epoch: str
    latest: int = 0
    entries: deque = field(default_factory=deque)


class MemoryHistory:
    """Deques per (namespace, stream); the epoch is per process start.

    Entries keep the payload dict itself (the broadcast modules build a fresh one per emit
    and never change it afterwards), so storing costs no encoding.
    """

    SWEEP_EVERY = 1024

    def __init__(self, *, size: int, ttl: int) -> None:
        self.size, self.ttl = size, ttl
        self.epoch = new_epoch()
        self._streams: dict[tuple[str, str], _MemoryStream] = {}
        self._appends = 0

    def _stream(self, namespace: str, stream: str) -> _MemoryStream:
        found = self._streams.get((namespace, stream))
        if found is None:
            found = self._streams[(namespace, stream)] = _MemoryStream(
                self.epoch, entries=deque(maxlen=self.size)
            )
        return found

    async def append(self, namespace: str, streams: list[str], event: str, data: dict) -> Positions:
        now = time.time()
        targets = [self._stream(namespace, s) for s in streams]
        positions: Positions = {}
        for name, target in zip(streams, targets, strict=True):
            target.latest += 1
            positions[name] = {"o": target.latest, "e": target.epoch}
        for name, target in zip(streams, targets, strict=True):
            target.entries.append(Entry(positions[name]["o"], now, event, data, positions))
        self._appends += 1
        if self._appends % self.SWEEP_EVERY == 0:
            self._sweep(now)
        return positions

    async def read(self, namespace: str, after: dict[str, int]) -> dict[str, Slice]:
        oldest_kept = time.time() - self.ttl
        out: dict[str, Slice] = {}
        for name, offset in after.items():
            target = self._stream(namespace, name)
            entries = (
                [e for e in target.entries if e.offset > offset and e.ts >= oldest_kept]
                if offset >= 0
                else []
            )
            held = (e.offset for e in target.entries if e.ts >= oldest_kept)
            oldest = next(held, target.latest + 1)
            out[name] = Slice(target.epoch, target.latest, entries, oldest)
        return out

    def _sweep(self, now: float) -> None:
        """Drop the entries of idle streams past their age (offsets and epochs are kept)."""
        oldest_kept = now - self.ttl
        for target in self._streams.values():
            while target.entries and target.entries[0].ts < oldest_kept:
                target.entries.popleft()

    async def close(self) -> None:
        return None
