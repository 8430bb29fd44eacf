"""/api/v1/alerts: a user's breach alerts; staff create them; marking read broadcasts."""

from __future__ import annotations

from sanic import Blueprint, Request

from actions import alerts as actions
from actions.registry import door
from core.identity import Identity
from models import alerts
from models.alerts import ListAlerts, NewAlert
from server.api.openapi import doc
from server.api.schemas import Alert, AlertList
from server.http import authenticated, handles, items, parse_body, parse_query, reply, staff_only

bp = Blueprint("alerts", url_prefix="/alerts")


@bp.get("/")
@doc("alerts", query=ListAlerts, ok=AlertList)
@authenticated
@door(actions.list_alerts)
async def list_alerts(request: Request, actor: Identity):
    """List the caller's alerts, newest first (`?unread_only=true&limit=`)."""
    query = parse_query(request, ListAlerts)
    return items(await actions.list_alerts(handles(request), actor, query))


@bp.post("/")
@doc("alerts", body=NewAlert, ok=(201, Alert), auth="staff", errors=(404,))
@staff_only
@door(actions.create_alert)
async def create_alert(request: Request, actor: Identity):
    """Create an alert for a user (staff only); it reaches every socket of that user."""
    new = parse_body(request, NewAlert)
    return reply(await actions.create_alert(handles(request), actor, new), status=201)


@bp.get("/<alert_id:int>")
@doc("alerts", ok=Alert, errors=(404,))
@authenticated
async def get_alert(request: Request, actor: Identity, alert_id: int):
    """One alert: the caller's own, or any for staff."""
    alert = await alerts.get_alert(alert_id=alert_id, user_id=actor.scope)
    return reply(alerts.alert_dict(alert))


@bp.post("/<alert_id:int>/read")
@doc("alerts", ok=Alert, errors=(404,))
@authenticated
@door(actions.mark_read)
async def mark_read(request: Request, actor: Identity, alert_id: int):
    """Mark an alert read; the first time, every socket of its user hears about it."""
    return reply(await actions.mark_read(handles(request), actor, alert_id))
