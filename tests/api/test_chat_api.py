"""/api/v1/chat over HTTP: rooms, members, history, and messages that reach the sockets."""

from __future__ import annotations

import uuid

import pytest

ROOMS = "/api/v1/chat/rooms"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_slug() -> str:
    return f"api-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def make_room(http):
    async def make(token: str, kind: str = "public") -> str:
        slug = new_slug()
        r = await http.post(
            ROOMS, json={"slug": slug, "name": " Team room ", "kind": kind}, headers=bearer(token)
        )
        assert r.status_code == 201, r.text
        assert r.json() == {"slug": slug, "name": "Team room", "kind": kind}
        return slug

    return make


async def test_rooms_list_what_the_caller_may_enter(http, new_user, make_room):
    _, token, _ = await new_user()
    _, other_token, _ = await new_user()
    _, staff_token, _ = await new_user(staff=True)
    mine = await make_room(token, "private")
    theirs = await make_room(other_token, "private")
    staff_only = await make_room(staff_token, "staff")

    listed = (await http.get(ROOMS, headers=bearer(token))).json()["items"]
    slugs = [room["slug"] for room in listed]
    assert {"slug": "general", "name": "General", "kind": "public"} in listed
    assert mine in slugs and theirs not in slugs
    assert "management" not in slugs and staff_only not in slugs
    assert slugs == sorted(slugs)
    everything = [
        r["slug"] for r in (await http.get(ROOMS, headers=bearer(staff_token))).json()["items"]
    ]
    assert {"general", "management", mine, theirs, staff_only} <= set(everything)

    assert (await http.get(f"{ROOMS}/{mine}", headers=bearer(token))).json()["slug"] == mine
    for slug, status in [(theirs, 403), ("management", 403), ("no-such-room", 404)]:
        r = await http.get(f"{ROOMS}/{slug}", headers=bearer(token))
        assert r.status_code == status, (slug, r.text)
    assert (await http.get(f"{ROOMS}/{theirs}", headers=bearer(staff_token))).status_code == 200
    assert (await http.get(ROOMS)).status_code == 401


BAD_ROOMS = [
    ({"slug": "Upper", "name": "x", "kind": "public"}, "slug"),
    ({"slug": "-edge", "name": "x", "kind": "public"}, "slug"),
    ({"slug": "has space", "name": "x", "kind": "public"}, "slug"),
    ({"slug": "a" * 65, "name": "x", "kind": "public"}, "slug"),
    ({"slug": 7, "name": "x", "kind": "public"}, "slug"),
    ({"slug": "ok-slug", "name": "   ", "kind": "public"}, "name"),
    ({"slug": "ok-slug", "name": "n" * 101, "kind": "public"}, "name"),
    ({"slug": "ok-slug", "name": "x", "kind": "secret"}, "kind"),
    ({"slug": "ok-slug", "name": "x"}, "kind"),
]


async def test_bad_rooms_are_refused_by_field(http, new_user):
    _, token, _ = await new_user()
    for body, field in BAD_ROOMS:
        r = await http.post(ROOMS, json=body, headers=bearer(token))
        assert r.status_code == 422, (body, r.text)
        error = r.json()["error"]
        assert error["code"] == "validation_error" and field in error["fields"], body
    slugs = [
        room["slug"] for room in (await http.get(ROOMS, headers=bearer(token))).json()["items"]
    ]
    assert "ok-slug" not in slugs


