"""/chat namespace: join and leave rooms, post messages, typing, history, presence.

A socket's joined rooms are its Socket.IO rooms `room:<slug>` (kept by the manager), so the
namespace holds only which presence entries each socket holds; the counts live in
`server.presence` (runtime.presence).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actions import chat as actions
from actions.registry import door
from core.errors import Forbidden
from models import chat, chat_messages
from models.chat import History, NewMessage, RoomRef
from namespaces.base import AuthedNamespace
from server.broadcast import chat as broadcast
from server.broadcast.chat import chat_room

if TYPE_CHECKING:
    from server.presence import Presence
    from server.runtime import Runtime


class ChatNamespace(AuthedNamespace):
    path = "/chat"
    allow_guests = True

    def __init__(self, namespace: str, runtime: Runtime, *, presence: Presence) -> None:
        super().__init__(namespace, runtime)
        self.presence = presence
        # sid -> (its brief, the slugs whose presence it holds); released on disconnect with
        # no I/O, so nothing can make a disconnect forget an entry.
        self._held: dict[str, tuple[dict, set[str]]] = {}

    def require_joined(self, sid: str, slug: str) -> None:
        # What the socket holds is its joined rooms (the manager's rooms(sid) walks every room
        # of the namespace: O(sockets) per message).
        held = self._held.get(sid)
        if held is None or slug not in held[1]:
            raise Forbidden(f"join room {slug!r} first", fields={"room": "not joined"})

    async def on_join(self, sid: str, data: Any) -> dict:
        req = self.parse(RoomRef, data)
        identity = await self.identity(sid)
        room = await chat.get_room(slug=req.room, caller=identity)
        brief = identity.brief()
        held = self._held.get(sid)
        if held is None:
            if not self.server.manager.is_connected(sid, self.namespace):
                return {}  # the socket went while we looked the room up
            held = self._held[sid] = (brief, set())
        # Checked and counted with no await in between, so a doubled join counts once and a
        # disconnect (which releases what the socket holds) cannot slip between.
        if room.slug not in held[1]:
            held[1].add(room.slug)
            self.presence.enter(room.slug, brief, sid)
            await self.enter_room(sid, chat_room(room.slug))
        # The store reports the cluster-wide transition and the writer announces it; wait for
        # it (bounded) so that `present` includes this socket's entry.
        await self.presence.settle(room.slug, brief)
        messages = await chat_messages.history(room=room)
        present = await self.presence.present(room.slug)
        return {
            "room": chat.room_dict(room),
            "history": [chat.message_dict(m, room.slug) for m in messages],
            "present": present,
        }

    async def on_leave(self, sid: str, data: Any) -> dict:
        req = self.parse(RoomRef, data)
        held = self._held.get(sid)
        # Leaving a room one is not in is a no-op, as Socket.IO users expect.
        if held is not None and req.room in held[1]:
            held[1].discard(req.room)
            self.presence.leave(req.room, held[0], sid)
            await self.leave_room(sid, chat_room(req.room))
        return {"room": req.room}

    async def before_disconnect(self, sid: str) -> None:
        brief, slugs = self._held.pop(sid, (None, ()))
        for slug in slugs:
            self.presence.leave(slug, brief, sid)

    @door(actions.post_message)
    async def on_message(self, sid: str, data: Any) -> dict:
        req = self.parse(NewMessage, data)
        self.require_joined(sid, req.room)
        identity = await self.identity(sid)
        message, _created = await actions.post_message(
            self.rt, identity, req.room, req, joined=True
        )
        return message

    async def on_typing(self, sid: str, data: Any) -> None:
        req = self.parse(RoomRef, data)
        self.require_joined(sid, req.room)
        identity = await self.identity(sid)
        await broadcast.typing(self.server, req.room, identity.brief(), skip_sid=sid)

    async def on_history(self, sid: str, data: Any) -> list[dict]:
        req = self.parse(History, data)
        self.require_joined(sid, req.room)
        room = await chat.find_room(req.room)
        rows = await chat_messages.history(room=room, before_id=req.before_id, limit=req.limit)
        return [chat.message_dict(m, room.slug) for m in rows]
