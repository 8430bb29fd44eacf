"""The only place that emits /alerts events; the manager fans them out to every node."""

from __future__ import annotations

import socketio

from models import alerts
from models.alerts import Alert
from models.common import iso, utcnow
from server.history import emit as stream_emit
from server.rooms import STAFF, user_room

NAMESPACE = "/alerts"


async def unread_count(sio: socketio.AsyncServer, user_id: int) -> None:
    """A fresh unread count to every socket of that user (never to the staff feed)."""
    count = await alerts.unread_count(user_id=user_id)
    await stream_emit(
        sio, "unread_count", {"count": count}, room=user_room(user_id), namespace=NAMESPACE
    )


async def new_alert(sio: socketio.AsyncServer, alert: Alert) -> None:
    payload = {"message": alerts.alert_dict(alert), "timestamp": iso(utcnow())}
    # A list of rooms: a staff socket that is also the alert's user gets it once.
    await stream_emit(
        sio, "breach_alert", payload, room=[user_room(alert.user_id), STAFF], namespace=NAMESPACE
    )
    await unread_count(sio, alert.user_id)


async def alert_marked_read(sio: socketio.AsyncServer, alert: Alert) -> None:
    payload = {
        "alert_id": alert.id,
        "update_type": "marked_read",
        "timestamp": iso(utcnow()),
        "user_id": alert.user_id,
    }
    await stream_emit(
        sio, "alert_update", payload, room=[user_room(alert.user_id), STAFF], namespace=NAMESPACE
    )
    await unread_count(sio, alert.user_id)
