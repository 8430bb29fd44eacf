"""AuthedNamespace: connect rules, identity, dispatch with validation and structured acks.

Every Roomcast namespace subclasses it. Handlers are `on_<event>(self, sid, data)` methods
whose return value is the ack data; raising a RoomcastError (or a pydantic ValidationError)
turns into an error ack. Nothing a client sends can kill the socket or the server.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any, TypeVar

import socketio
from pydantic import BaseModel, ValidationError

from core import auth
from core.errors import (
    BadRequest,
    Forbidden,
    Invalid,
    RateLimited,
    RoomcastError,
    TokenExpired,
    TokenRevoked,
    invalid_from,
)
from core.identity import Identity
from models.common import iso, utcnow
from namespaces.replay import ReplayMixin
from server.acks import failed, ok
from server.identity import UserInactive, environ_address, socket_token, user_from_token
from server.ratelimit import TokenBucket
from server.rooms import STAFF, login_room, user_room

if TYPE_CHECKING:
    from server.runtime import Runtime

log = logging.getLogger("roomcast.sockets")

P = TypeVar("P", bound=BaseModel)
EVENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
LIFECYCLE = {"connect", "disconnect"}
# A connect that takes longer (database or Redis not answering) is refused with 4503, well
# before a client's own connect timeout.
CONNECT_BUDGET = 4.0


class Refused(socketio.exceptions.ConnectionRefusedError):
    """A refused connect; the client's connect_error carries {code, reason, message}."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message, {"code": code, "reason": reason, "message": message})
        self.reason = reason


def _refusal(exc: RoomcastError) -> Refused:
    if isinstance(exc, UserInactive):
        return Refused(4001, "user_inactive", exc.message)
    if isinstance(exc, TokenExpired):
        return Refused(4001, "token_expired", exc.message)
    if isinstance(exc, TokenRevoked):
        return Refused(4001, "token_revoked", exc.message)
    return Refused(4001, "invalid_token", exc.message)


# Exceptions raised by these libraries mean a dependency (database, Redis) failed, whatever
# their class: asyncpg alone has several unrelated roots (PostgresError, InterfaceError,
# InternalClientError), and a dropped connection can surface as any of them.
_DEPENDENCY_MODULES = ("asyncpg", "tortoise", "aiosqlite", "sqlite3", "redis", "pypika")


def _is_transient(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TimeoutError | OSError | EOFError):
            return True
        if type(current).__module__.split(".")[0] in _DEPENDENCY_MODULES:
            return True
        current = current.__cause__ or current.__context__
    return False


def _unservable(exc: BaseException) -> Refused:
    """The refusal of a connect that failed for the server's sake, not the client's."""
    if _is_transient(exc):
        return Refused(
            4503, "unavailable", "the server cannot serve connections right now; retry shortly"
        )
    return Refused(4500, "internal_error", "internal error while connecting")


