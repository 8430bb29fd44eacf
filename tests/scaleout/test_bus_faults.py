"""The cross-node bus under faults: three node processes on a private redis-server (killed and
restarted here) and a private PostgreSQL database (docs/cluster.md states the guarantee)."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import asyncpg
import httpx
import pytest
import socketio

from tests.harness import (
    PG_ADMIN_DSN,
    Client,
    NodeProcess,
    create_pg_database,
    create_schema,
    drop_pg_database,
    require,
)
from tests.scaleout.bus_cluster import (
    Member,
    RedisServer,
    create_room,
    node_env,
    register,
    start_nodes,
    wait_status,
)

pytestmark = pytest.mark.scaleout


@pytest.fixture(scope="module")
async def bus():
    await require("postgres")
    redis = RedisServer()
    await redis.start()
    name, url = await create_pg_database()
    create_schema(url)
    env = node_env(url, redis.url)
    nodes = []
    try:
        nodes = await start_nodes(env, 3)
        for node in nodes:
            await wait_status(node.url, "/ready", 200, timeout=20)
        yield redis, nodes, env
    finally:
        for node in nodes:
            node.stop()
        redis.kill()
        await drop_pg_database(name)


async def chat_members(nodes, per_node: int = 2) -> tuple[str, list[Member]]:
    tokens = [await register(nodes[0].url, f"m{i}") for i in range(per_node * len(nodes))]
    room = await create_room(nodes[0].url, tokens[0])
    members = [Member(nodes[i % len(nodes)], f"m{i}") for i in range(len(tokens))]
    await asyncio.gather(*(m.open(room, t) for m, t in zip(members, tokens, strict=True)))
    return room, members


async def talk(member: Member, room: str, stop: asyncio.Event, every: float = 0.1) -> None:
    """Send numbered messages until `stop`; every one must be acked (the database is up)."""
    n = 0
    while not stop.is_set():
        body = {"room": room, "body": f"{member.name}:{n}", "client_id": f"{member.name}-{n}"}
        ack = await member.client.call("message", body, timeout=10)
        assert ack["ok"] is True, ack
        member.acked.append(ack["data"]["id"])
        n += 1
        await asyncio.sleep(every)


def check_delivery(members: list[Member]) -> None:
    """Every member got every acked message once, each sender's in its order."""
    for receiver in members:
        ids = [m["id"] for m in receiver.received]
        assert len(ids) == len(set(ids)), f"{receiver.name} got duplicates"
        for sender in members:
            theirs = set(sender.acked)
            assert [i for i in ids if i in theirs] == sender.acked, (receiver.name, sender.name)


async def deliver_all(members: list[Member], timeout: float) -> float:
    started = time.monotonic()
    everything = {i for m in members for i in m.acked}
    await asyncio.gather(*(m.wait_for(everything, timeout) for m in members))
    await asyncio.sleep(0.3)  # a late duplicate would show up here
    for m in members:
        m.drain()
    return time.monotonic() - started


async def metric(node: NodeProcess, name: str) -> float:
    async with httpx.AsyncClient(timeout=5) as http:
        text = (await http.get(node.url + "/metrics")).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


async def test_blips_without_restart_leave_no_gap(bus):
    redis, nodes, _ = bus
    room, members = await chat_members(nodes)
    stop = asyncio.Event()
    talkers = [asyncio.create_task(talk(m, room, stop)) for m in members]
    try:
        await asyncio.sleep(0.7)
        for _ in range(3):  # every connection of every node cut, readers and writers
            await redis.command("CLIENT", "KILL", "TYPE", "normal")
            await redis.command("CLIENT", "KILL", "TYPE", "pubsub")
            await asyncio.sleep(0.5)
        await redis.command("CLIENT", "PAUSE", "1500", "WRITE")  # Redis answers nobody's writes
        await asyncio.sleep(2.0)
    finally:
        stop.set()
        await asyncio.gather(*talkers)
    await deliver_all(members, timeout=15)
    check_delivery(members)
    for node in nodes:
        assert await metric(node, "roomcast_bus_gaps_total") == 0
        assert await metric(node, "roomcast_bus_redis_restarts_total") == 0
    for m in members:
        await m.client.close()


