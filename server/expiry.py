"""Token lifetime of live sockets: warn before the access token expires, disconnect when it does.

Timers are per process on purpose: a socket lives on exactly one node.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Callback = Callable[[], Awaitable[None]]


class ExpiryTimers:
    def __init__(self, *, warn_before: int) -> None:
        self.warn_before = warn_before
        self._handles: dict[tuple[str, str], list[asyncio.TimerHandle]] = {}

    def schedule(
        self, namespace: str, sid: str, *, expires_at: int, warn: Callback, expire: Callback
    ) -> None:
        self.cancel(namespace, sid)
        loop = asyncio.get_running_loop()
        left = expires_at - time.time()
        handles = []
        if left > self.warn_before:
            handles.append(loop.call_later(left - self.warn_before, _spawn, warn))
        else:
            handles.append(loop.call_soon(_spawn, warn))
        handles.append(loop.call_later(max(0.0, left), _spawn, expire))
        self._handles[(namespace, sid)] = handles

    def cancel(self, namespace: str, sid: str) -> None:
        for handle in self._handles.pop((namespace, sid), ()):
            handle.cancel()


_running: set[asyncio.Task] = set()


def _spawn(callback: Callback) -> None:
    task = asyncio.ensure_future(callback())
    _running.add(task)
    task.add_done_callback(_running.discard)
