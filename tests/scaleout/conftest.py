"""One two-node cluster for every scale-out test: two server processes on one PostgreSQL
database and one Redis (a private key prefix), started once per test session."""

from __future__ import annotations

import shutil
import uuid

import httpx
import pytest

from tests.harness import (
    ON_CI,
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


@pytest.fixture(scope="session")
async def fault_db():
    """A PostgreSQL database of its own for the fault tests (schema only)."""
    await require("postgres")
    name, url = await create_pg_database()
    create_schema(url)
    try:
        yield url
    finally:
        await drop_pg_database(name)


@pytest.fixture(scope="session")
async def faults(fault_db):
    """Three nodes on a private redis-server, shared by the fault tests: each test uses fresh
    users and rooms, and puts back what it broke (`respawn` a node, restart Redis)."""
    if shutil.which("redis-server") is None:
        if ON_CI:
            pytest.fail("redis-server is not installed (CI=true: a missing service is a failure)")
        pytest.skip("redis-server is not installed")
    from tests.scaleout.faults import FaultCluster

    async with FaultCluster(fault_db) as cluster:
        yield cluster


async def register(url: str, **fields: str) -> dict:
    """A new user registered over REST on one node; returns the login body."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        email = f"node-{uuid.uuid4().hex[:8]}@example.com"
        body = {"email": email, "password": "long enough pw", **fields}
        r = await http.post("/api/v1/auth/register", json=body)
        assert r.status_code == 201, r.text
        return r.json()
