"""Start an event handler: in a task of its own, in a copy of the caller's context.

Until 2026-12-02 this ran the handler's coroutine inline until it first waited, and made a
task only then (what Python 3.12's eager task factory does). On Python 3.11 that inline part
has no task of its own: a library that calls `asyncio.timeout()` there -- asyncpg opening a
new pooled connection, redis-py reading with a socket timeout -- fails with "Timeout should be
used inside a task" when started from `data_received`, and would time out (cancel) the
socket's reader when started from the reader. A 500-socket join storm hit the first (joins
answered `internal_error` while the PostgreSQL pool grew). So every handler gets a task again,
as in stock python-socketio (`async_handlers=True`); the receive path's other savings stay.

One task per event, not two: a message handled from `data_received` (socket._Inline) already
runs the Socket.IO layer in a task made for that one message (`start_owned`, `own`). The event
handler then runs in that same task (`claim` tells the Socket.IO layer so) instead of a
second one. The owner is released (`release()`) just before the handler runs, so the socket's
next message gets a task of its own at once: a slow handler still never delays the next
event. A message the reader hands on has no owner: its handler gets a task (`start`).
"""

from __future__ import annotations

import asyncio
import contextvars

# strong references to the running event tasks (asyncio keeps only weak ones)
_running: set = set()

# The per-message owner (an object with `release()`) of the task running the Socket.IO
# layer for one message, or None. Set in that task's own context only.
_owner: contextvars.ContextVar = contextvars.ContextVar("roomcast_eager_owner", default=None)


def _kept(task: asyncio.Task) -> asyncio.Task:
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task


def start(coro) -> asyncio.Task:
    """Run `coro` in a task of its own (a slow handler never delays the socket's next
    event; also any fire-and-forget step of the fast path), in a copy of the caller's
    context (create_task's default); the task stays referenced until done."""
    return _kept(asyncio.get_running_loop().create_task(coro))


def start_owned(coro, loop) -> asyncio.Task:
    """`start`, for the task of one message: `coro` first calls `own(owner)`, so that its
    event handler may run in it (`claim`). The caller passes the running loop: on Python
    3.11 `get_running_loop()` makes a getpid() system call each time (~2 % of the CPU per
    acked echo)."""
    return _kept(loop.create_task(coro))


def own(owner) -> None:
    """From the first step of a task `start_owned` made: `owner` (with `release()`) is the
    message's, in this task's own context (setting it there is cheaper than before)."""
    _owner.set(owner)


def disown() -> bool:
    """From the end of a task `start_owned` made: True when its owner was never claimed."""
    if _owner.get() is None:
        return False
    _owner.set(None)
    return True


def claim():
    """The owner of the running task when it was made for one message and the handler may
    run in it (once per task: later calls get None); None: start a task for the handler."""
    owner = _owner.get()
    if owner is not None:
        _owner.set(None)  # tasks the handler starts copy this context: they own nothing
    return owner
