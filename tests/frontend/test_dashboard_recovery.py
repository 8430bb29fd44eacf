"""The console recovers across a dropped socket, in a real browser:
frontend_client/testing/recovery.e2e.js drives Debian's chromium through playwright-core.
Alerts sent while the page's /alerts socket is away appear after it reconnects, replayed
(no REST reload; the header says "recovered 6 missed events"); after a gap the panel reloads
over REST and the header says "gap, reloaded"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.frontend.conftest import CLIENT_DIR, node_env, run

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
E2E_TIMEOUT = 180


@pytest.mark.timeout(E2E_TIMEOUT + 60)
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install -y chromium)"
)
async def test_the_console_shows_what_it_missed_while_its_socket_was_away(js_server, node_modules):
    env = {
        **node_env(js_server),
        "CHROMIUM_PATH": str(CHROMIUM),
        "ROOMCAST_ARTIFACTS": str(ARTIFACTS),
    }
    env.pop("DISPLAY", None)  # headless only
    code, out = await run(
        "node", "testing/recovery.e2e.js", cwd=CLIENT_DIR, env=env, timeout=E2E_TIMEOUT
    )
    assert code == 0, f"console recovery end-to-end failed:\n{out}"
    assert json.loads(out.strip().splitlines()[-1]) == {"ok": True}, out
