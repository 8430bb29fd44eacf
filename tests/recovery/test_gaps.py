"""History trimmed past the client's offset, and a Redis restart (new epoch): the client is
told `gap`, with the epoch and the oldest offset held, never silently given a hole."""

from __future__ import annotations

import asyncio
import tempfile

import httpx
import pytest

from tests.recovery.support import (
    Recorder,
    make_staff,
    own_node,
    position,
    post_alert,
    register,
)
from tests.redis_server import RedisServer


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_trimmed_history_is_a_gap(backend):
    tmp = tempfile.mkdtemp(prefix="roomcast-gap-")
    redis = RedisServer()
    env = {"ROOMCAST_HISTORY_SIZE": "10"}
    if backend == "redis":
        await redis.start()
        env["ROOMCAST_REDIS_URL"] = redis.url
    node = await own_node(tmp, **env)
    try:
        async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
            staff = await make_staff(tmp, http)
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
    redis = RedisServer()
    await redis.start()
    node = await own_node(tmp, ROOMCAST_REDIS_URL=redis.url)
    try:
        async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
            staff = await make_staff(tmp, http)
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
