"""Connecting as clients do: token sources, refusals with {code, reason}, guests, origins."""

from __future__ import annotations

import time

import httpx
import pytest

from models.users import User
from server import auth
from tests.harness import SECRET, Client, login_id_of, refusal

NAMESPACES = ["/analytics", "/dns", "/chat", "/checkins", "/alerts"]


@pytest.mark.parametrize("namespace", NAMESPACES)
async def test_login_token_connects_to_every_namespace(server, new_user, sio_client, namespace):
    user, token, _ = await new_user()
    client = await sio_client(namespace, token)
    greeting = client.greeting
    assert greeting["namespace"] == namespace
    assert greeting["user_id"] == user["id"] and greeting["is_staff"] is False
    assert greeting["timestamp"].endswith("Z") and greeting["message"]


async def test_staff_greeting_says_staff(new_user, sio_client):
    _, token, _ = await new_user(staff=True)
    client = await sio_client("/alerts", token)
    assert client.greeting["is_staff"] is True


async def test_cookie_only_connects(server, new_user, sio_client):
    user, token, _ = await new_user()
    by_cookie = await sio_client("/alerts", headers={"Cookie": f"access_token={token}"})
    assert by_cookie.greeting["user_id"] == user["id"]


async def test_query_string_token(server, new_user):
    user, token, _ = await new_user()
    client = Client("/alerts")
    try:
        await client.connect(f"{server.url}?token={token}")
        assert (await client.wait("connection_established"))["user_id"] == user["id"]
    finally:
        await client.close()


async def test_refusals_carry_code_and_reason(server, new_user):
    user, token, _ = await new_user()
    lid = login_id_of(token)
    expired, _ = auth.issue(
        SECRET, user_id=user["id"], kind=auth.ACCESS, login_id=lid, ttl=5, now=time.time() - 60
    )
    forged, _ = auth.issue(
        "another-secret" * 3, user_id=user["id"], kind=auth.ACCESS, login_id=lid, ttl=60
    )
    cases = [
        ({}, 4001, "missing_token"),
        ({"auth": {"token": "not.a.jwt"}}, 4001, "invalid_token"),
        ({"auth": {"token": 12345}}, 4001, "invalid_token"),
        ({"auth": {"token": forged}}, 4001, "invalid_token"),
        ({"auth": {"token": expired}}, 4001, "token_expired"),
        ({"auth": {"token": token, "user_id": user["id"] + 1000}}, 4003, "forbidden"),
    ]
    for kwargs, code, reason in cases:
        data = await refusal(server.url, "/alerts", **kwargs)
        assert (data["code"], data["reason"]) == (code, reason), kwargs
        assert data["message"]


async def test_matching_user_id_is_accepted(new_user, sio_client):
    user, token, _ = await new_user()
    client = await sio_client("/alerts", auth={"token": token, "user_id": user["id"]})
    assert client.greeting["user_id"] == user["id"]


async def test_revoked_and_inactive_users_are_refused(server, http, new_user):
    _, token, _ = await new_user()
    await http.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    data = await refusal(server.url, "/alerts", auth={"token": token})
    assert (data["code"], data["reason"]) == (4001, "token_revoked")

    user, token, _ = await new_user()
    await User.filter(id=user["id"]).update(is_active=False)
    data = await refusal(server.url, "/alerts", auth={"token": token})
    assert (data["code"], data["reason"]) == (4001, "user_inactive")


async def test_first_token_source_wins_even_when_invalid(server, new_user):
    _, token, _ = await new_user()
    data = await refusal(
        server.url,
        "/alerts",
        auth={"token": "garbage"},
        headers={"Cookie": f"access_token={token}"},
    )
    assert data["reason"] == "invalid_token"


async def test_chat_accepts_guests_but_not_bad_tokens(server, sio_client):
    guest = await sio_client("/chat")
    assert guest.greeting["user_id"] is None and guest.greeting["is_staff"] is False
    data = await refusal(server.url, "/chat", auth={"token": "garbage"})
    assert data["reason"] == "invalid_token"
    data = await refusal(server.url, "/alerts")
    assert data["reason"] == "missing_token"


async def test_ws_token_is_good_for_exactly_one_connection(server, http, new_user, sio_client):
    user, token, _ = await new_user()
    r = await http.post("/api/v1/auth/ws-token", headers={"Authorization": f"Bearer {token}"})
    ws_token = r.json()["ws_token"]
    first = await sio_client("/alerts", ws_token)
    assert first.greeting["user_id"] == user["id"]
    data = await refusal(server.url, "/dns", auth={"token": ws_token})
    assert (data["code"], data["reason"]) == (4001, "token_revoked")


async def test_racing_connects_with_one_ws_token_admit_one(server, http, new_user):
    import asyncio

    _, token, _ = await new_user()
    r = await http.post("/api/v1/auth/ws-token", headers={"Authorization": f"Bearer {token}"})
    ws_token = r.json()["ws_token"]
    clients = [Client("/alerts") for _ in range(5)]
    results = await asyncio.gather(
        *(c.connect(server.url, auth={"token": ws_token}) for c in clients), return_exceptions=True
    )
    try:
        assert sum(1 for r in results if r is None) == 1
        refused = [c.connect_error for c, r in zip(clients, results, strict=True) if r is not None]
        assert all(e["data"]["reason"] == "token_revoked" for e in refused)
    finally:
        for c in clients:
            await c.close()


async def test_foreign_origin_is_refused_at_the_handshake(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        url = "/socket.io/?EIO=4&transport=polling"
        r = await http.get(url, headers={"Origin": "https://evil.example"})
        assert r.status_code == 400
        own = server.url
        r = await http.get(url, headers={"Origin": own})
        assert r.status_code == 200
        r = await http.get(url)
        assert r.status_code == 200


async def test_polling_transport_connects(server, new_user):
    user, token, _ = await new_user()
    client = Client("/alerts")
    try:
        await client.connect(server.url, transports=["polling"], auth={"token": token})
        assert (await client.wait("connection_established"))["user_id"] == user["id"]
        assert (await client.call("ping", {"timestamp": "t"}))["ok"] is True
    finally:
        await client.close()
