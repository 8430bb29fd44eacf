"""The handles one server process shares between its REST handlers and its namespaces."""

from __future__ import annotations

from dataclasses import dataclass

import socketio
from redis.asyncio import Redis

from server.broadcast.analytics import StatsCoalescer
from server.control import ControlBus
from server.expiry import ExpiryTimers
from server.history import History, MemoryHistory, attach
from server.history.redis_store import RedisHistory
from server.metrics import Metrics
from server.ratelimit import RateLimiter
from server.settings import Settings
from server.spent_tokens import SpentTokens


@dataclass
class Runtime:
    settings: Settings
    sio: socketio.AsyncServer
    metrics: Metrics
    redis: Redis | None
    limiter: RateLimiter
    spent: SpentTokens
    control: ControlBus
    expiry: ExpiryTimers
    analytics: StatsCoalescer
    history: History | None = None

    @classmethod
    def build(cls, settings: Settings, sio: socketio.AsyncServer) -> Runtime:
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        prefix = settings.redis_prefix
        history = make_history(settings, redis)
        attach(sio, history)
        return cls(
            settings=settings,
            sio=sio,
            metrics=Metrics(),
            redis=redis,
            limiter=RateLimiter(enabled=settings.rate_limits, redis=redis, prefix=prefix),
            spent=SpentTokens(redis=redis, prefix=prefix),
            control=ControlBus(sio, redis=redis, prefix=prefix),
            expiry=ExpiryTimers(warn_before=settings.token_expiry_warning),
            analytics=StatsCoalescer(sio),
            history=history,
        )

    async def start(self) -> None:
        await self.control.start()

    async def stop(self) -> None:
        await self.analytics.stop()
        await self.control.stop()
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
