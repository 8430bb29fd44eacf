"""Socket.IO v5 (socketio/socket.io-protocol README + its test suite) over a raw WebSocket.

Same two servers as test_engineio.py. The malformed-packet cases of the suite ("4abc",
"42{}", an invalid ack id: close the connection) are not here: issue 12 (hardening) decides
them for Roomcast (an error ack when the packet carries an id, else a counted drop), see
docs/conformance.md.
"""

from __future__ import annotations

import json

import pytest

from tests.conformance.test_engineio import per
from tests.conformance.wire import closed, recv, recv_n, ws_open

P0 = '{"_placeholder":true,"num":0}'
P1 = '{"_placeholder":true,"num":1}'


async def engine(server):
    ws = await ws_open(f"{server.ws_url}&transport=websocket")
    await recv(ws)  # Engine.IO handshake
    return ws


async def connected(server, ns_part: str = ""):
    ws = await engine(server)
    await ws.send(f"40{ns_part}")
    assert (await recv(ws)).startswith(f"40{ns_part}{{")
    await recv(ws)  # the auth echo
    return ws


@pytest.mark.parametrize(
    ("sent", "prefix", "auth"),
    [
        ("40", "40", '42["auth",{}]'),
        ('40{"token":"123"}', "40", '42["auth",{"token":"123"}]'),
        ("40/custom,", "40/custom,", '42/custom,["auth",{}]'),
        ('40/custom,{"token":"abc"}', "40/custom,", '42/custom,["auth",{"token":"abc"}]'),
    ],
)
async def test_connect_to_a_namespace(server, sent, prefix, auth):
    async with await engine(server) as ws:
        await ws.send(sent)
        reply = await recv(ws)
        assert reply.startswith(prefix)
        body = json.loads(reply[len(prefix) :])
        assert list(body) == ["sid"] and isinstance(body["sid"], str)
        assert await recv(ws) == auth


async def test_connect_to_an_unknown_namespace_is_refused_with_an_object(server):
    # socket.io-protocol, CONNECT_ERROR: `44/random,{"message":"Invalid namespace"}`; stock
    # sends a bare string, so socket.io-client's `err.message` is undefined
    async with await engine(server) as ws:
        await ws.send("40/random")
        assert await recv(ws) == per(
            server,
            roomcast='44/random,{"message":"Invalid namespace"}',
            stock='44/random,"Unable to connect"',
        )


async def test_disconnect_from_the_main_namespace_keeps_the_engine_session(server):
    async with await connected(server) as ws:
        await ws.send("41")
        assert await recv(ws, skip_pings=False) == "2"


async def test_disconnect_from_a_custom_namespace_leaves_the_main_one(server):
    async with await connected(server) as ws:
        await ws.send("40/custom,")
        await recv_n(ws, 2)
        await ws.send("41/custom,")
        await ws.send('42["message","message to main namespace"]')
        assert await recv(ws) == '42["message-back","message to main namespace"]'


async def test_a_plain_text_event(server):
    async with await connected(server) as ws:
        await ws.send('42["message",1,"2",{"3":[true]}]')
        assert await recv(ws) == '42["message-back",1,"2",{"3":[true]}]'


async def test_an_event_with_an_ack(server):
    async with await connected(server) as ws:
        await ws.send('42456["message-with-ack",1,"2",{"3":[false]}]')
        assert await recv(ws) == '43456[1,"2",{"3":[false]}]'


async def test_an_event_with_binary_attachments(server):
    async with await connected(server) as ws:
        await ws.send(f'452-["message",{P0},{P1}]')
        await ws.send(bytes([1, 2, 3]))
        await ws.send(bytes([4, 5, 6]))
        assert await recv_n(ws, 3) == [
            f'452-["message-back",{P0},{P1}]',
            bytes([1, 2, 3]),
            bytes([4, 5, 6]),
        ]


async def test_binary_attachments_and_an_ack(server):
    async with await connected(server) as ws:
        await ws.send(f'452-789["message-with-ack",{P0},{P1}]')
        await ws.send(bytes([1, 2, 3]))
        await ws.send(bytes([4, 5, 6]))
        assert await recv_n(ws, 3) == [f"462-789[{P0},{P1}]", bytes([1, 2, 3]), bytes([4, 5, 6])]


async def test_a_server_side_disconnect_sends_the_disconnect_packet(server):
    async with await connected(server, "/custom,") as ws:
        await ws.send('42/custom,["bye"]')
        assert await recv(ws) == "41/custom,"
        await ws.send("41")  # the Engine.IO session is still there
        await ws.send("1")
        assert await closed(ws, 3)
