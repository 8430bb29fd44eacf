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
        freed = asyncio.Event()
        left = [len(ours)]

        def gone() -> None:
            left[0] -= 1
            if left[0] == 0:
                freed.set()

        for p in ours:
            weakref.finalize(p, gone)
        del ours, p
        for s in socks:
            s.close()
        del socks, s
        try:
            await asyncio.wait_for(freed.wait(), TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"{left[0]} of {CLIENTS} closed connections still alive") from None
    finally:
        gc.enable()
