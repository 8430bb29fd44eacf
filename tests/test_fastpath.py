"""The fast paths of server/fastpath keep python-socketio's delivery semantics.

Each test runs against real servers built by `create_asgi` (the production stack:
FastAsyncServer + FastManager, or FastRedisManager on two nodes sharing one Redis channel) with
an extra test namespace `/fp` registered on the same Socket.IO server, and real
`socketio.AsyncClient`s over websocket and polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import httpx
import pytest
import socketio
from engineio.payload import Payload

from server.app import create_asgi
from server.fastpath import FastAsyncServer, FastManager, FastRedisManager
from server.settings import load_settings
from tests.conftest import base_env
from tests.harness import REDIS_URL, InProcessServer, require

NS = "/fp"

# The Python client refuses a polling response with more than 16 packets (engineio's
# Payload.max_decode_packets, a client-side guard shared with the server in one process);
# servers, stock included, send all queued packets in one response, so a burst of 60
# needs a larger client limit. The JavaScript client has no such limit.
Payload.max_decode_packets = 512


class FastpathProbe(socketio.AsyncNamespace):
    """Server-side actions a test asks for, acked with what the server saw."""

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        for room in (auth or {}).get("rooms", []):
            await self.enter_room(sid, room)

    async def on_whoami(self, sid: str, data: Any = None) -> str:
        return sid

    async def on_emit(self, sid: str, data: dict) -> dict:
        """Emit `count` numbered `msg` events as told: to, skip_self, payload."""
        to = data.get("to")
        skip = sid if data.get("skip_self") else data.get("skip_sid")
        for seq in range(data.get("count", 1)):
            payload = data.get("payload", {})
            if isinstance(payload, dict):
                payload = {**payload, "seq": seq}
            await self.emit("msg", payload, to=to, skip_sid=skip)
        return {"sent": data.get("count", 1)}

    async def on_echo(self, sid: str, *args: Any) -> Any:
        return args[0] if len(args) == 1 else tuple(args)

    async def on_ask(self, sid: str, data: Any = None) -> Any:
        """Server -> client call with an ack (the callback path, per-recipient packet id)."""
        return await self.call("question", data, to=sid, timeout=5)

    async def on_kick(self, sid: str, target: str) -> bool:
        await self.disconnect(target)
        return True


async def start_node(env: dict[str, str]) -> InProcessServer:
    asgi = create_asgi(load_settings(env), manage_database=False)
    asgi.runtime.sio.register_namespace(FastpathProbe(NS))
    node = InProcessServer(asgi)
    await node.start()
    return node


@pytest.fixture(scope="module", params=["memory", "redis"])
async def nodes(request, tmp_path_factory):
    """Two nodes: two independent servers (memory), or two nodes on one Redis channel."""
    extra = {"ROOMCAST_DATA_DIR": str(tmp_path_factory.mktemp("fp"))}
    if request.param == "redis":
        await require("redis")
        extra.update(
            ROOMCAST_REDIS_URL=REDIS_URL, ROOMCAST_REDIS_PREFIX=f"fp-{uuid.uuid4().hex[:8]}"
        )
    env = base_env(**extra)
    started = [await start_node(env), await start_node(env)]
    for node in started:
        node.kind = request.param
    yield started
    for node in started:
        await node.stop()


class Peer:
    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.gone = asyncio.Event()
        self.sio.on("msg", self._msg, namespace=NS)
        self.sio.on("question", self._answer, namespace=NS)
        self.sio.on("disconnect", self._gone, namespace=NS)
        self.sid = ""

    async def _msg(self, *args: Any) -> None:
        self.inbox.put_nowait(args[0] if len(args) == 1 else args)

    async def _answer(self, data: Any) -> Any:
        return {"answer": data}

    async def _gone(self, *args: Any) -> None:
        self.gone.set()

    async def connect(self, url: str, rooms=(), transport: str = "websocket") -> Peer:
        await self.sio.connect(
            url,
            namespaces=[NS],
            transports=[transport],
            auth={"rooms": list(rooms)},
            wait_timeout=5,
        )
        self.sid = await self.call("whoami")
        return self

    async def call(self, event: str, *args: Any) -> Any:
        return await self.sio.call(event, args[0] if args else None, namespace=NS, timeout=5)

    async def take(self, n: int, timeout: float = 5) -> list:
        return [await asyncio.wait_for(self.inbox.get(), timeout) for _ in range(n)]

    async def nothing(self, within: float = 0.3) -> bool:
        try:
            await asyncio.wait_for(self.inbox.get(), within)
        except TimeoutError:
            return True
        return False

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.disconnect(), 2)


@contextlib.asynccontextmanager
async def peers(*specs: tuple[str, tuple, str]):
    made = [Peer() for _ in specs]
    try:
        await asyncio.gather(
            *(p.connect(url, rooms, tr) for p, (url, rooms, tr) in zip(made, specs, strict=True))
        )
        yield made
    finally:
        await asyncio.gather(*(p.close() for p in made))


def spread(nodes, n: int, rooms=(), transports=("websocket", "polling")):
    """n clients alternating nodes (Redis: both nodes; memory: the first only) and transports."""
    urls = [node.url for node in nodes] if nodes[0].kind == "redis" else [nodes[0].url]
    return [(urls[i % len(urls)], rooms, transports[i % len(transports)]) for i in range(n)]


def test_the_production_stack_uses_the_fast_classes(nodes):
    sio = nodes[0].runtime.sio
    assert isinstance(sio, FastAsyncServer)
    wanted = FastRedisManager if nodes[0].kind == "redis" else FastManager
    assert isinstance(sio.manager, wanted)


async def test_fanout_reaches_every_client_in_order(nodes):
    async with peers(*spread(nodes, 12, rooms=("all",))) as group:
        await group[0].call("emit", {"to": "all", "count": 60, "payload": {"pad": "é" * 50}})
        for peer in group:
            got = await peer.take(60)
            assert [m["seq"] for m in got] == list(range(60))
            assert got[0]["pad"] == "é" * 50
        assert await group[1].nothing()


async def test_skip_sid_one_and_many(nodes):
    async with peers(*spread(nodes, 4, rooms=("r",))) as (a, b, c, d):
        await a.call("emit", {"to": "r", "skip_self": True})
        assert [m["seq"] for m in await b.take(1)] == [0]
        await c.take(1)
        await d.take(1)
        assert await a.nothing()
        await a.call("emit", {"to": "r", "skip_sid": [b.sid, c.sid]})
        await a.take(1)
        await d.take(1)
        assert await b.nothing(0.1) and await c.nothing(0.1)


async def test_to_a_list_of_rooms_delivers_once(nodes):
    url = nodes[0].url
    async with peers(
        (url, ("r1", "r2"), "websocket"),
        (url, ("r1",), "polling"),
        (url, ("r2",), "websocket"),
        (url, ("r3",), "websocket"),
    ) as group:
        both, one, two, other = group
        await other.call("emit", {"to": ["r1", "r2"], "count": 3})
        for peer in (both, one, two):
            assert [m["seq"] for m in await peer.take(3)] == [0, 1, 2]
        assert await both.nothing()
        assert await other.nothing(0.1)


async def test_emit_to_a_sid_and_to_a_gone_sid(nodes):
    async with peers(*spread(nodes, 2)) as (a, b):
        await a.call("emit", {"to": b.sid, "payload": {"x": 1}})
        assert (await b.take(1))[0] == {"x": 1, "seq": 0}
        gone = b.sid
        await b.close()
        # nobody receives it, the server neither raises nor stalls, and stays usable
        assert await a.call("emit", {"to": gone}) == {"sent": 1}
        assert await a.call("echo", [1, 2]) == [1, 2]
        assert await a.nothing(0.1)


async def test_a_disconnect_leaves_every_room_and_nothing_else(nodes):
    manager = nodes[0].runtime.sio.manager
    url = nodes[0].url
    async with peers((url, ("x", "y"), "websocket"), (url, ("x",), "polling")) as (a, b):
        assert sorted(manager.get_rooms(a.sid, NS)) == sorted([a.sid, "x", "y"])
        await a.close()
        for _ in range(100):  # the server notices the close right after, bounded
            if not manager.is_connected(a.sid, NS) and a.sid not in manager.rooms[NS][None]:
                break
            await asyncio.sleep(0.02)
        assert manager.get_rooms(a.sid, NS) == []
        assert all(a.sid not in members for members in manager.rooms[NS].values())
        assert "y" not in manager.rooms[NS]  # emptied rooms are removed, as stock does
        assert sorted(manager.get_rooms(b.sid, NS)) == sorted([b.sid, "x"])
        await b.call("emit", {"to": "x"})
        assert [m["seq"] for m in await b.take(1)] == [0]


async def test_server_side_disconnect_reaches_the_client(nodes):
    async with peers(*spread(nodes, 2)) as (a, b):
        assert await a.call("kick", b.sid) is True
        await asyncio.wait_for(b.gone.wait(), 5)
        assert await a.call("echo", "still here") == "still here"


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_binary_both_ways_and_in_a_room(nodes, transport):
    blob = bytes(range(256)) * 4
    async with peers(*spread(nodes, 3, rooms=("bin",), transports=(transport,))) as group:
        assert await group[0].call("echo", {"blob": blob, "n": 1}) == {"blob": blob, "n": 1}
        assert await group[0].call("echo", blob) == blob
        await group[0].call("emit", {"to": "bin", "payload": {"blob": blob}, "count": 2})
        for peer in group:
            got = await peer.take(2)
            assert [m["blob"] for m in got] == [blob, blob] and [m["seq"] for m in got] == [0, 1]


async def test_binary_emit_to_a_room_mixing_transports(nodes):
    # One shared Engine.IO packet per emit: the websocket frame and the polling base64 form
    # must both come out right whichever recipient is served first.
    blob = b"\x00\xffbinary\x1e" * 50
    url = nodes[0].url
    specs = [(url, ("mix",), tr) for tr in ("websocket", "polling", "polling", "websocket")]
    async with peers(*specs) as group:
        for sender in (group[0], group[1]):
            await sender.call("emit", {"to": "mix", "payload": {"b": blob}, "count": 3})
            for peer in group:
                got = await peer.take(3)
                assert [(m["b"], m["seq"]) for m in got] == [(blob, 0), (blob, 1), (blob, 2)]


async def test_acks_keep_their_shape_and_server_calls_work(nodes):
    async with peers((nodes[0].url, (), "websocket"), (nodes[0].url, (), "polling")) as group:
        for peer in group:
            assert await peer.call("echo", None) is None
            assert await peer.call("echo", {"a": [1, 2.5, None, True, "ü"]}) == {
                "a": [1, 2.5, None, True, "ü"]
            }
            assert await peer.call("echo", 2**40) == 2**40
            assert await peer.call("ask", {"q": 1}) == {"answer": {"q": 1}}


async def test_an_emit_then_a_disconnect_arrive_in_that_order_across_nodes(nodes):
    # Emits are published without waiting and disconnects wait: both share one ordered
    # outbox, so the goodbye reaches the client on the other node before the kick.
    async with peers(*spread(nodes, 2)) as (a, b):
        for round_ in range(3):
            await a.call("emit", {"to": b.sid, "payload": {"bye": round_}, "count": 5})
            await a.call("kick", b.sid)
            await asyncio.wait_for(b.gone.wait(), 5)
            got = [b.inbox.get_nowait() for _ in range(b.inbox.qsize())]
            assert [m["seq"] for m in got] == [0, 1, 2, 3, 4]
            b.gone.clear()
            await b.close()
            b.sio = socketio.AsyncClient(reconnection=False)
            b.sio.on("msg", b._msg, namespace=NS)
            b.sio.on("disconnect", b._gone, namespace=NS)
            await b.connect(spread(nodes, 2)[1][0])


async def test_a_stock_write_only_emitter_reaches_fast_nodes(nodes):
    """`roomcast send-alert` publishes with python-socketio's own write-only manager."""
    if nodes[0].kind != "redis":
        pytest.skip("Redis only")
    settings = nodes[0].settings
    emitter = socketio.AsyncRedisManager(
        settings.redis_url, channel=f"{settings.redis_prefix}:sio", write_only=True
    )
    async with peers(*spread(nodes, 4, rooms=("ext",))) as group:
        for seq in range(3):
            await emitter.emit("msg", {"seq": seq, "from": "outside"}, namespace=NS, room="ext")
        for peer in group:
            assert [m["seq"] for m in await peer.take(3)] == [0, 1, 2]
        await emitter.emit("msg", {"only": True}, namespace=NS, room=group[2].sid)
        assert await group[2].take(1) == [{"only": True}]
        assert await group[1].nothing(0.2)


