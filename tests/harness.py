"""Test plumbing: real servers (in-process and subprocess), real clients, real services."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import weakref
from collections import defaultdict
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
import redis.asyncio as aioredis
import socketio
import uvicorn

from server.asgi import UVICORN_OPTIONS, uvicorn_flags

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "roomcast-test-secret-0123456789abcdef-xyz"
ON_CI = os.environ.get("CI", "").lower() == "true"


async def service_missing(name: str) -> str | None:
    """None when the service answers, else why not."""
    try:
        if name == "postgres":
            conn = await asyncio.wait_for(asyncpg.connect(PG_ADMIN_DSN), 5)
            await conn.close()
        else:
            client = aioredis.Redis.from_url(REDIS_URL)
            await asyncio.wait_for(client.ping(), 5)
            await client.aclose()
    except Exception as exc:
        return f"{name} not reachable: {exc}"
    return None


async def require(name: str) -> None:
    reason = await service_missing(name)
    if reason:
        if ON_CI:
            pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
        pytest.skip(reason)


async def create_pg_database() -> tuple[str, str]:
    name = f"roomcast_t_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, f"postgres://postgres@127.0.0.1:5432/{name}"


async def drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class InProcessServer:
    """uvicorn on port 0 in the test's own event loop, serving the real ASGI app."""

    def __init__(self, asgi) -> None:
        self.asgi = asgi
        self.runtime = asgi.runtime
        self.settings = asgi.runtime.settings
        self.server = uvicorn.Server(
            uvicorn.Config(
                asgi,
                host="127.0.0.1",
                port=0,
                log_level="warning",
                lifespan="on",
                timeout_graceful_shutdown=2,
                ws_max_size=self.settings.max_socket_message_bytes + 65536,
                **UVICORN_OPTIONS,  # the options `roomcast serve` runs with
            )
        )
        self.task: asyncio.Task | None = None
        self.url = ""

    async def start(self) -> None:
        # CPython 3.11.7 can fail Sanic's start-up (it compiles its router) with "SystemError:
        # AST constructor recursion depth mismatch" (seen twice in CI), presumably when a garbage
        # collection runs Python finalizers during the AST conversion, deep in this suite's
        # stack (not proven).
        # No collection during the start-up: a few hundred milliseconds.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.task = asyncio.create_task(self.server.serve())
            deadline = time.monotonic() + 15
            while not self.server.started:
                if self.task.done() or time.monotonic() > deadline:
                    raise RuntimeError("test server did not start")
                await asyncio.sleep(0.02)
        finally:
            if collecting:
                gc.enable()
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self.task), 10)
        except TimeoutError:
            self.server.force_exit = True
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task


class NodeProcess:
    """A server node in its own process (scale-out and CLI tests)."""

    live: weakref.WeakSet[NodeProcess] = weakref.WeakSet()  # for failure reports (conftest)

    def __init__(self, env: dict[str, str], *, drain_seconds: int = 10) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, **env}
        # Output goes to a file, not a pipe: a pipe nobody drains fills up (64 KiB) and then
        # blocks the node's event loop on its next log line.
        self._logfile = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the node
            prefix=f"roomcast-node-{self.port}-", suffix=".log"
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "server.asgi:create",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                *uvicorn_flags(drain_seconds),  # as `roomcast serve` runs it
            ],
            env=full_env,
            stdout=self._logfile,
            stderr=subprocess.STDOUT,
        )
        NodeProcess.live.add(self)

    def errors(self, most: int = 3000) -> str:
        """The node's ERROR lines and tracebacks (the end of them), for a failure report."""
        keep: list[str] = []
        inside = False
        for line in self.output().splitlines():
            if " ERROR " in line or line.startswith("Traceback"):
                inside = True
            elif inside and not line.startswith((" ", "\t")) and "Error" not in line[:80]:
                inside = False
            if inside:
                keep.append(line)
        return "\n".join(keep)[-most:]

    def output(self) -> str:
        """Everything the node printed so far (for assertions and failure messages)."""
        with open(self._logfile.name, "rb") as f:
            return f.read().decode(errors="replace")

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"node exited early:\n{self.output()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(self.url + "/health")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"node did not become ready in {timeout} s:\n{self.output()[-4000:]}")

    def kill(self) -> None:
        """`kill -9`."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> None:
        """SIGTERM, without waiting (see `exited`)."""
        self.proc.send_signal(signal.SIGTERM)

    async def exited(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise TimeoutError("node did not exit")
            await asyncio.sleep(0.05)
        return self.proc.returncode

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


SCHEMA_SCRIPT = (
    "import asyncio, sys\n"
    "from tortoise import Tortoise\n"
    "from server.db import open_database, close_database\n"
    "async def main():\n"
    "    await open_database(sys.argv[1])\n"
    "    await Tortoise.generate_schemas()\n"
    "    await close_database()\n"
    "asyncio.run(main())\n"
)


@contextlib.asynccontextmanager
async def file_lock(path: str | os.PathLike, timeout: float = 600):
    """An exclusive flock on `path`, held across processes (pytest-xdist workers installing
    the same node_modules); waited for without blocking the event loop."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path} stayed locked for {timeout} s") from None
                await asyncio.sleep(0.2)
        yield
    finally:
        os.close(fd)  # releases the lock


