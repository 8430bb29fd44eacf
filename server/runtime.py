"""The handles one server process shares between its REST handlers and its namespaces."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import socketio
from redis.asyncio import BlockingConnectionPool, Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from server.broadcast.analytics import StatsCoalescer
from server.control import ControlBus
from server.drain import InFlight, Stopping, watch_signals
from server.expiry import ExpiryTimers
from server.history import History, MemoryHistory, attach
from server.history.redis_store import RedisHistory
from server.metrics import Metrics
from server.presence import Presence
from server.ratelimit import RateLimiter
from server.settings import Settings
from server.spent_tokens import SpentTokens

log = logging.getLogger("roomcast.runtime")


@dataclass
class Runtime:
    settings: Settings
    sio: socketio.AsyncServer
    metrics: Metrics
    redis: Redis | None
    limiter: RateLimiter
    spent: SpentTokens
    control: ControlBus
    presence: Presence
    expiry: ExpiryTimers
    analytics: StatsCoalescer
    history: History | None = None
    handlers: InFlight = field(default_factory=InFlight)
    stopping: Stopping = field(default_factory=Stopping)

    @classmethod
    def build(cls, settings: Settings, sio: socketio.AsyncServer) -> Runtime:
        redis = connect_redis(settings.redis_url) if settings.redis_url else None
        prefix = settings.redis_prefix
        history = make_history(settings, redis)
        attach(sio, history)
        metrics = Metrics()
        if hasattr(sio.manager, "bus_stats"):
            metrics.watch_bus(sio.manager)
        return cls(
            settings=settings,
            sio=sio,
            metrics=metrics,
            redis=redis,
            limiter=RateLimiter(enabled=settings.rate_limits, redis=redis, prefix=prefix),
            spent=SpentTokens(),
            control=ControlBus(sio, redis=redis, prefix=prefix, redis_url=settings.redis_url),
            presence=Presence(sio, redis=redis, prefix=prefix),
            expiry=ExpiryTimers(warn_before=settings.token_expiry_warning),
            analytics=StatsCoalescer(sio),
            history=history,
        )

    async def start(self) -> None:
        if self.redis is not None and not self.sio.manager_initialized:
            # the bus listens (and beats) from the start, not from the first connect
            self.sio.manager_initialized = True
            self.sio.manager.initialize()
        await self.control.start()
        await self.presence.start()
        watch_signals(self)

    async def handed_to_bus(self, timeout: float = 2.0) -> bool:
        """Wait (bounded) until the emits made so far left this node for the bus.

        Chat messages are acked only after this: a node killed after the ack but before its
        publish would otherwise leave a stored, acked message that other nodes never see.
        While Redis does not take writes (the bus breaker is open) this answers at once."""
        flush = getattr(self.sio.manager, "flush", None)
        if flush is None:
            return True
        if not await flush(timeout, breaker=True):
            # still queued in the outbox, in order: delivered once Redis takes writes again
            log.warning("bus flush before an ack did not finish within %.1f s", timeout)
            return False
        return True

    async def stop(self) -> None:
        await self.analytics.stop()
        await self.presence.stop()
        await self.control.stop()
        close_bus = getattr(self.sio.manager, "close_bus", None)
        if close_bus is not None:
            await close_bus(timeout=2.0)
        if self.history is not None:
            await self.history.close()
        if self.redis is not None:
            await self.redis.aclose()


def make_history(settings: Settings, redis: Redis | None) -> History | None:
    """Redis Streams shared by the nodes when Redis is configured, else memory; None = off."""
    if settings.history_size <= 0:
        return None
    if redis is not None:
        return RedisHistory(
            redis,
            prefix=settings.redis_prefix,
            size=settings.history_size,
            ttl=settings.history_ttl,
        )
    return MemoryHistory(size=settings.history_size, ttl=settings.history_ttl)


def connect_redis(url: str) -> Redis:
    """The runtime's Redis client.

    A blocking pool: under a burst (a disconnect storm) callers queue for a connection
    instead of failing at once; a pooled connection that went stale across a Redis restart is
    retried on a fresh one rather than surfacing as an error.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=50,
        timeout=5,
        socket_connect_timeout=2,
        socket_timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return Redis.from_pool(pool)
