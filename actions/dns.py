"""DNS use cases: zones and records, each stored, audited and broadcast in one place."""

from __future__ import annotations

from typing import Any

from actions.registry import Handles, action
from core.identity import Identity
from models import dns, dns_import, dns_records
from models.dns import NewZone, RecordChange, RecordFields
from server.broadcast import dns as broadcast


@action
async def create_zone(rt: Handles, actor: Identity, new: NewZone) -> dict[str, Any]:
    zone = await dns.create_zone(owner_id=actor.user_id, name=new.name)
    return dns.zone_dict(zone)


@action
async def delete_zone(rt: Handles, actor: Identity, zone_id: int) -> dict[str, Any]:
    zone = await dns.delete_zone(zone_id=zone_id, user_id=actor.scope)
    await broadcast.zone_deleted(rt.sio, zone.id)
    return dns.zone_dict(zone)


@action
async def create_record(
    rt: Handles, actor: Identity, zone_id: int, fields: RecordFields
) -> dict[str, Any]:
    values = fields.model_dump(include=set(RecordFields.model_fields))
    record = await dns_records.create_record(
        zone_id=zone_id, user_id=actor.scope, actor_id=actor.user_id, **values
    )
    await broadcast.record_created(rt.sio, record)
    return dns.record_dict(record)


@action
async def update_record(
    rt: Handles, actor: Identity, record_id: int, change: RecordChange
) -> dict[str, Any]:
    record, changed = await dns_records.update_record(
        record_id=record_id,
        user_id=actor.scope,
        actor_id=actor.user_id,
        version=change.version,
        changes=change.changes(),
    )
    if changed:
        await broadcast.record_updated(rt.sio, record)
    return dns.record_dict(record)


@action
async def delete_record(rt: Handles, actor: Identity, record_id: int) -> dict[str, Any]:
    record = await dns_records.delete_record(
        record_id=record_id, user_id=actor.scope, actor_id=actor.user_id
    )
    await broadcast.record_deleted(rt.sio, record)
    return dns.record_dict(record)


@action
async def import_zone(
    rt: Handles, actor: Identity, zone_id: int, text: str, mode: str
) -> dict[str, Any]:
    """An import is its records' usual events (removals, then additions), then the zone."""
    result = await dns_import.import_zone(
        zone_id=zone_id, user_id=actor.scope, actor_id=actor.user_id, text=text, mode=mode
    )
    await broadcast.records_imported(rt.sio, result.removed, result.added)
    records = await dns_records.list_records(zone_id=zone_id)
    return {
        "mode": result.mode,
        "added": len(result.added),
        "removed": len(result.removed),
        "unchanged": result.unchanged,
        "records": [dns.record_dict(record) for record in records],
    }
