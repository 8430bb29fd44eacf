"""Privileges follow the account (issue 12 point 5): a role change reaches open sockets."""

from __future__ import annotations


async def test_a_demoted_staff_member_loses_staff_powers_on_open_sockets(
    http, new_user, sio_client
):
    _, admin_token, _ = await new_user(staff=True)
    demoted, demoted_token, _ = await new_user(staff=True)
    other, _, _ = await new_user()
    sockets = [await sio_client(ns, demoted_token) for ns in ("/alerts", "/chat", "/dns")]
    assert sockets[1].greeting["is_staff"] is True
    r = await http.patch(
        f"/api/v1/users/{demoted['id']}",
        json={"is_staff": False},
        headers={"authorization": f"Bearer {admin_token}"},
    )
    assert r.status_code == 200 and r.json()["is_staff"] is False
    for client in sockets:
        await client.wait_disconnected(timeout=5)
    # reconnecting gives the new role: no staff room, no management room
    chat = await sio_client("/chat", demoted_token)
    assert chat.greeting["is_staff"] is False
    ack = await chat.call("join", {"room": "management"})
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    alerts = await sio_client("/alerts", demoted_token)
    r = await http.post(
        "/api/v1/alerts",
        json={
            "user_id": other["id"],
            "breach_id": "b",
            "title": "t",
            "severity": "LOW",
            "confidence": 0.5,
        },
        headers={"authorization": f"Bearer {admin_token}"},
    )
    assert r.status_code == 201
    # An alert of the demoted user's own comes next: the other user's (staff feed) did not.
    r = await http.post(
        "/api/v1/alerts",
        json={
            "user_id": demoted["id"],
            "breach_id": "b",
            "title": "mine",
            "severity": "LOW",
            "confidence": 0.5,
        },
        headers={"authorization": f"Bearer {admin_token}"},
    )
    assert r.status_code == 201
    assert (await alerts.wait("breach_alert"))["message"]["id"] == r.json()["id"]


async def test_a_promoted_user_gains_staff_powers_after_reconnecting(http, new_user, sio_client):
    _, admin_token, _ = await new_user(staff=True)
    user, token, _ = await new_user()
    client = await sio_client("/chat", token)
    r = await http.patch(
        f"/api/v1/users/{user['id']}",
        json={"is_staff": True},
        headers={"authorization": f"Bearer {admin_token}"},
    )
    assert r.status_code == 200
    await client.wait_disconnected(timeout=5)
    again = await sio_client("/chat", token)
    assert again.greeting["is_staff"] is True
    assert (await again.call("join", {"room": "management"}))["ok"] is True
