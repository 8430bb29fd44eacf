"""/api/v1/chat: rooms, members, messages; a message posted here is the socket's action."""

from __future__ import annotations

from sanic import Blueprint, Request

from actions import chat as actions
from actions.registry import door
from core.identity import Identity
from models import chat, chat_messages
from models.chat import HistoryQuery, NewMember, NewMessageBody, NewRoom
from models.users import brief_user
from server.api.openapi import doc
from server.api.schemas import BriefUserList, Message, MessageList, Room, RoomList, RoomMember
from server.http import authenticated, handles, items, parse_body, parse_query, reply

bp = Blueprint("chat", url_prefix="/chat")


@bp.get("/rooms")
@doc("chat", ok=RoomList)
@authenticated
async def list_rooms(request: Request, actor: Identity):
    """List the rooms the caller may enter (public, their private ones; staff: all)."""
    return items([chat.room_dict(room) for room in await chat.list_rooms(caller=actor)])


@bp.post("/rooms")
@doc("chat", body=NewRoom, ok=(201, Room), errors=(403, 409))
@authenticated
@door(actions.create_room)
async def create_room(request: Request, actor: Identity):
    """Create a room `{slug, name, kind}`; the creator becomes a member (staff rooms: staff)."""
    new = parse_body(request, NewRoom)
    return reply(await actions.create_room(handles(request), actor, new), status=201)


@bp.get("/rooms/<slug:str>")
@doc("chat", ok=Room, errors=(403, 404))
@authenticated
async def get_room(request: Request, actor: Identity, slug: str):
    """One room the caller may enter; a closed room is 403 (slugs are not secret)."""
    return reply(chat.room_dict(await chat.get_room(slug=slug, caller=actor)))


@bp.get("/rooms/<slug:str>/members")
@doc("chat", ok=BriefUserList, errors=(403, 404))
@authenticated
async def list_members(request: Request, actor: Identity, slug: str):
    """The room's members as `{id, name, is_staff}`."""
    members = await chat.list_members(slug=slug, caller=actor)
    return items([brief_user(member) for member in members])


@bp.post("/rooms/<slug:str>/members")
@doc("chat", body=NewMember, body_name="NewRoomMember", ok=(201, RoomMember), errors=(403, 404))
@authenticated
@door(actions.add_member)
async def add_member(request: Request, actor: Identity, slug: str):
    """Add a member `{user_id}` (the room's creator or staff); 201 when new, 200 if already one."""
    new = parse_body(request, NewMember)
    member, created = await actions.add_member(handles(request), actor, slug, new)
    return reply(member, status=201 if created else 200)


@bp.get("/rooms/<slug:str>/messages")
@doc("chat", query=HistoryQuery, ok=MessageList, errors=(403, 404))
@authenticated
async def history(request: Request, actor: Identity, slug: str):
    """Messages, oldest first: the newest `limit` (default 50, at most 100) before `before_id`."""
    query = parse_query(request, HistoryQuery)
    room = await chat.get_room(slug=slug, caller=actor)
    rows = await chat_messages.history(room=room, before_id=query.before_id, limit=query.limit)
    return items([chat.message_dict(m, room.slug) for m in rows])


@bp.post("/rooms/<slug:str>/messages")
@doc("chat", body=NewMessageBody, ok=(201, Message), errors=(403, 404, 429))
@authenticated
@door(actions.post_message)
async def post_message(request: Request, actor: Identity, slug: str):
    """Post `{body, client_id?}`: stored, then broadcast; a retry answers 200 and is broadcast
    again (the first try's node may have died before broadcasting; clients dedupe by id)."""
    new = parse_body(request, NewMessageBody)
    message, created = await actions.post_message(handles(request), actor, slug, new)
    return reply(message, status=201 if created else 200)
