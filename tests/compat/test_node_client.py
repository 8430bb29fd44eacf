"""The official JavaScript client (socket.io-client 4.x, tests/compat/package.json) vs Roomcast.

Runs `node --test tests/compat/` against a real in-process server (the production stack plus
the /fp probe namespace). `npm ci` fills tests/compat/node_modules when it is missing.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import base_env
from tests.harness import ON_CI, SECRET
from tests.test_fastpath import start_node

HERE = Path(__file__).parent


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        if ON_CI:
            pytest.fail("node/npm not found (CI=true: a missing tool is a failure)")
        pytest.skip("node/npm not installed")
    return node


async def run(*cmd: str, env: dict | None = None, timeout: float = 150) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        cwd=HERE,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode, out.decode(errors="replace")


async def test_socket_io_client_4(tmp_path):
    node = node_or_skip()
    if not (HERE / "node_modules" / "socket.io-client").is_dir():
        code, out = await run("npm", "ci", "--no-audit", "--no-fund", timeout=300)
        assert code == 0, f"npm ci failed:\n{out}"
    server = await start_node(base_env(ROOMCAST_BENCH="1", ROOMCAST_DATA_DIR=str(tmp_path)))
    try:
        code, out = await run(
            node,
            "--test",
            "--test-reporter=tap",
            "client.test.js",
            env={"RC_URL": server.url, "RC_SECRET": SECRET},
        )
    finally:
        await server.stop()
    print(out)  # the TAP report, shown with `pytest -s`
    assert code == 0, out
    assert "# fail 0" in out and re.search(r"^# pass [1-9]", out, re.M), out
