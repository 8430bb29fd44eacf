"""The dashboard page and the JS client, served as static files at /app/ (no build step).

`frontend_client/` is laid out so that the page's relative imports work both in the source
tree and when served: /app/dashboard/ (the page), /app/src/ (the library), /app/vendor/
(socket.io-client's ESM build). Nothing else of that folder (tests, node_modules) is served.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import redirect

from server.errors import NotFound

CLIENT_DIR = Path(__file__).resolve().parents[2] / "frontend_client"
SERVED = ("dashboard", "src", "vendor")
PAGE = "/app/dashboard/"

bp = Blueprint("dashboard")


def dashboard_installed() -> bool:
    return all((CLIENT_DIR / part).is_dir() for part in SERVED)


@bp.get("/")
async def root(request: Request):
    """The dashboard (redirect)."""
    return _to_page()


@bp.get("/app")
async def app_root(request: Request):
    """The dashboard (redirect)."""
    return _to_page()


@bp.get("/app/dashboard")
async def page_without_slash(request: Request):
    """The dashboard (redirect): the page's relative imports need the trailing slash."""
    return _to_page()


def _to_page():
    if not dashboard_installed():
        # A wheel install carries the Python packages only.
        raise NotFound("dashboard", message=f"the dashboard files are not installed ({CLIENT_DIR})")
    return redirect(PAGE)


if dashboard_installed():
    for part in SERVED:
        bp.static(
            f"/app/{part}/",
            CLIENT_DIR / part,
            name=f"app_{part}",
            index="index.html" if part == "dashboard" else None,
        )
