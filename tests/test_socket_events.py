"""Socket events as clients see them: ping, structured acks, junk that must not hurt, lifetimes."""

from __future__ import annotations

import asyncio
import time

from server import auth
from tests.harness import SECRET, login_id_of


async def test_ping_answers_pong_event_and_ack(new_user, sio_client):
    _, token, _ = await new_user()
    client = await sio_client("/analytics", token)
    ack = await client.call("ping", {"timestamp": "client-stamp-1"})
    assert ack["ok"] is True
    assert ack["data"]["timestamp"] == "client-stamp-1"
    assert ack["data"]["server_time"].endswith("Z")
    pong = await client.wait("pong")
    assert pong == ack["data"]


async def test_unknown_events_and_bad_payloads_get_error_acks(new_user, sio_client):
    _, token, _ = await new_user()
    client = await sio_client("/alerts", token)
    unknown = await client.call("no_such_event", {})
    assert unknown == {
        "ok": False,
        "error": {"code": "bad_request", "message": unknown["error"]["message"], "fields": {}},
    }
    for payload in (None, 5, "text", [1, 2], True):
        ack = await client.call("refresh_token", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error", payload
    ack = await client.call("refresh_token", {"token": 42})
    assert ack["error"]["code"] == "validation_error" and "token" in ack["error"]["fields"]
    ack = await client.call("connect", {"x": 1})
    assert ack["ok"] is False and ack["error"]["code"] == "bad_request"


async def test_a_thousand_malformed_events_leave_the_socket_answering(new_user, sio_client):
    _, token, _ = await new_user()
    client = await sio_client("/dns", token)
    huge = "x" * (1024 * 1024)
    junk = [None, 1, "s", [], {"token": None}, {"token": huge}, huge, {"a": {"b": [huge]}}]
    events = ["refresh_token", "ping", "nope", "NOT-AN-EVENT", "x" * 300, "on_connect"]
    acks = []
    for i in range(1000):
        payload = junk[i % len(junk)] if i % 100 else huge
        acks.append(client.call(events[i % len(events)], payload, timeout=20))
        if len(acks) == 50:
            results = await asyncio.gather(*acks)
            assert all(isinstance(r, dict) and "ok" in r for r in results)
            acks = []
    results = await asyncio.gather(*acks)
    assert all(isinstance(r, dict) and "ok" in r for r in results)
    ack = await client.call("ping", {"timestamp": "after"})
    assert ack["ok"] is True and ack["data"]["timestamp"] == "after"


async def test_expiring_token_warns_then_disconnects(server, new_user, sio_client):
    user, token, _ = await new_user()
    short, _ = auth.issue(
        SECRET, user_id=user["id"], kind=auth.ACCESS, login_id=login_id_of(token), ttl=2
    )
    client = await sio_client("/alerts", short)
    warning = await client.wait("token_expiring")
    assert warning["expires_at"].endswith("Z")
    await client.wait_disconnected(timeout=6)


async def test_refresh_token_event_keeps_the_socket(server, new_user, sio_client):
    user, token, _ = await new_user()
    lid = login_id_of(token)
    short, _ = auth.issue(SECRET, user_id=user["id"], kind=auth.ACCESS, login_id=lid, ttl=2)
    client = await sio_client("/alerts", short)
    await client.wait("token_expiring")
    ack = await client.call("refresh_token", {"token": token})
    assert ack["ok"] is True and ack["data"]["expires_at"]
    deadline = time.time() + 3
    while time.time() < deadline:
        assert (await client.call("ping", {"timestamp": 1}))["ok"] is True
        await asyncio.sleep(0.5)
    assert not client.disconnected.is_set()


async def test_refresh_token_of_another_user_is_forbidden(new_user, sio_client):
    _, token, _ = await new_user()
    _, other, _ = await new_user()
    client = await sio_client("/alerts", token)
    ack = await client.call("refresh_token", {"token": other})
    assert ack["error"]["code"] == "forbidden"


async def test_logout_closes_that_logins_sockets_only(http, new_user, sio_client):
    _, token, _ = await new_user()
    _, other_login, _ = await new_user()
    tabs = [await sio_client(ns, token) for ns in ("/alerts", "/dns", "/chat")]
    bystander = await sio_client("/alerts", other_login)
    r = await http.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    for tab in tabs:
        await tab.wait_disconnected()
    assert (await bystander.call("ping", {"timestamp": 1}))["ok"] is True


async def test_refresh_reuse_closes_the_logins_sockets(http, new_user, sio_client):
    _, token, login = await new_user()
    tab = await sio_client("/alerts", token)
    await http.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert r.json()["error"]["code"] == "token_revoked"
    await tab.wait_disconnected()


async def test_deactivation_disconnects_the_user(server, http, new_user, sio_client):
    user, token, _ = await new_user()
    _, staff_token, _ = await new_user(staff=True)
    tab = await sio_client("/checkins", token)
    r = await http.patch(
        f"/api/v1/users/{user['id']}",
        json={"is_active": False},
        headers={"Authorization": f"Bearer {staff_token}"},
    )
    assert r.status_code == 200 and r.json()["is_active"] is False
    await tab.wait_disconnected()


async def test_metrics_count_what_happened(server, http, new_user, sio_client):
    _, token, _ = await new_user()
    client = await sio_client("/alerts", token)
    await client.call("ping", {"timestamp": 1})
    await client.call("definitely_unknown", {})
    await http.get("/api/v1/auth/me", headers={"Authorization": "Bearer junk"})
    text = (await http.get("/metrics")).text

    def value(prefix: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(prefix)]
        assert lines, f"no metric line starting {prefix}"
        return float(lines[0].rsplit(" ", 1)[1])

    assert value('roomcast_socket_events_total{event="ping",namespace="/alerts",outcome="ok"}') >= 1
    assert (
        value(
            'roomcast_socket_events_total{event="_unknown",namespace="/alerts",'
            'outcome="bad_request"}'
        )
        >= 1
    )
    assert value('roomcast_sockets_connected{namespace="/alerts"}') >= 1
    assert value('roomcast_auth_refusals_total{reason="unauthorized",where="rest"}') >= 1
    assert 'roomcast_http_requests_total{method="POST",route="/api/v1/auth/register"' in text


async def test_health_and_ready(http, server):
    assert (await http.get("/health")).json() == {"status": "ok"}
    ready = (await http.get("/ready")).json()
    assert ready["status"] == "ok" and ready["checks"]["database"] == "ok"
    expected = "ok" if server.backend == "postgres-redis" else "not configured"
    assert ready["checks"]["redis"] == expected
