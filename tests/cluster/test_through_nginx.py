"""Clients through a real nginx on a non-default port in front of two nodes (`roomcast cluster 2`).

- the same-origin check behind the proxy: a browser Origin naming nginx's host AND port is
  accepted on both transports, any other origin refused (deploy/nginx.conf used to forward
  `Host $host`, which drops the port: every browser socket was refused);
- the project's JS client through nginx: websocket, polling, the upgrade, and events that
  cross nodes (tests/cluster/nginx.test.mjs);
- the dashboard page in Debian's chromium, through nginx (frontend_client/testing/dashboard.e2e.js).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
from pathlib import Path

import aiohttp
import httpx
import pytest
import socketio
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from tests.frontend.conftest import CLIENT_DIR, run
from tests.harness import Client

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
NODE_TIMEOUT = 150


async def staff_token(url: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        body = {"email": "admin@example.com", "password": "admin-password"}
        r = await http.post("/api/v1/auth/login", json=body)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]


async def test_ready_and_dashboard_page_through_nginx(nginx_cluster):
    async with httpx.AsyncClient(base_url=nginx_cluster.url, timeout=10) as http:
        ready = await http.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.headers["server"].startswith("nginx")
        page = await http.get("/", follow_redirects=True)
        assert page.status_code == 200
        assert str(page.url) == f"{nginx_cluster.url}/app/dashboard/"
        assert "text/html" in page.headers["content-type"]


async def test_plain_http_through_nginx_gets_cookies_without_secure(nginx_cluster):
    # X-Forwarded-Proto: http from nginx; a Secure cookie would be dropped by the browser.
    async with httpx.AsyncClient(base_url=nginx_cluster.url, timeout=10) as http:
        body = {"email": "alice@example.com", "password": "alice-password"}
        r = await http.post("/api/v1/auth/login", json=body)
    assert r.status_code == 200, r.text
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2 and not [c for c in cookies if "secure" in c.lower()], cookies


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_browser_origin_with_port_is_accepted_through_nginx(nginx_cluster, transport):
    token = await staff_token(nginx_cluster.url)
    client = Client("/alerts")
    try:
        await client.connect(
            nginx_cluster.url,
            transports=(transport,),
            auth={"token": token},
            headers={"Origin": nginx_cluster.url},
        )
        greeting = await client.wait("connection_established", timeout=10)
        assert greeting["is_staff"] is True
        assert client.sio.transport() == transport
    finally:
        await client.close()


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://127.0.0.1",  # nginx's host without its port: what `Host $host` compared with
        "http://127.0.0.1:1",
    ],
)
async def test_other_origins_are_refused_through_nginx(nginx_cluster, origin):
    # Raw handshakes: the refusal is the server's 400 (polling) or a refused upgrade.
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(
            f"{nginx_cluster.url}/socket.io/",
            params={"EIO": "4", "transport": "polling"},
            headers={"Origin": origin},
        )
        assert r.status_code == 400, r.text
        assert "access-control-allow-origin" not in r.headers
    ws_url = nginx_cluster.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(ws_url, origin=origin, open_timeout=10):
            pass
    assert refused.value.response.status_code in (400, 403)


async def chat_sockets_per_node(nodes: list[str]) -> list[float]:
    counts = []
    async with httpx.AsyncClient(timeout=10) as http:
        for node in nodes:
            text = (await http.get(node + "/metrics")).text
            found = re.search(
                r'^roomcast_sockets_connected\{namespace="/chat"\} (\S+)$', text, re.M
            )
            counts.append(float(found.group(1)) if found else 0.0)
    return counts


class PollingGuest:
    """A /chat guest over polling only, connecting from its own loopback address."""

    def __init__(self, address: str) -> None:
        connector = aiohttp.TCPConnector(local_addr=(address, 0))
        self.session = aiohttp.ClientSession(connector=connector)
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self.session)
        self.messages: asyncio.Queue = asyncio.Queue()
        self.sio.on("message", self.messages.put_nowait, namespace="/chat")

    async def connect(self, url: str) -> None:
        await self.sio.connect(
            url,
            namespaces=["/chat"],
            transports=["polling"],
            headers={"Origin": url},
            wait_timeout=10,
        )

    async def call(self, event: str, data: dict) -> dict:
        ack = await self.sio.call(event, data, namespace="/chat", timeout=10)
        assert ack["ok"] is True, ack
        return ack["data"]

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.disconnect(), 5)
        await self.session.close()


async def test_polling_clients_from_many_addresses_stick_to_both_nodes(nginx_cluster):
    """16 client addresses hash onto both nodes; each polling session keeps reaching its own
    node (a poll on the other node would end it with 400), and a message crosses nodes."""
    before = await chat_sockets_per_node(nginx_cluster.nodes)
    guests = [PollingGuest(f"127.0.0.{n}") for n in range(2, 18)]
    try:
        await asyncio.gather(*(g.connect(nginx_cluster.url) for g in guests))
        after = await chat_sockets_per_node(nginx_cluster.nodes)
        added = [b - a for a, b in zip(before, after, strict=True)]
        assert sum(added) == len(guests), (before, after)
        assert all(n > 0 for n in added), f"every address hashed to one node: {added}"
        for guest in guests:
            await guest.call("join", {"room": "general"})
        for round_trip in range(3):
            await asyncio.gather(*(g.call("ping", {"timestamp": round_trip}) for g in guests))
        body = f"across nodes through nginx {uuid.uuid4()}"
        await guests[0].call("message", {"room": "general", "body": body})
        for guest in guests:
            while (await asyncio.wait_for(guest.messages.get(), 10))["body"] != body:
                pass
        assert all(g.sio.connected and g.sio.transport() == "polling" for g in guests)
    finally:
        await asyncio.gather(*(g.close() for g in guests))


@pytest.mark.timeout(NODE_TIMEOUT + 60)
async def test_js_client_through_nginx(nginx_cluster, node_modules):
    env = {
        "ROOMCAST_URL": nginx_cluster.url,
        "ROOMCAST_NODE_URLS": ",".join(nginx_cluster.nodes),
        "ROOMCAST_STAFF_EMAIL": "admin@example.com",
        "ROOMCAST_STAFF_PASSWORD": "admin-password",
    }

    code, out = await run(
        "node",
        "--test",
        "--test-reporter=tap",
        str(HERE / "nginx.test.mjs"),
        cwd=HERE,
        env={**os.environ, **env},
        timeout=NODE_TIMEOUT,
    )
    assert code == 0, f"node --test through nginx failed:\n{out}"
    assert "# fail 0" in out and "# pass 6" in out, out


@pytest.mark.timeout(180)
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install -y chromium)"
)
async def test_dashboard_works_through_nginx_in_chromium(nginx_cluster, node_modules, tmp_path):

    env = {
        **os.environ,
        "ROOMCAST_URL": nginx_cluster.url,
        "ROOMCAST_STAFF_EMAIL": "admin@example.com",
        "ROOMCAST_STAFF_PASSWORD": "admin-password",
        "CHROMIUM_PATH": str(CHROMIUM),
        "ROOMCAST_ARTIFACTS": str(tmp_path),
    }
    env.pop("DISPLAY", None)
    code, out = await run("node", "testing/console.e2e.js", cwd=CLIENT_DIR, env=env, timeout=150)
    assert code == 0, f"console through nginx failed:\n{out}"
    assert '"ok":true' in out, out
