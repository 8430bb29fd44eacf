"""asyncio.Queue and asyncio.Event stand-ins for per-connection objects, without deques.

Every `collections.deque` allocates a block of 64 slots up front (~700 bytes). An
`asyncio.Queue` has three deques and an `asyncio.Event` (a fourth), ~3 KiB; an Event alone
~700 bytes. uvicorn makes one of each per websocket (the ASGI receive queue, which holds the
connect event and a disconnect; the `writable` flow-control flag), benchmarks/memory_per_conn.py
counted them. These hold a list, a flag and the waiting futures only while someone waits.
Only the methods uvicorn's websockets-sansio protocol and the fast path call exist.
"""

from __future__ import annotations

import asyncio


def _wake_all(waiters: list) -> None:
    for fut in waiters:
        if not fut.done():
            fut.set_result(None)


async def _park(owner) -> None:
    """Wait for the next `_wake_all(owner._waiters)`; the list exists only while someone waits."""
    fut = asyncio.get_running_loop().create_future()
    if owner._waiters is None:
        owner._waiters = []
    waiters = owner._waiters
    waiters.append(fut)
    try:
        await fut
    finally:
        waiters.remove(fut)
        if not waiters:
            owner._waiters = None


class LeanQueue:
    """An unbounded FIFO: put_nowait, get, get_nowait, empty, qsize. A put wakes every waiting
    getter (there is one: the connection's reader); the ones that find it empty wait again,
    so a cancelled getter never strands an item."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list = []
        self._waiters: list | None = None

    def put_nowait(self, item) -> None:
        self._items.append(item)
        if self._waiters:
            _wake_all(self._waiters)

    def get_nowait(self):
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    async def get(self):
        items = self._items
        while not items:
            await _park(self)
        return items.pop(0)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


class LeanEvent:
    """set, clear, is_set, wait: asyncio.Event's semantics (wait returns True once set)."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if not self._set:
            self._set = True
            if self._waiters:
                _wake_all(self._waiters)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if not self._set:
            await _park(self)
        return True
