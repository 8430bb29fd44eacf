"""The composition root: settings -> runtime -> Sanic app + Socket.IO server -> one ASGI app."""

from __future__ import annotations

import itertools
import logging
import time

import socketio
from sanic import Request, Sanic
from sanic.response import HTTPResponse
from sanic_ext.extensions.health.extension import HealthExtension
from sanic_ext.extensions.http.extension import HTTPExtension
from sanic_ext.extensions.logging.extension import LoggingExtension
from sanic_ext.extensions.openapi.extension import OpenAPIExtension

from models.chat import ensure_default_rooms
from namespaces import register_namespaces
from server import connguard
from server.api import blueprints
from server.api.openapi import SWAGGER_HTML, add_security_schemes
from server.db import close_database, open_database
from server.drain import drain
from server.errors import NotFound, PayloadTooLarge
from server.frontdoor import FrontDoor
from server.http import JsonErrorHandler, error_response
from server.jsonin import ID_MAX, ID_MIN
from server.runtime import Runtime
from server.sanic_signals import QuietSanic
from server.settings import Settings, warn_about
from server.sockets import make_sio, origin_rule

log = logging.getLogger("roomcast.app")
API_DESCRIPTION = (
    "The REST half of Roomcast. The whole wire contract (REST, socket events, rooms, error "
    "codes) is docs/protocol.md in the repository; the Socket.IO half is described by the "
    "AsyncAPI document at /docs/asyncapi.json (rendered at /docs/asyncapi). Authenticate with "
    "`Authorization: Bearer <access token>` from POST /api/v1/auth/login, or the "
    "`access_token` cookie that login sets."
)
_names = itertools.count(1)
MAX_SLUG = 64


def create_app(runtime: Runtime, *, manage_database: bool = True) -> Sanic:
    """The Sanic app; `manage_database=False` when the caller opens Tortoise itself (tests)."""
    settings = runtime.settings
    number = next(_names)
    app = QuietSanic(
        "roomcast" if number == 1 else f"roomcast_{number}",
        error_handler=JsonErrorHandler(),
        configure_logging=False,  # server.logs owns the handlers (text or JSON)
    )
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.MOTD = False  # its "mode: production, ASGI" banner misled; serve prints the URL
    app.config.OAS_UI_DEFAULT = "swagger"
    app.config.OAS_UI_REDOC = False  # Redoc would load from a CDN; Swagger UI is vendored
    app.config.OAS_PATH_TO_SWAGGER_HTML = str(SWAGGER_HTML)
    app.config.OAS_URL_PREFIX = "/docs"
    app.config.API_TITLE = "Roomcast"
    app.config.API_VERSION = "1"
    app.config.API_DESCRIPTION = API_DESCRIPTION
    app.config.CORS = False
    # sanic-ext's built-in set minus Injection (no handler of ours takes injected
    # arguments), whose `http.routing.after` signal ran on every request (two registry
    # look-ups) and kept that signal dispatching. Templating and MCP are absent here, as in
    # the built-in set when jinja2 and the MCP package are not installed.
    app.extend(
        built_in_extensions=False,
        extensions=[OpenAPIExtension, HTTPExtension, HealthExtension, LoggingExtension],
    )
    add_security_schemes(app)
    # TouchUp rewrites shared classes at start-up, which breaks a second app in one process.
    app.config.TOUCHUP = False
    app.ctx.rt = runtime
    app.ctx.sio = runtime.sio
    for bp in blueprints():
        app.blueprint(bp)

    @app.before_server_start
    async def _open(app: Sanic) -> None:
        if manage_database:
            await open_database(settings.database_url)
        await runtime.start()

    @app.before_server_start
    async def _default_rows(app: Sanic) -> None:
        # Registered after _open, so the database is open. Rows every installation needs,
        # seeded or not; a missing table (not yet migrated) must not stop the server.
        try:
            await ensure_default_rooms()
        except Exception as exc:
            log.error("could not create the default chat rooms: %s", exc)

    @app.before_server_stop
    async def _drain(app: Sanic) -> None:
        # Handlers finish, presence is released and the bus flushed before the database
        # and Redis close (server.drain has the whole sequence).
        try:
            await drain(runtime)
        except Exception:
            log.exception("graceful drain failed")

    @app.after_server_stop
    async def _close(app: Sanic) -> None:
        await runtime.stop()
        if manage_database:
            await close_database()

    @app.on_request
    async def _start_clock(request: Request) -> HTTPResponse | None:
        request.ctx.started = time.perf_counter()
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            return error_response(PayloadTooLarge("request body too large"))
        # Path segments: an id outside the id columns' range (32-bit) names no object (404,
        # as any id that does not exist), and so does a room slug longer than a slug can be.
        for name, value in (request.match_info or {}).items():
            if value.__class__ is int and not ID_MIN <= value <= ID_MAX:
                return error_response(NotFound(message="no such resource"))
            if name == "slug" and len(value) > MAX_SLUG:
                return error_response(NotFound("room"))
        return None

    @app.on_response
    async def _count(request: Request, response: HTTPResponse) -> None:
        started = getattr(request.ctx, "started", None)
        runtime.metrics.count_http(
            request.route.path if request.route else None,
            request.method,
            response.status,
            None if started is None else time.perf_counter() - started,
        )

    return app


def create_asgi(settings: Settings, *, manage_database: bool = True) -> FrontDoor:
    """Sanic mounted under Socket.IO: /socket.io/ goes to python-socketio, the rest to Sanic."""
    warn_about(settings)
    connguard.configure(
        max_connections=settings.max_connections, request_timeout=settings.request_timeout
    )
    sio = make_sio(settings)
    runtime = Runtime.build(settings, sio)
    sio.use_metrics(runtime.metrics)
    register_namespaces(runtime)
    app = create_app(runtime, manage_database=manage_database)
    asgi = FrontDoor(
        socketio.ASGIApp(sio, other_asgi_app=app),
        rest_limit=settings.max_body_bytes,
        socket_limit=settings.max_socket_message_bytes,
        max_connections=settings.max_connections,
        origin_ok=origin_rule(settings),
    )
    asgi.runtime = runtime
    asgi.sanic = app
    return asgi
