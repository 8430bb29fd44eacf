"""Limits and degraded services, on real nodes started with those settings."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.harness import SECRET, Client, NodeProcess, create_schema, refusal


def node_env(tmp_path, **extra) -> dict:
    url = f"sqlite://{tmp_path / 'node.sqlite3'}"
    create_schema(url)
    return {
        "ROOMCAST_ENV": "test",
        "ROOMCAST_JWT_SECRET": SECRET,
        "ROOMCAST_DATABASE_URL": url,
        "ROOMCAST_DATA_DIR": str(tmp_path),
        **extra,
    }


@pytest.fixture
async def limited_node(tmp_path):
    node = NodeProcess(node_env(tmp_path, ROOMCAST_MAX_SOCKETS_PER_USER="2"))
    try:
        await node.wait_ready()
        yield node
    finally:
        node.stop()


async def test_register_is_rate_limited_with_retry_after(limited_node):
    async with httpx.AsyncClient(base_url=limited_node.url) as http:
        statuses = []
        for _ in range(12):
            email = f"rl-{uuid.uuid4().hex[:8]}@example.com"
            r = await http.post(
                "/api/v1/auth/register", json={"email": email, "password": "long enough"}
            )
            statuses.append(r.status_code)
        assert statuses[:10] == [201] * 10
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "rate_limited"
        assert int(r.headers["Retry-After"]) >= 1


async def test_sockets_beyond_the_per_user_cap_are_refused(limited_node):
    async with httpx.AsyncClient(base_url=limited_node.url) as http:
        r = await http.post(
            "/api/v1/auth/register",
            json={"email": f"cap-{uuid.uuid4().hex[:8]}@example.com", "password": "long enough"},
        )
        token = r.json()["access_token"]
    open_clients = [Client("/alerts"), Client("/alerts")]
    try:
        for client in open_clients:
            await client.connect(limited_node.url, auth={"token": token})
        data = await refusal(limited_node.url, "/alerts", auth={"token": token})
        assert (data["code"], data["reason"]) == (4029, "too_many_connections")
    finally:
        for client in open_clients:
            await client.close()


async def test_unreachable_redis_makes_ready_fail_but_health_pass(tmp_path):
    node = NodeProcess(node_env(tmp_path, ROOMCAST_REDIS_URL="redis://127.0.0.1:1/0"))
    try:
        await node.wait_ready()
        async with httpx.AsyncClient(base_url=node.url) as http:
            assert (await http.get("/health")).status_code == 200
            r = await http.get("/ready")
            assert r.status_code == 503
            body = r.json()
            assert body["status"] == "unavailable"
            assert body["checks"]["database"] == "ok"
            assert body["checks"]["redis"].startswith("error")
    finally:
        node.stop()


async def test_json_logs_are_one_object_per_line_and_never_show_secrets(tmp_path):
    import json

    node = NodeProcess(node_env(tmp_path, ROOMCAST_LOG_FORMAT="json", ROOMCAST_LOG_LEVEL="DEBUG"))
    try:
        await node.wait_ready(timeout=60)
        async with httpx.AsyncClient(base_url=node.url) as http:
            email = f"log-{uuid.uuid4().hex[:8]}@example.com"
            creds = {"email": email, "password": "long enough"}
            r = await http.post("/api/v1/auth/register", json=creds)
            tokens = r.json()
            r = await http.post("/api/v1/auth/login", json=creds)
            assert r.status_code == 200
            await http.get("/api/v1/auth/me", headers={"authorization": "Bearer garbage.x.y"})
        import websockets

        ws_url = node.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url) as ws:
            await ws.recv()
            await ws.send("40/chat,")
            for _ in range(50):
                await ws.send("42/chat")  # dropped packets: a counted, rate-limited line
    finally:
        node.stop()
    out = node.output()
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message"} <= set(entry)
    assert "$argon2" not in out
    for token in (tokens["access_token"], tokens["refresh_token"], r.json()["access_token"]):
        assert token not in out
    assert any(json.loads(line)["logger"].startswith("tortoise") for line in lines)


async def test_a_client_that_keeps_sending_invalid_packets_is_disconnected(limited_node):
    import asyncio

    import websockets

    ws_url = limited_node.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(ws_url) as ws:
        assert (await asyncio.wait_for(ws.recv(), 5)).startswith("0{")
        await ws.send("40/chat,")
        assert (await asyncio.wait_for(ws.recv(), 5)).startswith("40/chat,")
        with pytest.raises(websockets.ConnectionClosed):
            for _ in range(200):  # the invalid-packet budget is a burst of 20, then 1/s
                await ws.send("42/chat")
                await asyncio.sleep(0)
            while True:
                await asyncio.wait_for(ws.recv(), 5)
    async with httpx.AsyncClient(base_url=limited_node.url) as http:
        text = (await http.get("/metrics")).text
    assert 'roomcast_limit_disconnects_total{reason="invalid_packets"} 1.0' in text
