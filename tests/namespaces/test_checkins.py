"""/checkins as clients see it: the staff board, members' own sockets, races and errors."""

from __future__ import annotations

import asyncio

import pytest

from server.app import create_asgi
from tests.harness import Client, InProcessServer

MEMBERS = "/api/v1/members"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def staff(new_user):
    _, token, _ = await new_user(staff=True)
    return token


@pytest.fixture
async def new_member(http, staff):
    """Create a member over REST as staff; returns the member object."""

    async def make(*, membership_status: str = "active", user_id: int | None = None) -> dict:
        body = {"name": "Test Member", "membership_status": membership_status, "user_id": user_id}
        r = await http.post(MEMBERS, json=body, headers=bearer(staff))
        assert r.status_code == 201, r.text
        return r.json()

    return make


@pytest.fixture
async def board(sio_client, staff):
    """A staff socket that has read its greeting `stats`."""
    client = await sio_client("/checkins", staff)
    client.first_stats = await client.wait("stats")
    return client


@pytest.fixture
async def other_node(server):
    """A second node on the same database and Redis (the scale-out backend only)."""
    if server.backend != "postgres-redis":
        # Without Redis the in-memory manager cannot span nodes: race on one node instead.
        yield server
        return
    node = InProcessServer(create_asgi(server.settings, manage_database=False))
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


def error_of(ack: dict) -> dict:
    assert ack["ok"] is False, ack
    return ack["error"]


async def test_staff_get_stats_after_the_greeting_and_users_do_not(sio_client, new_user, staff):
    staff_socket = await sio_client("/checkins", staff)
    assert staff_socket.greeting["is_staff"] is True
    board = await staff_socket.wait("stats")
    assert set(board) == {"checked_in_now", "checkins_today", "as_of"}
    assert board["as_of"].endswith("Z") and board["checked_in_now"] >= 0
    _, token, _ = await new_user()
    user_socket = await sio_client("/checkins", token)
    assert await user_socket.nothing("stats", within=0.3)
    assert error_of(await user_socket.call("get_stats"))["code"] == "forbidden"
    ack = await staff_socket.call("get_stats")
    assert ack["ok"] is True and ack["data"]["checked_in_now"] == board["checked_in_now"]


async def test_check_in_and_out_reach_the_board_and_the_members_own_user(
    sio_client, new_user, new_member, board, staff
):
    user, token, _ = await new_user()
    member = await new_member(user_id=user["id"])
    own = await sio_client("/checkins", token)
    kiosk = await sio_client("/checkins", staff)
    before = board.first_stats

    ack = await kiosk.call("check_in", {"member_id": member["id"]})
    assert ack["ok"] is True, ack
    checkin = ack["data"]
    assert set(checkin) == {"id", "member_id", "checked_in_at", "checked_out_at"}
    assert checkin["member_id"] == member["id"] and checkin["checked_out_at"] is None
    assert checkin["checked_in_at"].endswith("Z")
    event = await board.wait("checkin")
    assert event == {"checkin": checkin, "member": {**member, "status": "in"}}
    stats = await board.wait("stats")
    assert stats["checked_in_now"] == before["checked_in_now"] + 1
    assert stats["checkins_today"] == before["checkins_today"] + 1
    assert await own.wait("member_status") == {"member_id": member["id"], "status": "in"}
    assert own.none_yet("checkin")  # sent to staff before member_status: none came here

    # The member's own user checks out on their own socket.
    ack = await own.call("check_out", {"member_id": member["id"]})
    assert ack["ok"] is True, ack
    assert ack["data"]["id"] == checkin["id"] and ack["data"]["checked_out_at"].endswith("Z")
    event = await board.wait("checkout")
    assert event == {"checkin": ack["data"], "member": {**member, "status": "out"}}
    stats = await board.wait("stats")
    assert stats["checked_in_now"] == before["checked_in_now"]
    assert stats["checkins_today"] == before["checkins_today"] + 1
    assert await own.wait("member_status") == {"member_id": member["id"], "status": "out"}


