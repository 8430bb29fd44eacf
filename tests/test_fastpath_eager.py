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


async def test_a_handler_runs_in_a_task_of_its_own_from_its_first_step():
    # asyncpg opening a pooled connection and redis-py reading use asyncio.timeout(), which
    # needs the handler's own task: run inline (no task, or the reader's) it failed with
    # "Timeout should be used inside a task" in a join storm.
    caller = asyncio.current_task()
    seen: list = []

    async def uses_timeout():
        seen.append(asyncio.current_task())
        async with asyncio.timeout(5):
            await asyncio.sleep(0)
        return "done"

    task = eager.start(uses_timeout())
    assert isinstance(task, asyncio.Task)
    assert await task == "done"
    assert seen == [task] and seen[0] is not caller


async def test_start_from_a_plain_callback_still_gets_a_task():
    # what wsreceive's data_received does: no task is running there
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    async def uses_timeout():
        async with asyncio.timeout(5):
            await asyncio.sleep(0)
        done.set_result(asyncio.current_task() is not None)

    loop.call_soon(lambda: eager.start(uses_timeout()))
    assert await asyncio.wait_for(done, 5) is True


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


async def test_a_failing_handler_fails_its_task_only():
    async def fails():
        raise ValueError("boom")

    task = eager.start(fails())
    with pytest.raises(ValueError):
        await task
