"""The only place that emits /dns events; the manager fans them out to every node.

Every event goes to the zone's room and to the staff feed in one emit: python-socketio
delivers once per socket, so a staff socket subscribed to the zone gets it once.
"""

from __future__ import annotations

import socketio

from models.dns import Record, record_dict
from server.history import emit as stream_emit
from server.rooms import STAFF

NAMESPACE = "/dns"


def zone_room(zone_id: int) -> str:
    return f"zone:{zone_id}"


async def _emit(sio: socketio.AsyncServer, event: str, zone_id: int, payload: dict) -> None:
    await stream_emit(sio, event, payload, room=[zone_room(zone_id), STAFF], namespace=NAMESPACE)


async def record_created(sio: socketio.AsyncServer, record: Record) -> None:
    await _emit(
        sio,
        "record_created",
        record.zone_id,
        {"zone_id": record.zone_id, "record": record_dict(record)},
    )


async def record_updated(sio: socketio.AsyncServer, record: Record) -> None:
    await _emit(
        sio,
        "record_updated",
        record.zone_id,
        {"zone_id": record.zone_id, "record": record_dict(record)},
    )


async def record_deleted(sio: socketio.AsyncServer, record: Record) -> None:
    await _emit(sio, "record_deleted", record.zone_id, {"zone_id": record.zone_id, "id": record.id})


async def records_imported(
    sio: socketio.AsyncServer, removed: list[Record], added: list[Record]
) -> None:
    """An import is its records' usual events: removals first, then additions."""
    for record in removed:
        await record_deleted(sio, record)
    for record in added:
        await record_created(sio, record)


async def zone_deleted(sio: socketio.AsyncServer, zone_id: int) -> None:
    """Tell the zone's subscribers (and staff) it is gone, then empty its room everywhere."""
    await _emit(sio, "zone_deleted", zone_id, {"zone_id": zone_id})
    await sio.close_room(zone_room(zone_id), namespace=NAMESPACE)