_sqlite_template: list[str] = []


def create_schema(database_url: str) -> None:
    """Create the tables in another process (this one may hold a Tortoise context already).

    A SQLite database is a copy of one template made once per test process: a Python
    process that imports the models costs seconds on a loaded two-core machine."""
    if not database_url.startswith("sqlite://") or database_url.startswith("sqlite://:memory:"):
        subprocess.run([sys.executable, "-c", SCHEMA_SCRIPT, database_url], check=True, timeout=60)
        return
    if not _sqlite_template:
        template = os.path.join(tempfile.mkdtemp(prefix="roomcast-schema-"), "template.sqlite3")
        subprocess.run(
            [sys.executable, "-c", SCHEMA_SCRIPT, f"sqlite://{template}"], check=True, timeout=60
        )
        _sqlite_template.append(template)
    shutil.copyfile(_sqlite_template[0], database_url.removeprefix("sqlite://"))


class Client:
    """A real socketio.AsyncClient on one namespace that queues every event it receives."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, asyncio.Queue] = defaultdict(asyncio.Queue)
        self.disconnected = asyncio.Event()
        self.connect_error: Any = None
        self.positions: list[dict] = []

        async def any_event(event, *args):
            if args and isinstance(args[0], dict) and "_stream" in args[0]:
                # The reserved stream position (docs/recovery.md): kept aside, so that tests
                # compare the PROTOCOL payload; tests/recovery/ reads positions directly.
                self.positions.append(args[0].pop("_stream"))
            self.events[event].put_nowait(args[0] if len(args) == 1 else args)

        async def on_connect_error(data):
            self.connect_error = data

        async def on_disconnect(*args):
            self.disconnected.set()

        self.sio.on("*", any_event, namespace=namespace)
        self.sio.on("connect_error", on_connect_error, namespace=namespace)
        self.sio.on("disconnect", on_disconnect, namespace=namespace)

    async def connect(self, url: str, *, transports=("websocket",), **kwargs) -> None:
        await self.sio.connect(
            url, namespaces=[self.namespace], transports=list(transports), wait_timeout=5, **kwargs
        )

    async def wait(self, event: str, timeout: float = 5) -> Any:
        return await asyncio.wait_for(self.events[event].get(), timeout)

    def none_yet(self, event: str) -> bool:
        """True when no `event` has arrived so far.

        The exact absence check: first wait for a later event that must arrive on the same
        path (`await tab.wait("record_created")` for a change made after the one that must
        not be seen); one socket's deliveries keep their order, so a wrong `event` sent before
        it would be queued by then. A time window (`nothing`) lets a late wrong one pass."""
        return self.events[event].empty()

    async def nothing(self, event: str, within: float = 0.5) -> bool:
        """True when no `event` arrives within the bounded window (prefer `none_yet`)."""
        try:
            await asyncio.wait_for(self.events[event].get(), within)
        except TimeoutError:
            return True
        return False

    async def call(self, event: str, data: Any = None, timeout: float = 5) -> Any:
        return await self.sio.call(event, data, namespace=self.namespace, timeout=timeout)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data, namespace=self.namespace)

    async def wait_disconnected(self, timeout: float = 5) -> None:
        await asyncio.wait_for(self.disconnected.wait(), timeout)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.disconnect(), 2)


async def refusal(url: str, namespace: str, **kwargs) -> dict:
    """Connect expecting a refusal; return the connect_error data {code, reason, message}."""
    client = Client(namespace)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(url, **kwargs)
    finally:
        await client.close()
    error = client.connect_error
    assert isinstance(error, dict), f"no connect_error data: {error!r}"
    return error.get("data", error)


def login_id_of(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["lid"]
