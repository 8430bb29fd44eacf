"""Zone file export and import services: the BIND text in, checked, stored all or nothing."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from core.errors import Invalid
from models.common import utcnow
from models.dns import Record, RecordAudit, audit_row, data_of, get_zone, locked_zone, record_dict
from models.dns_rules import RecordData, clash
from models.dns_zonefile import ParsedRecord, parse_zone, render_zone, serial_of

ImportMode = Literal["merge", "replace"]


@dataclass
class ImportResult:
    mode: str
    added: list[Record] = field(default_factory=list)
    removed: list[Record] = field(default_factory=list)
    unchanged: int = 0


async def export_zone(*, zone_id: int, user_id: int | None) -> str:
    zone = await get_zone(zone_id=zone_id, user_id=user_id)
    records = await Record.filter(zone_id=zone.id)
    serial = serial_of([zone.created_at, *(record.updated_at for record in records)])
    return render_zone(zone.name, [data_of(record) for record in records], serial=serial)


def _plan(
    parsed: list[ParsedRecord], existing: list[Record], mode: ImportMode
) -> tuple[list[RecordData], dict[str, str]]:
    """The file's records to keep, in order, and every zone-level problem by line."""
    # Records by owner name: the zone-wide rules only compare records of one owner.
    by_owner: dict[str, list[RecordData]] = defaultdict(list)
    if mode == "merge":
        for record in existing:
            by_owner[data_of(record).owner].append(data_of(record))
    present = {data.identity for group in by_owner.values() for data in group}
    first_line: dict[tuple, int] = {}
    accepted: list[RecordData] = []
    errors: dict[str, str] = {}
    for item in parsed:
        identity = item.data.identity
        if identity in first_line:
            errors[f"line {item.line}"] = f"the same record as line {first_line[identity]}"
            continue
        first_line[identity] = item.line
        if identity in present:
            continue  # merge: already in the zone, nothing to add
        problems = clash(item.data, by_owner[item.data.owner])
        if problems:
            errors[f"line {item.line}"] = "; ".join(f"{k}: {v}" for k, v in problems.items())
            continue
        accepted.append(item.data)
        by_owner[item.data.owner].append(item.data)
    return accepted, errors


async def import_zone(
    *, zone_id: int, user_id: int | None, actor_id: int, text: str, mode: ImportMode = "merge"
) -> ImportResult:
    """Merge the file's records into the zone, or make the zone exactly the file (replace).

    Nothing is stored unless every line is good. Records already in the zone are left alone
    (no new version, no event); replace removes the ones the file does not have.
    """
    zone = await get_zone(zone_id=zone_id, user_id=user_id)
    # Parsing is pure and the slow part: done before taking the zone's lock, and in a
    # worker thread so that a big file does not stall every socket of this node.
    parsed, errors = await asyncio.to_thread(parse_zone, text, zone.name)
    async with locked_zone(zone_id=zone.id, user_id=user_id) as zone:
        existing = await Record.filter(zone_id=zone.id).order_by("id")
        accepted, zone_errors = _plan(parsed, existing, mode)
        errors.update(zone_errors)
        if errors:
            ordered = dict(sorted(errors.items(), key=lambda kv: int(kv[0].split()[1])))
            raise Invalid(
                f"the zone file has {len(ordered)} bad line(s); nothing was imported",
                fields=ordered,
            )
        result = ImportResult(mode)
        if mode == "replace":
            wanted = {(data.identity, data.ttl) for data in accepted}
            result.removed = [r for r in existing if (data_of(r).identity, r.ttl) not in wanted]
            kept = {(data_of(r).identity, r.ttl) for r in existing} - {
                (data_of(r).identity, r.ttl) for r in result.removed
            }
            accepted = [data for data in accepted if (data.identity, data.ttl) not in kept]
        result.unchanged = len(existing) - len(result.removed)
        await _store(zone.id, actor_id, result, accepted)
    return result


async def _store(
    zone_id: int, actor_id: int, result: ImportResult, accepted: list[RecordData]
) -> None:
    audit: list[RecordAudit] = []
    if result.removed:
        await Record.filter(id__in=[r.id for r in result.removed]).delete()
        for record in result.removed:
            audit.append(
                audit_row(
                    zone_id=zone_id,
                    record_id=record.id,
                    actor_id=actor_id,
                    action="deleted",
                    before=record_dict(record),
                )
            )
    if accepted:
        # New ids are above every id in the table; we hold the zone's lock, so the rows of
        # this zone above the old maximum are exactly the ones inserted here.
        top = (
            await Record.filter(zone_id=zone_id)
            .order_by("-id")
            .first()
            .values_list("id", flat=True)
        )
        top = top or 0
        now = utcnow()
        await Record.bulk_create(
            [
                Record(
                    zone_id=zone_id,
                    type=d.type,
                    name=d.name,
                    content=d.content,
                    ttl=d.ttl,
                    priority=d.priority,
                    service=d.service,
                    updated_at=now,
                )
                for d in accepted
            ]
        )
        result.added = await Record.filter(zone_id=zone_id, id__gt=top).order_by("id")
        for record in result.added:
            audit.append(
                audit_row(
                    zone_id=zone_id,
                    record_id=record.id,
                    actor_id=actor_id,
                    action="created",
                    after=record_dict(record),
                )
            )
    if audit:
        await RecordAudit.bulk_create(audit)
