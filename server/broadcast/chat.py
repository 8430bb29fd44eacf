"""The only place that emits /chat events; the manager fans them out to every node."""

from __future__ import annotations

from typing import Any

import socketio

from server.history import emit as stream_emit

NAMESPACE = "/chat"


def chat_room(slug: str) -> str:
    """The Socket.IO room of a chat room's joined sockets."""
    return f"room:{slug}"


async def message(sio: socketio.AsyncServer, payload: dict[str, Any]) -> None:
    """A stored message to every socket in its room, the sender's included."""
    await stream_emit(sio, "message", payload, room=chat_room(payload["room"]), namespace=NAMESPACE)


async def presence(
    sio: socketio.AsyncServer,
    slug: str,
    user: dict[str, Any],
    action: str,
    *,
    skip_sid: str | None = None,
) -> None:
    """`joined` / `left` to the others in the room (the socket that caused it is skipped)."""
    await stream_emit(
        sio,
        "presence",
        {"room": slug, "user": user, "action": action},
        room=chat_room(slug),
        skip_sid=skip_sid,
        namespace=NAMESPACE,
    )


async def typing(
    sio: socketio.AsyncServer, slug: str, user: dict[str, Any], *, skip_sid: str
) -> None:
    await stream_emit(
        sio,
        "typing",
        {"room": slug, "user": user},
        room=chat_room(slug),
        skip_sid=skip_sid,
        namespace=NAMESPACE,
    )
