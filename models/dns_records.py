"""Record services: create, read, update (versioned), delete; each one audited.

A record update is a conditional `UPDATE ... WHERE id = ? AND version = ?` inside the zone's
lock (`models.dns.locked_zone`), so of two updates made from the same version exactly one
wins and the other gets `conflict` with the current record in `fields.current`.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from core.errors import Conflict, Invalid, NotFound
from models.common import utcnow
from models.dns import ID_MAX, Record, audit_row, data_of, locked_zone, record_dict
from models.dns_rules import PRIORITY_TYPES, RecordData, clash, clean_record


async def list_records(*, zone_id: int) -> list[Record]:
    return await Record.filter(zone_id=zone_id).order_by("name", "type", "id")


async def _reject_clash(data: RecordData, zone_id: int, *, exclude: int | None = None) -> None:
    """Refuse a record that breaks a zone-wide rule (run under the zone's lock)."""
    # Only records that may share its owner name: same name, or any SRV (whose owner is
    # service + name).
    query = Record.filter(zone_id=zone_id).filter(
        Q(name__in=[data.name, data.owner]) | Q(service__isnull=False)
    )
    if exclude is not None:
        query = query.exclude(id=exclude)
    problems = clash(data, [data_of(other) for other in await query])
    if problems:
        raise Invalid(next(iter(problems.values())), fields=problems)


async def create_record(
    *, zone_id: int, user_id: int | None, actor_id: int, **values: Any
) -> Record:
    async with locked_zone(zone_id=zone_id, user_id=user_id) as zone:
        data = clean_record(zone=zone.name, **values)
        await _reject_clash(data, zone.id)
        record = await Record.create(zone_id=zone.id, updated_at=utcnow(), **_columns(data))
        await audit_row(
            zone_id=zone.id,
            record_id=record.id,
            actor_id=actor_id,
            action="created",
            after=record_dict(record),
        ).save()
    return record


def _columns(data: RecordData) -> dict[str, Any]:
    return {
        "type": data.type,
        "name": data.name,
        "content": data.content,
        "ttl": data.ttl,
        "priority": data.priority,
        "service": data.service,
    }


async def get_record(*, record_id: int, user_id: int | None) -> Record:
    if not 1 <= record_id <= ID_MAX:
        raise NotFound("record")
    query = Record.filter(id=record_id)
    if user_id is not None:
        query = query.filter(zone__owner_id=user_id)
    record = await query.first()
    if record is None:
        raise NotFound("record")
    return record


def _stale(record: Record) -> Conflict:
    return Conflict(
        f"record {record.id} was changed meanwhile (now version {record.version})",
        fields={"current": record_dict(record)},
    )


async def update_record(
    *, record_id: int, user_id: int | None, actor_id: int, version: int, changes: dict[str, Any]
) -> tuple[Record, bool]:
    """Apply `changes` if the record is still at `version`; the flag says whether it changed."""
    record = await get_record(record_id=record_id, user_id=user_id)
    async with locked_zone(zone_id=record.zone_id, user_id=None) as zone:
        current = await Record.get_or_none(id=record_id)
        if current is None:
            raise NotFound("record")
        if current.version != version:
            raise _stale(current)
        merged = {**_columns(data_of(current)), **changes}
        # A new type drops the fields it has no use for, unless the client set them.
        new_type = str(merged["type"]).strip().upper()
        if "priority" not in changes and new_type not in PRIORITY_TYPES:
            merged["priority"] = None
        if "service" not in changes and new_type != "SRV":
            merged["service"] = None
        data = clean_record(zone=zone.name, **merged)
        if data == data_of(current):
            return current, False
        await _reject_clash(data, zone.id, exclude=current.id)
        before = record_dict(current)
        now = utcnow()
        won = await Record.filter(id=current.id, version=version).update(
            **_columns(data), version=version + 1, updated_at=now
        )
        if not won:  # only reachable where the zone lock is not exclusive
            raise _stale(await Record.get(id=current.id))
        await current.refresh_from_db()
        await audit_row(
            zone_id=zone.id,
            record_id=current.id,
            actor_id=actor_id,
            action="updated",
            before=before,
            after=record_dict(current),
        ).save()
    return current, True


async def delete_record(*, record_id: int, user_id: int | None, actor_id: int) -> Record:
    record = await get_record(record_id=record_id, user_id=user_id)
    async with locked_zone(zone_id=record.zone_id, user_id=None) as zone:
        # Read again under the lock: the audit keeps what was really deleted.
        record = await Record.get_or_none(id=record_id)
        if record is None:
            raise NotFound("record")
        await record.delete()
        await audit_row(
            zone_id=zone.id,
            record_id=record.id,
            actor_id=actor_id,
            action="deleted",
            before=record_dict(record),
        ).save()
    return record
