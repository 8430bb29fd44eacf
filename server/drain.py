"""Graceful stop: on SIGTERM finish what runs, tell the cluster, then let the database close.

How the pieces interact (uvicorn, ASGI lifespan, python-socketio):

1. SIGTERM: uvicorn stops accepting and sends every websocket a close (1012, "service
   restart"); clients reconnect elsewhere. `watch_signals` hooks the same signal to note the
   time and to close this node's polling sockets at the Engine.IO level, so their pending
   long-polls answer at once (uvicorn waits for open HTTP requests, bounded by
   `--timeout-graceful-shutdown` = ROOMCAST_DRAIN_SECONDS).
2. Each closed socket runs its disconnect handlers (presence entries given back locally).
3. uvicorn sends the lifespan shutdown to Sanic, whose `before_server_stop` runs `drain`:
   wait for the socket handlers still running (python-socketio runs them as tasks uvicorn
   does not know about), close any socket left, release presence (the writer announces
   `left`, the node's lease goes), flush the bus outbox; all within what is left of the
   drain time, and logged with figures.
4. `after_server_stop` stops the runtime's tasks and closes the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.runtime import Runtime

log = logging.getLogger("roomcast.drain")


class InFlight:
    """Counts the socket handlers running now, so that a stop can wait for them."""

    def __init__(self) -> None:
        self.running = 0
        self.finished = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def track(self):
        self.running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.running -= 1
            self.finished += 1
            if self.running == 0:
                self._idle.set()

    async def idle(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), max(0.0, timeout))
        except TimeoutError:
            return False
        return True


class Stopping:
    """When the stop began (SIGTERM), and what was running then."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.running_then = 0
        self.finished_then = 0


def watch_signals(runtime: Runtime) -> None:
    """Chain onto uvicorn's SIGTERM/SIGINT handlers (main thread only; no-op elsewhere)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def hook(signum, frame, previous=previous) -> None:
            stopping = runtime.stopping
            if stopping.since is None:
                stopping.since = time.monotonic()
                stopping.running_then = runtime.handlers.running
                stopping.finished_then = runtime.handlers.finished
                loop.call_soon_threadsafe(_start_closing_polls, runtime)
            previous(signum, frame)

        with contextlib.suppress(ValueError):  # not the main thread (tests run us in-process)
            signal.signal(sig, hook)


_tasks: set[asyncio.Task] = set()


def _start_closing_polls(runtime: Runtime) -> None:
    task = asyncio.create_task(close_sockets(runtime, polling_only=True))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def close_sockets(runtime: Runtime, *, polling_only: bool = False) -> int:
    """Close this node's Engine.IO sockets (a transport close: clients reconnect elsewhere)."""
    eio = runtime.sio.eio
    closed = 0
    for eio_sid, socket in list(eio.sockets.items()):
        if polling_only and getattr(socket, "upgraded", False):
            continue
        try:
            await eio.disconnect(eio_sid)
        except Exception:
            log.exception("socket %s not closed cleanly", eio_sid)
        closed += 1
    return closed


async def drain(runtime: Runtime) -> None:
    """The lifespan half of the stop (step 3 above), bounded by ROOMCAST_DRAIN_SECONDS."""
    settings, stopping, handlers = runtime.settings, runtime.stopping, runtime.handlers
    now = time.monotonic()
    since = stopping.since if stopping.since is not None else now
    if stopping.since is None:
        stopping.running_then, stopping.finished_then = handlers.running, handlers.finished
    deadline = since + settings.drain_seconds
    # However long the server half took, presence and the bus get a moment of their own.
    deadline = max(deadline, now + 2.0)

    def left() -> float:
        return deadline - time.monotonic()

    await handlers.idle(left())
    closed = await close_sockets(runtime)
    handlers_done = await handlers.idle(left())
    released = await runtime.presence.release(max(0.5, left()))
    flushed = "none"
    flush = getattr(runtime.sio.manager, "flush", None)
    if flush is not None:
        try:
            ok = await flush(max(0.5, left()))
            flushed = "flushed" if ok else "NOT flushed (timeout)"
        except Exception as exc:
            flushed = f"NOT flushed ({exc})"
    finished = handlers.finished - stopping.finished_then
    elapsed = time.monotonic() - since
    level = logging.INFO if handlers_done else logging.WARNING
    log.log(
        level,
        "drained %d handlers in %.2f s (%d running at the stop, %d still running); "
        "closed %d sockets; released %d presence entries; bus outbox %s",
        finished,
        elapsed,
        stopping.running_then,
        handlers.running,
        closed,
        released,
        flushed,
    )
