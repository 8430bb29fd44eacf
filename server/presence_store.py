"""Where presence counts live: Redis for a cluster, a dict for one process.

Each node writes only its own entries, as absolute counts: per room a hash
`<p>:presence:room:<slug>` of `<node>|<member>` -> that node's sockets of the member there,
and beside it `<p>:presence:total:<slug>`, member -> the sum over nodes, and
`<p>:presence:brief:<slug>`, member -> its public brief as JSON (`{id, name, is_staff}`,
written with every positive count, dropped with the total), so that `present` is one read of
two hashes and no database query. A node holds a lease `<p>:presence:lease:<node>` (a key
with a TTL it refreshes); the registry `<p>:presence:nodes` lists the nodes with entries and
`<p>:presence:rooms:<node>` the rooms where a node wrote. A node whose lease expired is
swept by whichever live node sees it first (the sweep script claims it with SREM, so only
one does).

Every script answers the transitions it caused, `[slug, member, "joined"|"left", ...]`:
a member's total going 0 -> >0 or >0 -> 0. Scripts are atomic, so each cluster-wide
transition is reported exactly once, by the node whose write caused it.

A member is `u:<user id>` or `g:<guest name>`.
"""

from __future__ import annotations

from collections import defaultdict

from redis.asyncio import Redis

Transition = tuple[str, str, str]  # slug, member, "joined" | "left"
Item = tuple[str, str, int, str]  # slug, member, this node's count, the brief as JSON ("" = none)

_APPLY = """
local p, node = ARGV[1], ARGV[2]
local out = {}
redis.call('SADD', p .. ':presence:nodes', node)
for i = 3, #ARGV, 4 do
  local slug, member, count = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local room, total = p .. ':presence:room:' .. slug, p .. ':presence:total:' .. slug
  local briefs = p .. ':presence:brief:' .. slug
  local field = node .. '|' .. member
  local old = tonumber(redis.call('HGET', room, field) or '0')
  if count > 0 and ARGV[i + 3] ~= '' then redis.call('HSET', briefs, member, ARGV[i + 3]) end
  if count ~= old then
    if count > 0 then
      redis.call('HSET', room, field, count)
      redis.call('SADD', p .. ':presence:rooms:' .. node, slug)
    else
      redis.call('HDEL', room, field)
    end
    local now = redis.call('HINCRBY', total, member, count - old)
    if now <= 0 then
      redis.call('HDEL', total, member)
      redis.call('HDEL', briefs, member)
    end
    local before = now - (count - old)
    local action = nil
    if before <= 0 and now > 0 then action = 'joined' end
    if before > 0 and now <= 0 then action = 'left' end
    if action then
      table.insert(out, slug); table.insert(out, member); table.insert(out, action)
    end
  end
end
return out
"""

# Returns 1 when the lease was still there, 0 when it had gone (expired, swept, Redis restart).
_REFRESH = """
local lease = ARGV[1] .. ':presence:lease:' .. ARGV[2]
local had = redis.call('EXISTS', lease)
redis.call('SET', lease, '1', 'PX', ARGV[3])
redis.call('SADD', ARGV[1] .. ':presence:nodes', ARGV[2])
return had
"""

_SWEEP = """
local p, me = ARGV[1], ARGV[2]
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', p .. ':presence:nodes')) do
  if node ~= me and redis.call('EXISTS', p .. ':presence:lease:' .. node) == 0 then
    redis.call('SREM', p .. ':presence:nodes', node)
    local prefix = node .. '|'
    for _, slug in ipairs(redis.call('SMEMBERS', p .. ':presence:rooms:' .. node)) do
      local room, total = p .. ':presence:room:' .. slug, p .. ':presence:total:' .. slug
      local entries = redis.call('HGETALL', room)
      for j = 1, #entries, 2 do
        local field = entries[j]
        if string.sub(field, 1, #prefix) == prefix then
          local member = string.sub(field, #prefix + 1)
          redis.call('HDEL', room, field)
          local now = redis.call('HINCRBY', total, member, -tonumber(entries[j + 1]))
          if now <= 0 then
            redis.call('HDEL', total, member)
            redis.call('HDEL', p .. ':presence:brief:' .. slug, member)
            table.insert(out, slug); table.insert(out, member); table.insert(out, 'left')
          end
        end
      end
    end
    redis.call('DEL', p .. ':presence:rooms:' .. node)
  end
end
return out
"""


def _transitions(flat: list) -> list[Transition]:
    text = [item.decode() if isinstance(item, bytes) else str(item) for item in flat]
    return [(text[i], text[i + 1], text[i + 2]) for i in range(0, len(text), 3)]


class RedisPresenceStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._apply = redis.register_script(_APPLY)
        self._refresh = redis.register_script(_REFRESH)
        self._sweep = redis.register_script(_SWEEP)

    async def apply(self, node: str, items: list[Item]) -> list[Transition]:
        args: list[str | int] = [self.prefix, node]
        for slug, member, count, brief in items:
            args += [slug, member, count, brief]
        return _transitions(await self._apply(args=args))

    async def refresh(self, node: str, ttl_ms: int) -> bool:
        return bool(await self._refresh(args=[self.prefix, node, ttl_ms]))

    async def sweep(self, node: str) -> list[Transition]:
        return _transitions(await self._sweep(args=[self.prefix, node]))

    async def release(self, node: str) -> None:
        """Forget the node (its entries must have been applied at zero first)."""
        p = self.prefix
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"{p}:presence:lease:{node}", f"{p}:presence:rooms:{node}")
            pipe.srem(f"{p}:presence:nodes", node)
            await pipe.execute()

    async def members(self, slug: str) -> dict[str, str | None]:
        """Member -> its brief as JSON (None when a node wrote none: then the caller reads it)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hkeys(f"{self.prefix}:presence:total:{slug}")
            pipe.hgetall(f"{self.prefix}:presence:brief:{slug}")
            members, briefs = await pipe.execute()
        text = {_text(k): _text(v) for k, v in briefs.items()}
        return {(m := _text(raw)): text.get(m) for raw in members}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class MemoryPresenceStore:
    """One process: the same interface over a dict (there are no other nodes to sweep)."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, int]] = defaultdict(dict)
        self._briefs: dict[str, dict[str, str]] = defaultdict(dict)

    async def apply(self, node: str, items: list[Item]) -> list[Transition]:
        out: list[Transition] = []
        for slug, member, count, brief in items:
            room = self._rooms[slug]
            before = room.get(member, 0)
            if count > 0:
                room[member] = count
                if brief:
                    self._briefs[slug][member] = brief
            else:
                room.pop(member, None)
                self._briefs[slug].pop(member, None)
                if not room:
                    del self._rooms[slug]
                    self._briefs.pop(slug, None)
            if before == 0 and count > 0:
                out.append((slug, member, "joined"))
            elif before > 0 and count == 0:
                out.append((slug, member, "left"))
        return out

    async def refresh(self, node: str, ttl_ms: int) -> bool:
        return True

    async def sweep(self, node: str) -> list[Transition]:
        return []

    async def release(self, node: str) -> None:
        return None

    async def members(self, slug: str) -> dict[str, str | None]:
        briefs = self._briefs.get(slug, {})
        return {member: briefs.get(member) for member in self._rooms.get(slug, {})}
