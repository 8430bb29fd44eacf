"""Who is in a chat room, cluster-wide, without leaks.

The node's truth is local: `enter` and `leave` change this node's own counts in memory,
synchronously (no I/O on the disconnect path, nothing that can fail and be forgotten). One
writer task copies changed counts to the store (server.presence_store: Redis, or a dict
without Redis) as absolute values, retrying until the store takes them; the store answers
the cluster-wide `joined` / `left` transitions, which the writer announces. A ticker refreshes
this node's lease, re-asserts every local count when the lease had gone (Redis restarted, or
this node was swept after a stall), and sweeps nodes whose lease expired (`kill -9`),
announcing `left` for members who have no socket left anywhere.

Members are users (`u:<id>`) and guests (`g:<name>`); see docs/chat.md for the shapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

import orjson
import socketio
from redis.asyncio import Redis
from redis.exceptions import RedisError

from models.users import brief_users
from server.broadcast import chat as broadcast
from server.presence_store import MemoryPresenceStore, RedisPresenceStore, Transition

log = logging.getLogger("roomcast.presence")

LEASE_TTL = 5.0  # seconds a lease lives without a refresh
TICK = 1.0  # refresh + sweep period
BATCH = 500
Key = tuple[str, str]  # slug, member


def member_of(brief: dict[str, Any]) -> str:
    return f"u:{brief['id']}" if brief.get("id") is not None else f"g:{brief['name']}"


def guest_brief(name: str) -> dict[str, Any]:
    return {"id": None, "name": name, "is_staff": False}


def _by_id(brief: dict[str, Any]) -> int:
    return brief["id"]


def _by_name(brief: dict[str, Any]) -> str:
    return brief["name"]


class Presence:
    def __init__(self, sio: socketio.AsyncServer, *, redis: Redis | None, prefix: str) -> None:
        self.sio = sio
        self.node = uuid.uuid4().hex[:12]
        self.store = RedisPresenceStore(redis, prefix) if redis else MemoryPresenceStore()
        self._counts: dict[Key, int] = {}
        self._rooms: dict[str, set[str]] = {}  # slug -> its members with a local count
        self._briefs: dict[Key, dict[str, Any]] = {}
        self._cause: dict[Key, str | None] = {}
        self._dirty: dict[Key, asyncio.Future | None] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task] = []
        self._failing = False

    # --- the namespace's side: synchronous, local ------------------------------------------

    def enter(self, slug: str, brief: dict[str, Any], sid: str) -> None:
        key = (slug, member_of(brief))
        self._counts[key] = self._counts.get(key, 0) + 1
        self._rooms.setdefault(slug, set()).add(key[1])
        self._briefs[key] = brief
        self._mark(key, sid)

    def leave(self, slug: str, brief: dict[str, Any], sid: str) -> None:
        key = (slug, member_of(brief))
        left = self._counts.get(key, 0) - 1
        if left > 0:
            self._counts[key] = left
        else:
            self._drop(key)
        self._mark(key, sid)

    def _drop(self, key: Key) -> None:
        self._counts.pop(key, None)
        members = self._rooms.get(key[0])
        if members is not None:
            members.discard(key[1])
            if not members:
                del self._rooms[key[0]]

    def _mark(self, key: Key, sid: str | None) -> None:
        self._cause[key] = sid
        self._dirty.setdefault(key, None)
        self._idle.clear()
        self._wake.set()

    async def settle(self, slug: str, brief: dict[str, Any], timeout: float = 2.0) -> bool:
        """Wait until this member's count in `slug` reached the store; False on timeout."""
        key = (slug, member_of(brief))
        if key not in self._dirty:
            return True
        future = self._dirty[key]
        if future is None:
            future = self._dirty[key] = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return False
        return True

    async def present(self, slug: str) -> list[dict[str, Any]]:
        """Users by id, then guests by name: everyone with a socket in the room, any node.

        The briefs come with the members from the store (and from this node's own sockets),
        so a join reads no user rows; only a member whose node wrote no brief is read."""
        try:
            stored = await self.store.members(slug)
        except (RedisError, OSError) as exc:
            log.warning("presence of %s read locally, store unavailable: %s", slug, exc)
            stored = {}
        briefs: dict[str, dict[str, Any]] = {}
        for member in self._rooms.get(slug, ()):
            briefs[member] = self._briefs[(slug, member)]
        unknown = []
        for member, text in stored.items():
            if member in briefs:
                continue
            if text:
                briefs[member] = orjson.loads(text)
            else:
                unknown.append(member)
        if unknown:
            briefs.update((member_of(b), b) for b in await self.describe(unknown))
        users = sorted((b for b in briefs.values() if b.get("id") is not None), key=_by_id)
        guests = sorted((b for b in briefs.values() if b.get("id") is None), key=_by_name)
        return users + guests

    async def describe(self, members: set[str] | list[str]) -> list[dict[str, Any]]:
        ids = sorted(int(m[2:]) for m in members if m.startswith("u:"))
        guests = sorted(m[2:] for m in members if m.startswith("g:"))
        users = await brief_users(ids) if ids else []
        return users + [guest_brief(name) for name in guests]

    # --- background: writer and ticker ------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._write_loop(), name="roomcast-presence-writer"),
            asyncio.create_task(self._tick_loop(), name="roomcast-presence-lease"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def flush(self, timeout: float) -> bool:
        """Wait until every local change reached the store (bounded)."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def release(self, timeout: float) -> int:
        """Graceful stop: take every entry of this node back (announcing `left`), drop the lease.

        Returns how many entries were released."""
        held = [key for key, count in self._counts.items() if count > 0]
        for key in held:
            self._drop(key)
            self._mark(key, None)
        flushed = await self.flush(timeout)
        if flushed:
            with contextlib.suppress(RedisError, OSError):
                await self.store.release(self.node)
        else:
            log.error("presence release incomplete: %d entries left to the sweepers", len(held))
        return len(held)

    async def _write_loop(self) -> None:
        delay = 0.1
        while True:
            if not self._dirty:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
            keys = list(self._dirty)[:BATCH]
            futures = [self._dirty.pop(key) for key in keys]
            items = [(*key, self._counts.get(key, 0), self._brief_text(key)) for key in keys]
            try:
                transitions = await self.store.apply(self.node, items)
            except (RedisError, OSError) as exc:
                for key, future in zip(keys, futures, strict=True):
                    self._dirty.setdefault(key, future)
                if not self._failing:
                    log.warning("presence store unavailable (%s); retrying", exc)
                self._failing = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            if self._failing:
                log.info("presence store answers again")
            self._failing, delay = False, 0.1
            for future in futures:
                if future is not None and not future.done():
                    future.set_result(True)
            await self._announce(transitions)
            for key in keys:
                if key not in self._counts and key not in self._dirty:
                    self._briefs.pop(key, None)
                    self._cause.pop(key, None)

    def _brief_text(self, key: Key) -> str:
        brief = self._briefs.get(key) if key in self._counts else None
        return orjson.dumps(brief).decode() if brief is not None else ""

    async def _tick_loop(self) -> None:
        ttl_ms = int(LEASE_TTL * 1000)
        while True:
            started = time.monotonic()
            try:
                if not await self.store.refresh(self.node, ttl_ms):
                    held = [key for key, count in self._counts.items() if count > 0]
                    if held:
                        log.warning("presence lease was gone; re-asserting %d entries", len(held))
                    for key in held:
                        self._dirty.setdefault(key, None)
                    if held:
                        self._idle.clear()
                        self._wake.set()
                swept = await self.store.sweep(self.node)
                if swept:
                    log.info("swept %d presence entries of dead nodes", len(swept))
                    await self._announce(swept)
            except (RedisError, OSError) as exc:
                log.debug("presence lease not refreshed: %s", exc)
            except Exception:
                log.exception("presence tick failed")
            await asyncio.sleep(max(0.05, TICK - (time.monotonic() - started)))

    async def _announce(self, transitions: list[Transition]) -> None:
        if not transitions:
            return
        unknown = {m for slug, m, _ in transitions if (slug, m) not in self._briefs}
        briefs: dict[str, dict[str, Any]] = {}
        if unknown:
            try:
                briefs = {member_of(b): b for b in await self.describe(unknown)}
            except Exception as exc:
                log.error("presence of %d members not announced: %s", len(unknown), exc)
        for slug, member, action in transitions:
            key = (slug, member)
            brief = self._briefs.get(key) or briefs.get(member)
            if brief is None:
                continue
            skip = self._cause.get(key)  # the socket that caused it (gone, for a left)
            try:
                await broadcast.presence(self.sio, slug, brief, action, skip_sid=skip)
            except Exception:
                log.exception("presence %s of %s in %s not emitted", action, member, slug)
