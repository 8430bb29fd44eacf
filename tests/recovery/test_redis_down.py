"""Emits while Redis is away have no position. Redis comes back with its data (same epoch),
so without care the stream would go on 18, 19, ... over a hole no offset shows. The client
that was away is told `gap` (a new epoch) instead of `recovered` minus the lost events."""

from __future__ import annotations

import tempfile

import httpx

from tests.recovery.support import (
    Recorder,
    make_staff,
    own_node,
    position,
    post_alert,
    register,
)
from tests.redis_server import RedisServer


async def test_an_emit_redis_did_not_store_makes_the_next_recovery_a_gap():
    tmp = tempfile.mkdtemp(prefix="roomcast-down-")
    redis = RedisServer(keep_in=tempfile.mkdtemp(prefix="roomcast-down-redis-"))
    await redis.start()
    node = await own_node(tmp, ROOMCAST_REDIS_URL=redis.url)
    watcher = Recorder("/alerts")
    try:
        async with httpx.AsyncClient(base_url=node.url, timeout=30) as http:
            staff = await make_staff(tmp, http)
            user = await register(http)
            uid = user["user"]["id"]
            stream = f"user:{uid}"
            await post_alert(http, staff, uid, 1)
            away = Recorder("/alerts")
            await away.connect(node.url, {"token": user["access_token"]})
            start = await away.recovery()
            assert start["streams"][stream]["o"] == 2
            await away.close()
            await watcher.connect(node.url, {"token": user["access_token"]})
            await watcher.recovery()

            redis.stop()  # saved: it comes back with the same epoch and offsets
            unstored = await post_alert(http, staff, uid, 2)
            await redis.start()
            after = await post_alert(http, staff, uid, 3)

            # The one connected socket got the unstored alert live, without a position.
            def got(alert_id):
                return [a for a in watcher.events("breach_alert") if a["message"]["id"] == alert_id]

            await watcher.until(lambda: got(unstored["id"]) and got(after["id"]), timeout=30)
            assert "_stream" not in got(unstored["id"])[0]

        again = Recorder("/alerts")
        await again.connect(
            node.url, {"token": user["access_token"], "recover": {stream: position(start, stream)}}
        )
        try:
            result = (await again.recovery())["streams"][stream]
            assert result["status"] == "gap", result
            assert result["e"] != start["streams"][stream]["e"]
            assert again.events("breach_alert") == []  # nothing half-replayed
        finally:
            await again.close()
    finally:
        await watcher.close()
        node.stop()
        redis.stop()
