"""No 5xx from any input (issue 12 point 8-9): deep JSON, ids beyond 64 bits, long slugs,
malformed socket packets — over REST and over sockets, with the same answer on both doors."""

from __future__ import annotations

import asyncio
import re

import httpx
import websockets

BIG = 2**63  # one past the database's integer range
HUGE = 2**64  # orjson reads it as a float


async def test_deep_json_is_bad_request_on_every_json_route(http, new_user):
    _, token, _ = await new_user()
    deep = "[" * 2000 + "]" * 2000
    for method, path, auth in (
        ("POST", "/api/v1/auth/login", False),
        ("POST", "/api/v1/auth/register", False),
        ("POST", "/api/v1/chat/rooms", True),
        ("POST", "/api/v1/zones", True),
    ):
        headers = {"content-type": "application/json"}
        if auth:
            headers["authorization"] = f"Bearer {token}"
        for body in (deep, '{"a":' * 40 + "1" + "}" * 40, "1" * 5000):
            r = await http.request(method, path, content=body, headers=headers)
            assert r.status_code == 400, (path, r.status_code, r.text)
            assert r.json()["error"]["code"] == "bad_request"


async def test_ids_beyond_64_bits_in_paths_are_404_everywhere(http, new_user):
    _, token, _ = await new_user(staff=True)
    auth = {"authorization": f"Bearer {token}"}
    for value in (2**31, BIG, HUGE, 10**30):
        for method, path in (
            ("GET", f"/api/v1/alerts/{value}"),
            ("POST", f"/api/v1/alerts/{value}/read"),
            ("GET", f"/api/v1/users/{value}"),
            ("PATCH", f"/api/v1/users/{value}"),
            ("GET", f"/api/v1/zones/{value}"),
            ("GET", f"/api/v1/records/{value}"),
            ("POST", f"/api/v1/members/{value}/checkout"),
        ):
            r = await http.request(method, path, headers=auth, json={})
            assert r.status_code == 404, (path, r.status_code, r.text)
            assert r.json()["error"]["code"] == "not_found"


async def test_ids_beyond_64_bits_in_bodies_and_queries_are_validation_errors(http, new_user):
    _, token, _ = await new_user(staff=True)
    auth = {"authorization": f"Bearer {token}"}
    for value in (2**31, BIG, HUGE, -(2**63) - 1):
        r = await http.post(
            "/api/v1/alerts",
            headers={**auth, "content-type": "application/json"},
            content=f'{{"user_id":{value},"breach_id":"b","title":"t","severity":"LOW",'
            f'"confidence":0.5}}',
            # raw text: httpx would write the float form of HUGE
        )
        assert r.status_code == 422, r.text
        assert "user_id" in r.json()["error"]["fields"]
        r = await http.post(
            "/api/v1/chat/rooms/general/members",
            headers={**auth, "content-type": "application/json"},
            content=f'{{"user_id":{value}}}',
        )
        assert r.status_code == 422, r.text
        assert "user_id" in r.json()["error"]["fields"]
    for query in (
        f"/api/v1/users?offset={BIG}",
        f"/api/v1/chat/rooms/general/messages?before_id={BIG}",
    ):
        r = await http.get(query, headers=auth)
        assert r.status_code == 422, (query, r.text)
        assert r.json()["error"]["fields"]


async def test_long_slugs_are_404(http, new_user):
    _, token, _ = await new_user()
    auth = {"authorization": f"Bearer {token}"}
    slug = "s" * 65
    for method, path in (
        ("GET", f"/api/v1/chat/rooms/{slug}"),
        ("GET", f"/api/v1/chat/rooms/{slug}/messages"),
        ("GET", f"/api/v1/chat/rooms/{slug}/members"),
        ("POST", f"/api/v1/chat/rooms/{slug}/messages"),
    ):
        r = await http.request(method, path, headers=auth, json={"body": "x"})
        assert r.status_code == 404, (path, r.text)