class AuthedNamespace(ReplayMixin, socketio.AsyncNamespace):
    allow_guests = False
    # Per-socket event budget: sustained rate per second and burst.
    event_rate, event_burst = 20.0, 60
    guest_event_rate, guest_event_burst = 2.0, 10

    def __init__(self, namespace: str, runtime: Runtime) -> None:
        super().__init__(namespace)
        self.rt = runtime
        self.settings = runtime.settings
        self._buckets: dict[str, TokenBucket] = {}
        # sid -> what its greeting needs, from the connect handler to `connected` (below).
        self._greetings: dict[str, tuple[Identity, dict, dict | None]] = {}

    # --- connecting -------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict, auth_data: Any = None) -> None:
        try:
            identity = await asyncio.wait_for(
                self._connect(sid, environ, auth_data), CONNECT_BUDGET
            )
        except Refused as refusal:
            self.rt.metrics.auth_refusals.labels("socket", refusal.reason).inc()
            raise
        except Exception as exc:
            # Anything else would escape python-socketio's connect handling: the client
            # would get no CONNECT_ERROR at all and wait out its own timeout.
            refusal = _unservable(exc)
            log.error(
                "connect to %s refused (%s): %r",
                self.namespace,
                refusal.reason,
                exc,
                exc_info=exc if refusal.reason == "internal_error" else None,
            )
            self.rt.metrics.auth_refusals.labels("socket", refusal.reason).inc()
            raise refusal from None
        if identity.user_id is not None:
            # Here, in the connect handler's own task: an immediate `token_expiring` (a
            # ws-token about to expire) is then sent after the CONNECT packet, not before it.
            self._schedule_expiry(sid, identity)

    async def _connect(self, sid: str, environ: dict, auth_data: Any) -> Identity:
        identity = await self.authenticate(environ, auth_data)
        await self.admit(sid, identity)
        await self.save_session(sid, identity.as_session())
        wanted, bad_recover = self.recovery_request(auth_data)
        if identity.user_id is not None:
            # A stream being recovered is joined once its missed events are queued.
            if user_room(identity.user_id) not in wanted:
                await self.enter_room(sid, user_room(identity.user_id))
            await self.enter_room(sid, login_room(identity.login_id))
            if identity.is_staff and STAFF not in wanted:
                await self.enter_room(sid, STAFF)
        self.rt.metrics.sockets.labels(self.namespace).inc()
        if self.settings.rate_limits:
            self._buckets[sid] = (
                TokenBucket(rate=self.guest_event_rate, burst=self.guest_event_burst)
                if identity.is_guest
                else TokenBucket(rate=self.event_rate, burst=self.event_burst)
            )
        # Events emitted inside the connect handler would reach the client before the
        # CONNECT packet; the greeting goes out from `connected`, once that packet is sent.
        self._greetings[sid] = (identity, wanted, bad_recover)
        return identity

    async def authenticate(self, environ: dict, auth_data: Any) -> Identity:
        address = environ_address(environ, self.settings.trusted_proxies)
        retry = await self.rt.limiter.hit(f"connect:{address}", limit=120, window=10)
        if retry is not None:
            raise Refused(4029, "rate_limited", f"too many connections, retry in {retry} s")
        token = socket_token(environ, auth_data)
        if token is None:
            if self.allow_guests:
                return Identity.guest()
            raise Refused(4001, "missing_token", "a token is required to connect")
        try:
            user, claims = await user_from_token(
                secret=self.settings.jwt_secret,
                token=token,
                kinds=(auth.ACCESS, auth.WS),
                spent=self.rt.spent,
            )
        except RoomcastError as exc:
            raise _refusal(exc) from None
        wanted = auth_data.get("user_id") if isinstance(auth_data, dict) else None
        if wanted is not None and wanted != user.id and str(wanted) != str(user.id):
            raise Refused(4003, "forbidden", "auth.user_id is not the token's user")
        return Identity.from_user(user, claims)

    async def admit(self, sid: str, identity: Identity) -> None:
        """Refuse a user's socket beyond the per-node cap."""
        if identity.user_id is None or not self.settings.rate_limits:
            return
        room = user_room(identity.user_id)
        open_sockets = sum(1 for _ in self.server.manager.get_participants(self.namespace, room))
        if open_sockets >= self.settings.max_sockets_per_user:
            raise Refused(4029, "too_many_connections", "too many open connections for this user")

    async def connected(self, sid: str | None) -> None:
        """Called by the server (server.sockets) right after it sent this socket's CONNECT."""
        greeting = self._greetings.pop(sid, None) if sid is not None else None
        if greeting is None or not self.server.manager.is_connected(sid, self.namespace):
            return
        try:
            await self._greet(sid, *greeting)
        except Exception:
            log.exception("greeting failed on %s for %s", self.namespace, sid)

    async def _greet(
        self, sid: str, identity: Identity, wanted: dict, bad_recover: dict | None
    ) -> None:
        await self.emit(
            "connection_established",
            {
                "namespace": self.namespace,
                "user_id": identity.user_id,
                "is_staff": identity.is_staff,
                "message": f"connected to {self.namespace} as {identity.name}",
                "timestamp": iso(utcnow()),
            },
            to=sid,
        )
        try:
            if not identity.is_guest:
                await self.recover_on_connect(sid, identity, wanted, bad_recover)
        except Exception:
            log.exception("recovery failed on %s for %s", self.namespace, sid)
        try:
            await self.after_connect(sid, identity)
        except Exception:
            log.exception("after_connect failed on %s for %s", self.namespace, sid)

    async def after_connect(self, sid: str, identity: Identity) -> None:
        """Namespace-specific greeting (initial stats, unread counts); runs after the CONNECT."""

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._greetings.pop(sid, None)
        self.rt.expiry.cancel(self.namespace, sid)
        self._buckets.pop(sid, None)
        self.rt.metrics.sockets.labels(self.namespace).dec()
        try:
            await self.before_disconnect(sid)
        except Exception:
            log.exception("before_disconnect failed on %s for %s", self.namespace, sid)

    async def before_disconnect(self, sid: str) -> None:
        """Namespace-specific clean-up (presence); the session is still readable here."""

    # --- token lifetime -----------------------------------------------------------------

    def _schedule_expiry(self, sid: str, identity: Identity) -> None:
        async def warn() -> None:
            await self.emit("token_expiring", {"expires_at": _iso_ts(identity.expires_at)}, to=sid)

        async def expire() -> None:
            log.info("token of %s expired on %s, disconnecting", sid, self.namespace)
            await self.server.disconnect(sid, namespace=self.namespace, ignore_queue=True)

        self.rt.expiry.schedule(
            self.namespace, sid, expires_at=identity.expires_at, warn=warn, expire=expire
        )

    async def on_refresh_token(self, sid: str, data: Any) -> dict:
        req = self.parse(RefreshToken, data)
        current = await self.identity(sid)
        if current.is_guest:
            raise Forbidden("a guest has no token to refresh")
        user, claims = await user_from_token(
            secret=self.settings.jwt_secret, token=req.token, kinds=(auth.ACCESS,)
        )
        if user.id != current.user_id:
            raise Forbidden("the new token belongs to another user", fields={"token": "other user"})
        fresh = Identity.from_user(user, claims)
        if fresh.is_staff != current.is_staff:
            # the account's role changed since the connect: the staff room follows it
            if fresh.is_staff:
                await self.enter_room(sid, STAFF)
            else:
                await self.leave_room(sid, STAFF)
        if fresh.login_id != current.login_id:
            await self.leave_room(sid, login_room(current.login_id))
            await self.enter_room(sid, login_room(fresh.login_id))
        await self.save_session(sid, fresh.as_session())
        self._schedule_expiry(sid, fresh)
        return {"expires_at": _iso_ts(fresh.expires_at)}

    # --- events ---------------------------------------------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        # Counted, so that a graceful stop waits for running handlers before the database
        # closes (server.drain).
        with self.rt.handlers.track():
            return await self._dispatch(event, *args)

    async def _dispatch(self, event: str, *args: Any) -> Any:
        if event in LIFECYCLE:
            sid = args[0] if args else None
            if sid is not None and self.server.manager.is_connected(sid, self.namespace):
                # A client-sent event named like a lifecycle hook: not a real (dis)connect.
                return failed(BadRequest(f"{event!r} is a reserved event name"))
            return await super().trigger_event(event, *args)
        sid = args[0]
        data = args[1] if len(args) > 1 else None
        name = event if isinstance(event, str) else ""
        handler = getattr(self, f"on_{name}", None) if EVENT_NAME.fullmatch(name) else None
        metric_event = name if handler is not None else "_unknown"
        try:
            if handler is None:
                raise BadRequest(f"unknown event {str(event)[:64]!r}")
            bucket = self._buckets.get(sid)
            if bucket is not None and not bucket.take():
                raise RateLimited(1, "too many events, slow down")
            result = await handler(sid, data)
        except RoomcastError as exc:
            outcome, ack = exc.code, failed(exc)
        except ValidationError as exc:
            error = invalid_from(exc)
            outcome, ack = error.code, failed(error)
        except Exception:
            log.exception("event %s on %s failed", name, self.namespace)
            outcome = "internal_error"
            ack = failed(RoomcastError("internal error"))
        else:
            outcome, ack = "ok", ok(result)
        self.rt.metrics.events.labels(self.namespace, metric_event, outcome).inc()
        return ack

    def parse(self, model: type[P], data: Any) -> P:
        if not isinstance(data, dict):
            raise Invalid("payload must be an object", fields={"_root": "expected an object"})
        return model.model_validate(data)

    async def identity(self, sid: str) -> Identity:
        return Identity(**await self.get_session(sid))

    async def on_ping(self, sid: str, data: Any) -> dict:
        stamp = data.get("timestamp") if isinstance(data, dict) else data
        pong = {"timestamp": stamp, "server_time": iso(utcnow())}
        await self.emit("pong", pong, to=sid)
        return pong


class RefreshToken(BaseModel):
    token: str


def _iso_ts(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    from datetime import UTC, datetime

    return iso(datetime.fromtimestamp(epoch, UTC))
