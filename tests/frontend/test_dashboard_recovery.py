"""The console recovers across a dropped socket, in a real browser:
frontend_client/testing/recovery.e2e.js drives Debian's chromium through playwright-core.
Alerts sent while the page's /alerts socket is away appear after it reconnects, replayed
(no REST reload; the header says "recovered 6 missed events"); after a gap the panel reloads
over REST and the header says "gap, reloaded"."""

from __future__ import annotations

import json

import pytest

from tests.frontend.conftest import CHROMIUM, run_in_chromium

E2E_TIMEOUT = 180


@pytest.mark.timeout(E2E_TIMEOUT + 60)
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install -y chromium)"
)
async def test_the_console_shows_what_it_missed_while_its_socket_was_away(js_server, node_modules):
    code, out = await run_in_chromium(js_server, "recovery.e2e.js", timeout=E2E_TIMEOUT)
    assert code == 0, f"console recovery end-to-end failed:\n{out}"
    assert json.loads(out.strip().splitlines()[-1]) == {"ok": True}, out
