"""/alerts as clients see it: unread counts, breach alerts fanned out, marking read, errors."""

from __future__ import annotations

import pytest

API = "/api/v1/alerts"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def alert_body(user_id: int, /, **overrides) -> dict:
    body = {
        "user_id": user_id,
        "breach_id": "breach-2026-0042",
        "title": "Your password appeared in a dump",
        "severity": "HIGH",
        "confidence": 0.87,
    }
    return {**body, **overrides}


@pytest.fixture
async def staff(new_user):
    _, token, _ = await new_user(staff=True)
    return token


@pytest.fixture
async def send_alert(http, staff):
    """Create an alert over REST as staff; returns the alert object."""

    async def send(user_id: int, /, **overrides) -> dict:
        r = await http.post(API, json=alert_body(user_id, **overrides), headers=bearer(staff))
        assert r.status_code == 201, r.text
        return r.json()

    return send


async def test_unread_count_follows_the_greeting(new_user, sio_client, send_alert):
    user, token, _ = await new_user()
    await send_alert(user["id"])
    await send_alert(user["id"], severity="LOW")
    tab = await sio_client("/alerts", token)
    assert await tab.wait("unread_count") == {"count": 2}
    ack = await tab.call("get_unread_count", {})
    assert ack == {"ok": True, "data": {"count": 2}}
    assert await tab.wait("unread_count") == {"count": 2}


async def test_new_alert_reaches_both_tabs_and_staff_but_not_another_user(
    new_user, sio_client, send_alert
):
    user, token, _ = await new_user()
    other, other_token, _ = await new_user()
    _, watcher_token, _ = await new_user(staff=True)
    tab1, tab2 = await sio_client("/alerts", token), await sio_client("/alerts", token)
    bystander = await sio_client("/alerts", other_token)
    watcher = await sio_client("/alerts", watcher_token)
    for client in (tab1, tab2, bystander, watcher):
        assert await client.wait("unread_count") == {"count": 0}

    alert = await send_alert(user["id"], detected_at="2026-11-22T17:00:00Z")
    assert alert["user_id"] == user["id"] and alert["read"] is False
    assert alert["detected_at"] == "2026-11-22T17:00:00.000Z" and alert["read_at"] is None
    for tab in (tab1, tab2):
        event = await tab.wait("breach_alert")
        assert event["message"] == alert and event["timestamp"].endswith("Z")
        assert await tab.wait("unread_count") == {"count": 1}
    assert (await watcher.wait("breach_alert"))["message"]["user_id"] == user["id"]
    # An alert for the bystander comes next: nothing of the first user's came before it.
    # Two, so that its own counts (1, then 2) tell apart a stray count of the first user's.
    theirs = await send_alert(other["id"])
    await send_alert(other["id"])
    assert (await bystander.wait("breach_alert"))["message"] == theirs
    await bystander.wait("breach_alert")
    counts = [(await bystander.wait("unread_count"))["count"] for _ in range(2)]
    assert counts == [1, 2]
    assert (await watcher.wait("breach_alert"))["message"] == theirs
    assert watcher.none_yet("unread_count")  # counts go to the user's sockets, never to staff


async def test_mark_read_in_one_tab_updates_the_other_once(new_user, sio_client, send_alert):
    user, token, _ = await new_user()
    _, watcher_token, _ = await new_user(staff=True)
    alert = await send_alert(user["id"])
    tab1, tab2 = await sio_client("/alerts", token), await sio_client("/alerts", token)
    watcher = await sio_client("/alerts", watcher_token)
    for tab in (tab1, tab2):
        assert await tab.wait("unread_count") == {"count": 1}

    ack = await tab1.call("mark_read", {"alert_id": alert["id"]})
    assert ack["ok"] is True
    assert ack["data"]["id"] == alert["id"] and ack["data"]["read"] is True
    assert ack["data"]["read_at"].endswith("Z")
    for client in (tab1, tab2, watcher):
        update = await client.wait("alert_update")
        assert update["alert_id"] == alert["id"] and update["update_type"] == "marked_read"
        assert update["user_id"] == user["id"] and update["timestamp"].endswith("Z")
    assert await tab2.wait("unread_count") == {"count": 0}

    again = await tab2.call("mark_read", {"alert_id": alert["id"]})
    assert again["ok"] is True and again["data"] == ack["data"]
    later = await send_alert(user["id"])
    for tab in (tab1, tab2):
        assert (await tab.wait("breach_alert"))["message"] == later
        assert tab.none_yet("alert_update")  # the second mark_read broadcast nothing


