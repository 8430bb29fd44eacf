"""Revocation, one-time tokens and presence across a Redis outage and a Redis restart.

The shared fault cluster (three nodes on a private redis-server, conftest `faults`): the tests
stop and restart that redis-server on its port, and leave it running.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.harness import refusal
from tests.scaleout.faults import make_users, open_chat, present_on, wait_until

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(120)]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_logout_during_a_redis_outage_closes_sockets_on_every_node(faults, fault_db):
    a, b, c = faults.nodes
    (_, token), (_, other_token) = await make_users(fault_db, 2)
    on_b, on_c = await open_chat(b.url, token), await open_chat(c.url, token)
    bystander = await open_chat(b.url, other_token)

    faults.redis.stop()
    try:
        async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
            r = await http.post("/api/v1/auth/logout", headers=bearer(token))
            assert r.status_code == 204, r.text
        # The kick cannot cross nodes while Redis is down.
        assert not on_b.disconnected.is_set() and not on_c.disconnected.is_set()
    finally:
        back = await faults.redis.start()
    closed = []
    for client in (on_b, on_c):
        await client.wait_disconnected(timeout=5)
        closed.append(time.monotonic() - back)
    assert max(closed) < 1.0, closed
    assert bystander.sio.connected  # only that login's sockets
    error = await refusal(b.url, "/chat", auth={"token": token})
    assert error["code"] == 4001 and error["reason"] == "token_revoked"
    await bystander.close()
    print(f"revocation after the Redis outage: {max(closed):.2f} s after Redis answered")


async def test_a_redis_restart_keeps_ws_tokens_spent_and_presence_rebuilt(faults, fault_db):
    a, b, c = faults.nodes
    (ann, ann_token), (_, bo_token), (cy, cy_token) = await make_users(fault_db, 3)
    slug = await faults.room(ann_token)
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
        r = await http.post("/api/v1/auth/ws-token", headers=bearer(bo_token))
        assert r.status_code == 200, r.text
        ws_token = r.json()["ws_token"]
    first = await open_chat(a.url, ws_token, slug)  # spends it
    await open_chat(c.url, cy_token, slug)
    await first.close()

    faults.redis.stop()
    back = await faults.redis.start()  # empty: no spent list, no presence, no leases

    error = await refusal(b.url, "/chat", auth={"token": ws_token})
    assert error["code"] == 4001 and error["reason"] == "token_revoked"

    # The live nodes re-assert their entries: Cy (on c) is listed again from node a.
    async def rebuilt() -> bool:
        present = await present_on(a.url, ann_token, slug)
        return {u["id"] for u in present} == {ann["id"], cy["id"]}

    assert await wait_until(rebuilt, timeout=5)
    print(f"presence rebuilt {time.monotonic() - back:.2f} s after the Redis restart")
