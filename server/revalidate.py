"""Re-check every socket of this node against the database, in one query.

Kicks travel on Redis (server.control); a kick published while Redis was down, or while this
node's subscription was, never arrives. So whenever the control listener (re)subscribes, the
node asks the database about every login it holds sockets for and disconnects the sockets that
are no longer valid: login revoked (logout, refresh reuse), user deactivated, or staff flag
changed (the socket's `staff` room membership would be wrong).
"""

from __future__ import annotations

import logging

import socketio

from models.logins import Login
from server.rooms import STAFF

log = logging.getLogger("roomcast.control")
LOGIN_PREFIX = "login:"


def _local_logins(sio: socketio.AsyncServer) -> dict[str, list[tuple[str, str]]]:
    """login id -> [(namespace, sid)] of this node's sockets."""
    found: dict[str, list[tuple[str, str]]] = {}
    for namespace, rooms in list(sio.manager.rooms.items()):
        for room, members in list(rooms.items()):
            if isinstance(room, str) and room.startswith(LOGIN_PREFIX):
                sockets = found.setdefault(room[len(LOGIN_PREFIX) :], [])
                sockets.extend((namespace, sid) for sid in list(members))
    return found


async def revalidate_sockets(sio: socketio.AsyncServer) -> int:
    """Disconnect this node's sockets whose login or user changed; returns how many."""
    sockets = _local_logins(sio)
    if not sockets:
        return 0
    rows = await Login.filter(id__in=list(sockets)).values(
        "id", "revoked_at", "user__is_active", "user__is_staff"
    )
    valid = {row["id"]: row for row in rows}
    closed = 0
    for login_id, members in sockets.items():
        row = valid.get(login_id)
        for namespace, sid in members:
            if not sio.manager.is_connected(sid, namespace):
                continue
            if row is None or row["revoked_at"] is not None:
                reason = "login revoked"
            elif not row["user__is_active"]:
                reason = "user deactivated"
            elif (STAFF in sio.manager.get_rooms(sid, namespace)) != bool(row["user__is_staff"]):
                reason = "privileges changed"
            else:
                continue
            log.info("disconnecting %s on %s after revalidation: %s", sid, namespace, reason)
            await sio.disconnect(sid, namespace=namespace, ignore_queue=True)
            closed += 1
    return closed
