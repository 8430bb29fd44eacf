"""`roomcast cluster N`: N nodes on one database and one Redis behind a real nginx.

The command migrates once, starts N `roomcast serve --no-migrate` processes on 127.0.0.1,
waits until each answers /ready, renders deploy/nginx/local.conf.template into its state
directory, runs nginx in the foreground as a child, and waits until /ready answers through
nginx. It then prints one line per node and `listening on http://HOST:PORT`. Ctrl-C or
SIGTERM stops nginx, then every node (SIGTERM, a bounded wait, then SIGKILL; a second
signal kills at once). A child that exits by itself stops the whole cluster (exit code 1).

The children run in their own process group, so a Ctrl-C in the terminal reaches only this
process (a second signal would make uvicorn skip its graceful drain); on Linux they also get
SIGTERM should this process die without stopping them (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from server import cluster_nginx
from server.cluster_nginx import ClusterError
from server.cluster_procs import Child, ready, spawn, tail, terminate
from server.settings import Settings

MAX_NODES = 64
READY_TIMEOUT = 90.0  # seconds for every node, then nginx, to answer /ready
POLL = 0.2


@dataclass
class ClusterOptions:
    nodes: int
    host: str = "127.0.0.1"
    port: int = 8080
    base_port: int = 8001
    redis_url: str | None = None
    database_url: str | None = None
    demo: bool = False
    state_dir: str | None = None
    nginx: str | None = None
    stop_timeout: float = 20.0


def redact(url: str) -> str:
    """The URL without its password, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _check_free(host: str, port: int, what: str) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        # As nginx and uvicorn do: connections in TIME_WAIT do not make the port busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise ClusterError(f"{what}: cannot listen on {host}:{port} ({exc.strerror})") from None


def plan_settings(options: ClusterOptions, settings: Settings) -> Settings:
    """The shared settings of every node, or a clear refusal."""
    if not 1 <= options.nodes <= MAX_NODES:
        raise ClusterError(f"the node count must be between 1 and {MAX_NODES}, got {options.nodes}")
    changes: dict[str, object] = {}
    if options.redis_url:
        changes["redis_url"] = options.redis_url
    if options.database_url:
        changes["database_url"] = options.database_url
    settings = settings.with_changes(**changes) if changes else settings
    if options.nodes > 1 and not settings.redis_url:
        raise ClusterError(
            "several nodes need Redis for cross-node events: set ROOMCAST_REDIS_URL "
            "or pass --redis-url redis://127.0.0.1:6379/0"
        )
    if options.nodes > 1 and settings.database_url.startswith("sqlite"):
        raise ClusterError(
            "several nodes need one PostgreSQL database, not SQLite: set ROOMCAST_DATABASE_URL "
            "or pass --database-url postgres://USER@127.0.0.1:5432/DB"
        )
    return settings


def _ports(options: ClusterOptions) -> tuple[int, list[int]]:
    port = options.port or _free_port()
    if options.base_port:
        nodes = [options.base_port + i for i in range(options.nodes)]
    else:
        nodes = [_free_port() for _ in range(options.nodes)]
    if port in nodes or len(set(nodes)) != len(nodes) or max(nodes) > 65535:
        raise ClusterError(f"the nginx port {port} and the node ports {nodes} must all differ")
    _check_free(options.host, port, "nginx")
    for number, node_port in enumerate(nodes, 1):
        _check_free("127.0.0.1", node_port, f"node {number}")
    return port, nodes