async def test_rest_mark_read_broadcasts_like_the_socket(http, new_user, sio_client, send_alert):
    user, token, _ = await new_user()
    alert = await send_alert(user["id"])
    tab = await sio_client("/alerts", token)
    assert await tab.wait("unread_count") == {"count": 1}
    r = await http.post(f"{API}/{alert['id']}/read", headers=bearer(token))
    assert r.status_code == 200 and r.json()["read"] is True
    assert (await tab.wait("alert_update"))["alert_id"] == alert["id"]
    assert await tab.wait("unread_count") == {"count": 0}
    r = await http.post(f"{API}/{alert['id']}/read", headers=bearer(token))
    assert (
        r.status_code == 200
        and r.json() == (await http.get(f"{API}/{alert['id']}", headers=bearer(token))).json()
    )
    later = await send_alert(user["id"])
    assert (await tab.wait("breach_alert"))["message"] == later
    assert tab.none_yet("alert_update")  # the second mark_read broadcast nothing


async def test_another_users_alert_is_not_found(http, new_user, sio_client, send_alert, staff):
    owner, owner_token, _ = await new_user()
    _, token, _ = await new_user()
    alert = await send_alert(owner["id"])
    tab = await sio_client("/alerts", token)
    ack = await tab.call("mark_read", {"alert_id": alert["id"]})
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    for r in (
        await http.get(f"{API}/{alert['id']}", headers=bearer(token)),
        await http.post(f"{API}/{alert['id']}/read", headers=bearer(token)),
        await http.get(f"{API}/999999", headers=bearer(owner_token)),
    ):
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await http.get(f"{API}/{alert['id']}", headers=bearer(staff))
    assert r.status_code == 200 and r.json()["read"] is False
    r = await http.get(f"{API}/{alert['id']}", headers=bearer(owner_token))
    assert r.status_code == 200 and r.json() == alert


async def test_list_is_newest_first_and_filters_unread(http, new_user, sio_client, send_alert):
    user, token, _ = await new_user()
    other, _, _ = await new_user()
    old = await send_alert(user["id"], detected_at="2026-01-01T00:00:00Z")
    new = await send_alert(user["id"], detected_at="2026-06-01T00:00:00+02:00")
    tie = await send_alert(user["id"], detected_at="2026-06-01T00:00:00+02:00")
    await send_alert(other["id"])
    tab = await sio_client("/alerts", token)
    await tab.call("mark_read", {"alert_id": new["id"]})

    listed = await tab.call("list", {})
    assert [a["id"] for a in listed["data"]] == [tie["id"], new["id"], old["id"]]
    assert (await tab.call("list"))["data"] == listed["data"]
    unread = await tab.call("list", {"unread_only": True})
    assert [a["id"] for a in unread["data"]] == [tie["id"], old["id"]]
    limited = await tab.call("list", {"limit": 1})
    assert [a["id"] for a in limited["data"]] == [tie["id"]]

    r = await http.get(API, headers=bearer(token))
    assert r.status_code == 200 and r.json() == {"items": listed["data"]}
    r = await http.get(f"{API}?unread_only=true&limit=1", headers=bearer(token))
    assert [a["id"] for a in r.json()["items"]] == [tie["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"severity": "SEVERE"}, "severity"),
        ({"severity": "high"}, "severity"),
        ({"confidence": 2}, "confidence"),
        ({"confidence": -0.1}, "confidence"),
        ({"confidence": "0.5"}, "confidence"),
        ({"user_id": "1"}, "user_id"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"breach_id": "b" * 129}, "breach_id"),
        ({"breach_id": 42}, "breach_id"),
        ({"detected_at": "yesterday"}, "detected_at"),
    ],
)
async def test_invalid_alerts_are_refused_by_field(http, new_user, staff, change, field):
    user, _, _ = await new_user()
    r = await http.post(API, json=alert_body(user["id"], **change), headers=bearer(staff))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]


async def test_bad_socket_payloads_are_validation_errors(http, new_user, sio_client):
    _, token, _ = await new_user()
    tab = await sio_client("/alerts", token)
    for payload, field in [
        ({"alert_id": "1"}, "alert_id"),
        ({}, "alert_id"),
        ("1", "_root"),
        (None, "_root"),
    ]:
        ack = await tab.call("mark_read", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error", payload
        assert field in ack["error"]["fields"], payload
    for payload, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"unread_only": "yes"}, "unread_only"),
    ]:
        ack = await tab.call("list", payload)
        assert ack["error"]["code"] == "validation_error" and field in ack["error"]["fields"]
    r = await http.get(f"{API}?limit=500", headers=bearer(token))
    assert r.status_code == 422 and "limit" in r.json()["error"]["fields"]
    assert (await tab.call("subscribe_to_updates", {})) == {
        "ok": True,
        "data": {"subscribed": True},
    }


async def test_only_staff_create_alerts(http, new_user, staff):
    user, token, _ = await new_user()
    r = await http.post(API, json=alert_body(user["id"]), headers=bearer(token))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert (await http.get(API, headers=bearer(token))).json() == {"items": []}
    r = await http.post(API, json=alert_body(user["id"]))
    assert r.status_code == 401
    r = await http.post(API, json=alert_body(10_000_000), headers=bearer(staff))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
