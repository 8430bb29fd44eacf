"""/bench: the load-generator contract of shared/bench/README.md (only with ROOMCAST_BENCH=1).

A token signed with the server's secret whose `sub` may be any string; no database lookup.
The socket joins `user:<sub>` and `bench`. `echo` acks its data back; `fanout` and `targeted`
emit `msg` `{seq, ts, pad}` `count` times and ack `{elapsed_ms, count}`. Acks here are the
bench contract's own (bare data), not Roomcast's `{ok, data}` envelope.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import socketio

from server import auth

if TYPE_CHECKING:
    from server.runtime import Runtime

BENCH_ROOM = "bench"


class BenchNamespace(socketio.AsyncNamespace):
    path = "/bench"

    def __init__(self, namespace: str, runtime: Runtime) -> None:
        super().__init__(namespace)
        self.rt = runtime

    async def on_connect(self, sid: str, environ: dict, auth_data: Any = None) -> None:
        token = auth_data.get("token") if isinstance(auth_data, dict) else None
        try:
            sub = auth.verify_bench(self.rt.settings.jwt_secret, token)
        except Exception as exc:
            raise socketio.exceptions.ConnectionRefusedError(str(exc)) from None
        await self.enter_room(sid, f"user:{sub}")
        await self.enter_room(sid, BENCH_ROOM)

    async def on_echo(self, sid: str, data: Any = None) -> Any:
        return data

    async def on_fanout(self, sid: str, data: Any = None) -> dict:
        count, _, pad = _shape(data)
        return await self._emit_many(count, pad, lambda i: BENCH_ROOM)

    async def on_targeted(self, sid: str, data: Any = None) -> dict:
        count, users, pad = _shape(data)
        return await self._emit_many(count, pad, lambda i: f"user:u{i % users}")

    async def _emit_many(self, count: int, pad: str, room_of) -> dict:
        started = time.perf_counter()
        for seq in range(count):
            payload = {"seq": seq, "ts": time.time() * 1000.0, "pad": pad}
            await self.emit("msg", payload, room=room_of(seq))
        return {"elapsed_ms": (time.perf_counter() - started) * 1000.0, "count": count}


def _shape(data: Any) -> tuple[int, int, str]:
    """count, users and the pad string from a fanout/targeted payload (bounded, never raises)."""
    data = data if isinstance(data, dict) else {}

    def number(key: str, default: int, top: int) -> int:
        try:
            return max(1, min(int(data.get(key, default)), top))
        except (TypeError, ValueError):
            return default

    size = number("size", 200, 1_000_000)
    return (
        number("count", 200, 1_000_000),
        number("users", 1000, 1_000_000),
        "x" * max(0, size - 60),
    )
