"""Both servers start once per test session; `server` parametrizes a test over them."""

from __future__ import annotations

import httpx
import pytest

from tests.conformance.servers import KINDS, SpecServer


@pytest.fixture(scope="session")
async def spec_servers():
    started = {kind: await SpecServer(kind).start() for kind in KINDS}
    yield started
    for s in started.values():
        await s.stop()


@pytest.fixture(params=KINDS)
def server(request, spec_servers) -> SpecServer:
    return spec_servers[request.param]


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=5) as client:
        yield client
