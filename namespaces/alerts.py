"""/alerts namespace: a user's breach alerts, their unread count, and marking them read."""

from __future__ import annotations

from typing import Any

from actions import alerts as actions
from actions.registry import door
from core.identity import Identity
from models import alerts
from models.alerts import ListAlerts, MarkRead
from namespaces.base import AuthedNamespace


class AlertsNamespace(AuthedNamespace):
    path = "/alerts"

    async def after_connect(self, sid: str, identity: Identity) -> None:
        count = await alerts.unread_count(user_id=identity.user_id)
        await self.emit("unread_count", {"count": count}, to=sid)

    async def on_get_unread_count(self, sid: str, data: Any = None) -> dict:
        identity = await self.identity(sid)
        answer = {"count": await alerts.unread_count(user_id=identity.user_id)}
        await self.emit("unread_count", answer, to=sid)
        return answer

    @door(actions.list_alerts)
    async def on_list(self, sid: str, data: Any = None) -> list[dict]:
        # No payload at all means "the defaults"; anything else must be an object.
        req = self.parse(ListAlerts, {} if data is None else data)
        return await actions.list_alerts(self.rt, await self.identity(sid), req)

    @door(actions.mark_read)
    async def on_mark_read(self, sid: str, data: Any) -> dict:
        req = self.parse(MarkRead, data)
        return await actions.mark_read(self.rt, await self.identity(sid), req.alert_id)

    async def on_subscribe_to_updates(self, sid: str, data: Any = None) -> dict:
        # Kept for older clients: every socket already joined its user's room on connect.
        return {"subscribed": True}
