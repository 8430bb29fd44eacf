"""DNS zones, records (versioned) and their audit log: models, payloads, zone services.

Every write to a zone's records runs inside `locked_zone`: one transaction that first locks
the zone's row (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite serialises writers on its one
connection), so the zone-wide rules (a CNAME stands alone, no duplicate records) hold even
when two nodes write at once. The record services live in `models.dns_records`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic import Field
from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.errors import Conflict, Invalid, NotFound
from models.common import Payload, iso, utcnow
from models.dns_rules import (
    RecordData,
    clean_zone_name,
)
from models.users import User


class Zone(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=253, unique=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="zones", on_delete=fields.CASCADE
    )
    owner_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "dns_zones"

    def __str__(self) -> str:
        return self.name


class Record(Model):
    id = fields.IntField(primary_key=True)
    zone: fields.ForeignKeyRelation[Zone] = fields.ForeignKeyField(
        "models.Zone", related_name="records", on_delete=fields.CASCADE
    )
    zone_id: int
    type = fields.CharField(max_length=8)
    name = fields.CharField(max_length=255)
    content = fields.TextField()
    ttl = fields.IntField(default=3600)
    priority = fields.IntField(null=True)
    service = fields.CharField(max_length=130, null=True)
    version = fields.IntField(default=1)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "dns_records"
        indexes = (("zone_id", "name"),)

    def __str__(self) -> str:
        return f"{self.name} {self.type} {self.content}"


class RecordAudit(Model):
    id = fields.IntField(primary_key=True)
    zone: fields.ForeignKeyRelation[Zone] = fields.ForeignKeyField(
        "models.Zone", related_name="audit", on_delete=fields.CASCADE
    )
    zone_id: int
    # No foreign key: the entry outlives the record it describes.
    record_id = fields.IntField()
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="dns_changes", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    action = fields.CharField(max_length=8)  # created | updated | deleted
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "dns_record_audit"
        indexes = (("zone_id", "id"),)

    def __str__(self) -> str:
        return f"{self.action} record {self.record_id}"


def zone_dict(zone: Zone) -> dict[str, Any]:
    return {
        "id": zone.id,
        "name": zone.name,
        "owner_id": zone.owner_id,
        "created_at": iso(zone.created_at),
    }


def record_dict(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "zone_id": record.zone_id,
        "type": record.type,
        "name": record.name,
        "content": record.content,
        "ttl": record.ttl,
        "priority": record.priority,
        "service": record.service,
        "version": record.version,
        "updated_at": iso(record.updated_at),
    }


def audit_dict(entry: RecordAudit) -> dict[str, Any]:
    return {
        "id": entry.id,
        "zone_id": entry.zone_id,
        "record_id": entry.record_id,
        "actor_id": entry.actor_id,
        "action": entry.action,
        "before": entry.before,
        "after": entry.after,
        "at": iso(entry.at),
    }


def data_of(record: Record) -> RecordData:
    return RecordData(
        record.type, record.name, record.content, record.ttl, record.priority, record.service
    )


# --- payloads --------------------------------------------------------------------------

# The id columns are 32-bit: a larger (or non-positive) id names nothing, so it is not
# found, without asking the database (PostgreSQL would refuse the parameter).
ID_MAX = 2**31 - 1


class NewZone(Payload):
    name: str = Field(max_length=300)


class RecordFields(Payload):
    type: str = Field(max_length=16)
    name: str = Field(max_length=300)
    content: str = Field(max_length=8192)
    ttl: int | None = None
    priority: int | None = None
    service: str | None = Field(default=None, max_length=200)


class NewRecord(RecordFields):
    zone_id: int


class RecordChange(Payload):
    """An update: `version` is the one the client last saw; other fields are the changes."""

    version: int
    type: str | None = Field(default=None, max_length=16)
    name: str | None = Field(default=None, max_length=300)
    content: str | None = Field(default=None, max_length=8192)
    ttl: int | None = None
    priority: int | None = None
    service: str | None = Field(default=None, max_length=200)

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent; `priority`/`service` may be cleared with null."""
        sent = self.model_fields_set - {"version", "id"}
        changed = {key: getattr(self, key) for key in sent}
        for key in ("type", "name", "content", "ttl"):
            if key in changed and changed[key] is None:
                raise Invalid(f"invalid {key}", fields={key: "cannot be null"})
        return changed


class UpdateRecord(RecordChange):
    id: int


class RecordRef(Payload):
    id: int


class ZoneRef(Payload):
    zone_id: int


# --- zones -----------------------------------------------------------------------------


def _scope(query, *, user_id: int | None, field: str = "owner_id"):
    """Restrict to one user's objects; `user_id=None` (staff) sees everything."""
    return query if user_id is None else query.filter(**{field: user_id})


async def create_zone(*, owner_id: int, name: str) -> Zone:
    name = clean_zone_name(name)
    taken = Conflict("zone already exists", fields={"name": "already exists"})
    if await Zone.filter(name=name).exists():
        raise taken
    try:
        return await Zone.create(name=name, owner_id=owner_id)
    except IntegrityError:
        raise taken from None


async def list_zones(*, user_id: int | None) -> list[Zone]:
    return await _scope(Zone.all(), user_id=user_id).order_by("name")


async def get_zone(*, zone_id: int, user_id: int | None) -> Zone:
    if not 1 <= zone_id <= ID_MAX:
        raise NotFound("zone")
    zone = await _scope(Zone.filter(id=zone_id), user_id=user_id).first()
    if zone is None:
        raise NotFound("zone")
    return zone


async def delete_zone(*, zone_id: int, user_id: int | None) -> Zone:
    zone = await get_zone(zone_id=zone_id, user_id=user_id)
    await zone.delete()
    return zone


@asynccontextmanager
async def locked_zone(*, zone_id: int, user_id: int | None) -> AsyncIterator[Zone]:
    """A transaction holding the zone's row lock: one writer per zone at a time."""
    if not 1 <= zone_id <= ID_MAX:
        raise NotFound("zone")
    async with in_transaction():
        query = _scope(Zone.filter(id=zone_id), user_id=user_id)
        zone = await query.select_for_update().first()
        if zone is None:
            raise NotFound("zone")
        yield zone


def audit_row(
    *, zone_id: int, record_id: int, actor_id: int | None, action: str, before=None, after=None
) -> RecordAudit:
    return RecordAudit(
        zone_id=zone_id,
        record_id=record_id,
        actor_id=actor_id,
        action=action,
        before=before,
        after=after,
        at=utcnow(),
    )


async def list_audit(
    *, zone_id: int, user_id: int | None, limit: int = 100, before_id: int | None = None
) -> list[RecordAudit]:
    """The zone's change log, newest first."""
    await get_zone(zone_id=zone_id, user_id=user_id)
    query = RecordAudit.filter(zone_id=zone_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)
