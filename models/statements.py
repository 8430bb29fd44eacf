"""Hand-written SQL for the hot paths: REST auth, every alert, every chat message.

The ORM builds each query anew (pypika: copies, quoting, string formatting) and hydrates
models: 200-650 µs of CPU per call on the benchmark machine, against ~40 µs for a statement
run as written. A `Statement` is written once with `?` placeholders (SQLite's style), turned
into `$1, $2, ...` for PostgreSQL, and run on Tortoise's current connection for "default"
(inside `in_transaction()` that is the transaction's), so connection handling and error
translation (IntegrityError, ...) stay Tortoise's. Only plain values go in: ints, strings,
bools (SQLite stores them as 0/1, PostgreSQL wants real booleans; both take Python's).
"""

from __future__ import annotations

import asyncio
import re
import weakref
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import TransactionalDBClient

_PLACEHOLDER = re.compile(r"\?")


class Statement:
    __slots__ = ("postgres", "sqlite")

    def __init__(self, sql: str) -> None:
        self.sqlite = " ".join(sql.split())
        numbers = iter(range(1, 1 + self.sqlite.count("?")))
        self.postgres = _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", self.sqlite)

    def text(self, dialect: str) -> str:
        return self.postgres if dialect == "postgres" else self.sqlite


async def rows(statement: Statement, *values: Any) -> list[Any]:
    """The rows (index- and name-addressable: sqlite3.Row / asyncpg.Record)."""
    conn = Tortoise.get_connection("default")
    _, result = await conn.execute_query(statement.text(conn.capabilities.dialect), list(values))
    return list(result)


async def scalar(statement: Statement, *values: Any) -> Any:
    """The first column of the first row (None without rows)."""
    found = await rows(statement, *values)
    return found[0][0] if found else None


# Per-process caches of rows that never change once written (e.g. chat rooms by slug): they
# belong to one database, so opening a database forgets them all (server.db.open_database).
_caches: list[dict] = []


def remembered(cache: dict) -> dict:
    _caches.append(cache)
    return cache


def forget_cached_rows() -> None:
    for cache in _caches:
        cache.clear()


class GroupRead:
    """Reads of one statement by key that are asked in the same loop iteration, done by one
    statement `... IN (?, ?, ...)`: concurrent requests (16 REST calls in flight, the callers
    of one group commit) share one trip through the driver instead of one each.

    `sql` has `{keys}` where the list of keys goes, and returns the key in the column named
    `key`. Each read still starts after its caller asked, so it sees every write committed
    before; inside the caller's own transaction the read runs there, alone.
    """

    def __init__(self, sql: str, *, key: str, before: tuple = (), chunk: int = 100) -> None:
        self.sql, self.key, self.before, self.chunk = sql, key, before, chunk
        self._statements: dict[int, Statement] = {}
        # Per event loop (a test suite runs several): key -> the futures waiting for its rows.
        self._waiting: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def rows(self, key: Any) -> list[Any]:
        if isinstance(Tortoise.get_connection("default"), TransactionalDBClient):
            return (await self._read([key])).get(key, [])
        loop = asyncio.get_running_loop()
        waiting = self._waiting.get(loop)
        if waiting is None:
            waiting = self._waiting[loop] = {}
            task = loop.create_task(self._drain(loop))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)
        future = loop.create_future()
        waiting.setdefault(key, []).append(future)
        return await future

    def _statement(self, n: int) -> Statement:
        statement = self._statements.get(n)
        if statement is None:
            statement = self._statements[n] = Statement(self.sql.format(keys=", ".join("?" * n)))
        return statement

    async def _read(self, keys: list[Any]) -> dict[Any, list[Any]]:
        out: dict[Any, list[Any]] = {}
        for row in await rows(self._statement(len(keys)), *self.before, *keys):
            out.setdefault(row[self.key], []).append(row)
        return out

    async def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting = self._waiting.pop(loop, {})
        keys = list(waiting)
        for start in range(0, len(keys), self.chunk):
            chunk = keys[start : start + self.chunk]
            try:
                found = await self._read(chunk)
            except BaseException as exc:
                for key in keys[start:]:
                    for future in waiting[key]:
                        if not future.done():
                            future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                return
            for key in chunk:
                for future in waiting[key]:
                    if not future.done():
                        future.set_result(found.get(key, []))


_tasks: set[asyncio.Task] = set()