async def test_double_check_in_and_check_out_when_out_are_conflicts(
    sio_client, new_member, board, staff
):
    member = await new_member()
    kiosk = await sio_client("/checkins", staff)
    error = error_of(await kiosk.call("check_out", {"member_id": member["id"]}))
    assert error["code"] == "conflict"
    assert (await kiosk.call("check_in", {"member_id": member["id"]}))["ok"] is True
    await board.wait("checkin")
    inside = (await board.wait("stats"))["checked_in_now"]
    error = error_of(await kiosk.call("check_in", {"member_id": member["id"]}))
    assert error["code"] == "conflict" and "checked in" in error["message"]
    # The check-out that follows is the board's next news: the refusal sent nothing.
    assert (await kiosk.call("check_out", {"member_id": member["id"]}))["ok"] is True
    assert (await board.wait("checkout"))["member"]["id"] == member["id"]
    assert board.none_yet("checkin")
    assert (await board.wait("stats"))["checked_in_now"] == inside - 1  # the check-out's


@pytest.mark.parametrize("membership", ["frozen", "expired"])
async def test_inactive_membership_is_forbidden(sio_client, new_member, board, staff, membership):
    member = await new_member(membership_status=membership)
    kiosk = await sio_client("/checkins", staff)
    error = error_of(await kiosk.call("check_in", {"member_id": member["id"]}))
    assert error["code"] == "forbidden"
    assert error["fields"]["reason"] == "membership_inactive"
    assert error["fields"]["membership_status"] == membership
    active = await new_member()
    assert (await kiosk.call("check_in", {"member_id": active["id"]}))["ok"] is True
    assert (await board.wait("checkin"))["member"]["id"] == active["id"]  # the refused one: none


async def test_a_user_may_not_touch_a_member_not_linked_to_them(sio_client, new_user, new_member):
    owner, _, _ = await new_user()
    _, token, _ = await new_user()
    theirs, unlinked = await new_member(user_id=owner["id"]), await new_member()
    socket = await sio_client("/checkins", token)
    for member in (theirs, unlinked):
        for event in ("check_in", "check_out"):
            error = error_of(await socket.call(event, {"member_id": member["id"]}))
            assert error["code"] == "not_found", (event, member)
    assert (await socket.call("list_members"))["data"] == []


async def test_racing_check_ins_on_two_nodes_open_one_check_in(
    http, sio_client, new_member, board, staff, other_node
):
    member = await new_member()
    a = await sio_client("/checkins", staff)
    b = Client("/checkins")
    await b.connect(other_node.url, auth={"token": staff})
    await b.wait("connection_established")
    try:
        for _ in range(3):
            acks = await asyncio.gather(
                a.call("check_in", {"member_id": member["id"]}),
                b.call("check_in", {"member_id": member["id"]}),
            )
            assert sorted(ack["ok"] for ack in acks) == [False, True], acks
            assert next(a for a in acks if not a["ok"])["error"]["code"] == "conflict"
            r = await http.get(
                f"/api/v1/checkins?member_id={member['id']}&open_only=true",
                headers=bearer(staff),
            )
            assert len(r.json()["items"]) == 1
            assert (await board.wait("checkin"))["member"]["id"] == member["id"]
            assert await board.nothing("checkin", within=0.3)

            acks = await asyncio.gather(
                a.call("check_out", {"member_id": member["id"]}),
                b.call("check_out", {"member_id": member["id"]}),
            )
            assert sorted(ack["ok"] for ack in acks) == [False, True], acks
            assert (await board.wait("checkout"))["member"]["status"] == "out"
    finally:
        await b.close()


async def test_bad_payloads_are_validation_errors_naming_the_field(sio_client, staff):
    kiosk = await sio_client("/checkins", staff)
    for payload, field in [
        ({}, "member_id"),
        ({"member_id": "1"}, "member_id"),
        ({"member_id": 1.5}, "member_id"),
        ({"member_id": True}, "member_id"),
        ({"member_id": None}, "member_id"),
        ({"member_id": 0}, "member_id"),
        ({"member_id": 10**30}, "member_id"),
        ([1], "_root"),
        ("1", "_root"),
        (None, "_root"),
    ]:
        for event in ("check_in", "check_out"):
            error = error_of(await kiosk.call(event, payload))
            assert error["code"] == "validation_error", (event, payload)
            assert field in error["fields"], (event, payload)
    for event in ("check_in", "check_out"):
        assert error_of(await kiosk.call(event, {"member_id": 2_000_000_000}))["code"] == (
            "not_found"
        )
    assert error_of(await kiosk.call("list_members", {"limit": 0}))["code"] == "validation_error"
    assert (await kiosk.call("ping", {"timestamp": 1}))["ok"] is True
