"""Issue 12 point 11: weak production secrets, websocket Origin refusal, token error text,
reactivated users' old tokens."""

from __future__ import annotations

import pytest
import websockets

from server.settings import SettingsError, load_settings
from tests.harness import refusal


@pytest.mark.parametrize(
    "secret",
    ["a" * 32, "password" * 4, "changeme" * 4, "0123456789abcdef" * 2, "short", "ab" * 20],
)
def test_production_refuses_weak_secrets(secret):
    with pytest.raises(SettingsError, match="too weak"):
        load_settings({"ROOMCAST_ENV": "production", "ROOMCAST_JWT_SECRET": secret})


def test_production_accepts_a_random_secret():
    secret = "Zr8_kQ2v9LmX4tP7wN1cB6yH3jF5sD0gA-e"
    settings = load_settings({"ROOMCAST_ENV": "production", "ROOMCAST_JWT_SECRET": secret})
    assert settings.jwt_secret == secret


async def test_a_foreign_origin_on_websocket_is_400_like_polling(server):
    url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url, origin="https://evil.example")
    assert refused.value.response.status_code == 400
    async with websockets.connect(url, origin=server.url) as ws:  # its own origin is fine
        assert (await ws.recv()).startswith("0{")


async def test_token_errors_do_not_repeat_pyjwt(http):
    for garbage in ("\xff\xfe.abc.def", "eyJhbGciOiJIUzI1NiJ9.e30", "a.b.c"):
        r = await http.get(
            "/api/v1/auth/me", headers={"authorization": f"Bearer {garbage}".encode("latin-1")}
        )
        assert r.status_code == 401
        assert r.json()["error"]["message"] == "invalid token"


async def test_a_reactivated_users_old_tokens_stay_dead(http, new_user, server):
    _, admin_token, _ = await new_user(staff=True)
    user, token, login = await new_user()
    staff = {"authorization": f"Bearer {admin_token}"}
    for active in (False, True):
        r = await http.patch(
            f"/api/v1/users/{user['id']}", json={"is_active": active}, headers=staff
        )
        assert r.status_code == 200
    r = await http.get("/api/v1/auth/me", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_revoked"
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert r.status_code == 401
    data = await refusal(server.url, "/alerts", auth={"token": token})
    assert data["reason"] == "token_revoked"
    # signing in again works
    r = await http.post(
        "/api/v1/auth/login",
        json={"email": user["email"], "password": "correct horse battery"},
    )
    assert r.status_code == 200
