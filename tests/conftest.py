"""Fixtures: a real Roomcast server per backend, real HTTP and Socket.IO clients.

The `server` fixture is parametrized: every test that uses it runs on
  - "sqlite-memory": SQLite file + python-socketio's in-memory manager (the embedded default);
  - "postgres-redis": PostgreSQL + the Redis manager (the scale-out configuration).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from itertools import count

import httpx
import pytest
from tortoise import Tortoise

from models.users import User
from server.app import create_asgi
from server.db import close_database, open_database
from server.settings import load_settings
from tests.harness import (
    REDIS_URL,
    SECRET,
    Client,
    InProcessServer,
    create_pg_database,
    drop_pg_database,
    require,
)

BACKENDS = ["sqlite-memory", "postgres-redis"]
_emails = count(1)


def base_env(**extra: str) -> dict[str, str]:
    return {
        "ROOMCAST_ENV": "test",
        "ROOMCAST_JWT_SECRET": SECRET,
        "ROOMCAST_RATE_LIMITS": "off",
        "ROOMCAST_REDIS_PREFIX": f"rctest-{uuid.uuid4().hex[:8]}",
        **extra,
    }


@pytest.fixture(scope="session", params=BACKENDS)
async def server(request):
    backend = request.param
    pg_name = None
    tmpdir = tempfile.mkdtemp(prefix="roomcast-test-")
    env = base_env(ROOMCAST_DATA_DIR=tmpdir)
    if backend == "postgres-redis":
        await require("postgres")
        await require("redis")
        pg_name, url = await create_pg_database()
        env.update(ROOMCAST_DATABASE_URL=url, ROOMCAST_REDIS_URL=REDIS_URL)
    else:
        env["ROOMCAST_DATABASE_URL"] = f"sqlite://{os.path.join(tmpdir, 'test.sqlite3')}"
    settings = load_settings(env)
    await open_database(settings.database_url)
    await Tortoise.generate_schemas()
    srv = InProcessServer(create_asgi(settings, manage_database=False))
    srv.backend = backend
    await srv.start()
    # The OpenAPI document as this server published it at start: sanic-ext keeps one
    # specification builder per process, which later in-process apps of the suite rebuild.
    async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
        srv.openapi = (await client.get("/docs/openapi.json")).json()
    try:
        yield srv
    finally:
        await srv.stop()
        await close_database()
        if pg_name:
            await drop_pg_database(pg_name)


@pytest.fixture
async def http(server):
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
async def new_user(http):
    """Register a real user over REST; returns (user dict, access token, full login body)."""

    async def make(*, staff: bool = False, active: bool = True, first_name: str = ""):
        email = f"user{next(_emails)}-{uuid.uuid4().hex[:6]}@example.com"
        body = {"email": email, "password": "correct horse battery", "first_name": first_name}
        r = await http.post("/api/v1/auth/register", json=body)
        assert r.status_code == 201, r.text
        http.cookies.clear()  # each test decides whether it sends cookies
        data = r.json()
        if staff or not active:
            await User.filter(id=data["user"]["id"]).update(is_staff=staff, is_active=active)
            data["user"].update(is_staff=staff, is_active=active)
        return data["user"], data["access_token"], data

    return make


@pytest.fixture
async def sio_client(server):
    """Connect a real Socket.IO client; closes them all at teardown."""
    clients: list[Client] = []

    async def connect(namespace: str, token: str | None = None, *, greet: bool = True, **kw):
        client = Client(namespace)
        clients.append(client)
        if token is not None:
            kw.setdefault("auth", {"token": token})
        await client.connect(server.url, **kw)
        if greet:
            client.greeting = await client.wait("connection_established")
        return client

    yield connect
    for client in clients:
        await client.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report carries what the node processes alive at that moment logged as
    errors: a server-side `internal_error` is then diagnosable from the CI log alone."""
    from tests.harness import NodeProcess

    report = yield
    if report.failed:
        for node in list(NodeProcess.live):
            with contextlib.suppress(OSError):
                errors = node.errors()
                if errors:
                    report.sections.append((f"node {node.url} errors", errors))
    return report
