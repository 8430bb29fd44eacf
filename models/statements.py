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

import re
from typing import Any

from tortoise import Tortoise

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
