"""Which rooms are streams, and the reserved payload key that carries positions."""

from __future__ import annotations

STREAM_KEY = "_stream"
_PREFIXES = ("user:", "zone:", "room:")


def is_stream(room: str) -> bool:
    """Rooms whose events are kept for replay (not sid rooms, not `login:<id>`)."""
    return room == "staff" or room.startswith(_PREFIXES)
