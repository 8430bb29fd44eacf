"""Where the bytes of one websocket connection go: a tracemalloc diff on a real server.

`python -m benchmarks.memory_per_conn [--clients 2000] [--top 25] [--frames 8]`

Starts Roomcast as benchmarks/run.py does (uvicorn CLI, the shipped flags, SQLite, the /bench
namespace), warms it up with a few connections, then connects N bare Engine.IO websocket
clients to /bench with a bench token (each joins its `user:` room and the bench room, as in
s1) and reports, per connection:

* the RSS delta (a pass without tracemalloc, which would inflate it), as the s1 figure;
* the tracemalloc diff (tracing starts at the first snapshot), grouped by allocation site
  (file:line), in bytes per connection;
* the gc-tracked objects per connection, by type.

The server is a child process with a SIGUSR1 handler that writes a snapshot (and an object
census) to a file; nothing of it runs in the server unless this script starts it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import linecache
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import jwt
import websockets

from benchmarks.servers import BENCH_NAMESPACE, free_port, pinned, roomcast_env
from server.asgi import uvicorn_flags

REPO = Path(__file__).resolve().parent.parent
SECRET = "roomcast-bench-secret-0123456789-abcdefghijklmnop"
WARMUP = 50

# Runs in the server process: tracemalloc (when asked), a SIGUSR1 snapshot, then uvicorn.
_SERVER = r"""
import gc, json, os, signal, sys, tracemalloc
from collections import Counter
frames = int(os.environ["RC_MEM_FRAMES"])
out = os.environ["RC_MEM_OUT"]
def dump(signum, frame):
    gc.collect()
    if frames and not tracemalloc.is_tracing():
        tracemalloc.start(frames)  # at the first dump: start-up itself is not traced
    census = Counter(type(o).__qualname__ for o in gc.get_objects())
    if frames:
        tracemalloc.take_snapshot().dump(out + ".snap")
    with open(out + ".tmp", "w") as f:
        json.dump(census, f)
    os.replace(out + ".tmp", out + ".census")
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["uvicorn", *sys.argv[1:]]
from uvicorn.main import main
main()
"""


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Server:
    def __init__(self, frames: int, work: Path) -> None:
        self.port = free_port()
        self.out = work / f"mem-{frames}"
        data = work / f"data-{frames}"
        data.mkdir()
        env = roomcast_env(
            SECRET,
            data / "roomcast.sqlite3",
            data,
            RC_MEM_FRAMES=str(frames),
            RC_MEM_OUT=str(self.out),
        )
        argv = [
            sys.executable, "-c", _SERVER, "--factory", "server.asgi:create",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--log-level", "warning", "--backlog", "1024", *uvicorn_flags(),
        ]  # fmt: skip
        self.log = open(work / f"server-{frames}.log", "ab")  # noqa: SIM115 - closed in stop
        self.proc = subprocess.Popen(
            pinned("0", argv), cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    async def ready(self) -> None:
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log.name}")
            try:
                _, w = await asyncio.open_connection("127.0.0.1", self.port)
                w.close()
                return
            except OSError:
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not listen")

    async def dump(self) -> dict:
        return await asyncio.to_thread(self._dump)

    def _dump(self) -> dict:
        census = Path(str(self.out) + ".census")
        census.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(1200):
            if census.exists():
                return json.loads(census.read_text())
            time.sleep(0.05)
        raise RuntimeError("no snapshot")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


async def connect_one(port: int, i: int):
    token = jwt.encode({"sub": f"u{i}"}, SECRET, algorithm="HS256")
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket",
        compression=None,
        open_timeout=60,
    )
    opened = await ws.recv()
    assert opened.startswith("0"), opened
    await ws.send(f"40{BENCH_NAMESPACE},{json.dumps({'token': token})}")
    answer = await ws.recv()
    assert answer.startswith(f"40{BENCH_NAMESPACE},"), answer
    return ws


async def connect_many(port: int, n: int, start: int = 0, concurrency: int = 50) -> list:
    clients: list = []
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            clients.append(await connect_one(port, i))

    await asyncio.gather(*(one(start + i) for i in range(n)))
    return clients


async def close_all(clients: list) -> None:
    await asyncio.gather(*(c.close() for c in clients))


async def measure(frames: int, n: int, work: Path) -> tuple[float, dict, dict, object]:
    """(RSS KiB per connection, census before, census after, snapshots or None)."""
    server = Server(frames, work)
    try:
        await server.ready()
        await close_all(await connect_many(server.port, WARMUP, start=10**6))
        await asyncio.sleep(0.5)
        before = await server.dump()
        snap0 = tracemalloc.Snapshot.load(str(server.out) + ".snap") if frames else None
        rss0 = rss_kib(server.proc.pid)
        clients = await connect_many(server.port, n)
        await asyncio.sleep(1.0)  # as loadgen's s1 does before reading RSS
        rss1 = rss_kib(server.proc.pid)
        after = await server.dump()
        snap1 = tracemalloc.Snapshot.load(str(server.out) + ".snap") if frames else None
        await close_all(clients)
    finally:
        server.stop()
    return (rss1 - rss0) / n, before, after, (snap0, snap1)


def report(n: int, rss: float, before: dict, after: dict, snaps, top: int, depth: int) -> None:
    print(f"RSS delta: {rss:.2f} KiB per connection ({n} connections, tracemalloc off)")
    snap0, snap1 = snaps
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    snap0, snap1 = snap0.filter_traces(ignore), snap1.filter_traces(ignore)
    stats = snap1.compare_to(snap0, "lineno")
    total = sum(s.size_diff for s in stats)
    print(f"\ntracemalloc: {total / n:.0f} B per connection in all ({total / n / 1024:.2f} KiB)")
    print(f"{'B/conn':>8} {'blocks/conn':>11}  site")
    for s in stats[:top]:
        frame = s.traceback[0]
        where = f"{_short(frame.filename)}:{frame.lineno}"
        code = linecache.getline(frame.filename, frame.lineno).strip()[:60]
        print(f"{s.size_diff / n:8.0f} {s.count_diff / n:11.2f}  {where:<55} {code}")
    by_file: dict[str, list] = {}
    for s in stats:
        entry = by_file.setdefault(_short(s.traceback[0].filename), [0, 0])
        entry[0] += s.size_diff
        entry[1] += s.count_diff
    print(f"\nby file (the allocating line's file)\n{'B/conn':>8} {'blocks/conn':>11}  file")
    for name, (size, count) in sorted(by_file.items(), key=lambda kv: -kv[1][0])[:top]:
        if abs(size) / n >= 16:
            print(f"{size / n:8.0f} {count / n:11.2f}  {name}")
    if depth > 1:
        print(f"\nthe top {min(top, 10)} call chains (outermost first, the last {depth} frames)")
        for s in snap1.compare_to(snap0, "traceback")[: min(top, 10)]:
            print(f"{s.size_diff / n:8.0f} B/conn {s.count_diff / n:6.2f} blocks/conn")
            for frame in list(s.traceback)[:depth]:
                code = linecache.getline(frame.filename, frame.lineno).strip()[:60]
                print(f"           {_short(frame.filename) + ':' + str(frame.lineno):<55} {code}")
    grown = {k: (after.get(k, 0) - before.get(k, 0)) / n for k in after}
    print(f"\ngc-tracked objects per connection: {sum(grown.values()):.1f}")
    for name, count in sorted(grown.items(), key=lambda kv: -kv[1])[:top]:
        if count >= 0.5:
            print(f"{count:8.2f}  {name}")


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(REPO) + "/", "lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


async def amain(args) -> None:
    with tempfile.TemporaryDirectory(prefix="rc-mem-") as tmp:
        work = Path(tmp)
        rss, _, _, _ = await measure(0, args.clients, work)
        _, before, after, snaps = await measure(args.frames, args.clients, work)
        report(args.clients, rss, before, after, snaps, args.top, args.frames)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=2000)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--frames", type=int, default=8, help="traceback depth kept by tracemalloc")
    args = p.parse_args(argv)
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    t0 = time.monotonic()
    asyncio.run(amain(args))
    print(f"\n({time.monotonic() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
