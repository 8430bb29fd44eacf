"""Replay across nodes: the history is in Redis, so any node replays what a client missed,
also when the node it was connected to died (`kill -9`)."""

from __future__ import annotations

import httpx
import pytest

from tests.harness import NodeProcess
from tests.recovery.support import API, Recorder, bearer, offsets, position, post_alert
from tests.scaleout.conftest import register
from tests.scaleout.test_analytics_nodes import make_staff

pytestmark = pytest.mark.scaleout


async def _staff(cluster, url: str) -> str:
    login = await register(url)
    await make_staff(cluster.database_url, login["user"]["id"])
    return login["access_token"]


async def _reconnect_and_check(url: str, login: dict, start: dict, sent: list[int]) -> None:
    stream = f"user:{login['user']['id']}"
    client = Recorder("/alerts")
    await client.connect(
        url, {"token": login["access_token"], "recover": {stream: position(start, stream)}}
    )
    try:
        result = (await client.recovery())["streams"][stream]
        assert result["status"] == "recovered", result
        cut = [e for e, *_ in client.log].index("recovery")
        replayed = [d for e, d, _ in client.log[:cut] if e == "breach_alert"]
        assert [a["message"]["id"] for a in replayed] == sent
        both = [d for e, d, _ in client.log[:cut] if e in ("breach_alert", "unread_count")]
        o = start["streams"][stream]["o"]
        assert offsets(both, stream) == list(range(o + 1, o + 1 + 2 * len(sent)))
    finally:
        await client.close()


async def test_missed_alerts_replayed_by_another_node(cluster):
    a, b = cluster
    login = await register(a.url)
    staff = await _staff(cluster, a.url)
    first = Recorder("/alerts")
    await first.connect(a.url, {"token": login["access_token"]})
    start = await first.recovery()
    await first.close()
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
        sent = [(await post_alert(http, staff, login["user"]["id"], n))["id"] for n in range(50)]
    await _reconnect_and_check(b.url, login, start, sent)


async def test_missed_records_replayed_by_another_node_on_connect(cluster):
    a, b = cluster
    login = await register(a.url)
    token = login["access_token"]
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
        zone = (
            await http.post(
                f"{API}/zones",
                json={"name": f"z{login['user']['id']}.example.com"},
                headers=bearer(token),
            )
        ).json()
        stream = f"zone:{zone['id']}"
        first = Recorder("/dns")
        await first.connect(b.url, {"token": token})
        await first.call("subscribe", {"zone_id": zone["id"]})
        start = (await first.call("recover", {stream: {}}))["data"]
        await first.close()
        for n in range(50):
            rec = {"type": "TXT", "name": f"t{n}", "content": f"v{n}"}
            r = await http.post(
                f"{API}/zones/{zone['id']}/records", json=rec, headers=bearer(token)
            )
            assert r.status_code == 201
    client = Recorder("/dns")
    await client.connect(b.url, {"token": token, "recover": {stream: position(start, stream)}})
    try:
        assert (await client.recovery())["streams"][stream]["count"] == 50
        assert [e["record"]["name"] for e in client.events("record_created")] == [
            f"t{n}" for n in range(50)
        ]
    finally:
        await client.close()


async def test_missed_alerts_replayed_after_the_node_was_killed(cluster):
    a, b = cluster
    doomed = NodeProcess(cluster.env)
    try:
        await doomed.wait_ready(timeout=60)
        login = await register(a.url)
        staff = await _staff(cluster, a.url)
        first = Recorder("/alerts")
        await first.connect(doomed.url, {"token": login["access_token"]})
        start = await first.recovery()
        async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
            before = await post_alert(http, staff, login["user"]["id"], -1)
            positioned = lambda: [e for e in first.events("unread_count") if "_stream" in e]  # noqa: E731
            await first.until(positioned)
            start = {"streams": positioned()[-1]["_stream"]}
            doomed.proc.kill()  # SIGKILL: no goodbye, the socket just dies
            doomed.proc.wait(10)
            sent = [
                (await post_alert(http, staff, login["user"]["id"], n))["id"] for n in range(50)
            ]
        assert before["id"] not in sent
        await first.close()
        await _reconnect_and_check(b.url, login, start, sent)
    finally:
        if doomed.proc.poll() is None:
            doomed.stop()
