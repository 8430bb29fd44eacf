"""The AsyncAPI document (/docs/asyncapi.json) and its page (/docs/asyncapi), next to the
OpenAPI document and Swagger UI that sanic-ext serves at /docs (from the vendored
swagger-ui-dist, see server/app.py), and the favicon.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import file, redirect
from sanic_ext import openapi

from server.api.asyncapi import build_asyncapi
from server.http import reply

bp = Blueprint("docs")
FAVICON = Path(__file__).resolve().parents[2] / "frontend_client" / "dashboard" / "favicon.svg"
_document: dict | None = None


@bp.get("/docs/asyncapi.json")
@openapi.exclude()
async def asyncapi_json(request: Request):
    """The Socket.IO half of the API as an AsyncAPI 3 document."""
    global _document
    if _document is None:
        _document = build_asyncapi()
    server = {**_document["servers"]["roomcast"], "host": request.host or "127.0.0.1:8000"}
    return reply({**_document, "servers": {"roomcast": server}})


@bp.get("/docs/asyncapi")
@openapi.exclude()
async def asyncapi_page(request: Request):
    """The AsyncAPI document rendered (a small renderer of our own, no CDN)."""
    return redirect("/app/apidocs/")


@bp.get("/favicon.ico")
@openapi.exclude()
async def favicon(request: Request):
    return await file(
        FAVICON, mime_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )
