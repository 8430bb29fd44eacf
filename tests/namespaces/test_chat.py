"""/chat as clients see it: rooms, presence, messages, safe retries, history, guests, errors."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from models.chat import Message, Room

ROOMS = "/api/v1/chat/rooms"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def brief(user: dict) -> dict:
    name = f"{user['first_name']} {user['last_name']}".strip() or user["email"].split("@")[0]
    return {"id": user["id"], "name": name, "is_staff": user["is_staff"]}


def drop_transport(client) -> None:
    """Kill the client's TCP connection with no Socket.IO or Engine.IO goodbye (a crash)."""
    client.sio.eio.ws._conn.transport.abort()


@pytest.fixture
async def make_room(http):
    """Create a room over REST as the given user; returns its slug."""

    async def make(token: str, kind: str = "public") -> str:
        slug = f"t-{uuid.uuid4().hex[:10]}"
        r = await http.post(
            ROOMS, json={"slug": slug, "name": f"Room {slug}", "kind": kind}, headers=bearer(token)
        )
        assert r.status_code == 201, r.text
        return slug

    return make


def guest_name(client) -> str:
    """A guest's name, from its greeting (`connected to /chat as guest-xxxxxx`)."""
    name = client.greeting["message"].rsplit(" as ", 1)[-1]
    assert name.startswith("guest-") and len(name) == 12
    return name


async def joined(client, room: str) -> dict:
    ack = await client.call("join", {"room": room})
    assert ack["ok"] is True, ack
    return ack["data"]


async def test_two_users_and_a_guest_meet_in_general(new_user, sio_client):
    ann, ann_token, _ = await new_user(first_name="Ann")
    bo, bo_token, _ = await new_user()
    a, b = await sio_client("/chat", ann_token), await sio_client("/chat", bo_token)
    guest = await sio_client("/chat")
    assert guest.greeting["user_id"] is None

    first = await joined(a, "general")
    assert first["room"] == {"slug": "general", "name": "General", "kind": "public"}
    assert brief(ann) in first["present"] and isinstance(first["history"], list)
    second = await joined(b, "general")
    assert brief(ann) in second["present"] and brief(bo) in second["present"]
    assert await a.wait("presence") == {"room": "general", "user": brief(bo), "action": "joined"}
    # The joiner is told by its ack: the next presence it hears of is someone else's.
    cy, cy_token, _ = await new_user()
    await joined(await sio_client("/chat", cy_token), "general")
    assert await b.wait("presence") == {"room": "general", "user": brief(cy), "action": "joined"}
    assert (await a.wait("presence"))["user"] == brief(cy)

    # Guests are listed like users, under their name (docs/chat.md).
    as_guest = await joined(guest, "general")
    guest_brief = {"id": None, "name": guest_name(guest), "is_staff": False}
    assert guest_brief in as_guest["present"] and brief(ann) in as_guest["present"]
    assert await a.wait("presence") == {"room": "general", "user": guest_brief, "action": "joined"}

    ack = await b.call("message", {"room": "general", "body": "  hi all  "})
    assert ack["ok"] is True
    sent = ack["data"]
    assert sent["body"] == "hi all" and sent["author"] == brief(bo) and sent["room"] == "general"
    assert sent["client_id"] is None and sent["created_at"].endswith("Z")
    for client in (a, b, guest):
        assert await client.wait("message") == sent

    from_guest = (await guest.call("message", {"room": "general", "body": "lurker"}))["data"]
    assert from_guest["author"] == {"id": None, "name": guest_name(guest), "is_staff": False}
    assert await a.wait("message") == from_guest


async def test_history_is_oldest_first_pages_and_clamps(new_user, sio_client, make_room, http):
    user, token, _ = await new_user()
    slug = await make_room(token)
    room = await Room.get(slug=slug)
    await Message.bulk_create(
        [Message(room_id=room.id, author_id=user["id"], body=f"m{i}") for i in range(120)]
    )
    tab = await sio_client("/chat", token)
    history = (await joined(tab, slug))["history"]
    assert [m["body"] for m in history] == [f"m{i}" for i in range(70, 120)]
    assert all(m["author"] == brief(user) for m in history)

    newest = (await tab.call("history", {"room": slug, "limit": 3}))["data"]
    assert [m["body"] for m in newest] == ["m117", "m118", "m119"]
    older = await tab.call("history", {"room": slug, "before_id": newest[0]["id"], "limit": 2})
    assert [m["body"] for m in older["data"]] == ["m115", "m116"]
    clamped = (await tab.call("history", {"room": slug, "limit": 500}))["data"]
    assert len(clamped) == 100 and clamped[-1]["body"] == "m119"
    default = (await tab.call("history", {"room": slug}))["data"]
    assert default == history
    first = (await tab.call("history", {"room": slug, "before_id": history[0]["id"] - 69}))["data"]
    assert [m["body"] for m in first] == ["m0"]
    for bad, field in [
        ({"limit": 0}, "limit"),
        ({"limit": "5"}, "limit"),
        ({"before_id": 0}, "before_id"),
    ]:
        ack = await tab.call("history", {"room": slug, **bad})
        assert ack["error"]["code"] == "validation_error" and field in ack["error"]["fields"]


