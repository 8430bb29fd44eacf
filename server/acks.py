"""The two shapes of every socket ack."""

from __future__ import annotations

from typing import Any

from server.errors import RoomcastError


def ok(data: Any = None) -> dict[str, Any]:
    return {"ok": True, "data": data}


def failed(error: RoomcastError) -> dict[str, Any]:
    return {"ok": False, "error": error.body()}
