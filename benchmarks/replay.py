"""`python -m benchmarks.replay`: what the history costs per emit, and replay under load.

1. emit cost: CPU (process time) per `server.history.emit` of a breach_alert-sized payload to
   a `[user:<id>, staff]` room pair with no local sockets, without history, with the memory
   history and with the Redis history (the shared Redis, a private prefix removed afterwards),
   plus the Redis bytes per stored entry (MEMORY USAGE of the stream / entries).
2. storm: a real node (uvicorn subprocess, Redis, SQLite) where N sockets of one user, each
   50 alert events behind, reconnect at once with `recover`, while a watcher socket of
   another user gets one alert every 100 ms: the replay latency (connect -> `recovery`)
   p50/p99 and the watcher's live latency p50/p99 during the storm.

The machine is shared and noisy: read the figures as orders of magnitude.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import signal
import statistics
import subprocess
import time
import uuid
from datetime import datetime

import orjson
from redis.asyncio import Redis

from server.history import MemoryHistory, attach, emit
from server.history.redis_store import APPEND, RedisHistory, meta_ttl
from server.history.store import new_epoch

REDIS_URL = "redis://127.0.0.1:6379/0"  # the storm's node; emit_cost starts its own
PAYLOAD = {
    "message": {
        "id": 123456,
        "breach_id": "b-42",
        "title": "Password found in a paste",
        "severity": "HIGH",
        "confidence": 0.75,
        "detected_at": "2026-11-22T17:00:00.000Z",
        "read": False,
        "read_at": None,
        "user_id": 42,
    },
    "timestamp": "2026-11-22T17:00:00.123Z",
}


class NullEmitter:
    """Stands in for the AsyncServer: the emit itself is the same in every variant."""

    async def emit(self, event, data, **kwargs) -> None:
        return None


class PooledRedisHistory(RedisHistory):
    """The append as it was before ScriptPipe: one EVALSHA through redis-py's pooled client."""

    def __init__(self, redis: Redis, **kwargs) -> None:
        super().__init__(redis, **kwargs)
        self._pooled = redis.register_script(APPEND)

    async def append(self, namespace, streams, event, data):
        args = [new_epoch(), self.size, self.ttl, event, orjson.dumps(data), meta_ttl(self.ttl)]
        raw = await self._pooled(keys=self._keys(namespace, streams), args=args + streams)
        return orjson.loads(raw)


