"""The servers under test: how each one is started fresh, pinned to CPU 0, and stopped.

roomcast        Roomcast itself (`uvicorn --factory server.asgi:create`), SQLite, in-memory manager
roomcast-base   the same from another git revision (`--baseline REF`: a temporary git worktree,
                this venv), so before/after figures come from one run
roomcast-redis  the same with ROOMCAST_REDIS_URL (python-socketio's Redis manager), own prefix
roomcast-redis-x2  two such nodes on one Redis prefix and one SQLite file, both on CPU 0; the
                generator spreads its clients over both (client i -> node i % 2)
stock           shared/bench/peers/uvicorn_sio.py: stock python-socketio under uvicorn
node            shared/bench/peers/node_sio.js: Node.js socket.io 4.x (the speed anchor)
"""

from __future__ import annotations

import json
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

from server.asgi import uvicorn_flags

SERVER_NAMES = ("roomcast", "stock", "node", "roomcast-redis", "roomcast-redis-x2", "roomcast-base")
DEFAULT_SERVERS = SERVER_NAMES[:4]
BASELINE_NAME = "roomcast-base"
ROOMCAST_KINDS = {"roomcast", "roomcast-redis", "roomcast-redis-x2", BASELINE_NAME}
REDIS_KINDS = {"roomcast-redis", "roomcast-redis-x2"}
# the product paths talk to one URL and one process: single-node servers only
PRODUCT_KINDS = {"roomcast", "roomcast-redis", BASELINE_NAME}
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
    baseline: Path | None = None  # checkout of --baseline REF (roomcast-base runs from it)
    baseline_flags: list[str] = field(default_factory=list)  # its own uvicorn_flags()


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


@dataclass
class Group:
    """One server under test: one process, or several nodes of a cluster."""

    name: str
    nodes: list[Running]

    @property
    def url(self) -> str:
        return self.nodes[0].url

    @property
    def pid(self) -> int:
        return self.nodes[0].pid

    @property
    def urls(self) -> str:
        return ",".join(n.url for n in self.nodes)

    @property
    def pids(self) -> str:
        return ",".join(str(n.pid) for n in self.nodes)


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


