"""/api/v1 zones and records: the REST door to the same actions and events as /dns."""

from __future__ import annotations

from pydantic import Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from actions import dns as actions
from actions.registry import door
from core.errors import BadRequest, Invalid, PayloadTooLarge
from core.identity import Identity
from models import dns, dns_import, dns_records
from models.common import Payload
from models.dns import NewZone, RecordChange, RecordFields
from server.api.openapi import doc
from server.api.schemas import AuditList, ImportResult, Record, RecordList, Zone, ZoneList
from server.http import (
    authenticated,
    body_json,
    handles,
    items,
    no_content,
    parse_body,
    parse_query,
    reply,
)

bp = Blueprint("dns")

JSON_TYPES = ("application/json",)
TEXT_TYPES = ("", "text/plain", "text/dns", "application/octet-stream")


class AuditQuery(Payload):
    model_config = {"strict": False}
    limit: int = Field(default=100, ge=1, le=500)
    before_id: int | None = Field(default=None, ge=1, le=dns.ID_MAX)


class ImportQuery(Payload):
    model_config = {"strict": False}
    mode: dns_import.ImportMode = "merge"


class ZoneFileBody(Payload):
    zone_file: str = Field(max_length=2_000_000)


@bp.get("/zones")
@doc("dns", ok=ZoneList)
@authenticated
async def list_zones(request: Request, actor: Identity):
    """List zones: the caller's own; staff see every zone."""
    return items([dns.zone_dict(zone) for zone in await dns.list_zones(user_id=actor.scope)])


@bp.post("/zones")
@doc("dns", body=NewZone, ok=(201, Zone), errors=(409,))
@authenticated
@door(actions.create_zone)
async def create_zone(request: Request, actor: Identity):
    """Create a zone owned by the caller (`{name}`, unique)."""
    new = parse_body(request, NewZone)
    return reply(await actions.create_zone(handles(request), actor, new), status=201)


@bp.get("/zones/<zone_id:int>")
@doc("dns", ok=Zone, errors=(404,))
@authenticated
async def get_zone(request: Request, actor: Identity, zone_id: int):
    """One zone (the caller's, or any for staff)."""
    return reply(dns.zone_dict(await dns.get_zone(zone_id=zone_id, user_id=actor.scope)))


@bp.delete("/zones/<zone_id:int>")
@doc("dns", ok=(204, None), errors=(404,))
@authenticated
@door(actions.delete_zone)
async def delete_zone(request: Request, actor: Identity, zone_id: int):
    """Delete a zone and its records; its subscribers get `zone_deleted`."""
    await actions.delete_zone(handles(request), actor, zone_id)
    return no_content()


@bp.get("/zones/<zone_id:int>/records")
@doc("dns", ok=RecordList, errors=(404,))
@authenticated
async def list_records(request: Request, actor: Identity, zone_id: int):
    """The zone's records, by name and type."""
    zone = await dns.get_zone(zone_id=zone_id, user_id=actor.scope)
    records = await dns_records.list_records(zone_id=zone.id)
    return items([dns.record_dict(record) for record in records])


@bp.post("/zones/<zone_id:int>/records")
@doc("dns", body=RecordFields, ok=(201, Record), errors=(404,))
@authenticated
@door(actions.create_record)
async def create_record(request: Request, actor: Identity, zone_id: int):
    """Create a record; `record_created` reaches the zone's subscribers and staff."""
    await dns.get_zone(zone_id=zone_id, user_id=actor.scope)  # someone else's: 404 before 422
    new = parse_body(request, RecordFields)
    return reply(await actions.create_record(handles(request), actor, zone_id, new), status=201)


@bp.get("/records/<record_id:int>")
@doc("dns", ok=Record, errors=(404,))
@authenticated
async def get_record(request: Request, actor: Identity, record_id: int):
    """One record."""
    record = await dns_records.get_record(record_id=record_id, user_id=actor.scope)
    return reply(dns.record_dict(record))


@bp.patch("/records/<record_id:int>")
@doc("dns", body=RecordChange, ok=Record, errors=(404, 409))
@authenticated
@door(actions.update_record)
async def update_record(request: Request, actor: Identity, record_id: int):
    """Change a record; `version` must be the current one, else 409 with `fields.current`."""
    change = parse_body(request, RecordChange)
    return reply(await actions.update_record(handles(request), actor, record_id, change))


@bp.delete("/records/<record_id:int>")
@doc("dns", ok=(204, None), errors=(404,))
@authenticated
@door(actions.delete_record)
async def delete_record(request: Request, actor: Identity, record_id: int):
    """Delete a record; `record_deleted` reaches the zone's subscribers and staff."""
    await actions.delete_record(handles(request), actor, record_id)
    return no_content()


@bp.get("/zones/<zone_id:int>/export")
@doc("dns", text_answer="the zone as a BIND zone file ($ORIGIN and $TTL lines)", errors=(404,))
@authenticated
async def export_zone(request: Request, actor: Identity, zone_id: int):
    """The zone as a BIND zone file (text/plain, with $ORIGIN and $TTL)."""
    text = await dns_import.export_zone(zone_id=zone_id, user_id=actor.scope)
    return HTTPResponse(text, content_type="text/plain; charset=utf-8")


def _zone_file(request: Request) -> str:
    """The zone file from a text/plain body, or from JSON `{"zone_file": "..."}`."""
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type in JSON_TYPES or content_type.endswith("+json"):
        data = body_json(request)
        if not isinstance(data, dict):
            raise Invalid("body must be a JSON object", fields={"_root": "expected an object"})
        return ZoneFileBody.model_validate(data).zone_file
    if content_type not in TEXT_TYPES:
        raise BadRequest('send the zone file as text/plain or JSON {"zone_file": ...}')
    body = request.body or b""
    if len(body) > request.app.ctx.rt.settings.max_body_bytes:
        raise PayloadTooLarge("request body too large")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the zone file must be UTF-8 text") from None


@bp.post("/zones/<zone_id:int>/import")
@doc(
    "dns",
    body=ZoneFileBody,
    text_body="the BIND zone file (UTF-8), the usual way to send it",
    query=ImportQuery,
    ok=ImportResult,
    errors=(404,),
)
@authenticated
@door(actions.import_zone)
async def import_zone(request: Request, actor: Identity, zone_id: int):
    """Import a BIND zone file (`?mode=merge` default, or `replace`); all or nothing."""
    # Someone else's zone is a 404 whatever the body holds.
    await dns.get_zone(zone_id=zone_id, user_id=actor.scope)
    query = parse_query(request, ImportQuery)
    text = _zone_file(request)
    return reply(await actions.import_zone(handles(request), actor, zone_id, text, query.mode))


@bp.get("/zones/<zone_id:int>/audit")
@doc("dns", query=AuditQuery, ok=AuditList, errors=(404,))
@authenticated
async def zone_audit(request: Request, actor: Identity, zone_id: int):
    """The zone's change log, newest first (`?limit=&before_id=`)."""
    query = parse_query(request, AuditQuery)
    entries = await dns.list_audit(
        zone_id=zone_id, user_id=actor.scope, limit=query.limit, before_id=query.before_id
    )
    return items([dns.audit_dict(entry) for entry in entries])
