"""Group commit: writes that arrive while one commits are stored together, in one transaction.

Under load (many chat messages or alerts in flight) each INSERT in autocommit pays its own
commit: an fsync of SQLite's WAL, a round trip on PostgreSQL. A `GroupCommit` collects the
writes that arrive in the same loop iteration (one socket read's burst) or while a commit is
in flight, and runs each batch in ONE transaction, so one commit covers them all; a batch of
one is the single statement in autocommit, as without it (no added latency when idle).
Callers get their result only after the commit, so "stored before broadcast or ack" holds
for every one of them. The callers of one batch then resume back to back, so their
broadcasts also reach each socket's queue together and go out in one socket write.

A batch in which any write fails is rolled back and its writes are run again one by one, in
autocommit, so each caller gets its own outcome (a duplicate `client_id` is the usual one).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.transactions import in_transaction

log = logging.getLogger("roomcast.db")

Write = Callable[[], Awaitable[Any]]
MAX_BATCH = 64
_tasks: set[asyncio.Task] = set()


class GroupCommit:
    def __init__(self, name: str) -> None:
        self.name = name
        # Per event loop (a test suite runs several): the writes waiting for the next batch,
        # present while that loop's drain task runs.
        self._pending: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.batches = 0  # transactions of two writes or more (for tests and profiles)

    async def run(self, write: Write) -> Any:
        """The result of `write()` (a coroutine of ORM writes), once it is committed."""
        if isinstance(Tortoise.get_connection("default"), TransactionalDBClient):
            return await write()  # the caller's own transaction decides when it commits
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        pending = self._pending.get(loop)
        if pending is None:
            # The drain task starts after the callbacks already due in this loop iteration:
            # the other events of the same socket read (a burst) join this write's batch.
            pending = self._pending[loop] = []
            task = loop.create_task(self._drain(loop, pending))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)
        pending.append((write, future))
        return await future

    async def _drain(self, loop: asyncio.AbstractEventLoop, pending: list) -> None:
        batch: list[tuple[Write, asyncio.Future]] = []
        try:
            while pending:
                batch = pending[:MAX_BATCH]
                del pending[:MAX_BATCH]
                await self._batch(batch)
        finally:
            if self._pending.get(loop) is pending:
                del self._pending[loop]
            for _, future in batch + pending:  # only when the drain itself was cancelled
                if not future.done():
                    future.cancel()

    async def _batch(self, batch: list[tuple[Write, asyncio.Future]]) -> None:
        if len(batch) > 1:
            try:
                async with in_transaction():
                    results = [await write() for write, _ in batch]
            except Exception as exc:
                log.debug("%s: a batch of %d failed (%r); one by one", self.name, len(batch), exc)
            else:
                self.batches += 1
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
                return
        for write, future in batch:
            try:
                result = await write()
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)
