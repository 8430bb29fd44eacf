"""StreamPositions (the Python client half, used by `roomcast watch`) against a real server:
positions learnt from `recovery`, duplicates dropped, `_stream` taken out of payloads."""

from __future__ import annotations

import asyncio

import socketio

from server.history.client import StreamPositions
from tests.recovery.support import post_alert, register


async def test_positions_recover_across_a_reconnect_and_drop_duplicates(server, http, staff_token):
    user = await register(http)
    stream = f"user:{user['user']['id']}"
    positions = StreamPositions()
    seen: list[tuple[str, dict]] = []
    outcomes: list[dict] = []
    answers: list[asyncio.Event] = [asyncio.Event(), asyncio.Event()]
    sio = socketio.AsyncClient(reconnection=False)

    async def auth():
        return {"token": user["access_token"], "recover": positions.request()}

    async def any_event(event, payload=None):
        if event == "recovery":
            outcomes.extend(positions.apply(payload["streams"]))
            next(a for a in answers if not a.is_set()).set()
        elif positions.observe(payload):
            seen.append((event, payload))

    sio.on("*", any_event, namespace="/alerts")
    await sio.connect(server.url, namespaces=["/alerts"], auth=auth, transports=["websocket"])
    await asyncio.wait_for(answers[0].wait(), 10)
    assert outcomes[0]["status"] == "current" and stream in positions.positions
    await sio.disconnect()

    ids = [(await post_alert(http, staff_token, user["user"]["id"], n))["id"] for n in range(5)]
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("*", any_event, namespace="/alerts")
    await sio.connect(server.url, namespaces=["/alerts"], auth=auth, transports=["websocket"])
    try:
        await asyncio.wait_for(answers[1].wait(), 10)  # the connect's own replay is done
        ack = await sio.call("recover", positions.request(), namespace="/alerts")
        # the connect already replayed all 10; asking again replays them again: all duplicates
        assert ack["data"]["streams"][stream]["status"] == "recovered"
        alerts = [p for e, p in seen if e == "breach_alert"]
        assert [a["message"]["id"] for a in alerts] == ids
        assert all("_stream" not in p for _, p in seen)
        assert positions.positions[stream]["o"] == outcomes[0]["o"] + 10
    finally:
        await sio.disconnect()