def roomcast_env(secret: str, db: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a benchmarked Roomcast node: the /bench namespace, no rate limits,
    SQLite at `db`, quiet logs; `extra` adds or overrides settings."""
    return clean_env(
        ROOMCAST_ENV="development",
        ROOMCAST_BENCH="1",
        ROOMCAST_RATE_LIMITS="off",
        ROOMCAST_JWT_SECRET=secret,
        ROOMCAST_DATABASE_URL=f"sqlite://{db}",
        ROOMCAST_DATA_DIR=str(data_dir),
        ROOMCAST_LOG_LEVEL="WARNING",
        **extra,
    )


def start(name: str, rig: Rig, rep: int) -> Group:
    """Start `name` fresh (every node of it) and wait until each node's port answers."""
    if name not in SERVER_NAMES:
        raise ValueError(f"unknown server {name!r}; known: {', '.join(SERVER_NAMES)}")
    group = Group(name, [])
    try:
        if name in ROOMCAST_KINDS:
            data_dir = rig.workdir / f"{name}-rep{rep}"
            data_dir.mkdir(parents=True, exist_ok=True)
            db = data_dir / "roomcast.sqlite3"
            if rig.template_db is not None:
                shutil.copyfile(rig.template_db, db)
            prefix = f"bench-{uuid.uuid4().hex[:12]}"
            for k in range(2 if name.endswith("-x2") else 1):
                group.nodes.append(_roomcast(name, rig, rep, k, data_dir, db, prefix))
            group.nodes[0].data_dir = data_dir  # removed when the first node stops
        else:
            group.nodes.append(_peer(name, rig, rep))
        for node in group.nodes:
            wait_port(node)
    except Exception:
        stop(group)
        raise
    return group


def _roomcast(name: str, rig: Rig, rep: int, k: int, data_dir: Path, db: Path, prefix: str):
    port = free_port()
    env = roomcast_env(rig.secret, db, data_dir, ROOMCAST_ACCESS_TOKEN_TTL="86400")
    if name in REDIS_KINDS:
        if not rig.redis_url:
            raise RuntimeError(f"{name} needs a Redis (redis-server or --redis-url)")
        env["ROOMCAST_REDIS_URL"] = rig.redis_url
        env["ROOMCAST_REDIS_PREFIX"] = prefix  # one per start: nodes of a start share it
    argv = [
        rig.python, "-m", "uvicorn", "--factory", "server.asgi:create",
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--backlog", "1024",
        # Roomcast as shipped: `roomcast serve` runs uvicorn with server.asgi.UVICORN_OPTIONS
        # (the baseline's own options for roomcast-base).
        *(rig.baseline_flags if name == BASELINE_NAME else uvicorn_flags()),
    ]  # fmt: skip
    suffix = f"-node{k}" if name.endswith("-x2") else ""
    cwd = rig.repo
    if name == BASELINE_NAME:
        if rig.baseline is None:
            raise RuntimeError(f"{name} needs --baseline REF")
        # `python -m` puts the working directory first on sys.path: the baseline's packages
        # shadow this checkout's editable install (PYTHONPATH says so twice)
        cwd = rig.baseline
        env["PYTHONPATH"] = str(rig.baseline)
    return _spawn(name, rig, rep, port, argv, env, cwd, suffix)


def _peer(name: str, rig: Rig, rep: int) -> Running:
    port = free_port()
    env = clean_env(PORT=str(port), BENCH_SECRET=rig.secret, BENCH_NAMESPACE=BENCH_NAMESPACE)
    env.pop("REDIS_URL", None)  # the peers switch to their Redis adapter when it is set
    if name == "stock":
        argv = [rig.python, str(rig.shared / "peers" / "uvicorn_sio.py")]
    else:
        env["NODE_PATH"] = str(rig.node_modules)
        argv = ["node", str(rig.shared / "peers" / "node_sio.js")]
    return _spawn(name, rig, rep, port, argv, env, rig.shared, "")


def _spawn(name, rig: Rig, rep: int, port: int, argv, env, cwd: Path, suffix: str) -> Running:
    log = rig.logdir / f"{rig.stamp}-{name}-rep{rep}{suffix}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            pinned(SERVER_CPU, argv), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Running(name, proc, port, log)


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


def stop(target: Group | Running | subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; only processes this runner started."""
    if isinstance(target, Group):
        for node in target.nodes:
            stop(node, grace)
        return
    proc = target.proc if isinstance(target, Running) else target
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if isinstance(target, Running) and target.data_dir is not None:
        shutil.rmtree(target.data_dir, ignore_errors=True)


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


def checkout_baseline(repo: Path, ref: str, workdir: Path, python: str) -> tuple[Path, str, list]:
    """`git worktree add --detach` of `ref` under `workdir`: (its path, its short commit, the
    uvicorn flags its server.asgi asks for). Remove it with `remove_baseline`."""
    path = workdir / "baseline"
    subprocess.run(
        ["git", "-C", str(repo), "worktree", "add", "--detach", "--quiet", str(path), ref],
        check=True,
    )
    commit = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    probe = (
        "import json, server.asgi; from server.asgi import uvicorn_flags; "
        "print(json.dumps([server.asgi.__file__, uvicorn_flags()]))"
    )
    out = subprocess.run(
        [python, "-c", probe], cwd=path, capture_output=True, text=True, check=True,
        env=clean_env(PYTHONPATH=str(path), PYTHONWARNINGS="ignore"),
    ).stdout  # fmt: skip
    where, flags = json.loads(out.strip().splitlines()[-1])
    if not Path(where).resolve().is_relative_to(path.resolve()):
        raise RuntimeError(f"the baseline imports `server` from {where}, not from {path}")
    return path, commit, flags


def remove_baseline(repo: Path, path: Path) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "worktree", "remove", "--force", str(path)],
        check=False, capture_output=True,
    )  # fmt: skip
    subprocess.run(["git", "-C", str(repo), "worktree", "prune"], check=False)


def python_for_peers(repo: Path) -> str:
    venv = repo / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable
