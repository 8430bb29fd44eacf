"""Single use of websocket tokens: the first connect that presents one spends it.

With Redis, SET NX makes the spend atomic across every node; without Redis there is one
process, and a dict does the same.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis


class SpentTokens:
    def __init__(self, *, redis: Redis | None, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._local: dict[str, float] = {}

    async def spend(self, jti: str, *, expires_at: int) -> bool:
        """True if this call spent the token, False if it was spent already."""
        ttl = max(1, int(expires_at - time.time()) + 1)
        if self.redis is not None:
            return bool(await self.redis.set(f"{self.prefix}:wsjti:{jti}", 1, nx=True, ex=ttl))
        now = time.time()
        if len(self._local) > 10_000:
            self._local = {k: v for k, v in self._local.items() if v > now}
        if jti in self._local:
            return False
        self._local[jti] = now + ttl
        return True
