"""The staff console in a real browser, as two people: frontend_client/testing/console.e2e.js
drives Debian's chromium through playwright-core with staff in one browser context and alice
in another.

It checks: the panels stay hidden before sign-in, a reload keeps the session (cookie), table
headers do not wrap, the favicon; chat across the two (message, typing, a private room the
other cannot see, switching rooms); an alert reaching alice live (as text), the severity
filter, mark read; a DNS inline edit refused with the newer version shown, then saved; zone
export; a live check-in moving the board and the per-hour chart; a paid invoice adding a
point to the revenue chart; the sockets chart; /docs and /docs/asyncapi rendering offline.
Screenshots are written to tests/artifacts/ (gitignored) and their paths printed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.frontend.conftest import CHROMIUM, run_in_chromium

E2E_TIMEOUT = 240


@pytest.mark.timeout(E2E_TIMEOUT + 60)
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install -y chromium)"
)
async def test_the_console_for_two_people(js_server, node_modules):
    code, out = await run_in_chromium(js_server, "console.e2e.js", timeout=E2E_TIMEOUT)
    assert code == 0, f"console end-to-end failed:\n{out}"
    result = json.loads(next(line for line in out.splitlines() if line.startswith('{"ok"')))
    assert len(result["screenshots"]) == 5
    report_screenshots(result["screenshots"])


def report_screenshots(shots: list[dict]) -> None:
    for shot in shots:
        assert Path(shot["path"]).stat().st_size > 10_000, shot
        print(f"screenshot {shot['path']}: {shot['what']}")
