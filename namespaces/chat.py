"""/chat namespace: join and leave rooms, post messages, typing, history, presence.

A socket's joined rooms are its Socket.IO rooms `room:<slug>` (kept by the manager), so the
namespace holds no state of its own; presence counts live in `server.presence`.
"""

from __future__ import annotations

from typing import Any

from models import chat
from models.chat import Caller, History, NewMessage, RoomRef
from namespaces.base import AuthedNamespace
from server.broadcast import chat as broadcast
from server.broadcast.chat import chat_room
from server.errors import Forbidden
from server.identity import Identity
from server.presence import Presence
from server.runtime import Runtime


def caller_of(identity: Identity) -> Caller:
    if identity.is_guest:
        return Caller(user_id=None, guest_name=identity.name)
    return Caller(user_id=identity.user_id, is_staff=identity.is_staff)


class ChatNamespace(AuthedNamespace):
    path = "/chat"
    allow_guests = True

    def __init__(self, namespace: str, runtime: Runtime) -> None:
        super().__init__(namespace, runtime)
        self.presence = Presence(redis=runtime.redis, prefix=runtime.settings.redis_prefix)

    def joined(self, sid: str) -> list[str]:
        """The slugs of the rooms this socket has joined."""
        prefix = chat_room("")
        return [room[len(prefix) :] for room in self.rooms(sid) if room.startswith(prefix)]

    def require_joined(self, sid: str, slug: str) -> None:
        if chat_room(slug) not in self.rooms(sid):
            raise Forbidden(f"join room {slug!r} first", fields={"room": "not joined"})

    async def on_join(self, sid: str, data: Any) -> dict:
        req = self.parse(RoomRef, data)
        identity = await self.identity(sid)
        room = await chat.get_room(slug=req.room, caller=caller_of(identity))
        first = False
        # Checked and entered with no await in between, so a doubled join counts once.
        if chat_room(room.slug) not in self.rooms(sid):
            await self.enter_room(sid, chat_room(room.slug))
            if not identity.is_guest:
                first = await self.presence.enter(room.slug, identity.user_id)
                if not self.server.manager.is_connected(sid, self.namespace):
                    # The socket went while we counted it; its disconnect may have run
                    # before our count, so take the count back ourselves.
                    await self.presence.leave(room.slug, identity.user_id)
                    return {}
        messages = await chat.history(room=room)
        present = await self.presence.present(room.slug)
        if first:
            await broadcast.presence(
                self.server, room.slug, identity.brief(), "joined", skip_sid=sid
            )
        return {
            "room": chat.room_dict(room),
            "history": [chat.message_dict(m, room.slug) for m in messages],
            "present": present,
        }

    async def on_leave(self, sid: str, data: Any) -> dict:
        req = self.parse(RoomRef, data)
        identity = await self.identity(sid)
        # Leaving a room one is not in is a no-op, as Socket.IO users expect.
        if chat_room(req.room) in self.rooms(sid):
            await self.leave_room(sid, chat_room(req.room))
            await self._gone(sid, identity, req.room)
        return {"room": req.room}

    async def before_disconnect(self, sid: str) -> None:
        identity = await self.identity(sid)
        for slug in self.joined(sid):
            await self._gone(sid, identity, slug)

    async def _gone(self, sid: str, identity: Identity, slug: str) -> None:
        if identity.is_guest:
            return
        if await self.presence.leave(slug, identity.user_id):
            await broadcast.presence(self.server, slug, identity.brief(), "left", skip_sid=sid)

    async def on_message(self, sid: str, data: Any) -> dict:
        req = self.parse(NewMessage, data)
        self.require_joined(sid, req.room)
        identity = await self.identity(sid)
        room = await chat.find_room(req.room)
        message, created = await chat.post_message(
            room=room, caller=caller_of(identity), body=req.body, client_id=req.client_id
        )
        payload = chat.message_dict(message, room.slug)
        if created:
            await broadcast.message(self.server, payload)
        return payload

    async def on_typing(self, sid: str, data: Any) -> None:
        req = self.parse(RoomRef, data)
        self.require_joined(sid, req.room)
        identity = await self.identity(sid)
        await broadcast.typing(self.server, req.room, identity.brief(), skip_sid=sid)

    async def on_history(self, sid: str, data: Any) -> list[dict]:
        req = self.parse(History, data)
        self.require_joined(sid, req.room)
        room = await chat.find_room(req.room)
        rows = await chat.history(room=room, before_id=req.before_id, limit=req.limit)
        return [chat.message_dict(m, room.slug) for m in rows]