async def test_a_retry_with_the_same_client_id_is_stored_once_and_broadcast_again(
    new_user, sio_client, make_room
):
    _, token, _ = await new_user()
    _, other_token, _ = await new_user()
    slug = await make_room(token)
    tab, watcher = await sio_client("/chat", token), await sio_client("/chat", other_token)
    await joined(tab, slug)
    await joined(watcher, slug)

    first = await tab.call("message", {"room": slug, "body": "once", "client_id": "c-1"})
    again = await tab.call("message", {"room": slug, "body": "once, edited", "client_id": "c-1"})
    assert first["ok"] and again["data"] == first["data"] and first["data"]["client_id"] == "c-1"
    # At least once: the retry is broadcast again (its first try's node may have died before
    # broadcasting); it is the same message, same id, which clients drop as a duplicate.
    assert await watcher.wait("message") == first["data"]
    assert await watcher.wait("message") == first["data"]
    # (the racing messages below must be the next ones: nothing else came between)

    racing = await asyncio.gather(
        *(tab.call("message", {"room": slug, "body": "race", "client_id": "c-2"}) for _ in range(4))
    )
    assert len({ack["data"]["id"] for ack in racing}) == 1 and all(a["ok"] for a in racing)
    for _ in racing:
        assert (await watcher.wait("message"))["id"] == racing[0]["data"]["id"]

    # Unique per author: another author's same client_id is another message.
    theirs = await watcher.call("message", {"room": slug, "body": "mine", "client_id": "c-1"})
    assert theirs["data"]["id"] != first["data"]["id"]
    assert (await watcher.wait("message"))["id"] == theirs["data"]["id"]  # nothing between
    stored = (await tab.call("history", {"room": slug}))["data"]
    assert [m["body"] for m in stored] == ["once", "race", "mine"]


async def test_a_burst_of_messages_is_stored_once_each_and_broadcast(
    new_user, sio_client, make_room
):
    # Messages that arrive while one commits share a transaction (models.group_commit); a
    # duplicate client_id among them must not cost the others their message.
    _, token, _ = await new_user()
    _, other_token, _ = await new_user()
    slug = await make_room(token)
    tab, watcher = await sio_client("/chat", token), await sio_client("/chat", other_token)
    await joined(tab, slug)
    await joined(watcher, slug)
    ids = [f"b-{n % 12}" for n in range(16)]  # 12 distinct, 4 retries inside the burst
    acks = await asyncio.gather(
        *(tab.call("message", {"room": slug, "body": cid, "client_id": cid}) for cid in ids)
    )
    assert all(ack["ok"] for ack in acks), acks
    by_client = {}
    for cid, ack in zip(ids, acks, strict=True):
        assert ack["data"]["client_id"] == cid and ack["data"]["body"] == cid
        by_client.setdefault(cid, ack["data"]["id"])
        assert ack["data"]["id"] == by_client[cid]
    got = [await watcher.wait("message", timeout=10) for _ in ids]
    assert sorted({m["id"] for m in got}) == sorted(by_client.values())
    assert await watcher.nothing("message", within=0.3)
    stored = (await tab.call("history", {"room": slug}))["data"]
    assert sorted(m["client_id"] for m in stored) == sorted(by_client)


async def test_a_guest_retry_is_deduplicated_for_that_socket(sio_client):
    guest = await sio_client("/chat")
    await joined(guest, "general")
    body = {"room": "general", "body": f"guest {uuid.uuid4().hex}", "client_id": "g-1"}
    first, again = await guest.call("message", body), await guest.call("message", body)
    assert first["data"] == again["data"]
    assert (await guest.wait("message"))["id"] == first["data"]["id"]
    assert (await guest.wait("message"))["id"] == first["data"]["id"]  # the retry's broadcast
    later = await guest.call("message", {**body, "client_id": "g-2"})
    assert (await guest.wait("message"))["id"] == later["data"]["id"]  # nothing between


