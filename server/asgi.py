"""ASGI entry point for `uvicorn --factory server.asgi:create` (what `roomcast serve` runs)."""

from __future__ import annotations

import socketio

from server.app import create_asgi
from server.logs import configure_logging
from server.settings import load_settings


def create() -> socketio.ASGIApp:
    settings = load_settings()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    return create_asgi(settings)
