"""/api/v1/alerts: a user's breach alerts; staff create them; marking read broadcasts."""

from __future__ import annotations

from sanic import Blueprint, Request

from models import alerts
from models.alerts import ListAlerts, NewAlert
from server.api.openapi import doc
from server.api.schemas import Alert, AlertList
from server.broadcast import alerts as broadcast
from server.http import (
    authenticated,
    current_user,
    items,
    parse_body,
    parse_query,
    reply,
    staff_only,
)

bp = Blueprint("alerts", url_prefix="/alerts")


@bp.get("/")
@doc("alerts", query=ListAlerts, ok=AlertList)
@authenticated
async def list_alerts(request: Request):
    """List the caller's alerts, newest first (`?unread_only=true&limit=`)."""
    query = parse_query(request, ListAlerts)
    user = await current_user(request)
    rows = await alerts.list_alerts(
        user_id=user.id, unread_only=query.unread_only, limit=query.limit
    )
    return items([alerts.alert_dict(alert) for alert in rows])


@bp.post("/")
@doc("alerts", body=NewAlert, ok=(201, Alert), auth="staff", errors=(404,))
@staff_only
async def create_alert(request: Request):
    """Create an alert for a user (staff only); it reaches every socket of that user."""
    new = parse_body(request, NewAlert)
    alert = await alerts.create_alert(**new.model_dump())
    await broadcast.new_alert(request.app.ctx.sio, alert)
    return reply(alerts.alert_dict(alert), status=201)


@bp.get("/<alert_id:int>")
@doc("alerts", ok=Alert, errors=(404,))
@authenticated
async def get_alert(request: Request, alert_id: int):
    """One alert: the caller's own, or any for staff."""
    user = await current_user(request)
    alert = await alerts.get_alert(alert_id=alert_id, user_id=None if user.is_staff else user.id)
    return reply(alerts.alert_dict(alert))


@bp.post("/<alert_id:int>/read")
@doc("alerts", ok=Alert, errors=(404,))
@authenticated
async def mark_read(request: Request, alert_id: int):
    """Mark an alert read; the first time, every socket of its user hears about it."""
    user = await current_user(request)
    alert, changed = await alerts.mark_read(
        alert_id=alert_id, user_id=None if user.is_staff else user.id
    )
    if changed:
        await broadcast.alert_marked_read(request.app.ctx.sio, alert)
    return reply(alerts.alert_dict(alert))
