"""Sliding-window rate limits, shared by all nodes through Redis when it is configured.

The count is the sliding-window estimate: hits in the current fixed slot plus the previous
slot's hits weighted by how much of it the window still covers. Unlike a plain fixed window,
a burst that straddles a slot boundary cannot pass twice the limit.

A Redis failure lets the request through (and logs): limits protect the service, they must
not take it down.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("roomcast.ratelimit")


class RateLimiter:
    def __init__(self, *, enabled: bool, redis: Redis | None, prefix: str) -> None:
        self.enabled = enabled
        self.redis = redis
        self.prefix = prefix
        self._windows: dict[str, tuple[int, int, int]] = {}  # key -> (slot, count, previous)

    async def hit(self, key: str, *, limit: int, window: int) -> int | None:
        """Count one hit; return the seconds to wait when over the limit, else None."""
        if not self.enabled:
            return None
        now = time.time()
        slot = int(now // window)
        covered = 1.0 - (now - slot * window) / window  # share of the previous slot in view
        retry_after = int((slot + 1) * window - now) + 1
        if self.redis is not None:
            name = f"{self.prefix}:rl:{key}:"
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.incr(f"{name}{slot}")
                    pipe.expire(f"{name}{slot}", 2 * window + 1)
                    pipe.get(f"{name}{slot - 1}")
                    count, _, previous = await pipe.execute()
            except (RedisError, OSError) as exc:
                log.warning("rate limit check skipped, Redis unavailable: %s", exc)
                return None
            previous = int(previous or 0)
        else:
            if len(self._windows) > 100_000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] >= slot - 1}
            seen_slot, seen_count, seen_previous = self._windows.get(key, (slot, 0, 0))
            if seen_slot == slot:
                count, previous = seen_count + 1, seen_previous
            else:
                count, previous = 1, seen_count if seen_slot == slot - 1 else 0
            self._windows[key] = (slot, count, previous)
        estimate = count + previous * covered
        return retry_after if estimate > limit else None


class TokenBucket:
    """A per-socket event budget kept in process (a socket lives on exactly one node)."""

    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, *, rate: float, burst: int) -> None:
        self.capacity = float(burst)
        self.rate = rate
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
