"""The stream positions of one `roomcast watch` across reconnects (docs/recovery.md).

Every connect asks to recover the streams seen so far (`auth.recover`); the `recovery`
answer becomes one line per stream that was away: `recovered` {count} or `gap` (the server
no longer has what was missed: reload that state over REST). Chat rooms (`room:<slug>`) are
not recoverable on connect: after the watch's `--emit join` ran again, `recover` asks for
them explicitly. An event already seen (replayed and live around the reconnect) is dropped.
"""

from __future__ import annotations

from typing import Any

from server.client_cli.output import Printer
from server.history.client import StreamPositions

ON_JOIN = "room:"  # streams whose socket must first `join` again


class Recovery:
    def __init__(self, printer: Printer) -> None:
        self.printer = printer
        self.positions = StreamPositions()

    def auth(self, data: dict | None) -> dict | None:
        """The handshake auth with the positions to recover on this connect."""
        wanted = self.positions.request(keep=lambda stream: not stream.startswith(ON_JOIN))
        if data is None or not wanted:
            return data
        return {**data, "recover": wanted}

    def fresh(self, event: str, payload: Any) -> bool:
        """Take in one server event; False when it was seen already (drop it)."""
        if event == "recovery" and isinstance(payload, dict):
            self.report(payload.get("streams"))
            return True
        return self.positions.observe(payload)

    def report(self, streams: Any) -> None:
        """One line per stream outcome: `recovered` {count} or `gap` (reload over REST)."""
        if not isinstance(streams, dict):
            return
        for outcome in self.positions.apply(streams):
            if outcome.get("status") in ("recovered", "gap", "unavailable"):
                name = "recovered" if outcome["status"] == "recovered" else "gap"
                self.printer.line(event=name, data=outcome)

    def after_join(self, rooms: list[str]) -> dict:
        """The `recover` request for chat rooms just joined again (or for the first time)."""
        return {f"{ON_JOIN}{r}": self.positions.positions.get(f"{ON_JOIN}{r}", {}) for r in rooms}
