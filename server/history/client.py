"""StreamPositions: the client half of recovery, for Python clients (`roomcast watch` uses it).

    positions = StreamPositions()
    sio = socketio.AsyncClient()

    async def auth():                       # called before every (re)connect
        return {"token": token, "recover": positions.request()}

    @sio.on("*", namespace="/alerts")
    async def any_event(event, payload=None):
        if event == "recovery":
            for outcome in positions.apply(payload["streams"]):
                ...                         # "gap": reload that stream's state over REST
        elif positions.observe(payload):    # False: already seen (replayed and live)
            handle(event, payload)          # `_stream` has been taken out of payload

docs/recovery.md explains the positions, outcomes and guarantees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.history.streams import STREAM_KEY


class StreamPositions:
    def __init__(self) -> None:
        self.positions: dict[str, dict[str, Any]] = {}  # stream -> {"o": int, "e": str}

    def request(self, keep: Callable[[str], bool] = lambda stream: True) -> dict:
        """The `recover` object for the handshake's auth or the `recover` event."""
        return {s: dict(p) for s, p in self.positions.items() if keep(s)}

    def observe(self, payload: Any) -> bool:
        """Record an event's positions (and take them out of it); False for a duplicate."""
        if not isinstance(payload, dict) or STREAM_KEY not in payload:
            return True
        fresh, known = False, False
        for stream, position in (payload.pop(STREAM_KEY) or {}).items():
            mine = self.positions.get(stream)
            if mine is None:
                continue  # not a stream of this socket (e.g. `staff` seen by a plain user)
            known = True
            if mine["e"] != position["e"] or position["o"] > mine["o"]:
                fresh = True
                self.positions[stream] = {"o": position["o"], "e": position["e"]}
        return fresh or not known

    def apply(self, streams: dict) -> list[dict]:
        """Take in a `recovery` answer; returns its outcomes as [{stream, status, ...}]."""
        outcomes = []
        for stream, result in (streams or {}).items():
            if result.get("status") == "denied":
                self.positions.pop(stream, None)
            elif "o" in result and "e" in result:
                mine = self.positions.get(stream)
                o = result["o"]
                if mine is not None and mine["e"] == result["e"]:
                    o = max(o, mine["o"])
                self.positions[stream] = {"o": o, "e": result["e"]}
            outcomes.append({"stream": stream, **result})
        return outcomes
