"""Server CPU per REST request (the HTTP floor): /health, /api/v1/auth/me, POST /api/v1/alerts.

    .venv/bin/python -m benchmarks.rest_cpu REPO [--n 5000] [--prof OUT --route alerts]

Starts REPO's server (uvicorn with REPO's own server.asgi flags, pinned to CPU 0, no sockets
connected) on a copy of a benchmarks.prepare_db database, sends N requests per route with 16
in flight over keep-alive connections from CPU 1, and prints the server's CPU (/proc utime +
stime) per request. `--prof OUT` samples the server with py-spy (raw format) during `--route`.
REPO is a checkout (e.g. a `git archive` of main for "before"), run with this venv.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.servers import free_port, pinned, roomcast_env

HERE = Path(__file__).resolve().parent.parent
SECRET = "rest-cpu-secret-of-32-bytes-or-more"
WORK = Path("/tmp/roomcast-rest-cpu")
IN_FLIGHT = 16


def start_server(repo: str, db: Path) -> tuple[subprocess.Popen, int]:
    env = roomcast_env(SECRET, db, WORK, PYTHONPATH=repo)
    probe = "import json; from server.asgi import uvicorn_flags; print(json.dumps(uvicorn_flags()))"
    flags = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], cwd=repo, env=env, capture_output=True, check=True
        ).stdout
    )
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "--factory"]
    argv += ["server.asgi:create", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--log-level", "warning", *flags]
    return subprocess.Popen(pinned("0", argv), cwd=repo, env=env), port


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request(route: str, i: int, tokens: dict) -> bytes:
    staff = tokens["staff"]["token"]
    if route == "health":
        return b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
    if route == "me":
        head = f"GET /api/v1/auth/me HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {staff}\r\n\r\n"
        return head.encode()
    user = tokens["users"][i % len(tokens["users"])]["id"]
    body = json.dumps(
        {"user_id": user, "breach_id": f"b{i}", "severity": "HIGH", "title": "t", "confidence": 0.9}
    ).encode()
    head = (
        f"POST /api/v1/alerts HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {staff}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def one_connection(port, route, counter, n, statuses, tokens) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while counter[0] < n:
        i = counter[0]
        counter[0] += 1
        writer.write(request(route, i, tokens))
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        statuses[status] = statuses.get(status, 0) + 1
        length = None
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if length is not None:
            await reader.readexactly(length)
            continue
        while True:  # chunked
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    writer.close()


async def run(port, route, n, tokens) -> dict[int, int]:
    counter, statuses = [0], {}
    await asyncio.gather(
        *(one_connection(port, route, counter, n, statuses, tokens) for _ in range(IN_FLIGHT))
    )
    return statuses


async def measure(args, proc, port, tokens) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.1)
    for route in args.routes.split(","):
        await run(port, route, 300, tokens)  # warm-up
        spy = None
        if args.prof and route == args.route:
            argv = [str(Path(sys.executable).parent / "py-spy"), "record", "--gil", "-r", "250"]
            argv += ["-f", "raw", "--pid", str(proc.pid), "-o", args.prof, "--nonblocking"]
            spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
            await asyncio.sleep(1.0)
        c0, t0 = cpu_seconds(proc.pid), time.monotonic()
        statuses = await run(port, route, args.n, tokens)
        c1, t1 = cpu_seconds(proc.pid), time.monotonic()
        if spy is not None:
            spy.send_signal(2)
            spy.wait()
        print(
            f"{route}: {1e6 * (c1 - c0) / args.n:.0f} us CPU/request, "
            f"{args.n / (t1 - t0):.0f} req/s, server {100 * (c1 - c0) / (t1 - t0):.0f}%, "
            f"statuses {statuses}",
            flush=True,
        )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("repo", help="the checkout to run")
    p.add_argument("--n", type=int, default=5000, help="requests per route")
    p.add_argument("--routes", default="health,me,alerts")
    p.add_argument("--prof", help="py-spy raw output file")
    p.add_argument("--route", default="alerts", help="the route --prof samples")
    args = p.parse_args()
    WORK.mkdir(exist_ok=True)
    template, tokens_file = WORK / "template.sqlite3", WORK / "tokens.json"
    if not tokens_file.exists():
        argv = [sys.executable, "-m", "benchmarks.prepare_db", "--db", str(template)]
        argv += ["--users", "1000", "--secret", SECRET, "--tokens", str(tokens_file)]
        subprocess.run(argv, cwd=HERE, check=True)
    tokens = json.loads(tokens_file.read_text())
    db = WORK / "run.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, db)
    proc, port = start_server(args.repo, db)
    os.sched_setaffinity(0, {1})
    try:
        asyncio.run(measure(args, proc, port, tokens))
    finally:
        proc.terminate()
        proc.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
