"""The Redis backend: one Redis Stream per (namespace, stream), shared by every node.

Keys, under the configured prefix (docs/recovery.md):
- `<prefix>:hist:<namespace>:<stream>:m` a hash `{e: epoch, n: latest offset}`; created with a
  fresh random epoch when absent, so a Redis that lost its data (restart, eviction,
  expiry) answers with a new epoch and clients learn they have a gap.
- `<prefix>:hist:<namespace>:<stream>` the Redis Stream; entry id `<offset>-0`, fields
  `t` (ms, Redis clock), `p` (positions JSON), `b` (`["<event>",{<payload JSON>` without its
  closing brace: a replay sends `b + ',"_stream":' + p + '}]'` as the packet, undecoded).

One append is one EVALSHA for all of an emit's streams (HINCRBY + XADD MAXLEN ~ + EXPIRE
each), sent through a ScriptPipe (its own connection; concurrent appends share round trips);
one read is one EVALSHA per recovering socket for all of its streams.

An append that fails (Redis away, or no answer: it may or may not have run) leaves a hole no
offset shows. So the streams of a failed append are *lost*: as soon as Redis answers again
(retried every 0.5 s, and before this node's next append or read) their keys are deleted,
and the next append or read starts them with a new epoch. A client recovering them is told
`gap` and reloads, instead of being handed the events around the hole as complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import orjson
from redis.asyncio import Redis

from server.history.pipe import ScriptPipe
from server.history.store import Entry, Positions, Slice, new_epoch

log = logging.getLogger("roomcast.history")
MEND_EVERY = 0.5

APPEND = """
local n = #KEYS / 2
local now = redis.call('TIME')
local ms = tostring(now[1] * 1000 + math.floor(now[2] / 1000))
local pos, offs = {}, {}
for i = 1, n do
  local meta = KEYS[2 * i - 1]
  if redis.call('HSETNX', meta, 'e', ARGV[1]) == 1 then
    redis.call('DEL', KEYS[2 * i])  -- a stream left from a lost epoch
  end
  offs[i] = redis.call('HINCRBY', meta, 'n', 1)
  pos[ARGV[6 + i]] = {o = offs[i], e = redis.call('HGET', meta, 'e')}
end
local p = cjson.encode(pos)
-- `["<event>",{...payload` without its closing brace: a replay appends `"_stream"` and `}]`
local b = '[' .. cjson.encode(ARGV[4]) .. ',' .. string.sub(ARGV[5], 1, -2)
for i = 1, n do
  local key = KEYS[2 * i]
  redis.call('XADD', key, 'MAXLEN', '~', ARGV[2], offs[i] .. '-0', 't', ms, 'p', p, 'b', b)
  redis.call('EXPIRE', key, ARGV[3])
  redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[6])
