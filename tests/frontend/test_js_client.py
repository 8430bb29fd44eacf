"""The JS client library's own suite (`node --test` in frontend_client/) against a real server."""

from __future__ import annotations

import pytest

from tests.frontend.conftest import CLIENT_DIR, node_env, run

NODE_TIMEOUT = 120


@pytest.mark.timeout(NODE_TIMEOUT + 60)
async def test_js_client_suite_passes(js_server, node_modules):
    code, out = await run(
        "node", "--test", cwd=CLIENT_DIR, env=node_env(js_server), timeout=NODE_TIMEOUT
    )
    assert code == 0, f"node --test failed:\n{out}"
    assert "# fail 0" in out and "# pass 0" not in out, out
