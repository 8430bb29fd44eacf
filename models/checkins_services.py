"""Member and check-in services: keyword-only, knowing nothing of sockets or HTTP.

A non-staff actor sees only the members linked to their account (core.identity.Identity.scope).

The in/out transition is decided by the database, never in process memory: a conditional
`UPDATE members SET status='in' WHERE id=? AND status='out' AND membership_status='active'`
whose affected row count says who won, in one transaction with the check-in row. Two racing
check-ins on two nodes therefore give one success and one conflict, and never two open
check-ins for one member.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from core.errors import Conflict, Forbidden, NotFound
from core.identity import Identity
from models.checkins import MAX_ID, Checkin, Member, MembershipStatus, Presence
from models.common import utcnow
from models.users import User

# --- members ---------------------------------------------------------------------------


def _visible_members(actor: Identity):
    """Staff see every member; a user only the members linked to them."""
    query = Member.all()
    return query if actor.scope is None else query.filter(user_id=actor.scope)


async def _linkable(user_id: int | None) -> None:
    if user_id is not None and not await User.filter(id=user_id).exists():
        raise NotFound("user")


async def _find_member(member_id: int, actor: Identity | None = None) -> Member:
    """A member by id (only those visible to `actor`, when given), else not_found."""
    member = None
    if 1 <= member_id <= MAX_ID:
        query = Member.all() if actor is None else _visible_members(actor)
        member = await query.filter(id=member_id).first()
    if member is None:
        raise NotFound("member")
    return member


async def get_member(*, actor: Identity, member_id: int) -> Member:
    """One member; someone else's (for a non-staff actor) is not found."""
    return await _find_member(member_id, actor)


async def list_members(
    *,
    actor: Identity,
    membership_status: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Member]:
    query = _visible_members(actor)
    if membership_status is not None:
        query = query.filter(membership_status=MembershipStatus(membership_status))
    if status is not None:
        query = query.filter(status=Presence(status))
    return await query.order_by("name", "id").offset(offset).limit(limit)


async def create_member(*, name: str, membership_status: str, user_id: int | None = None) -> Member:
    await _linkable(user_id)
    return await Member.create(
        name=name, membership_status=MembershipStatus(membership_status), user_id=user_id
    )


async def update_member(*, member_id: int, changes: dict[str, Any]) -> Member:
    """Change name, membership_status or user_id (staff); `status` moves only by check-in/out."""
    member = await _find_member(member_id)
    if "user_id" in changes:
        await _linkable(changes["user_id"])
    if "membership_status" in changes:
        changes["membership_status"] = MembershipStatus(changes["membership_status"])
    if changes:
        await Member.filter(id=member.id).update(**changes)
        await member.refresh_from_db()
    return member


async def delete_member(*, member_id: int) -> Member:
    """Delete a member and, with it, its check-ins; returns the deleted member."""
    member = await _find_member(member_id)
    await member.delete()
    return member


# --- check-ins -------------------------------------------------------------------------


async def check_in(*, actor: Identity, member_id: int) -> tuple[Checkin, Member]:
    """Open a check-in; already in → conflict, membership not active → forbidden."""
    member = await get_member(actor=actor, member_id=member_id)
    async with in_transaction() as conn:
        moved = (
            await Member.filter(
                id=member.id, status=Presence.OUT, membership_status=MembershipStatus.ACTIVE
            )
            .using_db(conn)
            .update(status=Presence.IN)
        )
        if moved:
            checkin = await Checkin.create(
                member_id=member.id, checked_in_at=utcnow(), using_db=conn
            )
    if not moved:
        raise await _refusal(member.id)
    # The state this call wrote (a re-read could already show a later change).
    member.status = Presence.IN
    return checkin, member


async def _refusal(member_id: int) -> Exception:
    """Why the conditional UPDATE matched no row, read after the fact."""
    member = await Member.get_or_none(id=member_id)
    if member is None:
        return NotFound("member")
    if member.membership_status != MembershipStatus.ACTIVE:
        return Forbidden(
            f"membership is {MembershipStatus(member.membership_status).value}",
            fields={
                "reason": "membership_inactive",
                "membership_status": MembershipStatus(member.membership_status).value,
            },
        )
    return Conflict("member is already checked in", fields={"status": "in"})


async def check_out(*, actor: Identity, member_id: int) -> tuple[Checkin, Member]:
    """Close the open check-in; already out → conflict. Any membership may leave."""
    member = await get_member(actor=actor, member_id=member_id)
    checkin = None
    async with in_transaction() as conn:
        moved = (
            await Member.filter(id=member.id, status=Presence.IN)
            .using_db(conn)
            .update(status=Presence.OUT)
        )
        if moved:
            # The member row is ours until commit, so no other check-in can open meanwhile.
            checkin = (
                await Checkin.filter(member_id=member.id, checked_out_at__isnull=True)
                .using_db(conn)
                .order_by("-checked_in_at", "-id")
                .first()
            )
            if checkin is not None:
                await (
                    Checkin.filter(member_id=member.id, checked_out_at__isnull=True)
                    .using_db(conn)
                    .update(checked_out_at=utcnow())
                )
                await checkin.refresh_from_db(using_db=conn)
    if not moved:
        if not await Member.filter(id=member.id).exists():
            raise NotFound("member")
        raise Conflict("member is not checked in", fields={"status": "out"})
    if checkin is None:
        raise Conflict("member had no open check-in")
    member.status = Presence.OUT
    return checkin, member


async def get_checkin(*, actor: Identity, checkin_id: int) -> Checkin:
    checkin = None
    if 1 <= checkin_id <= MAX_ID:
        query = Checkin.filter(id=checkin_id)
        if actor.scope is not None:
            query = query.filter(member__user_id=actor.scope)
        checkin = await query.first()
    if checkin is None:
        raise NotFound("check-in")
    return checkin


async def list_checkins(
    *,
    actor: Identity,
    member_id: int | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[Checkin]:
    """Check-ins newest first; a non-staff actor sees only their members' check-ins."""
    query = Checkin.all()
    if member_id is not None:
        await get_member(actor=actor, member_id=member_id)
        query = query.filter(member_id=member_id)
    elif actor.scope is not None:
        query = query.filter(member__user_id=actor.scope)
    if open_only:
        query = query.filter(checked_out_at__isnull=True)
    return await query.order_by("-checked_in_at", "-id").offset(offset).limit(limit)
