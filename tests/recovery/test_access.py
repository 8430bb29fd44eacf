"""Only readable streams are replayed; a wrong epoch is a gap, never a silent hole."""

from __future__ import annotations

from models.users import User
from tests.recovery.support import Recorder, position, post_alert, register


async def test_another_users_stream_gives_nothing(server, http, staff_token):
    victim, thief = await register(http), await register(http)
    vstream = f"user:{victim['user']['id']}"
    await post_alert(http, staff_token, victim["user"]["id"], 1)

    client = Recorder("/alerts")
    asked = {vstream: {"o": 0, "e": None}, "staff": {"o": 0}, "login:x": {"o": 0}}
    await client.connect(server.url, {"token": thief["access_token"], "recover": asked})
    try:
        streams = (await client.recovery())["streams"]
        assert streams[vstream] == {"status": "denied"}
        assert streams["staff"] == {"status": "denied"}
        assert streams["login:x"] == {"status": "denied"}
        ack = await client.call("recover", {vstream: {"o": 0}, "staff": {"o": 0}})
        assert ack == {
            "ok": True,
            "data": {"streams": {vstream: {"status": "denied"}, "staff": {"status": "denied"}}},
        }
        # and live: the victim's next alert does not reach the thief's socket
        await post_alert(http, staff_token, victim["user"]["id"], 2)
        own = f"user:{thief['user']['id']}"
        await client.call("recover", {own: {}})  # a round trip after the alert's emit
        assert client.events("breach_alert") == []
    finally:
        await client.close()


async def test_bad_recover_payloads_are_validation_errors(server, http):
    user = await register(http)
    client = Recorder("/alerts")
    await client.connect(server.url, {"token": user["access_token"], "recover": "all of it"})
    try:
        answer = await client.recovery()
        assert answer["error"]["code"] == "validation_error"
        stream = f"user:{user['user']['id']}"
        assert answer["streams"][stream]["status"] == "current"  # the connect still works
        for bad in ([1], {stream: 5}, {stream: {"o": -3}}, {stream: {"o": "x"}}, {"": {}}):
            ack = await client.call("recover", bad)
            assert ack["ok"] is False and ack["error"]["code"] == "validation_error", bad
    finally:
        await client.close()


async def test_wrong_epoch_is_a_gap_with_the_current_position(server, http, staff_token):
    user = await register(http)
    stream = f"user:{user['user']['id']}"
    await post_alert(http, staff_token, user["user"]["id"], 1)
    client = Recorder("/alerts")
    await client.connect(
        server.url, {"token": user["access_token"], "recover": {stream: {"o": 1, "e": "old"}}}
    )
    try:
        result = (await client.recovery())["streams"][stream]
        assert result["status"] == "gap"
        assert result["o"] == 2 and result["oldest"] == 1 and result["e"] != "old"
        assert client.events("breach_alert") == []  # nothing half-replayed
    finally:
        await client.close()


async def test_staff_user_gets_a_replayed_event_once_with_both_positions(server, http, staff_token):
    body = await register(http)
    await User.filter(id=body["user"]["id"]).update(is_staff=True)
    stream = f"user:{body['user']['id']}"
    client = Recorder("/alerts")
    await client.connect(server.url, {"token": body["access_token"]})
    start = await client.recovery()
    await client.close()
    alert = await post_alert(http, staff_token, body["user"]["id"], 1)
    again = Recorder("/alerts")
    recover = {stream: position(start, stream), "staff": position(start, "staff")}
    await again.connect(server.url, {"token": body["access_token"], "recover": recover})
    try:
        streams = (await again.recovery())["streams"]
        assert streams[stream]["status"] == streams["staff"]["status"] == "recovered"
        mine = [a for a in again.events("breach_alert") if a["message"]["id"] == alert["id"]]
        assert len(mine) == 1
        assert set(mine[0]["_stream"]) == {stream, "staff"}
    finally:
        await again.close()
