"""Who is in a chat room, cluster-wide: per room, user id -> number of that user's open sockets.

With Redis the counts live in one hash per room (`<prefix>:chat:presence:<slug>`), shared by
every node, so `present` and the joined/left transitions are the cluster's, not one node's.
Without Redis there is one process and a dict does the same. Guests are not counted (they have
no stable identity; see docs/chat.md).

A node that dies without running its disconnect handlers leaves its counts behind; they are
not expired (documented limitation: presence is advisory).
"""

from __future__ import annotations

from collections import defaultdict

from redis.asyncio import Redis

from models.users import brief_users

# Decrement and drop the field at zero in one step, so that a join racing a leave on another
# node can never see its fresh count deleted.
_LEAVE = """
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return n
"""


class Presence:
    def __init__(self, *, redis: Redis | None, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._local: dict[str, dict[int, int]] = defaultdict(dict)
        self._leave = redis.register_script(_LEAVE) if redis is not None else None

    def _key(self, slug: str) -> str:
        return f"{self.prefix}:chat:presence:{slug}"

    async def enter(self, slug: str, user_id: int) -> bool:
        """Count one more socket of the user in the room; True when it is their first."""
        if self.redis is not None:
            return await self.redis.hincrby(self._key(slug), str(user_id), 1) == 1
        counts = self._local[slug]
        counts[user_id] = counts.get(user_id, 0) + 1
        return counts[user_id] == 1

    async def leave(self, slug: str, user_id: int) -> bool:
        """Count one socket fewer; True when it was the user's last one in the room."""
        if self._leave is not None:
            return int(await self._leave(keys=[self._key(slug)], args=[str(user_id)])) == 0
        counts = self._local[slug]
        left = counts.pop(user_id, 0) - 1
        if left > 0:
            counts[user_id] = left
        elif not counts:
            del self._local[slug]
        # Below zero means a leave without its enter (see the namespace's join): no transition.
        return left == 0

    async def user_ids(self, slug: str) -> list[int]:
        if self.redis is not None:
            return sorted(int(raw) for raw in await self.redis.hkeys(self._key(slug)))
        return sorted(self._local.get(slug, {}))

    async def present(self, slug: str) -> list[dict]:
        """The `{id, name, is_staff}` of every user with a socket in the room, by id."""
        ids = await self.user_ids(slug)
        if not ids:
            return []
        return await brief_users(ids)
