"""ScriptPipe: one dedicated Redis connection that runs one Lua script, pipelined.

Every history append is one EVALSHA. Through redis-py's pooled client each costs ~100 us of
this process's CPU in the command machinery alone (pool checkout, retry wrapper, response
callbacks) before any work is done. Here the calls queued while a round trip is on its way
all go in the next one (one write, N replies), on a connection of our own, with the
arguments packed once: about a third less CPU for a lone call, about half with ten at once
(benchmarks/replay.py, "emit cost"). A lone call is sent by its caller directly; calls made
meanwhile are sent together by a flusher task. Replies come back in the order the calls were queued.

A failed round trip fails every call of its batch (the caller cannot know whether Redis ran
them) and drops the connection; the next call reconnects. With `retry=True` (a script safe to
run twice, e.g. a read) a batch that failed on the connection is sent once more on a fresh
one first: the connection may simply have gone stale across a Redis restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

# At most this many calls per round trip: a reconnect storm's 1000 reads of 50 entries each
# would otherwise be one 20 MB reply, parsed in one event-loop step (holding up every live
# event), and no socket could start its replay before the last one's entries had arrived.
MAX_BATCH = 64


class ScriptPipe:
    def __init__(self, redis: Redis, script: str, *, retry: bool = False) -> None:
        self.retry = retry
        self._conn = redis.connection_pool.make_connection()
        self._script = script
        self._sha = hashlib.sha1(script.encode()).hexdigest()
        self._pending: list[tuple[tuple, asyncio.Future]] = []
        self._busy = False
        self._flusher: asyncio.Task | None = None

    async def __call__(self, keys: list, args: list) -> Any:
        call = (len(keys), *keys, *args)
        if self._busy:  # a round trip is on its way: ride the next one
            future = asyncio.get_running_loop().create_future()
            self._pending.append((call, future))
            return await future
        # Nobody is sending: this caller sends its own call at once (no task, no future).
        self._busy = True
        try:
            reply = (await self._guarded([call]))[0]
        finally:
            if self._pending:
                self._flusher = asyncio.ensure_future(self._flush())  # stays busy
            else:
                self._busy = False
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    replies = await self._guarded([call for call, _ in batch])
                except Exception as exc:  # handed to every caller of the batch
                    replies = [exc] * len(batch)
                for (_, future), reply in zip(batch, replies, strict=True):
                    if future.done():
                        continue
                    if isinstance(reply, Exception):
                        future.set_exception(reply)
                    else:
                        future.set_result(reply)
        finally:
            self._busy = False
            self._flusher = None

    async def _guarded(self, calls: list[tuple]) -> list[Any]:
        """A round trip; a failure (or a cancel halfway) leaves the connection unusable."""
        try:
            return await self._round_trip(calls)
        except BaseException:
            with contextlib.suppress(Exception):
                await self._conn.disconnect(nowait=True)
            raise

    async def _round_trip(self, calls: list[tuple]) -> list[Any]:
        try:
            replies = await self._send(calls)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            if not self.retry:
                raise
            with contextlib.suppress(Exception):
                await self._conn.disconnect()
            replies = await self._send(calls)
        missing = [i for i, r in enumerate(replies) if isinstance(r, NoScriptError)]
        if missing:  # a fresh connection to a Redis that (re)started: load it, run those again
            await self._conn.send_command("SCRIPT", "LOAD", self._script, check_health=False)
            await self._conn.read_response()
            again = await self._send([calls[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        return replies

    async def _send(self, calls: list[tuple]) -> list[Any]:
        commands = [("EVALSHA", self._sha, *call) for call in calls]
        await self._conn.send_packed_command(self._conn.pack_commands(commands), False)
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(await self._conn.read_response())
            except ResponseError as exc:  # that call's error; the next reply is still read
                replies.append(exc)
        return replies

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._conn.disconnect()
