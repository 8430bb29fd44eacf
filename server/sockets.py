"""The Socket.IO server: ASGI mode, the Redis manager when configured, our origin rule."""

from __future__ import annotations

from core.settings import Settings
from server.fastpath import FastAsyncServer, FastManager, FastRedisManager
from server.identity import is_trusted


class RoomcastServer(FastAsyncServer):
    """The fast server plus one hook: a namespace's `connected(sid)` once its CONNECT is out.

    python-socketio sends the CONNECT packet after the connect handler returns, so anything
    the handler emits would reach the client first; the greeting (`connection_established`,
    replay, initial figures) is sent from here instead, in the same task, right after.
    """

    async def _handle_connect(self, eio_sid, namespace, data):
        await super()._handle_connect(eio_sid, namespace, data)
        namespace = namespace or "/"
        connected = getattr(self.namespace_handlers.get(namespace), "connected", None)
        if connected is not None:
            await connected(self.manager.sid_from_eio_sid(eio_sid, namespace))


def origin_rule(settings: Settings):
    """Allow the server's own origin and ROOMCAST_ALLOWED_ORIGINS; never `*`.

    Engine.IO only asks when the request carries an Origin header, so non-browser clients
    (no Origin) are let through, and a refused origin gets HTTP 400 at the handshake.
    """
    allowed = frozenset(settings.allowed_origins)

    def is_allowed(origin: str | None, environ: dict) -> bool:
        if not origin:
            return True
        origin = origin.rstrip("/")
        if origin in allowed:
            return True
        host = environ.get("HTTP_HOST", "")
        peer = ((environ.get("asgi.scope") or {}).get("client") or ("",))[0]
        if is_trusted(peer, settings.trusted_proxies) and environ.get("HTTP_X_FORWARDED_HOST"):
            host = environ["HTTP_X_FORWARDED_HOST"]
        host = host.split(",")[0].strip()
        return bool(host) and origin.split("://", 1)[-1] == host

    return is_allowed


def redis_manager(settings: Settings, *, write_only: bool = False) -> FastRedisManager:
    """The cross-node bus manager (docs/cluster.md): stream `<prefix>:bus`, and the legacy
    pub/sub channel `<prefix>:sio` that stock write-only emitters publish on."""
    return FastRedisManager(
        settings.redis_url,
        channel=f"{settings.redis_prefix}:sio",
        stream=f"{settings.redis_prefix}:bus",
        write_only=write_only,
        outbox_messages=settings.bus_outbox_messages,
        outbox_bytes=settings.bus_outbox_bytes,
        stream_maxlen=settings.bus_stream_maxlen,
        lease_seconds=settings.bus_lease_seconds,
    )


def make_sio(settings: Settings) -> RoomcastServer:
    """python-socketio's AsyncServer with the fast paths of server/fastpath (same protocol)."""
    manager: FastManager | FastRedisManager
    manager = redis_manager(settings) if settings.redis_url else FastManager()
    return RoomcastServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=origin_rule(settings),
        cors_credentials=True,
        max_http_buffer_size=settings.max_socket_message_bytes,
        max_queue_bytes=settings.max_queue_bytes,
        connect_timeout=settings.connect_timeout,
        packet_budget=settings.rate_limits,
        logger=False,
        engineio_logger=False,
    )
