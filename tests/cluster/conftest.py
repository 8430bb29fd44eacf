"""A real cluster for the nginx tests: `roomcast cluster 2` (two nodes, one PostgreSQL
database of its own, the shared Redis under a private prefix) behind Debian's nginx on a
non-default port, started once per session with the demo data.

Without nginx the tests skip (saying how to install it); with CI=true a missing nginx is a
failure. The system nginx that Debian's package may start on port 80 is never used.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server.cluster_nginx import ClusterError, find_nginx
from tests.frontend.conftest import node_modules  # noqa: F401  (the fixture, re-exported)
from tests.harness import (
    ON_CI,
    REDIS_URL,
    SECRET,
    create_pg_database,
    drop_pg_database,
    free_port,
    require,
)

START_TIMEOUT = 150  # two nodes and nginx on a loaded two-core machine
LISTENING = re.compile(r"^listening on (http://\S+)", re.M)
NODE_LINE = re.compile(r"^node (\d+): (http://\S+) \(pid (\d+)", re.M)


def nginx_or_skip() -> str:
    try:
        return find_nginx()
    except ClusterError as exc:
        if ON_CI:
            pytest.fail(f"{exc} (CI=true: a missing nginx is a failure)")
        pytest.skip(str(exc))


def cluster_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "ROOMCAST_ENV": "test",
        "ROOMCAST_JWT_SECRET": SECRET,
        "ROOMCAST_DATABASE_URL": database_url,
        "ROOMCAST_REDIS_URL": REDIS_URL,
        "ROOMCAST_REDIS_PREFIX": f"rcnginx-{uuid.uuid4().hex[:8]}",
        "ROOMCAST_RATE_LIMITS": "off",  # every test client has the same address
        "ROOMCAST_LOG_LEVEL": "WARNING",
        **extra,
    }
    env.pop("ROOMCAST_TRUSTED_PROXIES", None)
    return env


@dataclass
class RunningCluster:
    """A `roomcast cluster` process and what it printed."""

    proc: subprocess.Popen
    state_dir: Path
    output: list[str] = field(default_factory=list)
    url: str = ""
    nodes: list[str] = field(default_factory=list)
    node_pids: list[int] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def text(self) -> str:
        return "".join(self.output)

    async def read_until_listening(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        loop = asyncio.get_running_loop()
        while not LISTENING.search(self.text()):
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"roomcast cluster did not start within {timeout} s:\n{self.text()}")
            line = await asyncio.wait_for(
                loop.run_in_executor(None, self.proc.stdout.readline), left
            )
            if not line:
                self.proc.wait(10)
                pytest.fail(f"roomcast cluster exited with {self.proc.returncode}:\n{self.text()}")
            self.output.append(line)
        text = self.text()
        self.url = LISTENING.search(text).group(1)
        found = NODE_LINE.findall(text)
        self.nodes = [url for _, url, _ in found]
        self.node_pids = [int(pid) for _, _, pid in found]

    async def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then the rest of its output; the exit code (killed after `timeout`)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()
        try:
            rest = await asyncio.wait_for(
                loop.run_in_executor(None, self.proc.stdout.read), timeout
            )
            self.output.append(rest)
            return await asyncio.wait_for(loop.run_in_executor(None, self.proc.wait), 10)
        except TimeoutError:
            self.proc.kill()
            self.proc.wait(10)
            pytest.fail(f"roomcast cluster did not stop within {timeout} s:\n{self.text()}")


def start_cluster(env: dict[str, str], state_dir: Path, *args: str) -> RunningCluster:
    command = [sys.executable, "-m", "server.cli", "cluster", *args]
    command += ["--port", str(free_port()), "--base-port", "0", "--state-dir", str(state_dir)]
    proc = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return RunningCluster(proc=proc, state_dir=state_dir)


@pytest.fixture(scope="session")
async def pg_database():
    await require("postgres")
    await require("redis")
    name, url = await create_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(name)


@pytest.fixture(scope="session")
async def nginx_cluster(pg_database, tmp_path_factory):
    """`roomcast cluster 2 --demo` behind nginx on a free, non-default port."""
    nginx_or_skip()
    running = start_cluster(
        cluster_env(pg_database), tmp_path_factory.mktemp("nginx-cluster"), "2", "--demo"
    )
    try:
        await running.read_until_listening()
        assert len(running.nodes) == 2, running.text()
        yield running
    finally:
        with contextlib.suppress(BaseException):
            await running.stop()