end
return p
"""

READ = """
local out = {}
for i = 1, #KEYS / 2 do
  local meta = KEYS[2 * i - 1]
  if redis.call('HSETNX', meta, 'e', ARGV[1]) == 1 then
    redis.call('DEL', KEYS[2 * i])
    redis.call('EXPIRE', meta, ARGV[2])
  end
  local head = redis.call('HMGET', meta, 'e', 'n')
  local after = ARGV[2 + i]
  local found = {}  -- flat: id, t, p, b, id, t, p, b, ... (fewer objects to decode)
  if after ~= '-' then
    for _, row in ipairs(redis.call('XRANGE', KEYS[2 * i], '(' .. after .. '-0', '+')) do
      local f = row[2]
      if f[3] == 'p' and f[5] == 'b' then  -- an entry of this layout (t, p, b)
        found[#found + 1] = row[1]
        found[#found + 1] = f[2]
        found[#found + 1] = f[4]
        found[#found + 1] = f[6]
      end
    end
  end
  local first = redis.call('XRANGE', KEYS[2 * i], '-', '+', 'COUNT', 1)
  local oldest = first[1] and first[1][1] or ''
  out[i] = {head[1], head[2] or '0', found, oldest}
end
return out
"""

FORGET = "return redis.call('DEL', unpack(KEYS))"


def meta_ttl(ttl: int) -> int:
    """Offsets and epochs outlive the entries, so an idle stream recovers as `0 missed`."""
    return max(86400, 10 * ttl)


class RedisHistory:
    def __init__(self, redis: Redis, *, prefix: str, size: int, ttl: int) -> None:
        self.redis, self.prefix, self.size, self.ttl = redis, prefix, size, ttl
        self._append = ScriptPipe(redis, APPEND)
        self._read = ScriptPipe(redis, READ, retry=True)
        self._forget = ScriptPipe(redis, FORGET, retry=True)
        self.lost: set[tuple[str, str]] = set()  # (namespace, stream) with a failed append
        self._mender: asyncio.Task | None = None

    def key(self, namespace: str, stream: str) -> str:
        return f"{self.prefix}:hist:{namespace}:{stream}"

    def _keys(self, namespace: str, streams) -> list[str]:
        keys = []
        for stream in streams:
            key = self.key(namespace, stream)
            keys += (key + ":m", key)
        return keys

    async def append(self, namespace: str, streams: list[str], event: str, data: dict) -> Positions:
        args = [new_epoch(), self.size, self.ttl, event, orjson.dumps(data), meta_ttl(self.ttl)]
        try:
            await self._mend()
            raw = await self._append(self._keys(namespace, streams), args + streams)
        except Exception:
            self._lose(namespace, streams)
            raise
        return orjson.loads(raw)

    def _lose(self, namespace: str, streams: list[str]) -> None:
        self.lost.update((namespace, s) for s in streams)
        if self._mender is None or self._mender.done():
            self._mender = asyncio.ensure_future(self._mend_soon())

    async def _mend(self) -> None:
        """Start the lost streams afresh (new epoch on their next use); raises if Redis is away."""
        if not self.lost:
            return
        lost = list(self.lost)
        keys = [k for ns, s in lost for k in (self.key(ns, s) + ":m", self.key(ns, s))]
        await self._forget(keys, [])
        self.lost.difference_update(lost)
        log.warning("history: %d stream(s) lost events while Redis was away: new epoch", len(lost))

    async def _mend_soon(self) -> None:
        while self.lost:
            await asyncio.sleep(MEND_EVERY)
            with contextlib.suppress(Exception):
                await self._mend()

    async def read(self, namespace: str, after: dict[str, int]) -> dict[str, Slice]:
        if not after:
            return {}
        await self._mend()
        names = list(after)
        args = [new_epoch(), meta_ttl(self.ttl), *(_after(after[s]) for s in names)]
        rows = await self._read(self._keys(namespace, names), args)
        oldest_kept = time.time() - self.ttl
        out: dict[str, Slice] = {}
        for name, (epoch, latest, found, first) in zip(names, rows, strict=True):
            entries = []
            for k in range(0, len(found), 4):
                ts = int(found[k + 1]) / 1000
                if ts < oldest_kept:
                    continue  # past its age: as good as trimmed
                p, head = found[k + 2], found[k + 3]
                comma = b"" if head.endswith(b"{") else b","
                entries.append(
                    Entry(
                        offset=int(found[k].split(b"-", 1)[0]),
                        ts=ts,
                        event="",  # inside `body`
                        data=None,
                        positions=p,  # decoded only if the identity is needed (merge)
                        body=(head + comma + b'"_stream":' + p + b"}]").decode(),
                    )
                )
            oldest = int(first.split(b"-", 1)[0]) if first else int(latest) + 1
            if entries and entries[0].offset > oldest and int(entries[0].offset) > after[name] + 1:
                oldest = entries[0].offset  # the older ones are past their age
            out[name] = Slice(epoch.decode(), int(latest), entries, oldest)
        return out

    async def close(self) -> None:
        """Our own connection; the Redis client itself belongs to the Runtime."""
        if self._mender is not None:
            self._mender.cancel()
        await self._append.close()
        await self._read.close()
        await self._forget.close()


def _after(offset: int) -> str:
    """`-` asks only for the stream's epoch and latest offset no entries (READ above)."""
    return "-" if offset < 0 else str(offset)
