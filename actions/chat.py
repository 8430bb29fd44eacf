"""Chat use cases: rooms, members, and posting a message (stored, broadcast, handed to the bus)."""

from __future__ import annotations

from typing import Any

from actions.registry import Handles, action
from core.identity import Identity
from models import chat, chat_messages
from models.chat import NewMember, NewMessageBody, NewRoom
from models.users import brief_user
from server.broadcast import chat as broadcast


@action
async def create_room(rt: Handles, actor: Identity, new: NewRoom) -> dict[str, Any]:
    room = await chat.create_room(**new.model_dump(), caller=actor)
    return chat.room_dict(room)


@action
async def add_member(
    rt: Handles, actor: Identity, slug: str, new: NewMember
) -> tuple[dict[str, Any], bool]:
    """The member `{room, user}`, and whether they were new to the room."""
    member, created = await chat.add_member(slug=slug, user_id=new.user_id, caller=actor)
    return {"room": slug, "user": brief_user(member)}, created


@action
async def post_message(
    rt: Handles, actor: Identity, slug: str, new: NewMessageBody, *, joined: bool = False
) -> tuple[dict[str, Any], bool]:
    """The stored message, and whether it is new (False: a retry of the same `client_id`).

    A socket that joined the room was admitted by its join (`joined`); any other caller is
    checked here. A retry is broadcast again: the node that stored the first try may have died
    before its broadcast (at least once; clients drop duplicates by `id`, docs/chat.md). The
    answer waits until the broadcast left this node for the bus."""
    if joined:
        room = await chat.find_room(slug)
    else:
        room = await chat.get_room(slug=slug, caller=actor)
    message, created = await chat_messages.post_message(
        room=room, caller=actor, body=new.body, client_id=new.client_id
    )
    payload = chat.message_dict(message, room.slug)
    await broadcast.message(rt.sio, payload)
    await rt.handed_to_bus()
    return payload, created
