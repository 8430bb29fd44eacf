"""Check-in use cases: members (staff) and the in/out moves that move the staff board."""

from __future__ import annotations

from typing import Any

from actions.registry import Handles, action
from core.identity import Identity
from models import checkins, checkins_services
from models.checkins import ListMembers, MemberChange, NewMember
from server.broadcast import checkins as broadcast


@action
async def list_members(rt: Handles, actor: Identity, query: ListMembers) -> list[dict[str, Any]]:
    """The members the caller may check in: all for staff, the linked ones for a user."""
    rows = await checkins_services.list_members(actor=actor, **query.model_dump())
    return [checkins.member_dict(member) for member in rows]


@action
async def board(rt: Handles, actor: Identity) -> dict[str, Any]:
    """The staff board on demand: `{checked_in_now, checkins_today, as_of}` (staff only)."""
    actor.require_staff()
    return await checkins.stats()


@action
async def create_member(rt: Handles, actor: Identity, new: NewMember) -> dict[str, Any]:
    actor.require_staff()
    member = await checkins_services.create_member(**new.model_dump())
    return checkins.member_dict(member)


@action
async def update_member(
    rt: Handles, actor: Identity, member_id: int, change: MemberChange
) -> dict[str, Any]:
    actor.require_staff()
    member = await checkins_services.update_member(member_id=member_id, changes=change.changes())
    return checkins.member_dict(member)


@action
async def delete_member(rt: Handles, actor: Identity, member_id: int) -> dict[str, Any]:
    actor.require_staff()
    member = await checkins_services.delete_member(member_id=member_id)
    await broadcast.member_deleted(rt.sio, member, await checkins.stats())
    return checkins.member_dict(member)


@action
async def check_in(rt: Handles, actor: Identity, member_id: int) -> dict[str, Any]:
    checkin, member = await checkins_services.check_in(actor=actor, member_id=member_id)
    await broadcast.checked_in(rt.sio, checkin, member, await checkins.stats())
    return checkins.checkin_dict(checkin)


@action
async def check_out(rt: Handles, actor: Identity, member_id: int) -> dict[str, Any]:
    checkin, member = await checkins_services.check_out(actor=actor, member_id=member_id)
    await broadcast.checked_out(rt.sio, checkin, member, await checkins.stats())
    return checkins.checkin_dict(checkin)
