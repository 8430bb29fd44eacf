"""Two server processes on one PostgreSQL and one Redis: revocation and ws-tokens span nodes."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.harness import (
    REDIS_URL,
    SECRET,
    Client,
    NodeProcess,
    create_pg_database,
    create_schema,
    drop_pg_database,
    refusal,
    require,
)

pytestmark = pytest.mark.scaleout


@pytest.fixture(scope="module")
async def cluster():
    await require("postgres")
    await require("redis")
    name, url = await create_pg_database()
    create_schema(url)
    env = {
        "ROOMCAST_ENV": "test",
        "ROOMCAST_JWT_SECRET": SECRET,
        "ROOMCAST_DATABASE_URL": url,
        "ROOMCAST_REDIS_URL": REDIS_URL,
        "ROOMCAST_REDIS_PREFIX": f"rcnodes-{uuid.uuid4().hex[:8]}",
        "ROOMCAST_RATE_LIMITS": "off",
    }
    nodes = [NodeProcess(env), NodeProcess(env)]
    try:
        for node in nodes:
            await node.wait_ready()
        yield nodes
    finally:
        for node in nodes:
            node.stop()
        await drop_pg_database(name)


async def register(url: str) -> dict:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        email = f"node-{uuid.uuid4().hex[:8]}@example.com"
        r = await http.post(
            "/api/v1/auth/register", json={"email": email, "password": "long enough pw"}
        )
        assert r.status_code == 201, r.text
        return r.json()


async def test_logout_on_one_node_disconnects_sockets_on_the_other(cluster):
    a, b = cluster
    login = await register(a.url)
    on_b = Client("/alerts")
    try:
        await on_b.connect(b.url, auth={"token": login["access_token"]})
        await on_b.wait("connection_established")
        async with httpx.AsyncClient(base_url=a.url) as http:
            r = await http.post(
                "/api/v1/auth/logout",
                headers={"Authorization": f"Bearer {login['access_token']}"},
            )
            assert r.status_code == 204
        await on_b.wait_disconnected(timeout=5)
    finally:
        await on_b.close()


async def test_ws_token_spent_on_one_node_is_refused_on_the_other(cluster):
    a, b = cluster
    login = await register(a.url)
    async with httpx.AsyncClient(base_url=a.url) as http:
        r = await http.post(
            "/api/v1/auth/ws-token", headers={"Authorization": f"Bearer {login['access_token']}"}
        )
    ws_token = r.json()["ws_token"]
    first = Client("/chat")
    try:
        await first.connect(b.url, auth={"token": ws_token})
        assert (await first.wait("connection_established"))["user_id"] == login["user"]["id"]
        data = await refusal(a.url, "/chat", auth={"token": ws_token})
        assert (data["code"], data["reason"]) == (4001, "token_revoked")
    finally:
        await first.close()
