"""The handles one server process shares between its REST handlers and its namespaces."""

from __future__ import annotations

from dataclasses import dataclass

import socketio
from redis.asyncio import Redis

from server.broadcast.analytics import StatsCoalescer
from server.control import ControlBus
from server.expiry import ExpiryTimers
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

    @classmethod
    def build(cls, settings: Settings, sio: socketio.AsyncServer) -> Runtime:
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        prefix = settings.redis_prefix
        metrics = Metrics()
        if hasattr(sio.manager, "bus_stats"):
            metrics.watch_bus(sio.manager)
        return cls(
            settings=settings,
            sio=sio,
            metrics=metrics,
            redis=redis,
            limiter=RateLimiter(enabled=settings.rate_limits, redis=redis, prefix=prefix),
            spent=SpentTokens(redis=redis, prefix=prefix),
            control=ControlBus(sio, redis=redis, prefix=prefix),
            expiry=ExpiryTimers(warn_before=settings.token_expiry_warning),
            analytics=StatsCoalescer(sio),
        )

    async def start(self) -> None:
        if self.redis is not None and not self.sio.manager_initialized:
            # the bus listens (and beats) from the start, not from the first connect
            self.sio.manager_initialized = True
            self.sio.manager.initialize()
        await self.control.start()

    async def stop(self) -> None:
        await self.analytics.stop()
        await self.control.stop()
        close_bus = getattr(self.sio.manager, "close_bus", None)
        if close_bus is not None:
            await close_bus(timeout=2.0)
        if self.redis is not None:
            await self.redis.aclose()
