"""The only place that emits /checkins events; the manager fans them out to every node."""

from __future__ import annotations

from typing import Any

import socketio

from models import checkins
from models.checkins import Checkin, Member
from server.history import emit as stream_emit
from server.rooms import STAFF, user_room

NAMESPACE = "/checkins"


Board = dict[str, Any]  # models.checkins.stats(), loaded by the action


async def stats(sio: socketio.AsyncServer, board: Board) -> None:
    """A fresh board to every staff socket."""
    await stream_emit(sio, "stats", board, room=STAFF, namespace=NAMESPACE)


async def _moved(
    sio: socketio.AsyncServer, event: str, checkin: Checkin, member: Member, board: Board
) -> None:
    """`checkin` / `checkout` and fresh stats to staff; `member_status` to the linked user."""
    payload = {"checkin": checkins.checkin_dict(checkin), "member": checkins.member_dict(member)}
    await stream_emit(sio, event, payload, room=STAFF, namespace=NAMESPACE)
    await stats(sio, board)
    if member.user_id is not None:
        await stream_emit(
            sio,
            "member_status",
            {"member_id": member.id, "status": payload["member"]["status"]},
            room=user_room(member.user_id),
            namespace=NAMESPACE,
        )


async def checked_in(
    sio: socketio.AsyncServer, checkin: Checkin, member: Member, board: Board
) -> None:
    await _moved(sio, "checkin", checkin, member, board)


async def checked_out(
    sio: socketio.AsyncServer, checkin: Checkin, member: Member, board: Board
) -> None:
    await _moved(sio, "checkout", checkin, member, board)


async def member_deleted(sio: socketio.AsyncServer, member: Member, board: Board) -> None:
    """Deleting a member takes its check-ins with it, so the board's counts may change."""
    await stats(sio, board)
