"""The dashboard in a real browser: Debian's chromium driven by playwright-core.

frontend_client/testing/dashboard.e2e.js signs in as alice in the page, has staff send her an
alert over REST, and checks that the page shows it (as text, not markup) with the unread count,
and that "Mark read" brings the count back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frontend.conftest import CLIENT_DIR, node_env, run

CHROMIUM = Path("/usr/bin/chromium")
E2E_TIMEOUT = 120


@pytest.mark.timeout(E2E_TIMEOUT + 60)
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install -y chromium)"
)
async def test_alert_reaches_the_dashboard_page(js_server, node_modules):
    env = {**node_env(js_server), "CHROMIUM_PATH": str(CHROMIUM)}
    env.pop("DISPLAY", None)  # headless only
    code, out = await run(
        "node", "testing/dashboard.e2e.js", cwd=CLIENT_DIR, env=env, timeout=E2E_TIMEOUT
    )
    assert code == 0, f"dashboard end-to-end failed:\n{out}"
    assert '"ok":true' in out, out