async def test_a_polling_close_answers_the_pending_poll(nodes):
    """Engine.IO v4 polling: after the client's CLOSE packet the held GET returns at once."""
    url = nodes[0].url + "/socket.io/?EIO=4&transport=polling"
    async with httpx.AsyncClient(timeout=10) as http:
        opened = (await http.get(url)).text
        assert opened.startswith("0{")
        sid = json.loads(opened[1:])["sid"]
        assert (await http.post(f"{url}&sid={sid}", content="40/fp,")).text == "ok"
        assert (await http.get(f"{url}&sid={sid}")).text.startswith("40/fp,")
        held = asyncio.create_task(http.get(f"{url}&sid={sid}"))
        sock = nodes[0].runtime.sio.eio.sockets[sid]
        for _ in range(300):  # until the GET reached the server and waits there, bounded
            if sock.polling:
                break
            await asyncio.sleep(0.01)
        assert sock.polling and not held.done()
        assert (await http.post(f"{url}&sid={sid}", content="1")).text == "ok"
        answer = await asyncio.wait_for(held, 3)
        # NOOP, as Node's engine.io (engine.io-protocol v4 suite, "forcefully closes")
        assert answer.status_code == 200 and answer.text == "6"


async def test_many_concurrent_calls_each_get_their_own_ack(nodes):
    async with peers((nodes[0].url, (), "websocket")) as (a,):
        results = await asyncio.gather(*(a.call("echo", i) for i in range(200)))
        assert results == list(range(200))


