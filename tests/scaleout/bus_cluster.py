"""A private Redis (which a test may kill and restart) and three nodes on it, for bus faults."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import httpx

from tests.harness import SECRET, Client, NodeProcess
from tests.redis_server import RedisServer

__all__ = ["RedisServer"]


def node_env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "ROOMCAST_ENV": "test",
        "ROOMCAST_JWT_SECRET": SECRET,
        "ROOMCAST_DATABASE_URL": database_url,
        "ROOMCAST_REDIS_URL": redis_url,
        "ROOMCAST_REDIS_PREFIX": f"rcbus-{uuid.uuid4().hex[:8]}",
        "ROOMCAST_RATE_LIMITS": "off",
    }


async def start_nodes(env: dict[str, str], count: int) -> list[NodeProcess]:
    nodes = [NodeProcess(env) for _ in range(count)]
    for node in nodes:
        await node.wait_ready(timeout=60)
    return nodes


async def wait_status(url: str, path: str, status, timeout: float, check=None) -> dict:
    """Poll `path` every 0.1 s until it answers `status` (None: any) and `check(body)`."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        while True:
            r = await http.get(path)
            if status in (None, r.status_code) and (check is None or check(r.json())):
                return r.json()
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} still {r.status_code}: {r.text}")
            await asyncio.sleep(0.1)


class Member:
    """A registered user with one /chat socket on one node, collecting `message` events."""

    def __init__(self, node: NodeProcess, name: str) -> None:
        self.node, self.name = node, name
        self.client = Client("/chat")
        self.acked: list[int] = []  # ids of this member's acked messages, in ack order
        self.received: list[dict] = []

    async def open(self, room: str, token: str) -> None:
        await self.client.connect(self.node.url, auth={"token": token})
        await self.client.wait("connection_established", timeout=10)
        for _ in range(3):
            joined = await self.client.call("join", {"room": room}, timeout=10)
            # After a CLIENT KILL / restart, each stale pooled connection of the presence
            # store fails once (server/presence.py, outside the bus): a join may be retried.
            if joined["ok"] or joined["error"]["code"] != "internal_error":
                break
        assert joined["ok"] is True, joined

    def drain(self) -> None:
        queue = self.client.events["message"]
        while not queue.empty():
            self.received.append(queue.get_nowait())

    async def wait_for(self, ids: set[int], timeout: float) -> None:
        """Until every id in `ids` was received (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            self.drain()
            missing = ids - {m["id"] for m in self.received}
            if not missing:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name} never got {len(missing)} message(s)")
            with contextlib.suppress(TimeoutError):
                got = await self.client.wait("message", timeout=min(left, 1.0))
                self.received.append(got)


async def register(url: str, name: str, *, with_id: bool = False):
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        body = {
            "email": f"bus-{uuid.uuid4().hex[:8]}@example.com",
            "password": "long enough pw",
            "first_name": name,
        }
        r = await http.post("/api/v1/auth/register", json=body)
        assert r.status_code == 201, r.text
        login = r.json()
    return (login["access_token"], login["user"]["id"]) if with_id else login["access_token"]


async def create_room(url: str, token: str) -> str:
    slug = f"bus-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        r = await http.post(
            "/api/v1/chat/rooms",
            json={"slug": slug, "name": slug, "kind": "public"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
    return slug
