"""/dns namespace: subscribe to a zone's room, and create, update, delete its records."""

from __future__ import annotations

from typing import Any

from actions import dns as actions
from actions.registry import door
from core.errors import RoomcastError
from core.identity import Identity
from models import dns, dns_records
from models.dns import NewRecord, RecordRef, UpdateRecord, ZoneRef
from namespaces.base import AuthedNamespace
from server.broadcast.dns import zone_room


class DnsNamespace(AuthedNamespace):
    path = "/dns"

    async def may_recover_on_connect(self, sid: str, identity: Identity, stream: str) -> bool:
        """`zone:<id>` of a zone the user owns (any zone for staff): resubscribed on connect."""
        number = stream.removeprefix("zone:")
        if number == stream or not number.isdigit() or len(number) > 19:
            return False
        try:
            await dns.get_zone(zone_id=int(number), user_id=identity.scope)
        except RoomcastError:
            return False
        return True

    async def on_subscribe(self, sid: str, data: Any) -> dict:
        req = self.parse(ZoneRef, data)
        identity = await self.identity(sid)
        zone = await dns.get_zone(zone_id=req.zone_id, user_id=identity.scope)
        # Join before reading, so that no change falls between the snapshot and the room.
        await self.enter_room(sid, zone_room(zone.id))
        records = await dns_records.list_records(zone_id=zone.id)
        return {"zone": dns.zone_dict(zone), "records": [dns.record_dict(r) for r in records]}

    async def on_unsubscribe(self, sid: str, data: Any) -> dict:
        req = self.parse(ZoneRef, data)
        await self.leave_room(sid, zone_room(req.zone_id))
        return {"zone_id": req.zone_id, "subscribed": False}

    @door(actions.create_record)
    async def on_create_record(self, sid: str, data: Any) -> dict:
        req = self.parse(NewRecord, data)
        return await actions.create_record(self.rt, await self.identity(sid), req.zone_id, req)

    @door(actions.update_record)
    async def on_update_record(self, sid: str, data: Any) -> dict:
        req = self.parse(UpdateRecord, data)
        return await actions.update_record(self.rt, await self.identity(sid), req.id, req)

    @door(actions.delete_record)
    async def on_delete_record(self, sid: str, data: Any) -> dict:
        req = self.parse(RecordRef, data)
        return await actions.delete_record(self.rt, await self.identity(sid), req.id)
