"""`emit()`: what the broadcast modules call instead of `sio.emit` for room events."""

from __future__ import annotations

import logging
from typing import Any

from server.history.store import History
from server.history.streams import STREAM_KEY, is_stream

log = logging.getLogger("roomcast.history")
HISTORY_ATTR = "roomcast_history"


def attach(target: Any, history: History | None) -> None:
    """Give an AsyncServer (or a write-only manager) its history; None turns it off."""
    setattr(target, HISTORY_ATTR, history)


def history_of(target: Any) -> History | None:
    return getattr(target, HISTORY_ATTR, None)


async def emit(
    sio: Any,
    event: str,
    data: Any,
    *,
    room: str | list[str],
    namespace: str,
    skip_sid: str | None = None,
) -> None:
    """Store the event in each stream among `room`, then emit it with its positions.

    Emits that skip a socket (`presence`, `typing`) are not stored: not every member of the
    room gets them, so they would break the one-offset-per-event rule of the stream; they
    are state that `join` answers afresh. When the history cannot be written (Redis away),
    the event still goes out live, without positions, and the failure is logged.
    """
    history = history_of(sio)
    rooms = [room] if isinstance(room, str) else list(room)
    streams = [r for r in rooms if is_stream(r)]
    if history is not None and streams and skip_sid is None and isinstance(data, dict):
        try:
            positions = await history.append(namespace, streams, event, data)
        except Exception as exc:
            log.warning(
                "history: %s %s not stored (%s), sent without position", namespace, event, exc
            )
        else:
            data = {**data, STREAM_KEY: positions}
    kwargs: dict[str, Any] = {"room": room, "namespace": namespace}
    if skip_sid is not None:
        kwargs["skip_sid"] = skip_sid
    await sio.emit(event, data, **kwargs)
