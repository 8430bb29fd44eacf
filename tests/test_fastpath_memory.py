"""What a websocket connection keeps, and the room maps that replaced python-socketio's bidicts.

benchmarks/memory_per_conn.py measures the bytes; these check the behaviour behind them:
* after the handshake a socket keeps only the request keys a namespace CONNECT reads (a
  header nobody reads is not kept; the cookie, query string and client address are), so a
  CONNECT after the websocket is up still authenticates (test_connect.py, test_proxy_headers.py
  cover the cookie, token and forwarded-address cases end to end);
* the manager answers python-socketio's room API exactly as the stock manager does, for the
  same sequence of connects, joins, leaves, closes and disconnects (differential).
"""

from __future__ import annotations

import itertools

import socketio

from server.fastpath import FastManager
from server.fastpath.environ import KEPT
from tests.test_fastpath_receive import TIMEOUT, RawSocket, node, text  # noqa: F401  (fixture)

JUNK = "j" * 2000


async def test_a_socket_keeps_only_what_its_connects_read(node):  # noqa: F811
    sio = node.runtime.sio
    before = set(sio.environ)
    sock = await RawSocket.open(
        node.url,
        query="&probe=kept",
        headers=f"Cookie: access_token=not-a-token; theme=dark\r\nX-Junk: {JUNK}\r\n"
        "User-Agent: probe/1.0\r\n",
    )
    try:
        await sock.connect_ns()
        # a CONNECT once the websocket is up authenticates from the kept environ: the
        # cookie's token is read (and refused as invalid), not found missing
        await sock.send(text("40/alerts,"))
        answer = await sock.recv_message()
        assert answer.startswith("44/alerts,"), answer
        assert "missing_token" not in answer and "token" in answer, answer
        (eio_sid,) = set(sio.environ) - before
        kept = sio.environ[eio_sid]
        assert set(kept) <= {*KEPT, "asgi.scope"}
        assert kept["HTTP_COOKIE"] == "access_token=not-a-token; theme=dark"
        assert kept["QUERY_STRING"].endswith("probe=kept")
        assert kept["asgi.scope"]["client"][0] == "127.0.0.1"
        assert not kept["asgi.scope"]["headers"]  # read only by the handshake
        assert JUNK not in kept.values() and "HTTP_USER_AGENT" not in kept
    finally:
        sock.close()


class _Engine:
    def __init__(self) -> None:
        self._ids = (f"s{i}" for i in itertools.count())

    def generate_id(self) -> str:
        return next(self._ids)


class _Server:
    """What a manager reads of its server: `eio.generate_id` and the JSON module."""

    def __init__(self) -> None:
        self.eio = _Engine()
        self.packet_class = socketio.packet.Packet


def _manager(kind):
    manager = kind()
    manager.set_server(_Server())
    return manager


def _state(m, sids, rooms) -> tuple:
    out = []
    for ns in ("/", "/b"):
        for sid in sids:
            out.append((ns, sid, m.is_connected(sid, ns), m.eio_sid_from_sid(sid, ns)))
            out.append((ns, sid, sorted(map(str, m.get_rooms(sid, ns)))))
        for eio in ("e0", "e1", "e2", "e3"):
            out.append((ns, eio, m.sid_from_eio_sid(eio, ns)))
        for room in (*rooms, *sids):
            out.append((ns, room, sorted(m.get_participants(ns, room)), m.is_sid_room(ns, room)))
        out.append((ns, sorted(m.get_participants(ns, list(rooms)))))
        out.append((ns, sorted(map(str, m.rooms.get(ns, {})))))
    return tuple(out)


async def _apply(m, step) -> object:
    op, *args = step
    try:
        if op == "connect":
            return await m.connect(*args)
        if op == "enter":
            return await m.enter_room(*args)
        if op == "leave":
            return await m.leave_room(*args)
        if op == "close":
            return await m.close_room(*args)
        if op == "disconnect":
            m.pre_disconnect(*args)
            return await m.disconnect(*args)
    except Exception as exc:  # the same refusals, too
        return type(exc).__name__
    raise AssertionError(op)


async def test_rooms_answer_as_the_stock_manager():
    ours, stock = _manager(FastManager), _manager(socketio.AsyncManager)
    sids: list[str] = []
    rooms = ("r1", "r2", "user:1")
    # connects on two namespaces (the sids come from one sequence, so both match)
    script = [("connect", f"e{i}", ns) for i in range(4) for ns in ("/", "/b")]
    for step in script:
        a, b = await _apply(ours, step), await _apply(stock, step)
        assert a == b
        sids.append(a)
    s0, s1, s2, s3 = sids[0], sids[2], sids[4], sids[6]  # on "/"
    steps = [
        ("enter", s0, "/", "r1"),
        ("enter", s1, "/", "r1"),
        ("enter", s0, "/", "r2"),
        ("enter", s2, "/", "user:1"),
        ("enter", s2, "/", "user:1"),  # twice: no change
        ("enter", s0, "/", s1),  # a sid room: refused
        ("enter", s0, "/", s0),  # its own room again
        ("enter", "nobody", "/", "r1"),  # not connected: refused
        ("enter", s0, "/nowhere", "r1"),  # no such namespace: refused
        ("enter", sids[1], "/b", "r1"),
        ("leave", s1, "/", "r1"),
        ("leave", s1, "/", "r1"),  # twice: no change
        ("leave", s3, "/", s3),  # its own room
        ("close", "r2", "/"),
        ("close", s0, "/"),  # a sid room: refused
        ("disconnect", s0, "/"),
        ("enter", s2, "/", "r1"),
        ("disconnect", s3, "/"),
    ]
    for step in steps:
        assert await _apply(ours, step) == await _apply(stock, step), step
        assert _state(ours, sids, rooms) == _state(stock, sids, rooms), step
    assert not ours._rooms_of.get(("/", s0))
