"""Presence and chat delivery when nodes die: `kill -9`, a disconnect storm, SIGTERM.

Three real nodes on a private redis-server and a private PostgreSQL database (faults.py).
"""

from __future__ import annotations

import asyncio
import re
import time

import asyncpg
import pytest
import socketio

from tests.harness import Client
from tests.scaleout.faults import (
    drain_events,
    make_users,
    open_chat,
    open_many,
    present_on,
    wait_until,
)

pytestmark = [
    pytest.mark.scaleout,
    pytest.mark.timeout(120),  # the shared cluster's start (setup) counts too
]


def ids(users: list[dict]) -> set:
    return {u["id"] if u["id"] is not None else u["name"] for u in users}


async def stored_messages(database_url: str, slug: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        rows = await conn.fetch(
            "SELECT m.id, m.client_id FROM chat_messages m JOIN chat_rooms r ON r.id = m.room_id"
            " WHERE r.slug = $1",
            slug,
        )
    finally:
        await conn.close()
    return [(row["id"], row["client_id"]) for row in rows]


async def gone_within(client: Client, members: set, timeout: float) -> dict:
    """Wait for a `left` of each member; returns member -> arrival (monotonic)."""
    seen: dict = {}
    deadline = time.monotonic() + timeout
    while not members <= set(seen):
        event = await client.wait("presence", timeout=max(0.01, deadline - time.monotonic()))
        key = event["user"]["id"] if event["user"]["id"] is not None else event["user"]["name"]
        if event["action"] == "left" and key in members:
            seen.setdefault(key, time.monotonic())
    return seen


async def test_kill_9_during_chat_traffic(faults, fault_db):
    c = faults.nodes[2]
    try:
        await _kill_9_during_chat_traffic(faults, fault_db)
    finally:
        await faults.respawn(c)


async def _kill_9_during_chat_traffic(cluster, fault_db):
    a, b, c = cluster.nodes
    users = await make_users(fault_db, 7)
    (w1, w1_token), (w2, w2_token) = users[0], users[1]
    senders = users[2:5]  # two on the victim, one on a survivor
    (g1, g1_token), (g2, g2_token) = users[5], users[6]
    slug = await cluster.room(w1_token)
    watchers = [await open_chat(a.url, w1_token, slug), await open_chat(b.url, w2_token, slug)]
    for token in (g1_token, g2_token):  # users whose only socket is on the victim
        await open_chat(c.url, token, slug)
    guest = await open_chat(c.url, None)
    ack = await guest.call("join", {"room": slug})
    guest_brief = next(u for u in ack["data"]["present"] if u["id"] is None)
    assert guest_brief == {"id": None, "name": guest_brief["name"], "is_staff": False}
    for watcher in watchers:  # a guest is announced like a user
        assert await wait_until(lambda w=watcher: _saw(w, "joined", guest_brief["name"]), timeout=5)

    acked: set[str] = set()
    killed = asyncio.Event()

    async def send(name: str, token: str, url: str) -> None:
        client = await open_chat(url, token, slug)
        unacked: list[str] = []
        i = 0
        while not killed.is_set() or time.monotonic() < killed_at + 4:
            cid = f"{name}-{i}"
            i += 1
            payload = {"room": slug, "body": cid, "client_id": cid}
            try:
                reply = await client.call("message", payload, timeout=2)
                assert reply["ok"] is True, reply
                acked.add(cid)
                continue
            except (TimeoutError, socketio.exceptions.SocketIOError):
                unacked.append(cid)
            if client.sio.connected:
                continue
            # The node died: back on a survivor, retry what was not acked, same client_id.
            await client.close()
            client = await open_chat(a.url, token, slug)
            for cid in unacked:
                payload = {"room": slug, "body": cid, "client_id": cid}
                reply = await client.call("message", payload, timeout=5)
                assert reply["ok"] is True and reply["data"]["client_id"] == cid
                acked.add(cid)
            unacked.clear()
        await client.close()

    killed_at = 0.0
    tasks = [
        asyncio.create_task(send("s0", senders[0][1], c.url)),
        asyncio.create_task(send("s1", senders[1][1], c.url)),
        asyncio.create_task(send("s2", senders[2][1], b.url)),
    ]
    await wait_until(lambda: len(acked) >= 60, timeout=15)
    c.kill()
    killed_at = time.monotonic()
    killed.set()

    # Ghosts (users and the guest whose only socket was on c) leave everywhere, < 10 s.
    ghost_keys = {g1["id"], g2["id"], guest_brief["name"]}
    arrivals = await gone_within(watchers[0], ghost_keys, timeout=10)
    cleanup = max(arrivals.values()) - killed_at
    await gone_within(watchers[1], ghost_keys, timeout=2)
    await asyncio.gather(*tasks)

    # Every stored message reached every member connected throughout, once per id at least.
    stored = await stored_messages(fault_db, slug)
    assert len(stored) == len({cid for _, cid in stored})  # retries stored nothing twice
    assert acked <= {cid for _, cid in stored}
    stored_ids = {mid for mid, _ in stored}
    received: list[set[int]] = [set(), set()]

    async def delivered() -> bool:
        for watcher, got in zip(watchers, received, strict=True):
            got.update(m["id"] for m in drain_events(watcher, "message"))
        return all(stored_ids <= got for got in received)

    assert await wait_until(delivered, timeout=10), [stored_ids - got for got in received]

    # The senders closed their sockets at the end: only the watchers are left.
    async def exact() -> bool:
        return ids(await present_on(b.url, w2_token, slug)) == {w1["id"], w2["id"]}

    assert await wait_until(exact, timeout=5)
    print(f"ghost cleanup after kill -9: {cleanup:.2f} s; {len(stored)} messages")


def _saw(client: Client, action: str, key) -> bool:
    """True once `client` has received presence `action` for `key` (id, or a guest's name)."""
    seen = client.__dict__.setdefault("_presence_seen", set())
    for event in drain_events(client, "presence"):
        user = event["user"]
        seen.add((event["action"], user["id"] if user["id"] is not None else user["name"]))
    return (action, key) in seen


ROOMS = 10  # the sockets are spread over rooms: one room of 500 costs O(n^2) presence events


async def spread(cluster, url, users, observer_token, watch_url):
    """Two sockets per user on `url`, the users spread over ROOMS fresh rooms, and a watcher
    joined to every room on `watch_url`; returns (watcher, {slug: user ids}, clients)."""
    slugs = [await cluster.room(observer_token) for _ in range(ROOMS)]
    watch = await open_chat(watch_url, observer_token)
    for slug in slugs:
        assert (await watch.call("join", {"room": slug}))["ok"] is True
    by_room = {slug: users[i::ROOMS] for i, slug in enumerate(slugs)}
    clients = []
    for slug, members in by_room.items():
        clients += await open_many(url, [t for _, t in members for _ in range(2)], slug)
    return watch, {slug: {u["id"] for u, _ in m} for slug, m in by_room.items()}, clients


async def collect_all(client: Client, action: str, by_room: dict, timeout: float) -> int:
    """Wait for `action` of every (room, user) in `by_room`; returns how many arrived."""
    wanted = {(slug, uid) for slug, uids in by_room.items() for uid in uids}
    got: list = []
    deadline = time.monotonic() + timeout
    while not wanted <= set(got):
        event = await client.wait("presence", timeout=max(0.01, deadline - time.monotonic()))
        if event["action"] == action:
            got.append((event["room"], event["user"]["id"]))
    assert len(got) == len(set(got)), "a presence event came twice"
    return len(got)


async def test_500_sockets_disconnecting_at_once_leave_presence_exact(faults, fault_db):
    cluster = faults
    a, b, c = cluster.nodes
    users = await make_users(fault_db, 252)
    (observer, observer_token), (stayer, stayer_token) = users[0], users[1]
    watch, by_room, clients = await spread(cluster, a.url, users[2:], observer_token, b.url)
    for slug in by_room:
        await open_chat(c.url, stayer_token, slug)
    await collect_all(watch, "joined", by_room, timeout=20)
    drain_events(watch, "presence")  # the stayer's arrivals

    started = time.monotonic()
    await asyncio.gather(*(client.close() for client in clients))
    assert await collect_all(watch, "left", by_room, timeout=15) == 250
    took = time.monotonic() - started
    assert await watch.nothing("presence", within=0.5)
    expected = {observer["id"], stayer["id"]}
    for slug in by_room:
        for node in cluster.nodes:
            assert ids(await present_on(node.url, observer_token, slug)) == expected
    print(f"500 sockets closed: 250 `left` in {took:.2f} s")


async def test_sigterm_of_a_node_with_300_joined_sockets(faults, fault_db):
    c = faults.nodes[2]
    try:
        await _sigterm_of_a_node_with_300_joined_sockets(faults, fault_db)
    finally:
        await faults.respawn(c)


async def _sigterm_of_a_node_with_300_joined_sockets(cluster, fault_db):
    a, b, c = cluster.nodes
    users = await make_users(fault_db, 152)
    (observer, observer_token), (stayer, stayer_token) = users[0], users[1]
    watch, by_room, _ = await spread(cluster, c.url, users[2:], observer_token, a.url)
    for slug in by_room:
        await open_chat(b.url, stayer_token, slug)
    await collect_all(watch, "joined", by_room, timeout=20)
    drain_events(watch, "presence")

    started = time.monotonic()
    c.terminate()
    assert await collect_all(watch, "left", by_room, timeout=15) == 150
    assert await c.exited(timeout=15) is not None
    stopped = time.monotonic() - started
    assert await watch.nothing("presence", within=0.5)
    expected = {observer["id"], stayer["id"]}
    for slug in by_room:
        for node in (a, b):
            assert ids(await present_on(node.url, observer_token, slug)) == expected
    log = c.output()
    drained = re.search(r"drained (\d+) handlers in ([\d.]+) s \((\d+) running", log)
    assert drained, log[-3000:]
    assert "pool is closing" not in log and "Traceback" not in log, log[-3000:]
    assert int(drained.group(1)) >= 300  # at least the 300 disconnect handlers
    print(f"SIGTERM: {drained.group(0)}; process gone after {stopped:.2f} s")