async def test_guests_stay_out_of_staff_and_private_rooms(new_user, sio_client, make_room):
    _, token, _ = await new_user()
    private = await make_room(token, "private")
    guest = await sio_client("/chat")
    for room, code in [("management", "forbidden"), (private, "forbidden"), ("nope", "not_found")]:
        ack = await guest.call("join", {"room": room})
        assert ack["ok"] is False and ack["error"]["code"] == code, (room, ack)
    ack = await guest.call("message", {"room": "management", "body": "let me in"})
    assert ack["error"]["code"] == "forbidden"


async def test_private_rooms_admit_members_and_staff(http, new_user, sio_client, make_room):
    _, owner_token, _ = await new_user()
    friend, friend_token, _ = await new_user()
    _, stranger_token, _ = await new_user()
    _, staff_token, _ = await new_user(staff=True)
    slug = await make_room(owner_token, "private")
    tab = await sio_client("/chat", friend_token)
    ack = await tab.call("join", {"room": slug})
    assert ack["error"]["code"] == "forbidden" and ack["error"]["fields"] == {
        "room": "members only"
    }

    members = f"{ROOMS}/{slug}/members"
    r = await http.post(members, json={"user_id": friend["id"]}, headers=bearer(stranger_token))
    assert r.status_code == 403
    r = await http.post(members, json={"user_id": friend["id"]}, headers=bearer(owner_token))
    assert r.status_code == 201 and r.json() == {"room": slug, "user": brief(friend)}
    ack = await tab.call("join", {"room": slug})
    assert ack["ok"] is True and ack["data"]["room"]["kind"] == "private"

    watcher = await sio_client("/chat", staff_token)
    assert (await watcher.call("join", {"room": slug}))["ok"] is True
    assert (await watcher.call("join", {"room": "management"}))["ok"] is True
    stranger = await sio_client("/chat", stranger_token)
    ack = await stranger.call("join", {"room": "management"})
    assert ack["error"]["code"] == "forbidden" and ack["error"]["fields"] == {"room": "staff only"}


async def test_presence_follows_a_users_first_and_last_socket(new_user, sio_client, make_room):
    _, token, _ = await new_user()
    mover, mover_token, _ = await new_user()
    slug = await make_room(token)
    watcher = await sio_client("/chat", token)
    await joined(watcher, slug)
    tab1, tab2 = await sio_client("/chat", mover_token), await sio_client("/chat", mover_token)
    await joined(tab1, slug)
    assert await watcher.wait("presence") == {
        "room": slug,
        "user": brief(mover),
        "action": "joined",
    }
    again = await joined(tab2, slug)
    assert [u["id"] for u in again["present"]].count(mover["id"]) == 1
    assert await joined(tab2, slug) == again  # a doubled join changes nothing
    assert await tab1.call("leave", {"room": slug}) == {"ok": True, "data": {"room": slug}}
    # tab2 is still there: neither the second tab nor this leave is heard of; the next
    # presence event is a newcomer's.
    newcomer, newcomer_token, _ = await new_user()
    newcomer_tab = await sio_client("/chat", newcomer_token)
    await joined(newcomer_tab, slug)
    assert await watcher.wait("presence") == {
        "room": slug,
        "user": brief(newcomer),
        "action": "joined",
    }
    assert (await newcomer_tab.call("leave", {"room": slug}))["ok"] is True
    assert (await watcher.wait("presence"))["user"] == brief(newcomer)
    drop_transport(tab2)
    assert await watcher.wait("presence") == {"room": slug, "user": brief(mover), "action": "left"}
    present = (await joined(watcher, slug))["present"]
    assert [u["id"] for u in present] == [watcher.greeting["user_id"]]

    await joined(tab1, slug)
    assert (await watcher.wait("presence"))["action"] == "joined"
    assert (await tab1.call("leave", {"room": slug}))["ok"] is True
    assert (await watcher.wait("presence"))["action"] == "left"
    assert (await tab1.call("leave", {"room": slug}))["ok"] is True  # not in it: a no-op
    await joined(newcomer_tab, slug)
    assert (await watcher.wait("presence"))["user"] == brief(newcomer)  # nothing between


async def test_html_stays_text_everywhere(http, new_user, sio_client, make_room):
    _, token, _ = await new_user()
    slug = await make_room(token)
    tab = await sio_client("/chat", token)
    await joined(tab, slug)
    body = "<script>alert('x')</script> &amp; <b>bold</b> \"q\" ünïcødé"
    ack = await tab.call("message", {"room": slug, "body": body})
    assert ack["data"]["body"] == body and (await tab.wait("message"))["body"] == body
    assert (await tab.call("history", {"room": slug}))["data"][-1]["body"] == body
    r = await http.get(f"{ROOMS}/{slug}/messages", headers=bearer(token))
    assert r.json()["items"][-1]["body"] == body