async def emit_cost(n: int, concurrency: int = 10) -> dict:
    """CPU per emit (this process, and the private redis-server's) for each variant."""
    from tests.harness import free_port

    port = free_port()
    server = subprocess.Popen(  # noqa: ASYNC220 - a private Redis: its CPU is ours alone
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    redis = Redis.from_url(f"redis://127.0.0.1:{port}/0")
    for _ in range(100):
        with contextlib.suppress(Exception):
            await redis.ping()
            break
        await asyncio.sleep(0.05)
    results: dict = {}
    kw = {"prefix": "bench", "size": 1000, "ttl": 300}
    variants = {
        "none": (None, 1),
        "memory": (MemoryHistory(size=1000, ttl=300), 1),
        "redis, pooled client (before)": (PooledRedisHistory(redis, **kw), 1),
        "redis, ScriptPipe": (RedisHistory(redis, **kw), 1),
        f"redis, ScriptPipe, {concurrency} at once": (RedisHistory(redis, **kw), concurrency),
    }
    rooms = ["user:42", "staff"]

    async def one(target) -> None:
        await emit(target, "breach_alert", PAYLOAD, room=rooms, namespace="/alerts")

    async def batch(target, k: int) -> None:
        if k == 1:
            await one(target)  # no task: what a lone emit costs
        else:
            await asyncio.gather(*(one(target) for _ in range(k)))

    try:
        for name, (history, k) in variants.items():
            target = NullEmitter()
            attach(target, history)
            for _ in range(50):  # warm up (script load, connections)
                await batch(target, k)
            cpu, wall, rcpu = time.process_time(), time.perf_counter(), process_cpu(server.pid)
            for _ in range(n // k):
                await batch(target, k)
            done = n // k * k
            results[name] = {
                "cpu_us_per_emit": (time.process_time() - cpu) / done * 1e6,
                "wall_us_per_emit": (time.perf_counter() - wall) / done * 1e6,
                "redis_cpu_us_per_emit": (process_cpu(server.pid) - rcpu) / done * 1e6,
            }
            if history is not None:
                await history.close()
        # What a recovery reads: the last 50 entries of a stream, n // 50 times.
        reader = RedisHistory(redis, **kw)
        latest = (await reader.read("/alerts", {"user:42": -1}))["user:42"].latest
        reads = max(1, n // 50)
        cpu, rcpu = time.process_time(), process_cpu(server.pid)
        for _ in range(reads):
            got = await reader.read("/alerts", {"user:42": latest - 50})
            assert len(got["user:42"].entries) == 50
        results["read_cpu_us_per_entry"] = (time.process_time() - cpu) / (reads * 50) * 1e6
        results["read_redis_cpu_us_per_entry"] = (
            (process_cpu(server.pid) - rcpu) / (reads * 50) * 1e6
        )
        await reader.close()
        key = "bench:hist:/alerts:user:42"
        used = await redis.memory_usage(key, samples=0)
        length = await redis.xlen(key)
        results["redis_bytes_per_entry"] = used / max(length, 1)
        results["redis_entries_held"] = length
        results["payload_json_bytes"] = len(orjson.dumps(PAYLOAD))
    finally:
        await redis.aclose()
        server.kill()
        server.wait(5)
    return results


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def storm(
    url: str, staff_token: str, user: dict, watcher: dict, clients: int, replay: bool = True
) -> dict:
    """N sockets of `user`, 50 alerts behind, reconnect at once; the watcher measures live."""
    import httpx

    from benchmarks.rawsock import RawSocket, Refused
    from tests.recovery.support import Recorder, post_alert

    stream = f"user:{user['user']['id']}"
    probe = Recorder("/alerts")
    await probe.connect(url, {"token": user["access_token"]})
    start = (await probe.recovery())["streams"][stream]
    await probe.close()
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for n in range(25):  # 25 alerts = 50 events (breach_alert + unread_count)
            await post_alert(http, staff_token, user["user"]["id"], n)
        live = Recorder("/alerts")
        await live.connect(url, {"token": watcher["access_token"]})
        await live.recovery()
        # replay=False: the same storm, recovering nothing (the connect cost alone)
        recover = {stream: {"o": start["o"], "e": start["e"]}} if replay else {}
        latencies: list[float] = []
        replayed: list[int] = []

        refused: list[int] = []

        async def one() -> None:
            # A connect refused with 4503 (over the server's connect budget under the storm)
            # is retried after a random 0.5-1.5 s, as socket.io clients' reconnection does.
            began = time.perf_counter()
            for attempt in range(20):
                client = RawSocket(url, "/alerts")
                try:
                    await client.connect({"token": user["access_token"], "recover": recover})
                    result = (await client.wait_recovery(timeout=180))["streams"][stream]
                except Refused:
                    refused.append(attempt)
                    await asyncio.sleep(0.5 + random.random())
                    continue
                finally:
                    await client.close()
                latencies.append(client.recovered_at - began)
                replayed.append(client.counts["breach_alert"])
                assert result["status"] == ("recovered" if replay else "current"), result
                return
            raise RuntimeError("refused 20 times")

        sent_at: dict[int, float] = {}
        stop = asyncio.Event()

        async def pulse() -> None:
            n = 0
            while not stop.is_set():
                posted = time.monotonic()  # the event may arrive before the REST answer
                alert = await post_alert(http, staff_token, watcher["user"]["id"], 1000 + n)
                sent_at[alert["id"]] = posted
                n += 1
                await asyncio.sleep(0.1)

        pulser = asyncio.create_task(pulse())
        began, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one() for _ in range(clients)))
        storm_s, generator_cpu = time.perf_counter() - began, time.process_time() - cpu
        stop.set()
        await pulser
        await live.until(lambda: len(live.events("breach_alert")) >= len(sent_at), timeout=30)
        arrivals = {d["message"]["id"]: t for e, d, t in live.log if e == "breach_alert"}
        # The payload's `timestamp` is taken right before the emit (same clock, same machine):
        # emit -> arrival leaves out the REST request and its database work.
        to_wall = time.time() - time.monotonic()
        emitted = {
            d["message"]["id"]: datetime.fromisoformat(d["timestamp"].replace("Z", "+00:00"))
            for e, d, _ in live.log
            if e == "breach_alert"
        }
        await live.close()
    live_lat = [arrivals[i] - sent_at[i] for i in sent_at if i in arrivals]
    emit_lat = [arrivals[i] + to_wall - emitted[i].timestamp() for i in sent_at if i in arrivals]
    return {
        "clients": clients,
        "events_each": 50,
        "storm_seconds": storm_s,
        "generator_cpu_s": generator_cpu,
        "refused_connects": len(refused),
        "replay_p50_s": pct(latencies, 0.5),
        "replay_p99_s": pct(latencies, 0.99),
        "replayed_all": all(r == (25 if replay else 0) for r in replayed)
        and len(replayed) == clients,
        "live_events": len(live_lat),
        "live_p50_s": pct(live_lat, 0.5),
        "live_p99_s": pct(live_lat, 0.99),
        "live_max_s": max(live_lat) if live_lat else float("nan"),
        "live_emit_p50_s": pct(emit_lat, 0.5),
        "live_emit_p99_s": pct(emit_lat, 0.99),
    }


async def storm_on_own_node(
    clients: int, replay: bool = True, *, pin: bool = False, profile: str | None = None
) -> dict:
    import os
    import sqlite3
    import tempfile

    import httpx

    from tests.harness import SECRET, NodeProcess, create_schema
    from tests.recovery.support import register

    tmp = tempfile.mkdtemp(prefix="roomcast-replay-bench-")
    db = os.path.join(tmp, "bench.sqlite3")
    create_schema(f"sqlite://{db}")
    prefix = f"rcstorm-{uuid.uuid4().hex[:8]}"
    node = NodeProcess(
        {
            "ROOMCAST_ENV": "test",
            "ROOMCAST_JWT_SECRET": SECRET,
            "ROOMCAST_DATABASE_URL": f"sqlite://{db}",
            "ROOMCAST_DATA_DIR": tmp,
            "ROOMCAST_RATE_LIMITS": "off",
            "ROOMCAST_REDIS_URL": REDIS_URL,
            "ROOMCAST_REDIS_PREFIX": prefix,
        }
    )
    spy = None
    try:
        await node.wait_ready(timeout=60)
        if pin:
            pin_process(node.proc.pid, SERVER_CPU)
        async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
            staff = await register(http)
            with sqlite3.connect(db) as conn:
                conn.execute("UPDATE users SET is_staff = 1 WHERE id = ?", (staff["user"]["id"],))
            user, watcher = await register(http), await register(http)
        if profile:  # py-spy (pip install py-spy): a raw collapsed-stack file of the storm
            spy = subprocess.Popen(  # noqa: ASYNC220 - starts at once, runs beside
                [spy_command(), "record", "-p", str(node.proc.pid), "-f", "raw", "-o", profile],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        before = process_cpu(node.proc.pid)
        result = await storm(node.url, staff["access_token"], user, watcher, clients, replay)
        result["server_cpu_s"] = process_cpu(node.proc.pid) - before
        log_tail = node.output().splitlines()[-40:]  # the node writes its log to a file
        result["node_log"] = log_tail
        return result
    except BaseException:
        print("node log tail:", *node.output().splitlines()[-40:], sep="\n  ")
        raise
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        node.stop()
        redis = Redis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


SERVER_CPU, GENERATOR_CPU = 0, 1


def spy_command() -> str:
    import os
    import sys

    beside = os.path.join(os.path.dirname(sys.executable), "py-spy")
    return beside if os.path.exists(beside) else "py-spy"


def pin_process(pid: int, cpu: int) -> None:
    """Every thread of a process onto one CPU (what `taskset -a -p` does)."""
    import os

    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task), {cpu})


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    import os

    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_cost(n: int, cost: dict) -> None:
    print(f"emit cost ({n} emits of a breach_alert to [user:42, staff]; per emit):")
    for name, r in cost.items():
        if isinstance(r, dict):
            print(
                f"  {name:34s} cpu {r['cpu_us_per_emit']:6.1f} us  redis-server"
                f" {r['redis_cpu_us_per_emit']:5.1f} us  wall {r['wall_us_per_emit']:6.1f} us"
            )
    print(
        f"  recovery read of 50 entries: cpu {cost['read_cpu_us_per_entry']:.1f} us per entry,"
        f" redis-server {cost['read_redis_cpu_us_per_entry']:.1f} us per entry"
    )
    print(
        f"  redis: {cost['redis_bytes_per_entry']:.0f} bytes per stored entry"
        f" ({cost['redis_entries_held']} held; payload JSON {cost['payload_json_bytes']} bytes)"
    )


