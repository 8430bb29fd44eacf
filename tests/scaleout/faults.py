"""Plumbing for fault tests: a cluster of three nodes on a private redis-server,
users made in bulk, many cheap sockets.

Never touches the shared Redis: every fault test starts its own `redis-server` on a free port
(`--save "" --appendonly no`, so a restart comes back empty, as a crashed cache would).
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx

from server import auth
from tests.harness import SECRET, Client, NodeProcess
from tests.redis_server import RedisServer


async def make_users(database_url: str, count: int) -> list[tuple[dict, str]]:
    """`count` users with a login each, straight into the database (no slow password hash);
    returns (brief, access token) pairs."""
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        rows = await conn.fetch(
            "INSERT INTO users (email, password_hash, first_name, last_name, mobile, is_staff,"
            " is_active, created_at) SELECT 'f-' || $1 || '-' || g || '@example.com', '!',"
            " 'F' || $1 || g, '', '', false, true, $2 FROM generate_series(1, $3) AS g"
            " RETURNING id, first_name",
            tag,
            now,
            count,
        )
        logins = [(uuid.uuid4().hex, row["id"]) for row in rows]
        await conn.executemany(
            "INSERT INTO logins (id, user_id, kind, created_at) VALUES ($1, $2, 'password', $3)",
            [(lid, uid, now) for lid, uid in logins],
        )
    finally:
        await conn.close()
    out = []
    for row, (login_id, user_id) in zip(rows, logins, strict=True):
        token, _ = auth.issue(
            SECRET, user_id=user_id, kind=auth.ACCESS, login_id=login_id, ttl=3600
        )
        out.append(({"id": user_id, "name": row["first_name"], "is_staff": False}, token))
    return out


async def open_chat(url: str, token: str | None, room: str | None = None) -> Client:
    """A /chat socket (a guest without a token), joined to `room` if given."""
    client = Client("/chat")
    await client.connect(url, auth={"token": token} if token else None)
    if room is not None:
        ack = await client.call("join", {"room": room}, timeout=20)
        assert ack["ok"] is True, ack
    return client


async def open_many(url: str, tokens: list[str], room: str, batch: int = 100) -> list[Client]:
    clients: list[Client] = []
    for i in range(0, len(tokens), batch):
        clients += await asyncio.gather(*(open_chat(url, t, room) for t in tokens[i : i + batch]))
    return clients


async def present_on(url: str, token: str, room: str) -> list[dict]:
    """The room's `present` list as a fresh socket on `url` sees it (the socket then leaves)."""
    client = await open_chat(url, token)
    try:
        ack = await client.call("join", {"room": room}, timeout=10)
        return [u for u in ack["data"]["present"]]
    finally:
        await client.close()


def drain_events(client: Client, event: str) -> list:
    queue = client.events[event]
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


async def wait_until(predicate, timeout: float, step: float = 0.05) -> bool:
    """Poll `predicate` (sync or async) until true, at most `timeout` seconds; for states that
    no event announces (what the database holds, a `present` list)."""

    async def check() -> bool:
        result = predicate()
        return bool(await result) if inspect.isawaitable(result) else bool(result)

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(step)
    return await check()


class FaultCluster:
    """Own redis-server + three nodes on one PostgreSQL database (the fixture's)."""

    def __init__(self, database_url: str, **extra_env: str) -> None:
        self.database_url = database_url
        self.redis = RedisServer()
        self.env = {
            "ROOMCAST_ENV": "test",
            "ROOMCAST_JWT_SECRET": SECRET,
            "ROOMCAST_DATABASE_URL": database_url,
            "ROOMCAST_REDIS_URL": self.redis.url,
            "ROOMCAST_REDIS_PREFIX": f"rcfault-{uuid.uuid4().hex[:8]}",
            "ROOMCAST_RATE_LIMITS": "off",
            **extra_env,
        }
        self.nodes: list[NodeProcess] = []

    async def __aenter__(self) -> FaultCluster:
        await self.redis.start()
        self.nodes = [self._spawn() for _ in range(3)]
        try:
            await asyncio.gather(*(node.wait_ready() for node in self.nodes))
        except BaseException:
            await self.__aexit__()
            raise
        return self

    def _spawn(self) -> NodeProcess:
        drain = int(self.env.get("ROOMCAST_DRAIN_SECONDS", "10"))
        return NodeProcess(self.env, drain_seconds=drain)

    async def respawn(self, node: NodeProcess) -> NodeProcess:
        """Replace a node (after a test killed or stopped it) by a fresh one."""
        node.stop()
        fresh = self._spawn()
        self.nodes[self.nodes.index(node)] = fresh
        await fresh.wait_ready()
        return fresh

    async def __aexit__(self, *exc) -> None:
        for node in self.nodes:
            node.stop()
        self.redis.stop()

    async def room(self, token: str) -> str:
        """A fresh public room (made over REST on the first node)."""
        slug = f"f-{uuid.uuid4().hex[:10]}"
        async with httpx.AsyncClient(base_url=self.nodes[0].url, timeout=10) as http:
            r = await http.post(
                "/api/v1/chat/rooms",
                json={"slug": slug, "name": slug, "kind": "public"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 201, r.text
        return slug
