"""Routing of the cross-node bus (docs/cluster.md): the room registry in Redis, its leases, its
rebuild after a Redis restart, and the breaker. Three node processes on a private redis-server
(killed and restarted here) with a short lease, one PostgreSQL database."""

from __future__ import annotations

import shutil
import time

import pytest

from tests.harness import ON_CI, NodeProcess
from tests.scaleout.faults import FaultCluster, make_users, open_chat, wait_until

pytestmark = pytest.mark.scaleout

LEASE = 3  # seconds (ROOMCAST_BUS_LEASE_SECONDS); the default is 10


@pytest.fixture(scope="module")
async def routed(fault_db):
    if shutil.which("redis-server") is None:
        if ON_CI:
            pytest.fail("redis-server is not installed (CI=true: a missing service is a failure)")
        pytest.skip("redis-server is not installed")
    async with FaultCluster(fault_db, ROOMCAST_BUS_LEASE_SECONDS=str(LEASE)) as cluster:
        yield cluster


def base(cluster: FaultCluster) -> str:
    return f"{cluster.env['ROOMCAST_REDIS_PREFIX']}:bus"


async def redis_call(cluster: FaultCluster, *args):
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(cluster.redis.url, decode_responses=True)
    try:
        return await client.execute_command(*args)
    finally:
        await client.aclose()


async def live_nodes(cluster: FaultCluster) -> set[str]:
    return set(await redis_call(cluster, "ZRANGE", f"{base(cluster)}:nodes", 0, -1))


async def holders(cluster: FaultCluster, slug: str) -> set[str]:
    return set(await redis_call(cluster, "SMEMBERS", f"{base(cluster)}:room:/chat:room:{slug}"))


async def got_message(client, message_id: int, timeout: float) -> dict:
    """The `message` event with this id (others are skipped), bounded."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"message {message_id} never arrived")
        event = await client.wait("message", timeout=left)
        if event["id"] == message_id:
            return event


async def send(client, slug: str, body: str) -> int:
    ack = await client.call("message", {"room": slug, "body": body, "client_id": body}, timeout=20)
    assert ack["ok"] is True, ack
    return ack["data"]["id"]


async def test_a_join_is_routed_to_from_the_next_emit_on(routed):
    (_, sender_token), (_, reader_token) = await make_users(routed.database_url, 2)
    sender = await open_chat(routed.nodes[0].url, sender_token)
    reader = await open_chat(routed.nodes[1].url, reader_token)
    try:
        for k in range(5):
            slug = await routed.room(sender_token)
            assert (await sender.call("join", {"room": slug}, timeout=20))["ok"] is True
            await send(sender, slug, f"before-{k}-{slug}")  # nobody on node 1 holds it yet
            assert (await reader.call("join", {"room": slug}, timeout=20))["ok"] is True
            # right after the join's ack: the next emit on node 0 is routed to node 1
            after = await send(sender, slug, f"after-{k}-{slug}")
            await got_message(reader, after, timeout=10)
            assert len(await holders(routed, slug)) == 2  # node 0 and node 1, not node 2
    finally:
        await sender.close()
        await reader.close()


async def test_a_killed_nodes_registry_entries_expire(routed):
    (_, token), (_, other_token) = await make_users(routed.database_url, 2)
    slug = await routed.room(token)
    before = await live_nodes(routed)
    extra = NodeProcess(routed.env)
    try:
        await extra.wait_ready()
        member = await open_chat(extra.url, token, slug)
        assert await wait_until(lambda: _new_node(routed, before), timeout=10)
        (extra_id,) = await live_nodes(routed) - before
        assert extra_id in await holders(routed, slug)
        extra.kill()
        killed = time.monotonic()

        async def forgotten() -> bool:
            keys = [f"{base(routed)}:{k}:{extra_id}" for k in ("rooms", "to", "node")]
            exists = await redis_call(routed, "EXISTS", *keys[:2])
            return (
                extra_id not in await live_nodes(routed)
                and extra_id not in await holders(routed, slug)
                and exists == 0
            )

        assert await wait_until(forgotten, timeout=LEASE + 10)
        print(f"registry entries of the killed node gone {time.monotonic() - killed:.2f} s after")
        # the survivors still route to each other
        a = await open_chat(routed.nodes[0].url, token, slug)
        b = await open_chat(routed.nodes[2].url, other_token, slug)
        try:
            await got_message(b, await send(a, slug, f"survivors-{slug}"), timeout=10)
        finally:
            await a.close()
            await b.close()
        await member.close()  # its node is gone
    finally:
        extra.stop()


async def _new_node(cluster: FaultCluster, before: set[str]) -> bool:
    return len(await live_nodes(cluster) - before) == 1


async def test_a_redis_restart_wipes_the_registry_and_the_nodes_rebuild_it(routed):
    users = await make_users(routed.database_url, 3)
    slug = await routed.room(users[0][1])
    # members on nodes 0 and 1; node 2 holds nobody in the room until the outage
    a = await open_chat(routed.nodes[0].url, users[0][1], slug)
    b = await open_chat(routed.nodes[1].url, users[1][1], slug)
    c = await open_chat(routed.nodes[2].url, users[2][1])
    try:
        assert await wait_until(lambda: _holders_are(routed, slug, 2), timeout=10)
        routed.redis.stop()
        assert (await c.call("join", {"room": slug}, timeout=30))["ok"] is True
        during = await send(a, slug, f"during-{slug}")
        await routed.redis.start()  # empty: no registry, no streams
        for client in (b, c):
            await got_message(client, during, timeout=20)
        # every node registered its rooms again, node 2 with the room joined while Redis was away
        assert await wait_until(lambda: _holders_are(routed, slug, 3), timeout=15)
        assert len(await live_nodes(routed)) == 3
        after = await send(b, slug, f"after-{slug}")
        for client in (a, c):
            await got_message(client, after, timeout=10)
    finally:
        for client in (a, b, c):
            await client.close()


async def _holders_are(cluster: FaultCluster, slug: str, count: int) -> bool:
    try:
        return len(await holders(cluster, slug)) == count
    except Exception:  # Redis still starting
        return False


async def test_emits_during_an_outage_are_delivered_locally_without_delay(routed):
    (_, t1), (_, t2) = await make_users(routed.database_url, 2)
    slug = await routed.room(t1)
    one = await open_chat(routed.nodes[0].url, t1, slug)
    two = await open_chat(routed.nodes[0].url, t2, slug)
    try:
        routed.redis.stop()
        waits = []
        for k in range(5):
            started = time.monotonic()
            sent = await send(one, slug, f"outage-{k}-{slug}")
            await got_message(two, sent, timeout=10)
            waits.append(time.monotonic() - started)
        print("outage emit -> local delivery:", ", ".join(f"{w:.3f}" for w in waits))
        # the breaker: no emit waits for Redis (a wait would be >= 1 s: the write budget)
        assert max(waits) < 0.9, waits
    finally:
        await routed.redis.start()
        await one.close()
        await two.close()