async def test_redis_restart_during_chat_loses_nothing_acked(bus):
    redis, nodes, _ = bus
    room, members = await chat_members(nodes)
    stop = asyncio.Event()
    talkers = [asyncio.create_task(talk(m, room, stop)) for m in members]
    try:
        await asyncio.sleep(1.0)
        redis.kill()  # SIGKILL: the stream and what nobody had read yet are gone
        await asyncio.sleep(5.0)  # the outage; messages are still acked (stored)
        during = sum(len(m.acked) for m in members)
        await redis.start()  # a new, empty redis-server on the same port
        back = time.monotonic()
        await asyncio.sleep(1.5)
    finally:
        stop.set()
        await asyncio.gather(*talkers)
    assert sum(len(m.acked) for m in members) > during > 0
    await deliver_all(members, timeout=20)
    total = sum(len(m.acked) for m in members)
    print(f"{total} messages everywhere {time.monotonic() - back:.2f} s after Redis was back")
    check_delivery(members)
    for m in members:
        await m.client.close()


async def test_ready_follows_the_bus(bus):
    redis, nodes, _ = bus
    for node in nodes:
        body = await wait_status(node.url, "/ready", 200, timeout=10)
        assert body["checks"]["bus"] == "ok" and body["status"] == "ok"
    redis.kill()
    try:
        for node in nodes:
            # the Redis ping fails at once; the bus check once its heartbeat is missed
            body = await wait_status(
                node.url, "/ready", 503, timeout=6, check=lambda b: b["checks"]["bus"] != "ok"
            )
            assert body["status"] == "unavailable"
            assert body["checks"]["bus"].startswith("error: own heartbeat not heard")
    finally:
        await redis.start()
    for node in nodes:
        body = await wait_status(node.url, "/ready", 200, timeout=10)
        assert body["checks"] == {"database": "ok", "redis": "ok", "bus": "ok"}


async def send_alert(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "send-alert",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_send_alert_fails_loudly_when_redis_is_down(bus):
    redis, nodes, env = bus
    token, user_id = await register(nodes[1].url, "alerted", with_id=True)
    tab = Client("/alerts")
    await tab.connect(nodes[2].url, auth={"token": token})
    try:
        await tab.wait("unread_count", timeout=10)
        redis.kill()
        try:
            code, out, err = await send_alert(env, str(user_id), "--title", "down")
        finally:
            await redis.start()
        assert code != 0 and "Redis" in err and "not stored" in err, (code, out, err)
        assert "Traceback" not in err and "sent" not in out
        await wait_status(nodes[0].url, "/ready", 200, timeout=10)
        code, out, err = await send_alert(env, str(user_id), "--title", "up again")
        assert code == 0, err
        assert (await tab.wait("breach_alert", timeout=10))["message"]["title"] == "up again"
    finally:
        await tab.close()


async def test_a_connect_during_a_database_outage_gets_connect_error(bus, tmp_path):
    redis, _, _ = bus
    name, url = await create_pg_database()
    create_schema(url)
    node = NodeProcess({**node_env(url, redis.url), "ROOMCAST_DATA_DIR": str(tmp_path)})
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await node.wait_ready(timeout=60)
        token = await register(node.url, "pg")
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        client = Client("/chat")
        started = time.monotonic()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(node.url, auth={"token": token})
        await client.close()
        assert time.monotonic() - started < 6
        error = client.connect_error
        data = error.get("data", error) if isinstance(error, dict) else error
        assert isinstance(data, dict), f"no connect_error data: {error!r}"
        reason = (data["code"], data["reason"])
        assert reason == (4503, "unavailable"), f"{data}\n{node.output()[-3000:]}"
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        again = Client("/chat")
        await again.connect(node.url, auth={"token": token})
        assert (await again.wait("connection_established", timeout=10))["namespace"] == "/chat"
        await again.close()
    finally:
        node.stop()
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
        await drop_pg_database(name)
