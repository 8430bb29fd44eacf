"""python-socketio's cross-node messages over the stream bus (docs/cluster.md): acks of a
server-to-client call, room changes and close_room for sockets on another node, routing, and
the outbox bound. Two in-process nodes, real clients."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import base_env
from tests.harness import REDIS_URL, require
from tests.scaleout.bus_cluster import RedisServer, wait_status
from tests.test_fastpath import NS, FastpathProbe, peers, start_node


class BusProbe(FastpathProbe):
    async def on_ask_other(self, sid: str, data: dict) -> Any:
        return await self.call("question", data["q"], to=data["sid"], timeout=5)

    async def on_put(self, sid: str, data: dict) -> bool:
        if data.get("leave"):
            await self.leave_room(data["sid"], data["room"])
        else:
            await self.enter_room(data["sid"], data["room"])
        return True

    async def on_close(self, sid: str, room: str) -> bool:
        await self.close_room(room)
        return True


async def two_nodes(tmp_path, redis_url: str, **extra: str):
    env = base_env(
        ROOMCAST_DATA_DIR=str(tmp_path),
        ROOMCAST_REDIS_URL=redis_url,
        ROOMCAST_REDIS_PREFIX=f"bus-{uuid.uuid4().hex[:8]}",
        **extra,
    )
    nodes = [await start_node(env), await start_node(env)]
    for node in nodes:
        node.runtime.sio.register_namespace(BusProbe(NS))
    return nodes


@pytest.fixture
async def nodes(tmp_path):
    await require("redis")
    started = await two_nodes(tmp_path, REDIS_URL)
    yield started
    for node in started:
        await node.stop()


async def test_a_call_to_a_socket_on_another_node_gets_its_ack(nodes):
    a_node, b_node = nodes
    async with peers((a_node.url, (), "websocket"), (b_node.url, (), "polling")) as (a, b):
        assert await a.call("ask_other", {"sid": b.sid, "q": 42}) == {"answer": 42}
        assert await b.call("ask_other", {"sid": a.sid, "q": "x"}) == {"answer": "x"}


async def test_room_changes_and_close_room_reach_the_node_holding_the_socket(nodes):
    a_node, b_node = nodes
    async with peers((a_node.url, (), "websocket"), (b_node.url, (), "websocket")) as (a, b):
        assert await a.call("put", {"sid": b.sid, "room": "far"}) is True
        await a.call("emit", {"to": "far", "payload": {"n": 1}})
        assert [m["n"] for m in await b.take(1)] == [1]
        assert await a.nothing(0.2)
        assert await a.call("put", {"sid": b.sid, "room": "far", "leave": True}) is True
        await a.call("emit", {"to": "far", "payload": {"n": 2}})
        assert await b.nothing(0.4)
        assert await a.call("put", {"sid": b.sid, "room": "gone"}) is True
        assert await a.call("close", "gone") is True
        await a.call("emit", {"to": "gone", "payload": {"n": 3}})
        assert await b.nothing(0.4)
        # an emit to a room node a holds nobody in: node a skips the entry undecoded
        before = await metric(a_node.url, "roomcast_bus_skipped_total")
        await b.call("emit", {"to": "only-b-knows", "payload": {}})
        await b.call("emit", {"to": a.sid, "payload": {"n": 4}})  # a's sid: decoded, delivered
        assert [m["n"] for m in await a.take(1)] == [4]
        assert await metric(a_node.url, "roomcast_bus_skipped_total") == before


async def metric(url: str, name: str) -> float:
    async with httpx.AsyncClient(timeout=5) as http:
        text = (await http.get(url + "/metrics")).text
    values = [ln.split()[1] for ln in text.splitlines() if ln.startswith(name + " ")]
    assert values, f"{name} not in /metrics"
    return float(values[0])


@contextlib.asynccontextmanager
async def own_redis_nodes(tmp_path, **extra: str):
    """A private redis-server (the test may kill and restart it) and two nodes on it."""
    redis = RedisServer()
    await redis.start()
    nodes = await two_nodes(tmp_path, redis.url, **extra)
    try:
        yield redis, nodes
    finally:
        for node in nodes:
            await node.stop()
        redis.kill()


async def test_a_full_outbox_refuses_new_emits_and_keeps_a_gap_free_prefix(tmp_path):
    async with own_redis_nodes(tmp_path, ROOMCAST_BUS_OUTBOX_MESSAGES="100") as (redis, nodes):
        a_node, b_node = nodes
        async with peers(
            (a_node.url, ("lots",), "websocket"), (b_node.url, ("lots",), "websocket")
        ) as (a, b):
            redis.kill()
            await a.call("emit", {"to": "lots", "payload": {}, "count": 300})
            assert [m["seq"] for m in await a.take(300)] == list(range(300))  # local: all
            await wait_status(
                a_node.url, "/ready", 503, 5, check=lambda b: "outbox full" in b["checks"]["bus"]
            )
            assert await metric(a_node.url, "roomcast_bus_dropped_total") >= 200
            await redis.start()
            got = [m["seq"] for m in await b.take(50, timeout=10)]
            while True:  # the rest of what was queued, until nothing comes for 0.5 s
                try:
                    got.append((await asyncio.wait_for(b.inbox.get(), 0.5))["seq"])
                except TimeoutError:
                    break
            assert got == list(range(len(got))) and 50 <= len(got) <= 100
            # the bus check is back by itself once the outbox drained (the status also
            # follows the database check, which is not what this test is about)
            await wait_status(
                a_node.url, "/ready", None, 10, check=lambda b: b["checks"]["bus"] == "ok"
            )


async def test_a_burst_of_emits_with_redis_up_is_never_refused(tmp_path):
    # An emit loop that never awaits I/O (here: a room with nobody on this node, so local
    # delivery never paces it) must still let the writer drain the outbox while Redis takes
    # writes: refusing is for an outage, not for a burst bigger than the bound.
    async with own_redis_nodes(tmp_path, ROOMCAST_BUS_OUTBOX_MESSAGES="20000") as (_, nodes):
        a_node, b_node = nodes
        async with peers((a_node.url, (), "websocket"), (b_node.url, ("far",), "websocket")) as (
            a,
            b,
        ):
            assert await a.call("emit", {"to": "far", "payload": {}, "count": 60000})
            got = [m["seq"] for m in await b.take(60000, timeout=60)]
            assert got == list(range(60000))
            assert await metric(a_node.url, "roomcast_bus_dropped_total") == 0
