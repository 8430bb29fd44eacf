"""The dashboard page and the JS client, served as static files at /app/ (no build step).

`frontend_client/` is laid out so that the page's relative imports work both in the source
tree and when served: /app/dashboard/ (the console), /app/src/ (the library), /app/vendor/
(socket.io-client, Chart.js, swagger-ui-dist, vendored from npm), /app/apidocs/ (the
AsyncAPI page). Nothing else of that folder (tests, node_modules) is served.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, redirect
from sanic_ext import openapi

from server.errors import NotFound

CLIENT_DIR = Path(__file__).resolve().parents[2] / "frontend_client"
SERVED = ("dashboard", "src", "vendor", "apidocs")
PAGE = "/app/dashboard/"

bp = Blueprint("dashboard")


def dashboard_installed() -> bool:
    return all((CLIENT_DIR / part).is_dir() for part in SERVED)


def _import_map_hash() -> str:
    """The CSP source allowing the page's one inline script: its import map."""
    page = CLIENT_DIR / "dashboard" / "index.html"
    found = re.search(r'<script type="importmap">(.*?)</script>', page.read_text(), re.S)
    digest = hashlib.sha256(found.group(1).encode() if found else b"").digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy() -> str:
    # Defence in depth for a page showing other people's text: no inline or foreign script,
    # sockets and fetches to this origin only.
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {_import_map_hash()}",
            "connect-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


@bp.get("/")
@openapi.exclude()
async def root(request: Request):
    """The dashboard (redirect)."""
    return _to_page()


@bp.get("/app")
@openapi.exclude()
async def app_root(request: Request):
    """The dashboard (redirect)."""
    return _to_page()


@bp.get("/app/dashboard")
@openapi.exclude()
async def page_without_slash(request: Request):
    """The dashboard (redirect): the page's relative imports need the trailing slash."""
    return _to_page()


def _to_page():
    if not dashboard_installed():
        # A wheel install carries the Python packages only.
        raise NotFound("dashboard", message=f"the dashboard files are not installed ({CLIENT_DIR})")
    return redirect(PAGE)


if dashboard_installed():
    CSP = content_security_policy()

    @bp.on_response
    async def _page_headers(request: Request, response: HTTPResponse) -> None:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.content_type and response.content_type.startswith("text/html"):
            response.headers["Content-Security-Policy"] = CSP

    for part in SERVED:
        bp.static(
            f"/app/{part}/",
            CLIENT_DIR / part,
            name=f"app_{part}",
            index="index.html" if part in ("dashboard", "apidocs") else None,
        )
