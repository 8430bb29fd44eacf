"""/api/v1/members and /api/v1/checkins: CRUD, who sees what, and the same events as sockets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.checkins import Checkin, Member, utc_midnight
from models.common import utcnow
from models.users import User
from server.seeds import checkins as seed

MEMBERS = "/api/v1/members"
CHECKINS = "/api/v1/checkins"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def staff(new_user):
    _, token, _ = await new_user(staff=True)
    return token


@pytest.fixture
async def new_member(http, staff):
    async def make(*, membership_status: str = "active", user_id: int | None = None) -> dict:
        body = {"name": "  Rest Member ", "membership_status": membership_status}
        if user_id is not None:
            body["user_id"] = user_id
        r = await http.post(MEMBERS, json=body, headers=bearer(staff))
        assert r.status_code == 201, r.text
        return r.json()

    return make


async def stats(http, staff) -> dict:
    r = await http.get(f"{CHECKINS}/stats", headers=bearer(staff))
    assert r.status_code == 200, r.text
    return r.json()


async def test_rest_check_in_and_out_produce_the_socket_events(
    http, new_user, new_member, sio_client, staff
):
    user, token, _ = await new_user()
    member = await new_member(user_id=user["id"])
    assert member["name"] == "Rest Member" and member["status"] == "out"
    board = await sio_client("/checkins", staff)
    before = await board.wait("stats")
    own = await sio_client("/checkins", token)

    r = await http.post(CHECKINS, json={"member_id": member["id"]}, headers=bearer(token))
    assert r.status_code == 201, r.text
    checkin = r.json()
    assert checkin["member_id"] == member["id"] and checkin["checked_out_at"] is None
    event = await board.wait("checkin")
    assert event == {"checkin": checkin, "member": {**member, "status": "in"}}
    assert (await board.wait("stats"))["checked_in_now"] == before["checked_in_now"] + 1
    assert await own.wait("member_status") == {"member_id": member["id"], "status": "in"}
    r = await http.get(f"{MEMBERS}/{member['id']}", headers=bearer(token))
    assert r.json()["status"] == "in"

    r = await http.post(f"{MEMBERS}/{member['id']}/checkout", headers=bearer(staff))
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["id"] == checkin["id"] and closed["checked_out_at"].endswith("Z")
    assert closed["checked_in_at"] == checkin["checked_in_at"]
    assert await board.wait("checkout") == {
        "checkin": closed,
        "member": {**member, "status": "out"},
    }
    assert (await board.wait("stats"))["checked_in_now"] == before["checked_in_now"]
    assert await own.wait("member_status") == {"member_id": member["id"], "status": "out"}
    r = await http.get(f"{CHECKINS}/{checkin['id']}", headers=bearer(token))
    assert r.status_code == 200 and r.json() == closed

    r = await http.post(f"{MEMBERS}/{member['id']}/checkout", headers=bearer(staff))
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    r = await http.post(CHECKINS, json={"member_id": member["id"]}, headers=bearer(staff))
    assert r.status_code == 201, r.text
    assert (await board.wait("checkin"))["checkin"]["id"] == r.json()["id"]
    assert board.none_yet("checkout")  # the refused check-out broadcast nothing


async def test_rest_conflicts_and_inactive_memberships(http, new_member, staff):
    member = await new_member()
    r = await http.post(CHECKINS, json={"member_id": member["id"]}, headers=bearer(staff))
    assert r.status_code == 201
    r = await http.post(CHECKINS, json={"member_id": member["id"]}, headers=bearer(staff))
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"

    # Frozen while inside: the member may still leave, but not come back.
    r = await http.patch(
        f"{MEMBERS}/{member['id']}", json={"membership_status": "frozen"}, headers=bearer(staff)
    )
    assert r.status_code == 200 and r.json()["membership_status"] == "frozen"
    r = await http.post(f"{MEMBERS}/{member['id']}/checkout", headers=bearer(staff))
    assert r.status_code == 200
    for membership in ("frozen", "expired"):
        r = await http.patch(
            f"{MEMBERS}/{member['id']}",
            json={"membership_status": membership},
            headers=bearer(staff),
        )
        assert r.status_code == 200
        r = await http.post(CHECKINS, json={"member_id": member["id"]}, headers=bearer(staff))
        assert r.status_code == 403, r.text
        error = r.json()["error"]
        assert error["code"] == "forbidden" and error["fields"]["reason"] == "membership_inactive"
    r = await http.get(f"{CHECKINS}?member_id={member['id']}&open_only=true", headers=bearer(staff))
    assert r.json() == {"items": []}


async def test_checkins_today_counts_only_the_utc_day(http, new_member, staff):
    member = await new_member()
    before = await stats(http, staff)
    midnight = utc_midnight(utcnow())
    # Seeded history: a visit that ended just before midnight UTC is yesterday's.
    await Checkin.create(
        member_id=member["id"],
        checked_in_at=midnight - timedelta(hours=1),
        checked_out_at=midnight - timedelta(seconds=1),
    )
    assert (await stats(http, staff))["checkins_today"] == before["checkins_today"]
    await Checkin.create(
        member_id=member["id"], checked_in_at=midnight, checked_out_at=midnight + timedelta(0, 1)
    )
    after = await stats(http, staff)
    assert after["checkins_today"] == before["checkins_today"] + 1
    assert after["checked_in_now"] == before["checked_in_now"]
    assert after["as_of"].endswith("Z")
    r = await http.post(CHECKINS, json={"member_id": member["id"]}, headers=bearer(staff))
    assert r.status_code == 201
    now = await stats(http, staff)
    assert now["checkins_today"] == before["checkins_today"] + 2
    assert now["checked_in_now"] == before["checked_in_now"] + 1
    listed = (await http.get(f"{CHECKINS}?member_id={member['id']}", headers=bearer(staff))).json()
    # Newest first: the live check-in, today's, then yesterday's.
    assert [c["checked_in_at"][:10] for c in listed["items"][1:]] == [
        midnight.date().isoformat(),
        (midnight - timedelta(hours=1)).date().isoformat(),
    ]
    assert len(listed["items"]) == 3 and listed["items"][0]["id"] == r.json()["id"]


async def test_members_crud_is_staff_only_and_users_see_their_own(
    http, new_user, new_member, staff, sio_client
):
    user, token, _ = await new_user()
    other, other_token, _ = await new_user()
    mine = await new_member(user_id=user["id"])
    theirs = await new_member(user_id=other["id"])
    body = {"name": "X", "membership_status": "active"}
    r = await http.post(MEMBERS, json=body, headers=bearer(token))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert (await http.post(MEMBERS, json=body)).status_code == 401

    r = await http.get(MEMBERS, headers=bearer(token))
    assert r.status_code == 200 and r.json() == {"items": [mine]}
    socket = await sio_client("/checkins", token)
    assert (await socket.call("list_members", {}))["data"] == [mine]
    for path in (f"{MEMBERS}/{theirs['id']}", f"{MEMBERS}/2000000000", f"{MEMBERS}/99999999999"):
        r = await http.get(path, headers=bearer(token))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
    r = await http.post(CHECKINS, json={"member_id": theirs["id"]}, headers=bearer(token))
    assert r.status_code == 404
    r = await http.post(f"{MEMBERS}/{theirs['id']}/checkout", headers=bearer(token))
    assert r.status_code == 404
    r = await http.get(f"{CHECKINS}?member_id={theirs['id']}", headers=bearer(token))
    assert r.status_code == 404
    r = await http.post(CHECKINS, json={"member_id": theirs["id"]}, headers=bearer(other_token))
    assert r.status_code == 201
    assert (await http.get(CHECKINS, headers=bearer(token))).json() == {"items": []}
    r = await http.get(f"{CHECKINS}/{r.json()['id']}", headers=bearer(token))
    assert r.status_code == 404
    r = await http.get(f"{MEMBERS}?status=in&limit=100", headers=bearer(staff))
    assert theirs["id"] in [m["id"] for m in r.json()["items"]]

    # PATCH: staff only; user_id null unlinks; status is not patchable.
    r = await http.patch(f"{MEMBERS}/{mine['id']}", json={"name": "Y"}, headers=bearer(token))
    assert r.status_code == 403
    r = await http.patch(
        f"{MEMBERS}/{mine['id']}",
        json={"name": " Renamed ", "user_id": None, "status": "in"},
        headers=bearer(staff),
    )
    assert r.status_code == 200
    assert r.json() == {**mine, "name": "Renamed", "user_id": None, "status": "out"}
    assert (await http.get(MEMBERS, headers=bearer(token))).json() == {"items": []}
    r = await http.patch(
        f"{MEMBERS}/{mine['id']}", json={"user_id": user["id"]}, headers=bearer(staff)
    )
    assert r.json()["user_id"] == user["id"] and r.json()["name"] == "Renamed"

    # DELETE: staff only; the member's check-ins go with it.
    assert (
        await http.delete(f"{MEMBERS}/{theirs['id']}", headers=bearer(token))
    ).status_code == 403
    assert (
        await http.delete(f"{MEMBERS}/{theirs['id']}", headers=bearer(staff))
    ).status_code == 204
    assert (await http.get(f"{MEMBERS}/{theirs['id']}", headers=bearer(staff))).status_code == 404
    assert (
        await http.delete(f"{MEMBERS}/{theirs['id']}", headers=bearer(staff))
    ).status_code == 404
    assert (await http.get(f"{CHECKINS}/stats", headers=bearer(token))).status_code == 403


async def test_bad_check_in_bodies_name_the_field(http, staff):
    for body, field in [
        ({}, "member_id"),
        ({"member_id": "1"}, "member_id"),
        ({"member_id": 1.0}, "member_id"),
        ({"member_id": False}, "member_id"),
        ({"member_id": -1}, "member_id"),
        ({"member_id": 10**20}, "member_id"),
        ([1, 2], "_root"),
    ]:
        r = await http.post(CHECKINS, json=body, headers=bearer(staff))
        assert r.status_code == 422, (body, r.text)
        error = r.json()["error"]
        assert error["code"] == "validation_error" and field in error["fields"], body


async def test_other_bad_requests(http, new_user, staff):
    user, _, _ = await new_user()
    r = await http.post(CHECKINS, json={"member_id": 2_000_000_000}, headers=bearer(staff))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await http.post(
        CHECKINS, content=b"{nope", headers={**bearer(staff), "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    assert (await http.post(CHECKINS, json={"member_id": 1})).status_code == 401
    r = await http.post(f"{MEMBERS}/99999999999999/checkout", headers=bearer(staff))
    assert r.status_code == 404
    for query, field in [
        ("limit=0", "limit"),
        ("limit=500", "limit"),
        ("offset=-1", "offset"),
        ("member_id=abc", "member_id"),
        ("open_only=maybe", "open_only"),
    ]:
        r = await http.get(f"{CHECKINS}?{query}", headers=bearer(staff))
        assert r.status_code == 422 and field in r.json()["error"]["fields"], query
    for body, field in [
        ({"name": "", "membership_status": "active"}, "name"),
        ({"name": "   ", "membership_status": "active"}, "name"),
        ({"name": "x" * 201, "membership_status": "active"}, "name"),
        ({"name": "N", "membership_status": "paused"}, "membership_status"),
        ({"name": "N"}, "membership_status"),
        ({"name": "N", "membership_status": "active", "user_id": "1"}, "user_id"),
    ]:
        r = await http.post(MEMBERS, json=body, headers=bearer(staff))
        assert r.status_code == 422 and field in r.json()["error"]["fields"], body
    body = {"name": "N", "membership_status": "active", "user_id": 2_000_000_000}
    r = await http.post(MEMBERS, json=body, headers=bearer(staff))
    assert r.status_code == 404
    body = {"name": "N", "membership_status": "active", "user_id": user["id"]}
    member = (await http.post(MEMBERS, json=body, headers=bearer(staff))).json()
    for change, field in [
        ({"name": None}, "name"),
        ({"membership_status": None}, "membership_status"),
        ({"membership_status": "ACTIVE"}, "membership_status"),
        ({"user_id": 1.5}, "user_id"),
    ]:
        r = await http.patch(f"{MEMBERS}/{member['id']}", json=change, headers=bearer(staff))
        assert r.status_code == 422 and field in r.json()["error"]["fields"], change
    r = await http.patch(f"{MEMBERS}/{member['id']}", json={}, headers=bearer(staff))
    assert r.status_code == 200 and r.json() == member


async def test_demo_seed_is_idempotent_and_consistent(http, new_user, staff):
    alice, _, _ = await new_user()
    users = {seed.ALICE: await User.get(id=alice["id"])}
    names = [row[0] for row in seed.DEMO_MEMBERS]
    await seed.seed(users)
    await seed.seed(users)
    ids = await Member.filter(name__in=names).values_list("id", flat=True)
    demo = [(await http.get(f"{MEMBERS}/{id_}", headers=bearer(staff))).json() for id_ in ids]
    assert sorted(m["name"] for m in demo) == sorted(names)
    by_name = {m["name"]: m for m in demo}
    assert by_name["Alice Example"]["user_id"] == alice["id"]
    assert {m["membership_status"] for m in demo} == {"active", "frozen", "expired"}
    for member in demo:
        query = f"member_id={member['id']}&open_only=true"
        r = await http.get(f"{CHECKINS}?{query}", headers=bearer(staff))
        assert len(r.json()["items"]) == (1 if member["status"] == "in" else 0), member
