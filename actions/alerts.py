"""Alert use cases: staff raise an alert for a user; marking one read tells every tab."""

from __future__ import annotations

from typing import Any

from actions.registry import Handles, action
from core.identity import Identity
from models import alerts
from models.alerts import ListAlerts, NewAlert
from server.broadcast import alerts as broadcast


@action
async def create_alert(rt: Handles, actor: Identity, new: NewAlert) -> dict[str, Any]:
    actor.require_staff()
    alert = await alerts.create_alert(**new.model_dump())
    await broadcast.new_alert(rt.sio, alert)
    return alerts.alert_dict(alert)


@action
async def list_alerts(rt: Handles, actor: Identity, query: ListAlerts) -> list[dict[str, Any]]:
    """The caller's own alerts, newest first (staff too: their own)."""
    rows = await alerts.list_alerts(
        user_id=actor.user_id, unread_only=query.unread_only, limit=query.limit
    )
    return [alerts.alert_dict(alert) for alert in rows]


@action
async def mark_read(rt: Handles, actor: Identity, alert_id: int) -> dict[str, Any]:
    """The first time only, every socket of the alert's user hears about it."""
    alert, changed = await alerts.mark_read(alert_id=alert_id, user_id=actor.scope)
    if changed:
        await broadcast.alert_marked_read(rt.sio, alert)
    return alerts.alert_dict(alert)
