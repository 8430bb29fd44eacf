"""Single use of websocket tokens: the first connect that presents one spends it.

The database is the durable place (it outlives a Redis restart, and every node shares it):
the spend is an INSERT into `spent_ws_tokens` keyed by the token's jti, so of two connects
racing with one token, on any nodes, the primary key lets exactly one win. Rows are only
needed until the token expires; expired ones are pruned now and then.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from models.common import utcnow
from models.logins import SpentWsToken

log = logging.getLogger("roomcast.auth")
PRUNE_EVERY = 60.0  # seconds


class SpentTokens:
    def __init__(self) -> None:
        self._pruned_at = 0.0

    async def spend(self, jti: str, *, expires_at: int) -> bool:
        """True if this call spent the token, False if it was spent already."""
        await self._prune()
        if len(jti) > 64:  # the column's size; our own tokens' jti are 32 hex digits
            jti = hashlib.sha256(jti.encode()).hexdigest()
        try:
            await SpentWsToken.create(jti=jti, expires_at=datetime.fromtimestamp(expires_at, UTC))
        except IntegrityError:
            return False
        return True

    async def _prune(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        try:
            await SpentWsToken.filter(expires_at__lt=utcnow()).delete()
        except Exception as exc:  # pruning is housekeeping; the spend itself must go on
            log.warning("expired ws-tokens not pruned: %s", exc)
