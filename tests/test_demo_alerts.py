"""The demo alerts: seeded once, and a demo user's socket greets with their unread count."""

from __future__ import annotations

from models.alerts import Alert
from models.users import User, create_user
from server.seeds.alerts import DEMO_ALERTS, seed

EMAIL, PASSWORD = "alice@example.com", "alice-password"


async def test_demo_alerts_are_seeded_once_and_counted_on_connect(http, sio_client):
    alice = await User.get_or_none(email=EMAIL) or await create_user(email=EMAIL, password=PASSWORD)
    await seed({EMAIL: alice})
    await seed({EMAIL: alice})
    mine = [row for row in DEMO_ALERTS if row[0] == EMAIL]
    assert await Alert.filter(user_id=alice.id).count() == len(mine)

    r = await http.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 200, r.text
    tab = await sio_client("/alerts", r.json()["access_token"])
    unread = sum(1 for row in mine if not row[-1])
    assert (await tab.wait("unread_count"))["count"] == unread
    ack = await tab.call("list", {"unread_only": True})
    assert [a["breach_id"] for a in ack["data"]] == [row[1] for row in mine if not row[-1]]
