"""Run an event handler's coroutine inline until it first waits; only then give it a task.

Stock python-socketio runs every event handler in a task of its own (`async_handlers=True`)
so that a slow handler never delays the next event of the same socket. Most events never
wait for anything (an echo, a validation error, an ack built from memory): for those the task
is pure cost -- a Task object, a loop round trip, the weak registry of all tasks, a done
callback -- about a tenth of the server's CPU per ack in the s3 profile. `start` steps the
coroutine once, in the caller; if it finishes there, no task is made. If it waits (a database
query), the rest runs in a task that resumes it from exactly that point, so a slow handler
still never blocks the reader, as before (Python 3.12's eager task factory does the same).

The handler runs in a copy of the caller's context from its first step to its last, as in a
task (a context variable set before the first wait, e.g. by a database transaction, is still
set after it and can be reset there). What differs from a task for the inline part:
`asyncio.current_task()` is the caller's task (the socket's reader), so `asyncio.timeout()`
would cancel the reader. Roomcast's handlers use neither; tests/test_fastpath_eager.py holds
them to it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging

log = logging.getLogger("roomcast.fastpath")

# strong references to the running event tasks (asyncio keeps only weak ones)
_running: set = set()


def start(coro) -> asyncio.Task | None:
    """Run `coro` now; the task that finishes it if it had to wait, else None."""
    # One context of its own for the whole handler, as a task gets: what it sets (tortoise's
    # transaction connection, a reset token) is neither the caller's nor lost at the hand-off.
    context = contextvars.copy_context()
    try:
        waited = context.run(coro.send, None)
    except StopIteration:
        return None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        # what a task nobody awaits would report ("Task exception was never retrieved")
        asyncio.get_running_loop().call_exception_handler(
            {"message": "event handler failed", "exception": exc}
        )
        return None
    task = asyncio.get_running_loop().create_task(_finish(coro, waited), context=context)
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task


async def _finish(coro, waited):
    return await _Resume(coro, waited)


class _Resume:
    """Awaitable that hands the task the future `coro` waits on, then resumes `coro`."""

    __slots__ = ("coro", "waited")

    def __init__(self, coro, waited) -> None:
        self.coro, self.waited = coro, waited

    def __await__(self):
        coro, waited = self.coro, self.waited
        while True:
            try:
                # the task waits on the same future (or, for a bare yield, one loop turn)
                yield waited
            except BaseException as exc:  # the future failed, or the task was cancelled
                try:
                    waited = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
                continue
            try:
                waited = coro.send(None)
            except StopIteration as stop:
                return stop.value