def print_storm(label: str, s: dict) -> None:
    problems = [line for line in s["node_log"] if " ERROR " in line or " WARNING " in line]
    if problems:
        print(f"  node log: {len(problems)} warnings/errors in its last lines, e.g. {problems[-1]}")
    ms = {k: v * 1000 for k, v in s.items() if k.endswith("_s") and "cpu" not in k}
    print(f"{label}: {s['clients']} sockets, all done in {s['storm_seconds']:.2f} s")
    print(f"  connect -> recovery p50 {ms['replay_p50_s']:.0f} ms  p99 {ms['replay_p99_s']:.0f} ms")
    print(f"  connects refused (4503, retried): {s['refused_connects']}")
    print(
        f"  every socket got all: {s['replayed_all']}; CPU: server {s['server_cpu_s']:.2f} s,"
        f" generator {s['generator_cpu_s']:.2f} s"
    )
    print(
        f"  live during the storm: {s['live_events']} alerts; REST post -> arrival p50"
        f" {ms['live_p50_s']:.0f} ms p99 {ms['live_p99_s']:.0f} ms; emit -> arrival p50"
        f" {ms['live_emit_p50_s']:.0f} ms p99 {ms['live_emit_p99_s']:.0f} ms"
    )


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emits", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--profile", help="py-spy raw profile of the node during the storm")
    parser.add_argument("--reps", type=int, default=1, help="baseline + storm pairs")
    args = parser.parse_args()
    os.sched_setaffinity(0, {GENERATOR_CPU})  # the node goes on SERVER_CPU
    if args.emits:
        cost = asyncio.run(emit_cost(args.emits))
        print_cost(args.emits, cost)
    runs: dict[str, list[dict]] = {"baseline": [], "storm": []}
    for rep in range(args.reps if args.clients else 0):  # interleaved: the noise hits both
        base = asyncio.run(storm_on_own_node(args.clients, replay=False, pin=True))
        print_storm(f"[{rep + 1}] baseline (nothing to replay)", base)
        profile = args.profile if rep == 0 else None
        s = asyncio.run(storm_on_own_node(args.clients, pin=True, profile=profile))
        print_storm(f"[{rep + 1}] storm (50 events each to replay)", s)
        runs["baseline"].append(base)
        runs["storm"].append(s)
    if args.reps > 1 and args.clients:
        for name, results in runs.items():
            print(f"median of {args.reps}, {name}:")
            for key in ("replay_p50_s", "replay_p99_s", "live_p50_s", "live_p99_s"):
                print(f"  {key} {statistics.median(r[key] for r in results) * 1000:.0f} ms")
            for key in ("live_emit_p50_s", "live_emit_p99_s"):
                print(f"  {key} {statistics.median(r[key] for r in results) * 1000:.0f} ms")
            for key in ("server_cpu_s", "refused_connects"):
                print(f"  {key} {statistics.median(r[key] for r in results)}")
    print("(shared, noisy 2-core machine: orders of magnitude, not precise figures)")


if __name__ == "__main__":
    main()