BAD_MESSAGES = [
    ({"body": ""}, "body"),
    ({"body": " \n\t "}, "body"),
    ({"body": "x" * 4001}, "body"),
    ({"body": " " + "x" * 4001}, "body"),
    ({"body": 5}, "body"),
    ({"body": None}, "body"),
    ({"body": ["hi"]}, "body"),
    ({}, "body"),
    ({"body": "hi", "client_id": "c" * 65}, "client_id"),
    ({"body": "hi", "client_id": ""}, "client_id"),
    ({"body": "hi", "client_id": 7}, "client_id"),
    ({"body": "hi", "room": 1}, "room"),
    ({"body": "hi", "room": None}, "room"),
]


async def test_bad_messages_are_refused_by_field(new_user, sio_client, make_room):
    _, token, _ = await new_user()
    slug = await make_room(token)
    tab = await sio_client("/chat", token)
    await joined(tab, slug)
    for payload, field in BAD_MESSAGES:
        ack = await tab.call("message", {"room": slug, **payload})
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error", (payload, ack)
        assert field in ack["error"]["fields"], payload
    assert (await tab.call("history", {"room": slug}))["data"] == []
    later = await tab.call("message", {"room": slug, "body": "valid"})
    assert (await tab.wait("message"))["id"] == later["data"]["id"]  # no refused one came first


async def test_body_limits_are_after_trimming(new_user, sio_client, make_room):
    _, token, _ = await new_user()
    slug = await make_room(token)
    tab = await sio_client("/chat", token)
    await joined(tab, slug)
    longest = "y" * 4000
    ack = await tab.call("message", {"room": slug, "body": f"  {longest}\n"})
    assert ack["ok"] is True and ack["data"]["body"] == longest
    ack = await tab.call("message", {"room": slug, "body": "x"})
    assert ack["ok"] is True and ack["data"]["body"] == "x"
    for payload in ("hello", None, ["general"]):
        ack = await tab.call("message", payload)
        assert ack["error"]["code"] == "validation_error" and "_root" in ack["error"]["fields"]


async def test_events_need_a_joined_room(new_user, sio_client, make_room):
    _, token, _ = await new_user()
    slug = await make_room(token)
    tab = await sio_client("/chat", token)
    for event, payload in [
        ("message", {"room": slug, "body": "too early"}),
        ("typing", {"room": slug}),
        ("history", {"room": slug}),
        ("message", {"room": "general", "body": "too early"}),
    ]:
        ack = await tab.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (event, ack)
    await joined(tab, slug)
    assert (await tab.call("leave", {"room": slug}))["ok"] is True
    ack = await tab.call("message", {"room": slug, "body": "after leaving"})
    assert ack["error"]["code"] == "forbidden"
    await joined(tab, "general")
    later = await tab.call("message", {"room": "general", "body": "where I am"})
    assert (await tab.wait("message"))["id"] == later["data"]["id"]  # no earlier one came


async def test_typing_reaches_the_others_only(new_user, sio_client, make_room):
    typist, token, _ = await new_user()
    _, other_token, _ = await new_user()
    slug = await make_room(token)
    tab, other = await sio_client("/chat", token), await sio_client("/chat", other_token)
    await joined(tab, slug)
    await joined(other, slug)
    assert (await tab.call("typing", {"room": slug})) == {"ok": True, "data": None}
    assert await other.wait("typing") == {"room": slug, "user": brief(typist)}
    await tab.emit("typing", {"room": slug})  # no ack asked: still delivered
    assert await other.wait("typing") == {"room": slug, "user": brief(typist)}
    assert (await other.call("typing", {"room": slug}))["ok"] is True
    # The first typing this tab hears of is the other's: never its own.
    assert (await tab.wait("typing"))["user"]["id"] == other.greeting["user_id"]


async def test_demo_seed_is_idempotent_and_visible_to_members(new_user, sio_client):
    from models.users import User
    from server.seeds import chat as chat_seed

    made = [await new_user(staff=True), await new_user(), await new_user()]
    rows = [await User.get(id=user["id"]) for user, _, _ in made]
    users = dict(zip((chat_seed.ADMIN, chat_seed.ALICE, chat_seed.BOB), rows, strict=True))
    await chat_seed.seed(users)
    tab = await sio_client("/chat", made[2][1])
    seeded = (await joined(tab, "book-club"))["history"]
    assert [m["client_id"] for m in seeded] == ["demo-3", "demo-3"]
    assert seeded[1]["body"] == "Yes, <b>please</b> (this stays text, not HTML)."

    await chat_seed.seed(users)
    assert (await tab.call("history", {"room": "book-club"}))["data"] == seeded
    stranger = await sio_client("/chat")
    assert (await stranger.call("join", {"room": "book-club"}))["error"]["code"] == "forbidden"