async def test_room_creation_rules(http, new_user, make_room):
    _, token, _ = await new_user()
    _, staff_token, _ = await new_user(staff=True)
    slug = await make_room(token)
    r = await http.post(
        ROOMS, json={"slug": slug, "name": "again", "kind": "public"}, headers=bearer(staff_token)
    )
    assert r.status_code == 409 and r.json()["error"]["fields"] == {"slug": "already exists"}
    r = await http.post(
        ROOMS, json={"slug": new_slug(), "name": "x", "kind": "staff"}, headers=bearer(token)
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await http.post(
        ROOMS, content=b"{nope", headers={**bearer(token), "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    r = await http.post(ROOMS, json=["general"], headers=bearer(token))
    assert r.status_code == 422


async def test_members_are_added_by_the_creator_or_staff(http, new_user, make_room):
    creator, token, _ = await new_user()
    friend, friend_token, _ = await new_user()
    _, stranger_token, _ = await new_user()
    _, staff_token, _ = await new_user(staff=True)
    slug = await make_room(token, "private")
    members = f"{ROOMS}/{slug}/members"

    listed = (await http.get(members, headers=bearer(token))).json()["items"]
    assert [m["id"] for m in listed] == [creator["id"]]
    assert (await http.get(f"{ROOMS}/{slug}", headers=bearer(friend_token))).status_code == 403
    r = await http.post(members, json={"user_id": friend["id"]}, headers=bearer(token))
    assert r.status_code == 201 and r.json()["user"]["id"] == friend["id"]
    r = await http.post(members, json={"user_id": friend["id"]}, headers=bearer(token))
    assert r.status_code == 200  # already a member: nothing new
    assert (await http.get(f"{ROOMS}/{slug}", headers=bearer(friend_token))).status_code == 200

    # A member who is not the creator may not add others; strangers are refused outright.
    r = await http.post(members, json={"user_id": creator["id"]}, headers=bearer(friend_token))
    assert r.status_code == 403
    r = await http.post(members, json={"user_id": friend["id"]}, headers=bearer(stranger_token))
    assert r.status_code == 403
    stranger_id = (await http.get("/api/v1/auth/me", headers=bearer(stranger_token))).json()
    r = await http.post(
        members, json={"user_id": stranger_id["user"]["id"]}, headers=bearer(staff_token)
    )
    assert r.status_code == 201
    for body, status in [({"user_id": 10_000_000}, 404), ({"user_id": "1"}, 422), ({}, 422)]:
        r = await http.post(members, json=body, headers=bearer(token))
        assert r.status_code == status, (body, r.text)
    r = await http.post(f"{ROOMS}/no-such-room/members", json={"user_id": 1}, headers=bearer(token))
    assert r.status_code == 404


async def test_a_rest_message_reaches_the_room_like_a_socket_one(
    http, new_user, sio_client, make_room
):
    _, token, _ = await new_user()
    reader, reader_token, _ = await new_user()
    slug = await make_room(token)
    tab = await sio_client("/chat", reader_token)
    assert (await tab.call("join", {"room": slug}))["ok"] is True

    url = f"{ROOMS}/{slug}/messages"
    r = await http.post(
        url, json={"body": " <i>hi</i> ", "client_id": "rest-1"}, headers=bearer(token)
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["body"] == "<i>hi</i>" and sent["room"] == slug and sent["client_id"] == "rest-1"
    assert await tab.wait("message") == sent

    r = await http.post(url, json={"body": "retry", "client_id": "rest-1"}, headers=bearer(token))
    assert r.status_code == 200 and r.json() == sent
    assert await tab.wait("message") == sent  # broadcast again: at least once, same id

    # The socket's answer to the same author and client_id is the same stored message.
    ack = await tab.call("message", {"room": slug, "body": "from the socket"})
    assert (await tab.wait("message"))["id"] == ack["data"]["id"]  # and nothing between
    assert (await http.get(url, headers=bearer(token))).json()["items"] == [sent, ack["data"]]
    assert reader["id"] == ack["data"]["author"]["id"]


async def test_rest_messages_obey_access_and_limits(http, new_user, make_room):
    _, token, _ = await new_user()
    _, other_token, _ = await new_user()
    private = await make_room(token, "private")
    public = await make_room(token)
    r = await http.post(
        f"{ROOMS}/{private}/messages", json={"body": "hi"}, headers=bearer(other_token)
    )
    assert r.status_code == 403
    r = await http.get(f"{ROOMS}/{private}/messages", headers=bearer(other_token))
    assert r.status_code == 403
    r = await http.post(f"{ROOMS}/management/messages", json={"body": "hi"}, headers=bearer(token))
    assert r.status_code == 403
    r = await http.post(f"{ROOMS}/nope/messages", json={"body": "hi"}, headers=bearer(token))
    assert r.status_code == 404
    for body, field in [
        ({"body": "   "}, "body"),
        ({"body": "z" * 4001}, "body"),
        ({"body": 1}, "body"),
        ({"body": "ok", "client_id": "c" * 65}, "client_id"),
    ]:
        r = await http.post(f"{ROOMS}/{public}/messages", json=body, headers=bearer(token))
        assert r.status_code == 422 and field in r.json()["error"]["fields"], body
    assert (await http.get(f"{ROOMS}/{public}/messages", headers=bearer(token))).json() == {
        "items": []
    }


async def test_rest_history_pages_and_clamps(http, new_user, make_room):
    _, token, _ = await new_user()
    slug = await make_room(token)
    url = f"{ROOMS}/{slug}/messages"
    for i in range(5):
        r = await http.post(url, json={"body": f"n{i}"}, headers=bearer(token))
        assert r.status_code == 201
    everything = (await http.get(url, headers=bearer(token))).json()["items"]
    assert [m["body"] for m in everything] == [f"n{i}" for i in range(5)]
    page = (await http.get(f"{url}?limit=2", headers=bearer(token))).json()["items"]
    assert [m["body"] for m in page] == ["n3", "n4"]
    older = await http.get(f"{url}?limit=2&before_id={page[0]['id']}", headers=bearer(token))
    assert [m["body"] for m in older.json()["items"]] == ["n1", "n2"]
    assert len((await http.get(f"{url}?limit=1000", headers=bearer(token))).json()["items"]) == 5
    for query, field in [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("before_id=x", "before_id"),
    ]:
        r = await http.get(f"{url}?{query}", headers=bearer(token))
        assert r.status_code == 422 and field in r.json()["error"]["fields"], query
