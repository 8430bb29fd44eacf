"""Replay after a reconnect to the same server, on both backends (memory and Redis Streams)."""

from __future__ import annotations

from tests.recovery.support import API, Recorder, bearer, offsets, position, post_alert, register


async def test_alerts_missed_while_away_are_replayed_in_order_once_before_live(
    server, http, staff_token
):
    user = await register(http)
    uid, stream = user["user"]["id"], f"user:{user['user']['id']}"
    first = Recorder("/alerts")
    await first.connect(server.url, {"token": user["access_token"]})
    start = await first.recovery()
    assert start["streams"][stream]["status"] == "current"
    await first.close()

    sent = [(await post_alert(http, staff_token, uid, n))["id"] for n in range(50)]

    again = Recorder("/alerts")
    await again.connect(
        server.url, {"token": user["access_token"], "recover": {stream: position(start, stream)}}
    )
    try:
        result = (await again.recovery())["streams"][stream]
        assert result["status"] == "recovered"
        assert result["count"] == 100  # 50 breach_alert + 50 unread_count
        names = [e for e, *_ in again.log]
        cut = names.index("recovery")
        replayed = [d for e, d, _ in again.log[:cut] if e == "breach_alert"]
        assert [a["message"]["id"] for a in replayed] == sent
        counts = [d for e, d, _ in again.log[:cut] if e == "unread_count"]
        assert [c["count"] for c in counts] == list(range(1, 51))
        mixed = [d for e, d, _ in again.log[:cut] if e in ("breach_alert", "unread_count")]
        start_o = start["streams"][stream]["o"]
        assert offsets(mixed, stream) == list(range(start_o + 1, start_o + 101))
        assert result["o"] == start_o + 100

        live = await post_alert(http, staff_token, uid, 99)
        await again.until(lambda: len(again.events("breach_alert")) == 51)
        last = again.events("breach_alert")[-1]
        assert last["message"]["id"] == live["id"]
        assert last["_stream"][stream]["o"] == start_o + 101
        assert len({a["message"]["id"] for a in again.events("breach_alert")}) == 51
    finally:
        await again.close()


async def test_chat_and_records_replayed_by_recover_and_on_connect(server, http):
    user = await register(http)
    token = user["access_token"]
    slug = f"rec-{user['user']['id']}"
    r = await http.post(
        f"{API}/chat/rooms",
        json={"slug": slug, "name": slug, "kind": "public"},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.text
    zone = (
        await http.post(f"{API}/zones", json={"name": f"{slug}.example.com"}, headers=bearer(token))
    ).json()

    chat = Recorder("/chat")
    await chat.connect(server.url, {"token": token})
    assert (await chat.call("join", {"room": slug}))["ok"]
    here = await chat.call("recover", {f"room:{slug}": {}})
    room_pos = position(here["data"], f"room:{slug}")
    assert here["data"]["streams"][f"room:{slug}"]["status"] == "current"
    await chat.close()

    dns = Recorder("/dns")
    await dns.connect(server.url, {"token": token})
    assert (await dns.call("subscribe", {"zone_id": zone["id"]}))["ok"]
    zone_here = await dns.call("recover", {f"zone:{zone['id']}": {}})
    zone_pos = position(zone_here["data"], f"zone:{zone['id']}")
    await dns.close()

    bodies = [f"m{n}" for n in range(50)]
    for body in bodies:
        r = await http.post(
            f"{API}/chat/rooms/{slug}/messages", json={"body": body}, headers=bearer(token)
        )
        assert r.status_code == 201, r.text
    names = []
    for n in range(50):
        rec = {"type": "A", "name": f"h{n}", "content": f"10.0.0.{n + 1}"}
        r = await http.post(f"{API}/zones/{zone['id']}/records", json=rec, headers=bearer(token))
        assert r.status_code == 201, r.text
        names.append(f"h{n}")

    # chat: join, then `recover` the room's stream (joined rooms only)
    chat = Recorder("/chat")
    await chat.connect(server.url, {"token": token})
    try:
        assert (await chat.call("join", {"room": slug}))["ok"]
        ack = await chat.call("recover", {f"room:{slug}": room_pos})
        assert ack["data"]["streams"][f"room:{slug}"] == {
            "status": "recovered",
            "count": 50,
            "o": room_pos["o"] + 50,
            "e": room_pos["e"],
        }
        assert [m["body"] for m in chat.events("message")] == bodies
    finally:
        await chat.close()

    # dns: the connect itself resubscribes the zone and replays its record changes
    dns = Recorder("/dns")
    stream = f"zone:{zone['id']}"
    await dns.connect(server.url, {"token": token, "recover": {stream: zone_pos}})
    try:
        result = (await dns.recovery())["streams"][stream]
        assert result["status"] == "recovered" and result["count"] == 50
        created = dns.events("record_created")
        assert [e["record"]["name"] for e in created] == names
        assert offsets(created, stream) == list(range(zone_pos["o"] + 1, zone_pos["o"] + 51))
        # resubscribed: a new change arrives live
        rec = {"type": "A", "name": "live", "content": "10.0.1.1"}
        await http.post(f"{API}/zones/{zone['id']}/records", json=rec, headers=bearer(token))
        await dns.until(lambda: len(dns.events("record_created")) == 51)
    finally:
        await dns.close()
