"""Roomcast's send path against stock python-socketio's: the same frames, in the same order.

Each scenario drives raw WebSocket clients through the same steps on both servers and
records every frame each client receives (session ids normalised); the two transcripts must
be equal byte for byte. Payloads stay within what both JSON encoders write alike (ASCII
strings, integers, simple floats); `test_non_ascii_text_is_sent_as_utf8` covers the one
deliberate difference.
"""

from __future__ import annotations

import json

import pytest

from tests.conformance.wire import normal, recv, recv_n, ws_open

P0 = '{"_placeholder":true,"num":0}'
P1 = '{"_placeholder":true,"num":1}'


async def client(server, ns: str = ""):
    ws = await ws_open(f"{server.ws_url}&transport=websocket")
    await recv(ws)
    await ws.send(f"40{ns}")
    await recv_n(ws, 2)  # CONNECT, auth echo
    return ws


async def emits(server, log):
    ws = await client(server)
    for args in [
        "null",
        '{"a":[1,2,{"b":null}],"c":true,"d":false}',
        '"quote \\" backslash \\\\ newline \\n tab \\t ctl \\u0001"',
        '[],{},"",0,-1,2.5,9007199254740993',
        '"x","y","z"',
    ]:
        await ws.send(f'42["message",{args}]')
        log.append(await recv(ws))
    for i in range(10):  # a burst, answered in order
        await ws.send(f'42["message",{i}]')
    log += await recv_n(ws, 10)
    await ws.close()


async def acks(server, log):
    ws = await client(server)
    for frame in [
        '420["message-with-ack"]',
        '421["message-with-ack",null]',
        '422["message-with-ack",{"k":[1,"2"]}]',
        '4212345["message-with-ack",1,2,3]',
        '42["message-with-ack","no id: no ack"]',
        '423["fanout","a"]',
    ]:
        await ws.send(frame)
    log += await recv_n(ws, 6)  # 5 acks and the fanned event (order is part of the test)
    await ws.close()


async def binary(server, log):
    ws = await client(server)
    await ws.send(f'451-["message",{{"blob":{P0},"n":1}}]')
    await ws.send(b"\x00\xff\x01")
    log += await recv_n(ws, 2)
    await ws.send(f'452-7["message-with-ack",{P0},{P1}]')
    await ws.send(b"first")
    await ws.send(b"second")
    log += await recv_n(ws, 3)
    await ws.send(f'451-8["fanout",[{P0}]]')
    await ws.send(bytes(range(256)))
    log += await recv_n(ws, 3)  # fanned (2 frames) + ack
    await ws.close()


async def namespaces(server, log):
    ws = await client(server, "/custom,")
    await ws.send("40")
    log += [normal(f) for f in await recv_n(ws, 2)]
    await ws.send('42/custom,["message","c"]')
    await ws.send('42["message","m"]')
    await ws.send('42/custom,5["message-with-ack",{"ns":"custom"}]')
    await ws.send('426["message-with-ack",{"ns":"main"}]')
    log += await recv_n(ws, 4)
    await ws.send("41/custom,")
    await ws.send('42["message","after"]')
    log.append(await recv(ws))
    await ws.close()


async def fanout(server, log):
    group = [await client(server, "/custom,") for _ in range(3)]
    await group[0].send('42/custom,9["fanout",{"to":"everyone"},2]')
    got = await recv_n(group[0], 2)
    log.append(got)
    for ws in group[1:]:
        log.append(await recv(ws))
    await group[2].send('42/custom,["fanout","second"]')
    for ws in group:
        log.append(await recv(ws))
    for ws in group:
        await ws.close()


async def server_calls(server, log):
    ws = await client(server, "/custom,")
    await ws.send('42/custom,3["ask","q",1]')
    question = await recv(ws)
    log.append(question)
    ack_id = question[len("42/custom,") : question.index("[")]
    await ws.send(f'43/custom,{ack_id}["an answer"]')
    log.append(await recv(ws))
    await ws.close()


async def polling_session(server, log):
    import httpx

    from tests.conformance.wire import Polling

    async with httpx.AsyncClient(timeout=5) as http:
        s = Polling(http, server.eio_url)
        await s.open()
        await s.post("40/custom,")
        log += [normal(p) for p in await s.take(2)]
        await s.post('42/custom,["message",1]')
        log += await s.take(1)
        await s.post('42/custom,4["message-with-ack",2]')
        log += await s.take(1)
        await s.post(f'451-/custom,["message",{P0}]\x1ebAQIDBA==')
        log += await s.take(2)


SCENARIOS = [emits, acks, binary, namespaces, fanout, server_calls, polling_session]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
async def test_the_same_frames_in_the_same_order(spec_servers, scenario):
    transcripts = {}
    for kind, server in spec_servers.items():
        log: list = []
        await scenario(server, log)
        transcripts[kind] = log
    assert transcripts["roomcast"], "the scenario recorded nothing"
    assert transcripts["roomcast"] == transcripts["stock"]


async def test_non_ascii_text_is_sent_as_utf8(spec_servers):
    # JSON allows both; Roomcast's orjson writes UTF-8 as Node's JSON.stringify does,
    # python-socketio's stdlib json writes \\u escapes (ensure_ascii). Same value decoded.
    frames = {}
    for kind, server in spec_servers.items():
        ws = await client(server)
        await ws.send('42["message","é€😀"]')
        frames[kind] = await recv(ws)
        await ws.close()
    assert frames["roomcast"] == '42["message-back","é€😀"]'
    assert frames["stock"] == '42["message-back","\\u00e9\\u20ac\\ud83d\\ude00"]'
    assert json.loads(frames["roomcast"][2:]) == json.loads(frames["stock"][2:])


async def test_an_emit_is_not_overtaken_by_a_later_ack(spec_servers, http):
    # Two events in one POST, handled in two tasks: the first emits, the second acks.
    # Roomcast queues the emit when the handler makes it, so the frames leave in the order
    # the handlers sent them; stock's manager sends each emit from a task of its own, so the
    # ack of the later event goes first. Both are legal (handlers run concurrently), and
    # Roomcast's is the order an application reasons with.
    from tests.conformance.wire import Polling

    got = {}
    for kind, server in spec_servers.items():
        s = Polling(http, server.eio_url)
        await s.open()
        await s.post("40")
        await s.take(2)
        await s.post('42["message",1]\x1e424["message-with-ack",2]')
        got[kind] = await s.take(2)
    assert got["roomcast"] == ['42["message-back",1]', "434[2]"]
    assert got["stock"] == ["434[2]", '42["message-back",1]']
