"""/api/v1/chat: rooms, members, messages; a message posted here is broadcast like a socket's."""

from __future__ import annotations

from sanic import Blueprint, Request

from models import chat
from models.chat import Caller, HistoryQuery, NewMember, NewMessageBody, NewRoom
from models.users import User, brief_user
from server.api.openapi import doc
from server.api.schemas import BriefUserList, Message, MessageList, Room, RoomList, RoomMember
from server.broadcast import chat as broadcast
from server.http import authenticated, current_user, items, parse_body, parse_query, reply

bp = Blueprint("chat", url_prefix="/chat")


def caller_of(user: User) -> Caller:
    return Caller(user_id=user.id, is_staff=user.is_staff, brief=brief_user(user))


@bp.get("/rooms")
@doc("chat", ok=RoomList)
@authenticated
async def list_rooms(request: Request):
    """List the rooms the caller may enter (public, their private ones; staff: all)."""
    user = await current_user(request)
    return items([chat.room_dict(room) for room in await chat.list_rooms(caller=caller_of(user))])


@bp.post("/rooms")
@doc("chat", body=NewRoom, ok=(201, Room), errors=(403, 409))
@authenticated
async def create_room(request: Request):
    """Create a room `{slug, name, kind}`; the creator becomes a member (staff rooms: staff)."""
    new = parse_body(request, NewRoom)
    user = await current_user(request)
    room = await chat.create_room(**new.model_dump(), caller=caller_of(user))
    return reply(chat.room_dict(room), status=201)


@bp.get("/rooms/<slug:str>")
@doc("chat", ok=Room, errors=(403, 404))
@authenticated
async def get_room(request: Request, slug: str):
    """One room the caller may enter; a closed room is 403 (slugs are not secret)."""
    user = await current_user(request)
    return reply(chat.room_dict(await chat.get_room(slug=slug, caller=caller_of(user))))


@bp.get("/rooms/<slug:str>/members")
@doc("chat", ok=BriefUserList, errors=(403, 404))
@authenticated
async def list_members(request: Request, slug: str):
    """The room's members as `{id, name, is_staff}`."""
    user = await current_user(request)
    members = await chat.list_members(slug=slug, caller=caller_of(user))
    return items([brief_user(member) for member in members])


@bp.post("/rooms/<slug:str>/members")
@doc("chat", body=NewMember, body_name="NewRoomMember", ok=(201, RoomMember), errors=(403, 404))
@authenticated
async def add_member(request: Request, slug: str):
    """Add a member `{user_id}` (the room's creator or staff); 201 when new, 200 if already one."""
    new = parse_body(request, NewMember)
    user = await current_user(request)
    member, created = await chat.add_member(slug=slug, user_id=new.user_id, caller=caller_of(user))
    return reply({"room": slug, "user": brief_user(member)}, status=201 if created else 200)


@bp.get("/rooms/<slug:str>/messages")
@doc("chat", query=HistoryQuery, ok=MessageList, errors=(403, 404))
@authenticated
async def history(request: Request, slug: str):
    """Messages, oldest first: the newest `limit` (default 50, at most 100) before `before_id`."""
    query = parse_query(request, HistoryQuery)
    user = await current_user(request)
    room = await chat.get_room(slug=slug, caller=caller_of(user))
    rows = await chat.history(room=room, before_id=query.before_id, limit=query.limit)
    return items([chat.message_dict(m, room.slug) for m in rows])


@bp.post("/rooms/<slug:str>/messages")
@doc("chat", body=NewMessageBody, ok=(201, Message), errors=(403, 404, 429))
@authenticated
async def post_message(request: Request, slug: str):
    """Post `{body, client_id?}`: stored, then broadcast; a retry answers 200 and is broadcast
    again (the first try's node may have died before broadcasting; clients dedupe by id)."""
    new = parse_body(request, NewMessageBody)
    user = await current_user(request)
    room = await chat.get_room(slug=slug, caller=caller_of(user))
    message, created = await chat.post_message(
        room=room, caller=caller_of(user), body=new.body, client_id=new.client_id
    )
    payload = chat.message_dict(message, room.slug)
    await broadcast.message(request.app.ctx.sio, payload)
    await request.app.ctx.rt.handed_to_bus()
    return reply(payload, status=201 if created else 200)
