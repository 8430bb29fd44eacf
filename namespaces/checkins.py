"""/checkins namespace: members check in and out; staff watch the board."""

from __future__ import annotations

from typing import Any

from actions import checkins as actions
from actions.registry import door
from core.identity import Identity
from models import checkins
from models.checkins import ListMembers, MemberRef
from namespaces.base import AuthedNamespace


class CheckinsNamespace(AuthedNamespace):
    path = "/checkins"

    async def after_connect(self, sid: str, identity: Identity) -> None:
        if identity.is_staff:
            await self.emit("stats", await checkins.stats(), to=sid)

    @door(actions.check_in)
    async def on_check_in(self, sid: str, data: Any) -> dict:
        req = self.parse(MemberRef, data)
        return await actions.check_in(self.rt, await self.identity(sid), req.member_id)

    @door(actions.check_out)
    async def on_check_out(self, sid: str, data: Any) -> dict:
        req = self.parse(MemberRef, data)
        return await actions.check_out(self.rt, await self.identity(sid), req.member_id)

    @door(actions.board)
    async def on_get_stats(self, sid: str, data: Any = None) -> dict:
        """The board on demand (staff only); answered as the ack, nothing broadcast."""
        return await actions.board(self.rt, await self.identity(sid))

    @door(actions.list_members)
    async def on_list_members(self, sid: str, data: Any = None) -> list[dict]:
        """The members the caller may check in: all for staff, the linked ones for a user."""
        req = self.parse(ListMembers, {} if data is None else data)
        return await actions.list_members(self.rt, await self.identity(sid), req)
