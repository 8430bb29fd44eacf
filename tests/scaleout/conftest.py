"""One two-node cluster for every scale-out test: two server processes on one PostgreSQL
database and one Redis (a private key prefix), started once per test session."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.harness import (
    REDIS_URL,
    SECRET,
    NodeProcess,
    create_pg_database,
    create_schema,
    drop_pg_database,
    require,
)


class Cluster(tuple):
    """`a, b = cluster`; also carries the environment and database the nodes share."""

    env: dict[str, str]
    database_url: str


@pytest.fixture(scope="session")
async def cluster():
    await require("postgres")
    await require("redis")
    name, url = await create_pg_database()
    create_schema(url)  # no demo seeds: what the nodes need must come from their start-up
    env = {
        "ROOMCAST_ENV": "test",
        "ROOMCAST_JWT_SECRET": SECRET,
        "ROOMCAST_DATABASE_URL": url,
        "ROOMCAST_REDIS_URL": REDIS_URL,
        "ROOMCAST_REDIS_PREFIX": f"rcnodes-{uuid.uuid4().hex[:8]}",
        "ROOMCAST_RATE_LIMITS": "off",
    }
    nodes = Cluster((NodeProcess(env), NodeProcess(env)))
    nodes.env, nodes.database_url = env, url
    try:
        for node in nodes:
            await node.wait_ready(timeout=60)  # two cores shared by many processes
        yield nodes
    finally:
        for node in nodes:
            node.stop()
        await drop_pg_database(name)


async def register(url: str, **fields: str) -> dict:
    """A new user registered over REST on one node; returns the login body."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        email = f"node-{uuid.uuid4().hex[:8]}@example.com"
        body = {"email": email, "password": "long enough pw", **fields}
        r = await http.post("/api/v1/auth/register", json=body)
        assert r.status_code == 201, r.text
        return r.json()