async def test_the_same_integer_answers_the_same_on_rest_and_on_a_socket(
    http, new_user, sio_client
):
    _, token, _ = await new_user()
    client = await sio_client("/alerts", token)
    for value in (2**31, BIG, 2**64 - 1, HUGE):
        ack = await client.call("mark_read", {"alert_id": value})
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error", (value, ack)
        assert "alert_id" in ack["error"]["fields"]
    dns = await sio_client("/dns", token)
    ack = await dns.call("subscribe", {"zone_id": BIG})
    assert ack["error"]["code"] == "validation_error" and "zone_id" in ack["error"]["fields"]
    deep = 1
    for _ in range(40):
        deep = [deep]
    ack = await client.call("ping", {"timestamp": deep})
    assert ack["ok"] is False and ack["error"]["code"] == "bad_request"


async def raw_socket(server, namespace: str):
    ws_url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    ws = await websockets.connect(ws_url, max_size=None)
    assert (await asyncio.wait_for(ws.recv(), 5)).startswith("0{")
    await ws.send(f"40{namespace},")
    assert (await asyncio.wait_for(ws.recv(), 5)).startswith(f"40{namespace},")
    return ws


async def next_ack(ws, ack_id: int, namespace: str = "/chat") -> str:
    prefix = f"43{namespace},{ack_id}["
    while True:
        frame = await asyncio.wait_for(ws.recv(), 5)
        if isinstance(frame, str) and frame.startswith(prefix):
            return frame


async def test_every_malformed_packet_with_an_ack_id_gets_an_error_ack(server):
    ws = await raw_socket(server, "/chat")
    cases = [
        '42/chat,5[{"x":1},2]',  # the event name is an object
        '42/chat,6[["a"],2]',  # the event name is a list
        "42/chat,7[]",  # empty array
        "42/chat,8",  # no payload
        '42/chat,9["ping",' + "1" * 5000 + "]",  # an integer beyond a double
        "42/chat,10" + "[" * 100_000 + "]" * 100_000,  # 100k-deep nesting
        '42/chat,11["ping",' + "[" * 600 + "]" * 600 + "]",
        '42/chat,12["history",{"room":"general","before_id":9223372036854775808}]',
        '42/chat,13["x",',  # broken JSON
        "451-/chat,14",  # binary event without a payload (its attachment follows)
    ]
    for case in cases:
        ack_id = int(re.match(r"4\d+(?:-)?/chat,(\d+)", case).group(1))
        await ws.send(case)
        if case.startswith("451-"):
            await ws.send(b"attachment")
        try:
            frame = await next_ack(ws, ack_id)
        except TimeoutError:
            raise AssertionError(f"no ack for {case[:40]!r}") from None
        assert '"ok":false' in frame, (case[:40], frame)
        assert '"code":"bad_request"' in frame or '"code":"validation_error"' in frame
    await ws.send('42/chat,99["ping",{"timestamp":"alive"}]')
    assert '"alive"' in await next_ack(ws, 99)
    await ws.close()


async def test_five_thousand_nameless_events_log_no_tracebacks(server, caplog):
    ws = await raw_socket(server, "/chat")
    for _ in range(5000):
        await ws.send("42/chat")
    await ws.send('42/chat,1["ping",{"timestamp":"after"}]')
    assert '"after"' in await next_ack(ws, 1)
    await ws.close()
    tracebacks = [r for r in caplog.records if r.exc_info or "never retrieved" in r.getMessage()]
    assert not tracebacks
    drops = [r for r in caplog.records if "malformed packet" in r.getMessage()]
    assert len(drops) <= 2  # rate-limited: one line per 10 s with the count


async def test_a_polling_post_after_a_close_packet_is_not_a_500(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        r = await http.get("/socket.io/?EIO=4&transport=polling")
        sid = re.search(r'"sid":"([^"]+)"', r.text).group(1)
        url = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
        r = await http.post(url, content="1")  # CLOSE
        assert r.status_code < 500
        r = await http.post(url, content="40/chat,")
        assert r.status_code == 400, r.text
