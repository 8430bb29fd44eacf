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
        self._pending: list[tuple[Write, asyncio.Future]] = []
        self._running = False
        self.batches = 0  # transactions of two writes or more (for tests and profiles)

    async def run(self, write: Write) -> Any:
        """The result of `write()` (a coroutine of ORM writes), once it is committed."""
        if isinstance(Tortoise.get_connection("default"), TransactionalDBClient):
            return await write()  # the caller's own transaction decides when it commits
        future = asyncio.get_running_loop().create_future()
        self._pending.append((write, future))
        if not self._running:
            # The drain task starts after the callbacks already due in this loop iteration:
            # the other events of the same socket read (a burst) join this write's batch.
            self._running = True
            task = asyncio.ensure_future(self._drain())
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._batch(batch)
        finally:
            self._running = False
            for _, future in self._pending:  # only if the batch itself was cancelled
                future.cancel()
            self._pending = []

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
