"""/dns namespace: subscribe to a zone's room, and create, update, delete its records."""

from __future__ import annotations

from typing import Any

from models import dns, dns_records
from models.dns import NewRecord, RecordRef, UpdateRecord, ZoneRef
from namespaces.base import AuthedNamespace
from server.broadcast import dns as broadcast
from server.errors import RoomcastError
from server.identity import Identity


def _scope(identity: Identity) -> int | None:
    """Staff may act on every zone (None); a user on their own zones."""
    return None if identity.is_staff else identity.user_id


class DnsNamespace(AuthedNamespace):
    path = "/dns"

    async def may_recover_on_connect(self, sid: str, identity: Identity, stream: str) -> bool:
        """`zone:<id>` of a zone the user owns (any zone for staff): resubscribed on connect."""
        number = stream.removeprefix("zone:")
        if number == stream or not number.isdigit() or len(number) > 19:
            return False
        try:
            await dns.get_zone(zone_id=int(number), user_id=_scope(identity))
        except RoomcastError:
            return False
        return True

    async def on_subscribe(self, sid: str, data: Any) -> dict:
        req = self.parse(ZoneRef, data)
        identity = await self.identity(sid)
        zone = await dns.get_zone(zone_id=req.zone_id, user_id=_scope(identity))
        # Join before reading, so that no change falls between the snapshot and the room.
        await self.enter_room(sid, broadcast.zone_room(zone.id))
        records = await dns_records.list_records(zone_id=zone.id)
        return {"zone": dns.zone_dict(zone), "records": [dns.record_dict(r) for r in records]}

    async def on_unsubscribe(self, sid: str, data: Any) -> dict:
        req = self.parse(ZoneRef, data)
        await self.leave_room(sid, broadcast.zone_room(req.zone_id))
        return {"zone_id": req.zone_id, "subscribed": False}

    async def on_create_record(self, sid: str, data: Any) -> dict:
        req = self.parse(NewRecord, data)
        identity = await self.identity(sid)
        values = req.model_dump(exclude={"zone_id"})
        record = await dns_records.create_record(
            zone_id=req.zone_id, user_id=_scope(identity), actor_id=identity.user_id, **values
        )
        await broadcast.record_created(self.server, record)
        return dns.record_dict(record)

    async def on_update_record(self, sid: str, data: Any) -> dict:
        req = self.parse(UpdateRecord, data)
        identity = await self.identity(sid)
        record, changed = await dns_records.update_record(
            record_id=req.id,
            user_id=_scope(identity),
            actor_id=identity.user_id,
            version=req.version,
            changes=req.changes(),
        )
        if changed:
            await broadcast.record_updated(self.server, record)
        return dns.record_dict(record)

    async def on_delete_record(self, sid: str, data: Any) -> dict:
        req = self.parse(RecordRef, data)
        identity = await self.identity(sid)
        record = await dns_records.delete_record(
            record_id=req.id, user_id=_scope(identity), actor_id=identity.user_id
        )
        await broadcast.record_deleted(self.server, record)
        return dns.record_dict(record)
