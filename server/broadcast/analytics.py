"""The only place that emits /analytics events (`stats`, `global_stats`).

A billing change does not emit at once: it marks its user dirty in this process's
StatsCoalescer, which flushes at most once per `interval`. A flush computes each dirty user's
figures once (aggregate queries), emits `stats` to `user:<id>` and one `global_stats` to
`staff`, through the manager, so with Redis every node delivers them. A burst of changes
therefore costs a handful of queries and events, and the flush after the burst (trailing
edge) reads the database after the last change, so the last figures sent are the final ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import socketio

from models import billing
from server.history import emit as stream_emit
from server.rooms import STAFF, user_room

NAMESPACE = "/analytics"
log = logging.getLogger("roomcast.analytics")


class StatsCoalescer:
    """Per-process throttle of `stats` / `global_stats`: leading edge, then every `interval`.

    One per Runtime (so per AsyncServer or write-only manager), because dirtiness is known
    only where the change was made; delivery is cluster-wide through the manager. Flushes run
    one at a time in one task, so this process never sends older figures after newer ones.
    """

    def __init__(self, sio: Any, *, interval: float = 0.25, retries: int = 3) -> None:
        self.sio = sio  # an AsyncServer, or a write-only AsyncRedisManager in a CLI process
        self.interval = interval
        self.retries = retries
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._closed = False
        self._failures = 0

    def touch(self, user_id: int) -> None:
        """Mark a user's figures stale; a flush within `interval` sends fresh ones."""
        if self._closed:
            return
        self._dirty.add(user_id)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="roomcast-analytics-stats"
            )

    async def stop(self, *, drain_timeout: float = 2.0) -> None:
        """End the flush task, then send what is still dirty (bounded by `drain_timeout`)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._dirty:
            try:
                await asyncio.wait_for(self._flush(), drain_timeout)
            except Exception:
                log.warning("analytics: %d users' stats not sent at shutdown", len(self._dirty))

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._flush()
            except Exception:
                # A failed flush (database or Redis away) must not end the coalescer.
                log.exception("analytics flush failed")
            # The throttle: changes arriving now wait for the next tick (the trailing edge).
            await asyncio.sleep(self.interval)

    async def _flush(self) -> None:
        users, self._dirty = self._dirty, set()
        if not users:
            return
        try:
            for user_id in sorted(users):
                await user_stats(self.sio, user_id)
            await global_stats(self.sio)
        except asyncio.CancelledError:
            self._dirty |= users  # cut short by stop(): its drain sends them
            raise
        except Exception:
            self._failures += 1
            if self._failures <= self.retries:
                # Retry on the next tick, so a transient error does not leave stale figures.
                self._dirty |= users
                self._wake.set()
            raise
        self._failures = 0


async def user_stats(sio: Any, user_id: int) -> None:
    """Fresh `stats` to every socket of that user, on every node."""
    stats = await billing.stats_for(user_id=user_id)
    await stream_emit(sio, "stats", stats, room=user_room(user_id), namespace=NAMESPACE)


async def global_stats(sio: Any) -> None:
    """Fresh `global_stats` (every user's figures) to the staff feed, on every node."""
    stats = await billing.stats_for(user_id=None)
    await stream_emit(sio, "global_stats", stats, room=STAFF, namespace=NAMESPACE)


async def billing_changed(coalescer: StatsCoalescer, user_id: int) -> None:
    """A subscription or invoice of `user_id` changed: its figures go out within `interval`."""
    coalescer.touch(user_id)


async def greet(
    sio: socketio.AsyncServer, sid: str, stats: dict, global_stats: dict | None = None
) -> None:
    """The figures a socket gets right after `connection_established` (to that socket only)."""
    await sio.emit("stats", stats, to=sid, namespace=NAMESPACE)
    if global_stats is not None:
        await global_stats_to(sio, sid, global_stats)


async def global_stats_to(sio: socketio.AsyncServer, sid: str, stats: dict) -> None:
    await sio.emit("global_stats", stats, to=sid, namespace=NAMESPACE)
