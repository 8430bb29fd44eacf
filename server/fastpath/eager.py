"""Start an event handler: in a task of its own, in a copy of the caller's context.

Until 2026-12-02 this ran the handler's coroutine inline until it first waited, and made a
task only then (what Python 3.12's eager task factory does). On Python 3.11 that inline part
has no task of its own: a library that calls `asyncio.timeout()` there -- asyncpg opening a
new pooled connection, redis-py reading with a socket timeout -- fails with "Timeout should be
used inside a task" when started from `data_received`, and would time out (cancel) the
socket's reader when started from the reader. A 500-socket join storm hit the first (joins
answered `internal_error` while the PostgreSQL pool grew). So every handler gets a task again,
as in stock python-socketio (`async_handlers=True`); the receive path's other savings stay.
"""

from __future__ import annotations

import asyncio
import contextvars

# strong references to the running event tasks (asyncio keeps only weak ones)
_running: set = set()


def start(coro) -> asyncio.Task:
    """Run `coro` in a task of its own (a slow handler never delays the socket's next
    event), in a copy of the caller's context; returns the task."""
    task = asyncio.get_running_loop().create_task(coro, context=contextvars.copy_context())
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task