def _node_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["ROOMCAST_DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env["ROOMCAST_REDIS_URL"] = settings.redis_url
    # One secret for every node (the generated development secret too).
    env["ROOMCAST_JWT_SECRET"] = settings.jwt_secret
    # The nodes must believe nginx's X-Forwarded-* headers: it connects from 127.0.0.1.
    proxies = list(settings.trusted_proxies)
    if "127.0.0.1" not in proxies:
        proxies.append("127.0.0.1")
    env["ROOMCAST_TRUSTED_PROXIES"] = ",".join(proxies)
    return env


class Cluster:
    """The running children, in start order (nodes, then nginx)."""

    def __init__(self, options: ClusterOptions) -> None:
        self.options = options
        self.children: list[Child] = []
        self.stopping: str | None = None  # the signal's name once one arrived
        self.draining = False  # stop() is running

    def _on_signal(self, number: int, frame) -> None:
        if self.draining:
            # A second Ctrl-C while stopping: do not wait any longer (no print here, a
            # signal handler may interrupt a print in progress).
            for child in self.children:
                if child.proc.poll() is None:
                    child.proc.kill()
            return
        self.stopping = self.stopping or signal.Signals(number).name  # the first one counts

    def _died(self) -> Child | None:
        return next((c for c in self.children if c.proc.poll() is not None), None)

    def _wait_ready(self, name: str, url: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready(url):
            if self.stopping:
                return
            dead = self._died()
            if dead is not None:
                raise ClusterError(
                    f"{dead.name} exited with code {dead.proc.returncode} while starting "
                    f"(log {dead.log}):\n{tail(dead.log)}"
                )
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{name} ({url}) did not answer /ready within {READY_TIMEOUT:.0f} s"
                )
            time.sleep(POLL)

    def run(self, settings: Settings) -> int:
        options = self.options
        nginx = cluster_nginx.find_nginx(options.nginx)
        port, node_ports = _ports(options)
        state = Path(options.state_dir or tempfile.mkdtemp(prefix="roomcast-cluster-")).resolve()
        (state / "logs").mkdir(parents=True, exist_ok=True)
        listen_host = f"[{options.host}]" if ":" in options.host else options.host
        config = cluster_nginx.write_config(
            state,
            listen=f"{listen_host}:{port}",
            upstreams=[f"127.0.0.1:{p}" for p in node_ports],
            max_body_bytes=settings.max_body_bytes,
            max_socket_message_bytes=settings.max_socket_message_bytes,
        )
        cluster_nginx.check_config(nginx, config, state)
        shown = "127.0.0.1" if options.host in ("0.0.0.0", "::") else listen_host
        url = f"http://{shown}:{port}"

        print(
            f"roomcast cluster: {options.nodes} node(s) on {redact(settings.database_url)}"
            + (f" and {redact(settings.redis_url)}" if settings.redis_url else "")
            + f"; state in {state}",
            flush=True,
        )
        _prepare(settings, demo=options.demo)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        try:
            return self._serve(settings, nginx, config, state, node_ports, url)
        finally:
            self.stop()

    def _serve(self, settings, nginx, config, state, node_ports, url) -> int:
        env = _node_env(settings)
        for number, node_port in enumerate(node_ports, 1):
            argv = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1"]
            argv += ["--port", str(node_port), "--no-migrate"]
            log = state / "logs" / f"node-{number}.log"
            self.children.append(spawn(f"node {number}", argv, log, env))
        for number, (child, node_port) in enumerate(zip(self.children, node_ports, strict=True), 1):
            self._wait_ready(child.name, f"http://127.0.0.1:{node_port}")
            if self.stopping:
                return 0
            pid = child.proc.pid
            print(
                f"node {number}: http://127.0.0.1:{node_port} (pid {pid}, log {child.log})",
                flush=True,
            )
        argv = cluster_nginx.command(nginx, config, state)
        self.children.append(spawn("nginx", argv, state / "logs" / "nginx.out"))
        self._wait_ready("nginx", url)
        if self.stopping:
            return 0
        print(f"nginx: pid {self.children[-1].proc.pid}, config {config}", flush=True)
        if self.options.demo:
            from server.demo import demo_table

            print(demo_table(url + "/"), flush=True)
        print(f"listening on {url} (Ctrl-C stops the cluster)", flush=True)
        while not self.stopping:
            dead = self._died()
            if dead is not None:
                print(
                    f"{dead.name} exited with code {dead.proc.returncode} (log {dead.log}): "
                    "stopping the cluster",
                    file=sys.stderr,
                    flush=True,
                )
                return 1
            time.sleep(POLL)
        return 0

    def stop(self) -> None:
        """nginx first (no new traffic), then every node at once; bounded, then SIGKILL."""
        alive = [c for c in self.children if c.proc.poll() is None]
        if not alive:
            return
        self.draining = True
        why = f" ({self.stopping})" if self.stopping else ""
        nodes = sum(1 for c in alive if c.name != "nginx")
        what = f"{nodes} node(s)"
        if any(c.name == "nginx" for c in alive):
            what = f"nginx and {what}"
        limit = self.options.stop_timeout
        print(f"stopping{why}: {what}, up to {limit:.0f} s (again: kill now)", flush=True)
        started = time.monotonic()
        nginx = [c for c in alive if c.name == "nginx"]
        terminate(nginx, timeout=5.0)
        terminate([c for c in alive if c.name != "nginx"], timeout=self.options.stop_timeout)
        print(f"stopped in {time.monotonic() - started:.1f} s", flush=True)


def _prepare(settings: Settings, *, demo: bool) -> None:
    """Migrate once (the nodes start with --no-migrate) and seed the demo data if asked."""
    from server.db import close_database, open_database
    from server.demo import seed_demo
    from server.migrate import apply_migrations

    async def work() -> None:
        for name in await apply_migrations(settings.database_url):
            print(f"applied {name}", flush=True)
        if demo:
            await open_database(settings.database_url)
            try:
                await seed_demo()
            finally:
                await close_database()

    asyncio.run(work())


def run_cluster(options: ClusterOptions, settings: Settings) -> int:
    settings = plan_settings(options, settings)
    return Cluster(options).run(settings)
