"""REST auth as a client sees it: register, login, cookies, refresh rotation, logout, errors."""

from __future__ import annotations

import asyncio
import time

from server import auth
from tests.harness import SECRET, login_id_of


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_register_answers_tokens_user_and_cookies(http):
    r = await http.post(
        "/api/v1/auth/register",
        json={"email": "New.Person@Example.com", "password": "longenough", "first_name": "New"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert set(body["user"]) == {"id", "email", "first_name", "last_name", "is_staff", "is_active"}
    assert body["user"]["email"] == "new.person@example.com"
    cookies = r.headers.get_list("set-cookie")
    assert any(c.startswith("access_token=") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("refresh_token=") and "SameSite=Lax" in c for c in cookies)
    assert "password" not in r.text
    http.cookies.clear()


async def test_register_duplicate_email_is_conflict_naming_email(http, new_user):
    user, _, _ = await new_user()
    r = await http.post(
        "/api/v1/auth/register", json={"email": user["email"], "password": "longenough"}
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict"
    assert "email" in r.json()["error"]["fields"]


async def test_register_validation_names_each_field(http):
    r = await http.post("/api/v1/auth/register", json={"email": "not-an-email", "password": "x"})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert {"email", "password"} <= set(error["fields"])
    r = await http.post("/api/v1/auth/register", json={"email": 5, "password": ["x"]})
    assert r.status_code == 422 and {"email", "password"} <= set(r.json()["error"]["fields"])


async def test_malformed_bodies_and_unknown_routes_get_the_error_body(http):
    cases = [
        (
            "post",
            "/api/v1/auth/login",
            {"content": b"{nope", "headers": {"content-type": "application/json"}},
            400,
            "bad_request",
        ),
        (
            "post",
            "/api/v1/auth/login",
            {"content": b"a=b", "headers": {"content-type": "text/plain"}},
            400,
            "bad_request",
        ),
        ("post", "/api/v1/auth/login", {"json": [1, 2]}, 422, "validation_error"),
        ("get", "/api/v1/no-such-thing", {}, 404, "not_found"),
        ("get", "/api/v1/auth/login", {}, 405, "method_not_allowed"),
        (
            "post",
            "/api/v1/auth/login",
            {"content": b"x" * (2 * 1024 * 1024), "headers": {"content-type": "application/json"}},
            413,
            "payload_too_large",
        ),
    ]
    for method, path, kwargs, status, code in cases:
        r = await getattr(http, method)(path, **kwargs)
        assert r.status_code == status, (path, r.text)
        assert r.json()["error"]["code"] == code
        assert r.json()["error"]["fields"] == {} or code == "validation_error"
        assert "Traceback" not in r.text


async def test_login_wrong_password_is_unauthorized(http, new_user):
    user, _, _ = await new_user()
    r = await http.post(
        "/api/v1/auth/login", json={"email": user["email"], "password": "wrong password"}
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


async def test_me_with_bearer_or_cookie(http, new_user):
    user, token, _ = await new_user()
    r = await http.get("/api/v1/auth/me", headers=bearer(token))
    assert r.status_code == 200 and r.json()["user"]["id"] == user["id"]
    r = await http.get("/api/v1/auth/me", headers={"Cookie": f"access_token={token}"})
    assert r.status_code == 200 and r.json()["user"]["id"] == user["id"]


async def test_me_refuses_missing_garbage_expired_and_ws_tokens(http, new_user):
    user, token, _ = await new_user()
    assert (await http.get("/api/v1/auth/me")).json()["error"]["code"] == "unauthorized"
    r = await http.get("/api/v1/auth/me", headers=bearer("garbage"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    expired, _ = auth.issue(
        SECRET,
        user_id=user["id"],
        kind=auth.ACCESS,
        login_id=login_id_of(token),
        ttl=60,
        now=time.time() - 3600,
    )
    r = await http.get("/api/v1/auth/me", headers=bearer(expired))
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"
    ws = (await http.post("/api/v1/auth/ws-token", headers=bearer(token))).json()
    assert 0 < ws["expires_in"] <= 300
    r = await http.get("/api/v1/auth/me", headers=bearer(ws["ws_token"]))
    assert r.status_code == 401


async def test_a_token_accepted_before_still_expires_on_time(http, new_user):
    # Checked tokens are remembered (server.auth); the expiry is checked on every request.
    user, token, _ = await new_user()
    short, _ = auth.issue(
        SECRET,
        user_id=user["id"],
        kind=auth.ACCESS,
        login_id=login_id_of(token),
        ttl=2,
        now=time.time() - 1,
    )
    assert (await http.get("/api/v1/auth/me", headers=bearer(short))).status_code == 200
    deadline = time.monotonic() + 10
    while True:
        r = await http.get("/api/v1/auth/me", headers=bearer(short))
        if r.status_code != 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"


async def test_refresh_rotates_and_reuse_revokes_the_whole_login(http, new_user):
    _, access, login = await new_user()
    old_refresh = login["refresh_token"]
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": old_refresh})
    assert r.status_code == 200
    fresh = r.json()
    assert fresh["refresh_token"] != old_refresh and fresh["access_token"] != access
    assert (await http.get("/api/v1/auth/me", headers=bearer(fresh["access_token"]))).is_success

    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": old_refresh})
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_revoked"
    for token in (access, fresh["access_token"]):
        r = await http.get("/api/v1/auth/me", headers=bearer(token))
        assert r.status_code == 401 and r.json()["error"]["code"] == "token_revoked"
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert r.json()["error"]["code"] == "token_revoked"


async def test_refresh_from_cookie(http, new_user):
    _, _, login = await new_user()
    r = await http.post(
        "/api/v1/auth/refresh", headers={"Cookie": f"refresh_token={login['refresh_token']}"}
    )
    assert r.status_code == 200 and r.json()["access_token"]


async def test_logout_revokes_the_login(http, new_user):
    _, token, login = await new_user()
    r = await http.post("/api/v1/auth/logout", headers=bearer(token))
    assert r.status_code == 204
    r = await http.get("/api/v1/auth/me", headers=bearer(token))
    assert r.json()["error"]["code"] == "token_revoked"
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_revoked"


async def test_users_admin_is_staff_only(http, new_user):
    user, token, _ = await new_user()
    _, staff_token, _ = await new_user(staff=True)
    r = await http.get("/api/v1/users", headers=bearer(token))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    seen, offset = set(), 0
    while True:  # the shared test server holds many users: page through all of them
        r = await http.get(f"/api/v1/users?limit=500&offset={offset}", headers=bearer(staff_token))
        assert r.status_code == 200
        page = r.json()["items"]
        if not page:
            break
        seen.update(u["id"] for u in page)
        offset += len(page)
    assert user["id"] in seen
    r = await http.patch(
        "/api/v1/users/999999", json={"is_active": False}, headers=bearer(staff_token)
    )
    assert r.status_code == 404
    r = await http.patch(
        f"/api/v1/users/{user['id']}", json={"is_active": "no"}, headers=bearer(staff_token)
    )
    assert r.status_code == 422 and "is_active" in r.json()["error"]["fields"]
