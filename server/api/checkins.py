"""/api/v1/members and /api/v1/checkins: the gym's members and their check-ins.

Check-in and check-out are the same actions (actions.checkins) as the /checkins namespace,
so a REST change produces exactly the socket events of the same change made over a socket.
"""

from __future__ import annotations

from sanic import Blueprint, Request

from actions import checkins as actions
from actions.registry import door
from core.identity import Identity
from models import checkins, checkins_services
from models.checkins import ListCheckins, ListMembers, MemberChange, MemberRef, NewMember
from server.api.openapi import doc
from server.api.schemas import Checkin, CheckinList, CheckinStats, Member, MemberList
from server.http import (
    authenticated,
    handles,
    items,
    no_content,
    parse_body,
    parse_query,
    reply,
    staff_only,
)

bp = Blueprint("checkins")


@bp.get("/members")
@doc("checkins", query=ListMembers, ok=MemberList)
@authenticated
@door(actions.list_members)
async def list_members(request: Request, actor: Identity):
    """List members: staff all, a user their linked ones (`?membership_status=&status=&limit=`)."""
    query = parse_query(request, ListMembers)
    return items(await actions.list_members(handles(request), actor, query))


@bp.post("/members")
@doc("checkins", body=NewMember, ok=(201, Member), auth="staff", errors=(404,))
@staff_only
@door(actions.create_member)
async def create_member(request: Request, actor: Identity):
    """Create a member (staff only), optionally linked to a user account."""
    new = parse_body(request, NewMember)
    return reply(await actions.create_member(handles(request), actor, new), status=201)


@bp.get("/members/<member_id:int>")
@doc("checkins", ok=Member, errors=(404,))
@authenticated
async def get_member(request: Request, actor: Identity, member_id: int):
    """One member: any for staff, a linked one for a user."""
    member = await checkins_services.get_member(actor=actor, member_id=member_id)
    return reply(checkins.member_dict(member))


@bp.patch("/members/<member_id:int>")
@doc("checkins", body=MemberChange, ok=Member, auth="staff", errors=(404,))
@staff_only
@door(actions.update_member)
async def update_member(request: Request, actor: Identity, member_id: int):
    """Change a member's name, membership_status or user_id (staff only)."""
    change = parse_body(request, MemberChange)
    return reply(await actions.update_member(handles(request), actor, member_id, change))


@bp.delete("/members/<member_id:int>")
@doc("checkins", ok=(204, None), auth="staff", errors=(404,))
@staff_only
@door(actions.delete_member)
async def delete_member(request: Request, actor: Identity, member_id: int):
    """Delete a member and its check-ins (staff only); the staff board gets fresh stats."""
    await actions.delete_member(handles(request), actor, member_id)
    return no_content()


@bp.post("/members/<member_id:int>/checkout")
@doc("checkins", ok=Checkin, errors=(403, 404, 409))
@authenticated
@door(actions.check_out)
async def check_out(request: Request, actor: Identity, member_id: int):
    """Check a member out; answers with the closed check-in."""
    return reply(await actions.check_out(handles(request), actor, member_id))


@bp.get("/checkins")
@doc("checkins", query=ListCheckins, ok=CheckinList)
@authenticated
async def list_checkins(request: Request, actor: Identity):
    """List check-ins newest first (`?member_id=&open_only=true&limit=&offset=`)."""
    query = parse_query(request, ListCheckins)
    rows = await checkins_services.list_checkins(actor=actor, **query.model_dump())
    return items([checkins.checkin_dict(checkin) for checkin in rows])


@bp.post("/checkins")
@doc("checkins", body=MemberRef, ok=(201, Checkin), errors=(403, 404, 409))
@authenticated
@door(actions.check_in)
async def check_in(request: Request, actor: Identity):
    """Check a member in (`{member_id}`); answers 201 with the new check-in."""
    ref = parse_body(request, MemberRef)
    return reply(await actions.check_in(handles(request), actor, ref.member_id), status=201)


@bp.get("/checkins/stats")
@doc("checkins", ok=CheckinStats, auth="staff")
@staff_only
@door(actions.board)
async def stats(request: Request, actor: Identity):
    """The staff board: `{checked_in_now, checkins_today, as_of}` (staff only)."""
    return reply(await actions.board(handles(request), actor))


@bp.get("/checkins/<checkin_id:int>")
@doc("checkins", ok=Checkin, errors=(404,))
@authenticated
async def get_checkin(request: Request, actor: Identity, checkin_id: int):
    """One check-in: any for staff, one of a linked member for a user."""
    checkin = await checkins_services.get_checkin(actor=actor, checkin_id=checkin_id)
    return reply(checkins.checkin_dict(checkin))
