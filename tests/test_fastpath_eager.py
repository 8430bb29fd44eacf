"""Event handlers run inline until they first wait (server/fastpath/eager.py).

What must hold: a handler that waits still runs concurrently with the socket's next events
(a slow handler never delays a fast one), it resumes with what it waited for (a result, an
exception, a cancellation), a context variable set before the first wait can be reset after
it (tortoise's transactions do), and a handler that fails is reported, not lost. The inline
part runs in the reader's task, so no handler may rely on `asyncio.current_task()`: the last
test keeps `asyncio.timeout` and `current_task` out of the handlers' code.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from pathlib import Path

import pytest
import socketio

from server.fastpath import eager
from tests.conftest import base_env
from tests.test_fastpath import start_node

REPO = Path(__file__).resolve().parent.parent
NS = "/eager"


class Probe(socketio.AsyncNamespace):
    async def on_slow(self, sid, seconds):
        await asyncio.sleep(seconds)
        return "slow"

    async def on_fast(self, sid, data=None):
        return "fast"

    async def on_fail(self, sid, data=None):
        raise RuntimeError("handler failed")


@pytest.fixture(scope="module")
async def url(tmp_path_factory):
    node = await start_node(base_env(ROOMCAST_DATA_DIR=str(tmp_path_factory.mktemp("eager"))))
    node.runtime.sio.register_namespace(Probe(NS))
    yield node.url
    await node.stop()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_a_slow_handler_does_not_delay_the_next_event(url, transport):
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, namespaces=[NS], transports=[transport], wait_timeout=10)
    try:
        order: list[str] = []

        async def call(event, data):
            order.append(await client.call(event, data, namespace=NS, timeout=10))

        slow = asyncio.create_task(call("slow", 0.5))
        await asyncio.sleep(0.05)  # the slow call is on the wire first
        await call("fast", None)
        await slow
        assert order == ["fast", "slow"]
        # a failing handler answers nothing, and the socket goes on
        await client.emit("fail", None, namespace=NS)
        assert await client.call("fast", None, namespace=NS, timeout=10) == "fast"
    finally:
        await client.disconnect()


async def test_start_runs_inline_and_finishes_what_waits():
    seen: list[str] = []

    async def never_waits():
        seen.append("inline")

    assert eager.start(never_waits()) is None
    assert seen == ["inline"]  # done before start returned: no task, no loop turn

    fut = asyncio.get_running_loop().create_future()

    async def waits():
        seen.append(await fut)
        await asyncio.sleep(0)  # a bare yield too
        try:
            await asyncio.get_running_loop().create_future()  # never set: cancelled below
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    task = eager.start(waits())
    assert isinstance(task, asyncio.Task)
    fut.set_result("resumed")
    for _ in range(5):
        await asyncio.sleep(0)
    assert seen == ["inline", "resumed"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen[-1] == "cancelled"


VAR: contextvars.ContextVar[str] = contextvars.ContextVar("eager_test", default="unset")


async def test_a_context_variable_set_before_a_wait_is_reset_after_it():
    fut = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def transaction():
        token = VAR.set("inside")  # as tortoise's in_transaction() does
        await fut
        seen.append(VAR.get())
        VAR.reset(token)  # a token of another context would raise ValueError
        seen.append(VAR.get())

    task = eager.start(transaction())
    assert VAR.get() == "unset"  # the caller's context is not the handler's
    fut.set_result(None)
    await task
    assert seen == ["inside", "unset"]


async def test_an_exception_after_a_wait_reaches_the_coroutine():
    fut = asyncio.get_running_loop().create_future()

    async def waits():
        try:
            await fut
        except KeyError:
            return "caught"

    task = eager.start(waits())
    fut.set_exception(KeyError("x"))
    assert await task == "caught"


async def test_a_handler_failing_inline_is_reported():
    reported: list[dict] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:

        async def fails():
            raise ValueError("boom")

        assert eager.start(fails()) is None
    finally:
        loop.set_exception_handler(previous)
    assert isinstance(reported[0]["exception"], ValueError)


def test_handlers_do_not_depend_on_their_own_task():
    # asyncio.timeout() and current_task() would see the socket's reader task (module
    # docstring). The fast path's own tasks (the reader, the bus listener) are not handler code.
    forbidden = re.compile(r"asyncio\.timeout\(|current_task\(")
    found = [
        f"{path.relative_to(REPO)}:{n}"
        for folder in ("namespaces", "server", "models")
        for path in sorted((REPO / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if forbidden.search(line) and "fastpath" not in path.parts
    ]
    assert found == []
