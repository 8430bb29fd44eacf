"""A Roomcast server subprocess for the JS client and browser tests, plus Node plumbing.

The JS suites run once, on the embedded default (SQLite + in-memory manager): they test the
client library, not the backends. Tokens are short-lived here (ws-token 4 s, access token
6 s) so that the client's token_expiring / refresh handling runs in every test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import base_env
from tests.harness import ON_CI, NodeProcess, file_lock

CLIENT_DIR = Path(__file__).resolve().parents[2] / "frontend_client"
NPM_CI_TIMEOUT = 300
# One process creates the tables and the demo data (admin, alice, bob): one import, not two.
PREPARE_SCRIPT = (
    "import asyncio, sys\n"
    "from tortoise import Tortoise\n"
    "from server.db import open_database, close_database\n"
    "from server.demo import seed_demo\n"
    "async def main():\n"
    "    await open_database(sys.argv[1])\n"
    "    await Tortoise.generate_schemas()\n"
    "    await seed_demo()\n"
    "    await close_database()\n"
    "asyncio.run(main())\n"
)


async def run(
    *command: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float
) -> tuple[int, str]:
    """Run a command to completion within `timeout`; (exit code, stdout + stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        out, _ = await proc.communicate()
        text = out.decode(errors="replace")
        pytest.fail(f"{' '.join(command)} did not finish within {timeout} s:\n{text}")
    return proc.returncode, out.decode(errors="replace")


CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


async def run_in_chromium(server: JsServer, script: str, timeout: float) -> tuple[int, str]:
    """Run a playwright-core script of frontend_client/testing/ against `server` in Debian's
    chromium, headless, screenshots into tests/artifacts/; (exit code, output)."""
    env = {**node_env(server), "CHROMIUM_PATH": str(CHROMIUM), "ROOMCAST_ARTIFACTS": str(ARTIFACTS)}
    env.pop("DISPLAY", None)  # headless only
    return await run("node", f"testing/{script}", cwd=CLIENT_DIR, env=env, timeout=timeout)


@dataclass
class JsServer:
    url: str
    env: dict[str, str]


def node_env(server: JsServer) -> dict[str, str]:
    """What the Node suites read: where the server is and the demo staff account."""
    return {
        **os.environ,
        "ROOMCAST_URL": server.url,
        "ROOMCAST_STAFF_EMAIL": "admin@example.com",
        "ROOMCAST_STAFF_PASSWORD": "admin-password",
        "ROOMCAST_SHORT_TOKENS": "1",
    }


@pytest.fixture(scope="session")
async def node_modules() -> Path:
    """frontend_client/node_modules, installed from the lockfile when missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        reason = "node and npm are needed for the JS client tests"
        if ON_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    modules = CLIENT_DIR / "node_modules"
    wanted = ("socket.io-client", "playwright-core", "chart.js", "swagger-ui-dist")
    async with file_lock(CLIENT_DIR / ".npm-ci.lock"):
        await _install(modules, wanted)
    return modules


async def _install(modules: Path, wanted: tuple[str, ...]) -> None:
    if not all((modules / name).is_dir() for name in wanted):
        # No install scripts: none of these needs one (swagger-ui-dist's only phones home).
        code, out = await run(
            "npm",
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            cwd=CLIENT_DIR,
            timeout=NPM_CI_TIMEOUT,
        )
        if code != 0:
            pytest.fail(f"npm ci failed:\n{out}")


@pytest.fixture(scope="session")
async def js_server():
    """One server for both JS suites (the library's and the browser's)."""
    tmpdir = tempfile.mkdtemp(prefix="roomcast-js-")
    env = base_env(
        ROOMCAST_DATA_DIR=tmpdir,
        ROOMCAST_DATABASE_URL=f"sqlite://{os.path.join(tmpdir, 'js.sqlite3')}",
        ROOMCAST_WS_TOKEN_TTL="4",
        ROOMCAST_ACCESS_TOKEN_TTL="6",
        ROOMCAST_LOG_LEVEL="WARNING",  # nobody reads the pipe: keep it quiet
    )
    env.pop("ROOMCAST_REDIS_URL", None)
    code, out = await run(
        sys.executable,
        "-c",
        PREPARE_SCRIPT,
        env["ROOMCAST_DATABASE_URL"],
        env={**os.environ, **env},
        timeout=60,
    )
    assert code == 0, f"could not prepare the database:\n{out}"
    node = NodeProcess(env)
    try:
        await node.wait_ready()
        yield JsServer(url=node.url, env=env)
    finally:
        node.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)
