"""A bare Engine.IO v4 / Socket.IO v5 websocket client for the reconnect storm.

python-socketio's AsyncClient costs the load generator ~150 us of CPU per received event
(packet decoding, a task per handler); a storm of 1000 sockets x 50 replayed events then
measures the generator, not the server. This client parses only what it must: the CONNECT
answer, the `recovery` event (the end of the replay), and the event name of each frame,
which it counts. It answers the server's pings.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

import websockets


class Refused(RuntimeError):
    """CONNECT_ERROR: e.g. 4503 `unavailable` when the connect ran over the server's budget."""


class RawSocket:
    def __init__(self, url: str, namespace: str) -> None:
        self.url = url.replace("http://", "ws://").rstrip("/")
        self.ns = namespace
        self.counts: Counter[str] = Counter()
        self.recovery: dict | None = None
        self.recovered_at: float | None = None
        self._done = asyncio.Event()
        self._ws: Any = None
        self._reader: asyncio.Task | None = None

    async def connect(self, auth: dict, timeout: float = 60) -> None:
        self._ws = await websockets.connect(
            f"{self.url}/socket.io/?EIO=4&transport=websocket",
            open_timeout=timeout,
            compression=None,
            max_size=None,
        )
        opened = await asyncio.wait_for(self._ws.recv(), timeout)
        if not opened.startswith("0"):
            raise RuntimeError(f"not an Engine.IO open packet: {opened[:80]}")
        await self._ws.send(f"40{self.ns},{json.dumps(auth)}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        prefix = f"42{self.ns},"
        cut = len(prefix) + 2  # after `["`
        try:
            async for frame in self._ws:
                if frame == "2":
                    await self._ws.send("3")
                elif frame.startswith(prefix):
                    event = frame[cut : frame.index('"', cut)]
                    self.counts[event] += 1
                    if event == "recovery":
                        self.recovered_at = time.perf_counter()
                        self.recovery = json.loads(frame[len(prefix) :])[1]
                        self._done.set()
                elif frame.startswith(f"44{self.ns},"):
                    raise Refused(frame[:200])
        except websockets.ConnectionClosed:
            pass
        finally:
            self._done.set()

    async def wait_recovery(self, timeout: float) -> dict:
        await asyncio.wait_for(self._done.wait(), timeout)
        if self.recovery is None:
            if self._reader is not None and self._reader.done() and self._reader.exception():
                raise self._reader.exception()
            raise RuntimeError("closed before `recovery`")
        return self.recovery

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
