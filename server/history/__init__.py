"""Per-stream event history: positions on every stream event, replay after a reconnect.

A *stream* is one Socket.IO room of one namespace whose events are worth replaying:
`user:<id>`, `staff`, `zone:<id>`, `room:<slug>` (server.history.streams). Every emit to
such rooms goes through `emit()` below: the event is appended to each stream's bounded
history (Redis Streams when Redis is configured, memory otherwise), and the live payload
gets the reserved key `_stream` = `{"<stream>": {"o": offset, "e": epoch}, ...}` naming
its position in each of them. docs/recovery.md is the contract.
"""

from __future__ import annotations

from server.history.emit import HISTORY_ATTR, attach, emit, history_of
from server.history.store import Entry, History, MemoryHistory, Slice
from server.history.streams import STREAM_KEY, is_stream

__all__ = [
    "HISTORY_ATTR",
    "STREAM_KEY",
    "Entry",
    "History",
    "MemoryHistory",
    "Slice",
    "attach",
    "emit",
    "history_of",
    "is_stream",
]
