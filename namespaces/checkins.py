"""/checkins namespace: members check in and out; staff watch the board."""

from __future__ import annotations

from typing import Any

from models import checkins
from models.checkins import ListMembers, MemberRef
from namespaces.base import AuthedNamespace
from server.broadcast import checkins as broadcast
from server.errors import Forbidden
from server.identity import Identity


class CheckinsNamespace(AuthedNamespace):
    path = "/checkins"

    async def after_connect(self, sid: str, identity: Identity) -> None:
        if identity.is_staff:
            await self.emit("stats", await checkins.stats(), to=sid)

    async def on_check_in(self, sid: str, data: Any) -> dict:
        req = self.parse(MemberRef, data)
        checkin, member = await checkins.check_in(
            actor=await self.identity(sid), member_id=req.member_id
        )
        await broadcast.checked_in(self.server, checkin, member)
        return checkins.checkin_dict(checkin)

    async def on_check_out(self, sid: str, data: Any) -> dict:
        req = self.parse(MemberRef, data)
        checkin, member = await checkins.check_out(
            actor=await self.identity(sid), member_id=req.member_id
        )
        await broadcast.checked_out(self.server, checkin, member)
        return checkins.checkin_dict(checkin)

    async def on_get_stats(self, sid: str, data: Any = None) -> dict:
        """The board on demand (staff only); answered as the ack, nothing broadcast."""
        if not (await self.identity(sid)).is_staff:
            raise Forbidden("staff only")
        return await checkins.stats()

    async def on_list_members(self, sid: str, data: Any = None) -> list[dict]:
        """The members the caller may check in: all for staff, the linked ones for a user."""
        req = self.parse(ListMembers, {} if data is None else data)
        rows = await checkins.list_members(actor=await self.identity(sid), **req.model_dump())
        return [checkins.member_dict(member) for member in rows]
