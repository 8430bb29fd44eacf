"""/api/v1/members and /api/v1/checkins: the gym's members and their check-ins.

Check-in and check-out call the same services and broadcasts as the /checkins namespace,
so a REST change produces exactly the socket events of the same change made over a socket.
"""

from __future__ import annotations

from sanic import Blueprint, Request

from models import checkins
from models.checkins import (
    ActingUser,
    ListCheckins,
    ListMembers,
    MemberChange,
    MemberRef,
    NewMember,
)
from server.api.openapi import doc
from server.api.schemas import Checkin, CheckinList, CheckinStats, Member, MemberList
from server.broadcast import checkins as broadcast
from server.http import (
    authenticated,
    current_user,
    items,
    no_content,
    parse_body,
    parse_query,
    reply,
    staff_only,
)

bp = Blueprint("checkins")


async def _actor(request: Request) -> ActingUser:
    return ActingUser.of(await current_user(request))


@bp.get("/members")
@doc("checkins", query=ListMembers, ok=MemberList)
@authenticated
async def list_members(request: Request):
    """List members: staff all, a user their linked ones (`?membership_status=&status=&limit=`)."""
    query = parse_query(request, ListMembers)
    rows = await checkins.list_members(actor=await _actor(request), **query.model_dump())
    return items([checkins.member_dict(member) for member in rows])


@bp.post("/members")
@doc("checkins", body=NewMember, ok=(201, Member), auth="staff", errors=(404,))
@staff_only
async def create_member(request: Request):
    """Create a member (staff only), optionally linked to a user account."""
    new = parse_body(request, NewMember)
    member = await checkins.create_member(**new.model_dump())
    return reply(checkins.member_dict(member), status=201)


@bp.get("/members/<member_id:int>")
@doc("checkins", ok=Member, errors=(404,))
@authenticated
async def get_member(request: Request, member_id: int):
    """One member: any for staff, a linked one for a user."""
    member = await checkins.get_member(actor=await _actor(request), member_id=member_id)
    return reply(checkins.member_dict(member))


@bp.patch("/members/<member_id:int>")
@doc("checkins", body=MemberChange, ok=Member, auth="staff", errors=(404,))
@staff_only
async def update_member(request: Request, member_id: int):
    """Change a member's name, membership_status or user_id (staff only)."""
    change = parse_body(request, MemberChange)
    member = await checkins.update_member(member_id=member_id, changes=change.changes())
    return reply(checkins.member_dict(member))


@bp.delete("/members/<member_id:int>")
@doc("checkins", ok=(204, None), auth="staff", errors=(404,))
@staff_only
async def delete_member(request: Request, member_id: int):
    """Delete a member and its check-ins (staff only); the staff board gets fresh stats."""
    member = await checkins.delete_member(member_id=member_id)
    await broadcast.member_deleted(request.app.ctx.sio, member)
    return no_content()


@bp.post("/members/<member_id:int>/checkout")
@doc("checkins", ok=Checkin, errors=(403, 404, 409))
@authenticated
async def check_out(request: Request, member_id: int):
    """Check a member out; answers with the closed check-in."""
    checkin, member = await checkins.check_out(actor=await _actor(request), member_id=member_id)
    await broadcast.checked_out(request.app.ctx.sio, checkin, member)
    return reply(checkins.checkin_dict(checkin))


@bp.get("/checkins")
@doc("checkins", query=ListCheckins, ok=CheckinList)
@authenticated
async def list_checkins(request: Request):
    """List check-ins newest first (`?member_id=&open_only=true&limit=&offset=`)."""
    query = parse_query(request, ListCheckins)
    rows = await checkins.list_checkins(actor=await _actor(request), **query.model_dump())
    return items([checkins.checkin_dict(checkin) for checkin in rows])


@bp.post("/checkins")
@doc("checkins", body=MemberRef, ok=(201, Checkin), errors=(403, 404, 409))
@authenticated
async def check_in(request: Request):
    """Check a member in (`{member_id}`); answers 201 with the new check-in."""
    ref = parse_body(request, MemberRef)
    checkin, member = await checkins.check_in(actor=await _actor(request), member_id=ref.member_id)
    await broadcast.checked_in(request.app.ctx.sio, checkin, member)
    return reply(checkins.checkin_dict(checkin), status=201)


@bp.get("/checkins/stats")
@doc("checkins", ok=CheckinStats, auth="staff")
@staff_only
async def stats(request: Request):
    """The staff board: `{checked_in_now, checkins_today, as_of}` (staff only)."""
    return reply(await checkins.stats())


@bp.get("/checkins/<checkin_id:int>")
@doc("checkins", ok=Checkin, errors=(404,))
@authenticated
async def get_checkin(request: Request, checkin_id: int):
    """One check-in: any for staff, one of a linked member for a user."""
    checkin = await checkins.get_checkin(actor=await _actor(request), checkin_id=checkin_id)
    return reply(checkins.checkin_dict(checkin))
