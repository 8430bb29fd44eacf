"""REST resources of dns (filled in by its issue)."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("dns")
