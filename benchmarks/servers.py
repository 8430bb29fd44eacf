"""The servers under test: how each one is started fresh, pinned to CPU 0, and stopped.

roomcast        Roomcast itself (`uvicorn --factory server.asgi:create`), SQLite, in-memory manager
roomcast-redis  the same with ROOMCAST_REDIS_URL (python-socketio's Redis manager), own prefix
stock           shared/bench/peers/uvicorn_sio.py: stock python-socketio under uvicorn
node            shared/bench/peers/node_sio.js: Node.js socket.io 4.x (the speed anchor)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

SERVER_NAMES = ("roomcast", "stock", "node", "roomcast-redis")
ROOMCAST_KINDS = {"roomcast", "roomcast-redis"}
BENCH_NAMESPACE = "/bench"
SERVER_CPU, GENERATOR_CPU = "0", "1"


@dataclass
class Rig:
    """What every server start needs: paths, the shared secret, the prepared database."""

    repo: Path
    shared: Path  # shared/bench
    node_modules: Path
    python: str
    secret: str
    template_db: Path | None  # prepared SQLite (users + logins) copied for each Roomcast start
    workdir: Path  # scratch space for this run (data dirs)
    logdir: Path
    redis_url: str | None = None
    redis_pid: int | None = None
    stamp: str = ""


@dataclass
class Running:
    name: str
    proc: subprocess.Popen
    port: int
    log: Path
    data_dir: Path | None = None
    extra: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid


def free_port() -> int:
    """A port nobody listens on now (other helpers run servers on this machine too)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cpu: str, argv: list[str]) -> list[str]:
    # taskset execs the command: the child's pid is the server's own pid (for --server-pid).
    return ["taskset", "-c", cpu, *argv] if shutil.which("taskset") else argv


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without its ROOMCAST_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")}
    env.update(extra)
    return env


def start(name: str, rig: Rig, rep: int) -> Running:
    port = free_port()
    log = rig.logdir / f"{rig.stamp}-{name}-rep{rep}.log"
    data_dir = None
    if name in ROOMCAST_KINDS:
        data_dir = rig.workdir / f"{name}-rep{rep}"
        data_dir.mkdir(parents=True, exist_ok=True)
        db = data_dir / "roomcast.sqlite3"
        if rig.template_db is not None:
            shutil.copyfile(rig.template_db, db)
        env = clean_env(
            ROOMCAST_ENV="development",
            ROOMCAST_BENCH="1",
            ROOMCAST_RATE_LIMITS="off",
            ROOMCAST_JWT_SECRET=rig.secret,
            ROOMCAST_DATABASE_URL=f"sqlite://{db}",
            ROOMCAST_DATA_DIR=str(data_dir),
            ROOMCAST_LOG_LEVEL="WARNING",
            ROOMCAST_ACCESS_TOKEN_TTL="86400",
        )
        if name == "roomcast-redis":
            if not rig.redis_url:
                raise RuntimeError("roomcast-redis needs a Redis (redis-server or --redis-url)")
            env["ROOMCAST_REDIS_URL"] = rig.redis_url
            env["ROOMCAST_REDIS_PREFIX"] = f"bench-{uuid.uuid4().hex[:12]}"
        argv = [
            rig.python, "-m", "uvicorn", "--factory", "server.asgi:create",
            "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning", "--no-access-log", "--backlog", "1024",
        ]  # fmt: skip
        cwd = rig.repo
    elif name == "stock":
        env = clean_env(PORT=str(port), BENCH_SECRET=rig.secret, BENCH_NAMESPACE=BENCH_NAMESPACE)
        env.pop("REDIS_URL", None)
        argv = [rig.python, str(rig.shared / "peers" / "uvicorn_sio.py")]
        cwd = rig.shared
    elif name == "node":
        env = clean_env(
            PORT=str(port),
            BENCH_SECRET=rig.secret,
            BENCH_NAMESPACE=BENCH_NAMESPACE,
            NODE_PATH=str(rig.node_modules),
        )
        env.pop("REDIS_URL", None)
        argv = ["node", str(rig.shared / "peers" / "node_sio.js")]
        cwd = rig.shared
    else:
        raise ValueError(f"unknown server {name!r}; known: {', '.join(SERVER_NAMES)}")
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            pinned(SERVER_CPU, argv), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    running = Running(name, proc, port, log, data_dir)
    try:
        wait_port(running)
    except Exception:
        stop(running)
        raise
    return running


def wait_port(running: Running, timeout: float = 30.0) -> None:
    """Until the server accepts a TCP connection (uvicorn listens after its lifespan start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.proc.poll() is not None:
            raise RuntimeError(
                f"{running.name} exited with {running.proc.returncode}; see {running.log}"
            )
        try:
            with socket.create_connection(("127.0.0.1", running.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{running.name} did not open port {running.port} in {timeout:.0f} s")


def stop(running: Running | subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; only a process this runner started."""
    proc = running.proc if isinstance(running, Running) else running
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if isinstance(running, Running) and running.data_dir is not None:
        shutil.rmtree(running.data_dir, ignore_errors=True)


def start_redis(logdir: Path, stamp: str) -> tuple[subprocess.Popen, str]:
    """A private redis-server on CPU 0 (no persistence), so other helpers' Redis traffic
    does not land in our figures and its CPU can be measured apart (--redis-pid)."""
    exe = shutil.which("redis-server")
    if not exe:
        raise RuntimeError("redis-server not found (apt-get install redis-server, or --redis-url)")
    port = free_port()
    log = open(logdir / f"{stamp}-redis.log", "ab")  # noqa: SIM115 - lives as long as redis
    argv = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(pinned(SERVER_CPU, argv), stdout=log, stderr=subprocess.STDOUT)
    fake = Running("redis", proc, port, Path(log.name))
    wait_port(fake)
    return proc, f"redis://127.0.0.1:{port}"


def python_for_peers(repo: Path) -> str:
    venv = repo / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable
