"""A private `redis-server` for fault tests: a free port, no persistence, killable.

Never the shared Redis on 6379: a test that kills, restarts or pauses Redis does it to its
own. `--save "" --appendonly no`, so a restart comes back empty, as a crashed cache would.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time

import redis.asyncio as aioredis

from tests.harness import free_port


class RedisServer:
    """`kill()` (SIGKILL) or `stop()` (SIGTERM), then `start()` again, is a restart.

    No persistence by default: a restart loses everything (for history, a new epoch). With
    `keep_in`, `stop()` saves to that directory and the next `start()` loads it back: Redis
    was away but kept its data."""

    def __init__(self, keep_in: str | None = None) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.keep_in = keep_in
        self.proc: subprocess.Popen | None = None

    async def start(self) -> float:
        """Start (or restart, same port); returns the monotonic time it first answered."""
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - returns at once
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                *(("--dir", self.keep_in) if self.keep_in else ()),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with contextlib.suppress(Exception):
                    await client.ping()
                    return time.monotonic()
                await asyncio.sleep(0.02)
        finally:
            await client.aclose()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        if self.keep_in:
            cli = ["redis-cli", "-p", str(self.port), "shutdown", "save"]
            subprocess.run(cli, capture_output=True, timeout=10)
        else:
            self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    async def command(self, *args):
        client = aioredis.Redis.from_url(self.url)
        try:
            return await client.execute_command(*args)
        finally:
            await client.aclose()
