"""/api/v1 zones and records: the REST door to the same services and events as /dns."""

from __future__ import annotations

from pydantic import Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from models import dns, dns_import, dns_records
from models.common import Payload
from models.dns import NewZone, RecordChange, RecordFields
from server.api.openapi import doc
from server.api.schemas import AuditList, ImportResult, Record, RecordList, Zone, ZoneList
from server.broadcast import dns as broadcast
from server.errors import BadRequest, Invalid, PayloadTooLarge
from server.http import (
    authenticated,
    body_json,
    current_user,
    items,
    no_content,
    owner_scope,
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
async def list_zones(request: Request):
    """List zones: the caller's own; staff see every zone."""
    user = await current_user(request)
    return items([dns.zone_dict(zone) for zone in await dns.list_zones(user_id=owner_scope(user))])


@bp.post("/zones")
@doc("dns", body=NewZone, ok=(201, Zone), errors=(409,))
@authenticated
async def create_zone(request: Request):
    """Create a zone owned by the caller (`{name}`, unique)."""
    user = await current_user(request)
    new = parse_body(request, NewZone)
    zone = await dns.create_zone(owner_id=user.id, name=new.name)
    return reply(dns.zone_dict(zone), status=201)


@bp.get("/zones/<zone_id:int>")
@doc("dns", ok=Zone, errors=(404,))
@authenticated
async def get_zone(request: Request, zone_id: int):
    """One zone (the caller's, or any for staff)."""
    user = await current_user(request)
    return reply(dns.zone_dict(await dns.get_zone(zone_id=zone_id, user_id=owner_scope(user))))


@bp.delete("/zones/<zone_id:int>")
@doc("dns", ok=(204, None), errors=(404,))
@authenticated
async def delete_zone(request: Request, zone_id: int):
    """Delete a zone and its records; its subscribers get `zone_deleted`."""
    user = await current_user(request)
    zone = await dns.delete_zone(zone_id=zone_id, user_id=owner_scope(user))
    await broadcast.zone_deleted(request.app.ctx.sio, zone.id)
    return no_content()


@bp.get("/zones/<zone_id:int>/records")
@doc("dns", ok=RecordList, errors=(404,))
@authenticated
async def list_records(request: Request, zone_id: int):
    """The zone's records, by name and type."""
    user = await current_user(request)
    zone = await dns.get_zone(zone_id=zone_id, user_id=owner_scope(user))
    records = await dns_records.list_records(zone_id=zone.id)
    return items([dns.record_dict(record) for record in records])


@bp.post("/zones/<zone_id:int>/records")
@doc("dns", body=RecordFields, ok=(201, Record), errors=(404,))
@authenticated
async def create_record(request: Request, zone_id: int):
    """Create a record; `record_created` reaches the zone's subscribers and staff."""
    user = await current_user(request)
    zone = await dns.get_zone(zone_id=zone_id, user_id=owner_scope(user))
    new = parse_body(request, RecordFields)
    record = await dns_records.create_record(
        zone_id=zone.id, user_id=owner_scope(user), actor_id=user.id, **new.model_dump()
    )
    await broadcast.record_created(request.app.ctx.sio, record)
    return reply(dns.record_dict(record), status=201)


@bp.get("/records/<record_id:int>")
@doc("dns", ok=Record, errors=(404,))
@authenticated
async def get_record(request: Request, record_id: int):
    """One record."""
    user = await current_user(request)
    record = await dns_records.get_record(record_id=record_id, user_id=owner_scope(user))
    return reply(dns.record_dict(record))


@bp.patch("/records/<record_id:int>")
@doc("dns", body=RecordChange, ok=Record, errors=(404, 409))
@authenticated
async def update_record(request: Request, record_id: int):
    """Change a record; `version` must be the current one, else 409 with `fields.current`."""
    user = await current_user(request)
    change = parse_body(request, RecordChange)
    record, changed = await dns_records.update_record(
        record_id=record_id,
        user_id=owner_scope(user),
        actor_id=user.id,
        version=change.version,
        changes=change.changes(),
    )
    if changed:
        await broadcast.record_updated(request.app.ctx.sio, record)
    return reply(dns.record_dict(record))


@bp.delete("/records/<record_id:int>")
@doc("dns", ok=(204, None), errors=(404,))
@authenticated
async def delete_record(request: Request, record_id: int):
    """Delete a record; `record_deleted` reaches the zone's subscribers and staff."""
    user = await current_user(request)
    record = await dns_records.delete_record(
        record_id=record_id, user_id=owner_scope(user), actor_id=user.id
    )
    await broadcast.record_deleted(request.app.ctx.sio, record)
    return no_content()


@bp.get("/zones/<zone_id:int>/export")
@doc("dns", text_answer="the zone as a BIND zone file ($ORIGIN and $TTL lines)", errors=(404,))
@authenticated
async def export_zone(request: Request, zone_id: int):
    """The zone as a BIND zone file (text/plain, with $ORIGIN and $TTL)."""
    user = await current_user(request)
    text = await dns_import.export_zone(zone_id=zone_id, user_id=owner_scope(user))
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
async def import_zone(request: Request, zone_id: int):
    """Import a BIND zone file (`?mode=merge` default, or `replace`); all or nothing."""
    user = await current_user(request)
    # Someone else's zone is a 404 whatever the body holds.
    zone = await dns.get_zone(zone_id=zone_id, user_id=owner_scope(user))
    query = parse_query(request, ImportQuery)
    text = _zone_file(request)
    result = await dns_import.import_zone(
        zone_id=zone.id, user_id=owner_scope(user), actor_id=user.id, text=text, mode=query.mode
    )
    await broadcast.records_imported(request.app.ctx.sio, result.removed, result.added)
    records = await dns_records.list_records(zone_id=zone_id)
    return reply(
        {
            "mode": result.mode,
            "added": len(result.added),
            "removed": len(result.removed),
            "unchanged": result.unchanged,
            "records": [dns.record_dict(record) for record in records],
        }
    )


@bp.get("/zones/<zone_id:int>/audit")
@doc("dns", query=AuditQuery, ok=AuditList, errors=(404,))
@authenticated
async def zone_audit(request: Request, zone_id: int):
    """The zone's change log, newest first (`?limit=&before_id=`)."""
    user = await current_user(request)
    query = parse_query(request, AuditQuery)
    entries = await dns.list_audit(
        zone_id=zone_id, user_id=owner_scope(user), limit=query.limit, before_id=query.before_id
    )
    return items([dns.audit_dict(entry) for entry in entries])
