"""One task per event (server/fastpath/eager.py, socket._Inline, server._handle_event).

A websocket message that arrives while the socket's reader is idle is taken in a task made
for it, and its event handler runs in that same task. What must still hold, checked with a
raw client that decides how messages are cut into writes:
* the handler has a task of its own from its first step (asyncio.timeout works in it: the
  500-socket join storm of eed65af), whichever way the message came in;
* a handler that waits never delays the socket's next event, also when both messages
  arrive in one write (the second goes through the reader while the first is pending);
* a CONNECT's handler finishes before the socket's next packet is taken.
"""

from __future__ import annotations

import asyncio
import gc
import json

import pytest
import socketio

from tests.conftest import base_env
from tests.test_fastpath import start_node
from tests.test_fastpath_receive import RawSocket, text
from tests.test_fastpath_release import wait_freed

NS = "/onetask"
TIMEOUT = 10


class OneTaskProbe(socketio.AsyncNamespace):
    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.gate = asyncio.Event()
        self.holding = asyncio.Event()
        self.connected: set[str] = set()

    async def on_connect(self, sid, environ, auth=None):
        if (auth or {}).get("slow"):
            await asyncio.sleep(0.2)  # a connect handler that waits (a database look-up)
        self.connected.add(sid)

    async def on_connected(self, sid, data=None):
        return sid in self.connected

    async def on_where(self, sid, data=None):
        task = asyncio.current_task()
        async with asyncio.timeout(5):  # needs a task: fails in a callback or a borrowed one
            await asyncio.sleep(0)
        return task.get_coro().__qualname__

    async def on_hold(self, sid, data=None):
        self.holding.set()
        await self.gate.wait()
        return "held"

    async def on_fast(self, sid, data=None):
        return "fast"


@pytest.fixture(scope="module")
async def node(tmp_path_factory):
    started = await start_node(base_env(ROOMCAST_DATA_DIR=str(tmp_path_factory.mktemp("one"))))
    started.probe = OneTaskProbe(NS)
    started.runtime.sio.register_namespace(started.probe)
    yield started
    await started.stop()


@pytest.fixture
async def sock(node):
    raw = await RawSocket.open(node.url)
    node.probe.gate.clear()
    node.probe.holding.clear()
    try:
        await raw.send(text(f"40{NS},"))
        assert (await raw.recv_message()).startswith(f"40{NS},")
        yield raw
    finally:
        node.probe.gate.set()
        raw.close()


def event(ack_id: int, name: str, data=None) -> bytes:
    return text(f"42{NS},{ack_id}" + json.dumps([name, data], separators=(",", ":")))


async def acks(raw: RawSocket, n: int) -> dict[int, object]:
    """The next `n` acks, by id."""
    got = {}
    prefix = f"43{NS},"
    while len(got) < n:
        message = await raw.recv_message()
        assert message.startswith(prefix), message
        body = message[len(prefix) :]
        bracket = body.index("[")
        got[int(body[:bracket])] = json.loads(body[bracket:])[0]
    return got


async def test_an_event_from_an_idle_socket_runs_in_the_task_made_for_its_message(sock):
    await sock.send(event(1, "where"))
    assert await acks(sock, 1) == {1: "_Inline._message"}


async def test_the_second_of_two_messages_in_one_write_gets_a_task_of_its_own(sock):
    await sock.send(event(1, "where") + event(2, "where"))
    got = await acks(sock, 2)
    assert got[1] == "_Inline._message"
    assert got[2] != "_Inline._message"  # taken by the reader: the handler has its own task


async def test_a_waiting_handler_does_not_delay_the_next_event(node, sock):
    await sock.send(event(1, "hold"))
    await asyncio.wait_for(node.probe.holding.wait(), TIMEOUT)
    await sock.send(event(2, "fast"))
    assert await acks(sock, 1) == {2: "fast"}
    node.probe.gate.set()
    assert await acks(sock, 1) == {1: "held"}


async def test_a_waiting_handler_does_not_delay_the_next_event_of_the_same_write(node, sock):
    await sock.send(event(1, "hold") + event(2, "fast") + event(3, "fast"))
    assert await acks(sock, 2) == {2: "fast", 3: "fast"}
    node.probe.gate.set()
    assert await acks(sock, 1) == {1: "held"}


@pytest.mark.parametrize("same_write", [True, False])
async def test_a_connect_handler_finishes_before_the_next_packet(node, same_write):
    raw = await RawSocket.open(node.url)
    try:
        connect = text(f'40{NS},{{"slow":true}}')
        if same_write:
            await raw.send(connect + event(1, "connected"))
        else:
            await raw.send(connect)
            await raw.send(event(1, "connected"))
        assert (await raw.recv_message()).startswith(f"40{NS},")
        assert await acks(raw, 1) == {1: True}
    finally:
        raw.close()


async def test_a_closed_socket_s_message_state_is_freed_without_the_cycle_collector(node):
    # The task of a message holds its owner (the socket's _Inline) in its context; after a
    # CONNECT (no event handler claims it) that must not keep a cycle task <-> _Inline alive
    # once the socket is gone (the closed-connection rule of tests/test_fastpath_release.py).
    from server.fastpath.socket import _Inline

    def inlines() -> set[int]:
        return {id(o) for o in gc.get_objects() if isinstance(o, _Inline)}

    gc.collect()
    before = inlines()
    gc.disable()
    try:
        socks = [await RawSocket.open(node.url) for _ in range(5)]
        for raw in socks:
            await raw.send(text(f"40{NS},"))
            assert (await raw.recv_message()).startswith(f"40{NS},")
        ours = [o for o in gc.get_objects() if isinstance(o, _Inline) and id(o) not in before]
        assert len(ours) == 5
        await wait_freed(ours, lambda: [raw.close() for raw in socks], "closed sockets' _Inline")
    finally:
        gc.enable()
