"""/bench: the load-generator contract of shared/bench/README.md (only with ROOMCAST_BENCH=1)."""

from __future__ import annotations

import socketio

from server.runtime import Runtime


class BenchNamespace(socketio.AsyncNamespace):
    path = "/bench"

    def __init__(self, namespace: str, runtime: Runtime) -> None:
        super().__init__(namespace)
        self.rt = runtime
