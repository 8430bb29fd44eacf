"""A closed WebSocket connection is freed at once, not at the next full garbage collection.

engineio's translate_request builds a class per request whose method closes over the ASGI
`receive`; a class is always in a reference cycle, so a bound `receive` there kept each
closed connection's protocol (transport, parser, queues: ~40 objects) alive until a full
collection, which then had 1000 dead connections more to walk after a 1000-client fan-out
(benchmarks/RESULTS.md, "s4 after s2"). With the cyclic collector off, only reference
counting frees anything: the protocols must still go.
"""

from __future__ import annotations

import asyncio
import gc
import weakref

from server.fastpath.wsreceive import FastWebSocketProtocol
from tests.test_fastpath_receive import RawSocket, node  # noqa: F401  (the fixture)

CLIENTS = 20
TIMEOUT = 15


def protocols() -> list[FastWebSocketProtocol]:
    return [o for o in gc.get_objects() if isinstance(o, FastWebSocketProtocol)]


async def wait_freed(objects: list, close, what: str) -> None:
    """Call `close()`, then wait until every one of `objects` is freed.

    The caller passes its only references (the list is emptied here), so what keeps an
    object alive afterwards is the server's own, and `gc` is expected to be disabled.
    """
    freed = asyncio.Event()
    left = [len(objects)]

    def gone() -> None:
        left[0] -= 1
        if left[0] == 0:
            freed.set()

    for o in objects:
        weakref.finalize(o, gone)
    count = len(objects)
    objects.clear()
    del o
    close()
    try:
        await asyncio.wait_for(freed.wait(), TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"{left[0]} of {count} {what} still alive") from None


async def test_closed_connections_are_freed_without_the_cycle_collector(node):  # noqa: F811
    gc.collect()
    before = {id(p) for p in protocols()}
    gc.disable()
    try:
        socks = [await RawSocket.open(node.url) for _ in range(CLIENTS)]
        for s in socks:
            await s.connect_ns()
        ours = [p for p in protocols() if id(p) not in before]
        assert len(ours) == CLIENTS
        await wait_freed(ours, lambda: [sock.close() for sock in socks], "closed connections")
    finally:
        gc.enable()
