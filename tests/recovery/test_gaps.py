"""History trimmed past the client's offset, and a Redis restart (new epoch): the client is
told `gap`, with the epoch and the oldest offset held, never silently given a hole."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile

import httpx
import pytest

from tests.harness import SECRET, NodeProcess, create_schema, free_port
from tests.recovery.support import Recorder, position, post_alert, register


class OwnRedis:
    """A private redis-server on a free port (never the shared one), no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def spawn(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )

    async def start(self) -> None:
        self.spawn()
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


async def _node(tmp: str, **env: str) -> NodeProcess:
    db = f"sqlite://{os.path.join(tmp, 'gap.sqlite3')}"
    create_schema(db)
    node = NodeProcess(
        {
            "ROOMCAST_ENV": "test",
            "ROOMCAST_JWT_SECRET": SECRET,
            "ROOMCAST_DATABASE_URL": db,
            "ROOMCAST_DATA_DIR": tmp,
            "ROOMCAST_RATE_LIMITS": "off",
            **env,
        }
    )
    await node.wait_ready(timeout=60)
    return node


async def _staff(node: NodeProcess, http: httpx.AsyncClient) -> str:
    import sqlite3

    login = await register(http)
    path = os.path.join(node.data_dir, "gap.sqlite3")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE users SET is_staff = 1 WHERE id = ?", (login["user"]["id"],))
    return login["access_token"]


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_trimmed_history_is_a_gap(backend):
    tmp = tempfile.mkdtemp(prefix="roomcast-gap-")
    redis = OwnRedis()
    env = {"ROOMCAST_HISTORY_SIZE": "10"}
    if backend == "redis":
        await redis.start()
        env["ROOMCAST_REDIS_URL"] = redis.url
    node = await _node(tmp, **env)
    node.data_dir = tmp
    try:
        async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
            staff = await _staff(node, http)
            user = await register(http)
            stream = f"user:{user['user']['id']}"
            first = Recorder("/alerts")
            await first.connect(node.url, {"token": user["access_token"]})
            start = await first.recovery()
            await first.close()
            for n in range(30):  # 60 events, 10 kept (about: MAXLEN ~ may keep a few more)
                await post_alert(http, staff, user["user"]["id"], n)
        again = Recorder("/alerts")
        await again.connect(
            node.url, {"token": user["access_token"], "recover": {stream: position(start, stream)}}
        )
        try:
            result = (await again.recovery())["streams"][stream]
            assert result["status"] == "gap", result
            assert result["o"] == 60 and result["e"] == start["streams"][stream]["e"]
            assert 1 < result["oldest"] <= 51
            assert again.events("breach_alert") == []
        finally:
            await again.close()
    finally:
        node.stop()
        redis.stop()


async def test_redis_restart_changes_the_epoch_and_is_a_gap():
    tmp = tempfile.mkdtemp(prefix="roomcast-epoch-")
    redis = OwnRedis()
    await redis.start()
    node = await _node(tmp, ROOMCAST_REDIS_URL=redis.url)
    node.data_dir = tmp
    try:
        async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
            staff = await _staff(node, http)
            user = await register(http)
            stream = f"user:{user['user']['id']}"
            await post_alert(http, staff, user["user"]["id"], 1)
            first = Recorder("/alerts")
            await first.connect(node.url, {"token": user["access_token"]})
            start = await first.recovery()
            assert start["streams"][stream]["o"] == 2
            await first.close()
            redis.stop()  # all history lost
            await redis.start()
            for n in range(3):  # the node's pool reconnects; a failed emit goes out live only
                try:
                    await post_alert(http, staff, user["user"]["id"], 10 + n)
                except AssertionError:
                    await asyncio.sleep(0.5)
        again = Recorder("/alerts")
        await again.connect(
            node.url, {"token": user["access_token"], "recover": {stream: position(start, stream)}}
        )
        try:
            result = (await again.recovery())["streams"][stream]
            assert result["status"] == "gap", result
            assert result["e"] != start["streams"][stream]["e"]
            assert again.events("breach_alert") == []
        finally:
            await again.close()
    finally:
        node.stop()
        redis.stop()