@pytest.fixture
async def fast_pings(tmp_path):
    """A node whose Engine.IO pings every 0.2 s and gives up after 0.4 s more."""
    node = await start_node(base_env(ROOMCAST_DATA_DIR=str(tmp_path)))
    node.runtime.sio.eio.ping_interval = 0.2
    node.runtime.sio.eio.ping_timeout = 0.4
    yield node
    await node.stop()


async def test_pings_keep_a_live_client_and_drop_a_silent_one(fast_pings):
    import websockets

    peer = await Peer().connect(fast_pings.url)
    try:
        # several ping cycles: the client answers every PING and stays connected
        await asyncio.sleep(1.2)
        assert peer.sio.connected and not peer.gone.is_set()
        assert await peer.call("echo", "alive") == "alive"
    finally:
        await peer.close()
    ws_url = fast_pings.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(ws_url) as raw:
        assert (await asyncio.wait_for(raw.recv(), 2)).startswith("0{")
        await raw.send("40/fp,")
        frames = []
        with contextlib.suppress(websockets.ConnectionClosed):
            # never answer the PING: the server must close within interval + timeout (+ slack)
            async with asyncio.timeout(3):
                while True:
                    frames.append(await raw.recv())
        assert "2" in frames  # the PING came
        assert raw.close_code is not None, f"still open after 3 s: {frames}"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ('2["a",1]', (None, None, ["a", 1])),
        ('27["a"]', (None, 7, ["a"])),
        ('2/fp,12["a",{"b":null}]', ("/fp", 12, ["a", {"b": None}])),
        ('2/fp?x=1,["a"]', ("/fp", None, ["a"])),
        ('21-["a",{"_placeholder":true,"num":0}]', None),  # attachment count: stock decoder
        ("2" + "9" * 101 + '["a"]', None),  # id longer than stock allows: stock decoder
        ('2{"a":1}', None),  # not a list: stock decoder (and its error)
        ("2[]", None),  # no event name
        ('2["a",', None),  # broken JSON
        ("2/fp", None),  # namespace without a comma
    ],
)
def test_the_hand_parser_takes_only_plain_events(text, parsed):
    from server.fastpath.server import _parse_event

    assert _parse_event(text) == parsed


async def test_malformed_packets_do_not_break_the_socket(nodes):
    import websockets

    ws_url = nodes[0].url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(ws_url) as raw:
        assert (await asyncio.wait_for(raw.recv(), 2)).startswith("0{")
        await raw.send("40/fp,")
        assert (await asyncio.wait_for(raw.recv(), 2)).startswith("40/fp,")
        for junk in ('42/fp,{"a":1}', "42/fp,[]", '42/fp,["echo",', "42/fp,1x", "4"):
            await raw.send(junk)
        # "1x" asked for ack 1: a malformed packet with an ack id gets an error ack
        error = await asyncio.wait_for(raw.recv(), 2)
        assert error.startswith('43/fp,1[{"ok":false,"error":{"code":"bad_request"')
        await raw.send('42/fp,5["echo","still fine"]')
        assert await asyncio.wait_for(raw.recv(), 2) == '43/fp,5["still fine"]'
