"""Check-in use cases: members (staff) and the in/out moves that move the staff board."""

from __future__ import annotations

from typing import Any

from actions.registry import Handles, action
from core.identity import Identity
from models import checkins, checkins_services
from models.checkins import MemberChange, NewMember
from server.broadcast import checkins as broadcast


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
    await broadcast.member_deleted(rt.sio, member)
    return checkins.member_dict(member)


@action
async def check_in(rt: Handles, actor: Identity, member_id: int) -> dict[str, Any]:
    checkin, member = await checkins_services.check_in(actor=actor, member_id=member_id)
    await broadcast.checked_in(rt.sio, checkin, member)
    return checkins.checkin_dict(checkin)


@action
async def check_out(rt: Handles, actor: Identity, member_id: int) -> dict[str, Any]:
    checkin, member = await checkins_services.check_out(actor=actor, member_id=member_id)
    await broadcast.checked_out(rt.sio, checkin, member)
    return checkins.checkin_dict(checkin)
