"""The bus's two Lua scripts: routing a batch of outbox entries, and registering a node.

Keys under `<base>` (= `<prefix>:bus`, see docs/cluster.md for the table):
  <base>                  stream: every entry while the registry is being rebuilt (catch-up)
  <base>:to:<node>        stream: the entries for one node (the only one it normally reads)
  <base>:node:<node>      string: "this Redis still has my data" (absent: Redis lost it)
  <base>:nodes            zset node -> ms of its last write (its lease; swept after lease_ms)
  <base>:fresh            zset node -> ms of its last write with no registration left queued
  <base>:room:<ns>:<room> set of the nodes holding somebody in that room
  <base>:rooms:<node>     set of `<ns>:<room>` a node registered (to sweep it when it dies)
  <base>:born             ms of the first re-registration after Redis lost its data

Routing runs inside Redis, so a join registered (acked by Redis) before an emit reaches Redis
is always seen by that emit: Redis orders the two, no node-side cache can be stale.
"""

from __future__ import annotations

# Entry kinds (the `k` field of a stream entry, bytes as a reader gets them; `+`/`-` never
# reach a stream).
EMIT, ROUTED, PACKET, TARGETED, HEARTBEAT = b"m", b"r", b"p", b"t", b"hb"
JOIN, LEAVE = b"+", b"-"

NODE_KEY_TTL = 24 * 3600
PER_RECORD = 64  # entries per stream record at most

_COMMON = """
local base, me = ARGV[1], ARGV[2]
local nodes_key, fresh_key = base .. ':nodes', base .. ':fresh'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function sweep(node, dead)
  local rooms_key = base .. ':rooms:' .. node
  for _, r in ipairs(redis.call('SMEMBERS', rooms_key)) do
    redis.call('SREM', base .. ':room:' .. r, node)
  end
  redis.call('DEL', rooms_key)
  if dead then
    redis.call('DEL', base .. ':to:' .. node)
    redis.call('ZREM', nodes_key, node)
    redis.call('ZREM', fresh_key, node)
  end
end
"""

# ARGV: base, me, reader (1/0), lease_ms, stale_ms, maxlen, caught_up (1/0), then the batch:
# its entries "seq\0kind\0namespace\0x\0data" (x: the room or the target node) joined by
# \x1e. One argument for the whole batch: the client packs one string, not 5 per entry.
# Neither separator can be in `data` (JSON escapes every control character); `namespace`
# and `x` are checked by the writer.
# Returns the number of entries taken, -1 when this node's key is missing (Redis lost its
# data: register first), -2 when the registry swept this node (its lease ran out).
BATCH_SCRIPT = (
    _COMMON
    + f"""
local reader = ARGV[3] == '1'
local lease, stale_after, maxlen = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local node_key = base .. ':node:' .. me
if redis.call('EXISTS', node_key) == 0 then return -1 end
if reader and not redis.call('ZSCORE', nodes_key, me) then return -2 end
redis.call('EXPIRE', node_key, {NODE_KEY_TTL})
local fresh = {{}}
local listing = redis.call('ZRANGE', fresh_key, 0, -1, 'WITHSCORES')
for i = 1, #listing, 2 do fresh[listing[i]] = tonumber(listing[i + 1]) end
local live, everyone, stale = {{}}, {{}}, false
listing = redis.call('ZRANGE', nodes_key, 0, -1, 'WITHSCORES')
for i = 1, #listing, 2 do
  local node = listing[i]
  if tonumber(listing[i + 1]) < now - lease then
    sweep(node, true)
  elseif node ~= me then
    live[node] = true
    everyone[#everyone + 1] = node
    if (fresh[node] or 0) < now - stale_after then stale = true end
  end
end
if reader then
  redis.call('ZADD', nodes_key, now, me)
  if ARGV[7] == '1' then redis.call('ZADD', fresh_key, now, me) end
end
local catch_up = redis.call('EXISTS', base .. ':born') == 1
if catch_up then redis.call('PEXPIRE', base, 4 * lease) end  -- gone a while after the window
-- Entries are grouped per stream, up to {PER_RECORD} per record (one XADD, one object for the
-- reader to parse), in order.
local records, order = {{}}, {{}}
local function put(stream, e)
  local list = records[stream]
  if not list then
    list = {{}}
    records[stream] = list
    order[#order + 1] = stream
  end
  list[#list + 1] = e
  if #list >= {PER_RECORD} then
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'h', me, 'e', table.concat(list, '\\30'))
    records[stream] = {{}}
  end
end
local n = 0
local blob, pos = ARGV[8], 1
while pos <= #blob do
  local stop = string.find(blob, '\\30', pos, true) or (#blob + 1)
  local e = string.sub(blob, pos, stop - 1)
  pos = stop + 1
  local p1 = string.find(e, '\\0', 1, true)
  local p2 = string.find(e, '\\0', p1 + 1, true)
  local p3 = string.find(e, '\\0', p2 + 1, true)
  local p4 = string.find(e, '\\0', p3 + 1, true)
  local seq, kind = string.sub(e, 1, p1 - 1), string.sub(e, p1 + 1, p2 - 1)
  local ns, x = string.sub(e, p2 + 1, p3 - 1), string.sub(e, p3 + 1, p4 - 1)
  if kind == '+' then
    redis.call('SADD', base .. ':room:' .. ns .. ':' .. x, me)
    redis.call('SADD', base .. ':rooms:' .. me, ns .. ':' .. x)
  elseif kind == '-' then
    redis.call('SREM', base .. ':room:' .. ns .. ':' .. x, me)
    redis.call('SREM', base .. ':rooms:' .. me, ns .. ':' .. x)
  else
    local targets
    if kind == 'hb' then
      targets = {{me}}
    elseif kind == 't' then
      targets = live[x] and {{x}} or {{}}
    elseif kind == 'm' or stale then
      targets = everyone
    else
      targets = {{}}
      for _, node in ipairs(redis.call('SMEMBERS', base .. ':room:' .. ns .. ':' .. x)) do
        if live[node] then targets[#targets + 1] = node end
      end
    end
    for _, node in ipairs(targets) do put(base .. ':to:' .. node, e) end
    if catch_up and kind ~= 'hb' then put(base, e) end
  end
  n = n + 1
end
for _, stream in ipairs(order) do
  local list = records[stream]
  if #list > 0 then
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'h', me, 'e', table.concat(list, '\\30'))
  end
end
return n
"""
)

# ARGV: base, me, reader (1/0), restart (1/0), lease_ms, then `<ns>:<room>` for every room
# this node holds. Replaces what the registry says about this node by that snapshot.
REGISTER_SCRIPT = (
    _COMMON
    + f"""
local reader, restart, lease = ARGV[3] == '1', ARGV[4] == '1', tonumber(ARGV[5])
redis.call('SET', base .. ':node:' .. me, me, 'EX', {NODE_KEY_TTL})
if restart then redis.call('SET', base .. ':born', now, 'NX', 'PX', 2 * lease) end
if not reader then return 0 end
sweep(me, false)
local rooms_key = base .. ':rooms:' .. me
for i = 6, #ARGV do
  redis.call('SADD', base .. ':room:' .. ARGV[i], me)
  redis.call('SADD', rooms_key, ARGV[i])
end
redis.call('ZADD', nodes_key, now, me)
return #ARGV - 5
"""
)

# ARGV: base, me. A node that stops: out of the registry at once (not a lease later).
LEAVE_SCRIPT = (
    _COMMON
    + """
sweep(me, true)
redis.call('DEL', base .. ':node:' .. me)
return 1
"""
)
