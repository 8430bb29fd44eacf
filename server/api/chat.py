"""REST resources of chat (filled in by its issue)."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("chat")
