"""`roomcast cluster N` as an operator runs it: it starts, serves /ready through nginx, and
stops cleanly on SIGTERM with no process left behind; it refuses clearly what cannot work."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.cluster.conftest import cluster_env, nginx_or_skip, start_cluster
from tests.harness import REDIS_URL

STRONG_SECRET = "k7Qp2Zr9Lm4Xv8Tn1Bw6Yc3Hd5Jf0Gs!"  # passes production's weak-secret check


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc: the nodes, nginx's master and worker)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def test_cluster_2_serves_through_nginx_and_stops_cleanly_on_sigterm(pg_database, tmp_path):
    nginx_or_skip()
    running = start_cluster(cluster_env(pg_database), tmp_path, "2", "--stop-timeout", "20")
    try:
        await running.read_until_listening()
        assert len(running.nodes) == 2
        async with httpx.AsyncClient(timeout=10) as http:
            ready = await http.get(running.url + "/ready")
            assert ready.status_code == 200, ready.text
            assert ready.headers["server"].startswith("nginx")
            for node in running.nodes:
                assert (await http.get(node + "/ready")).status_code == 200
        children = descendants(running.proc.pid)
        # two nodes, nginx's master and its worker
        assert set(running.node_pids) <= children and len(children) >= 4, children
        assert (tmp_path / "nginx.pid").is_file()
    finally:
        code = await running.stop()
    out = running.text()
    assert code == 0, out
    assert "stopping (SIGTERM): nginx and 2 node(s)" in out and "stopped in" in out, out
    assert "killed" not in out, out
    # The command waited for its children, and nginx's master for its worker: all gone now.
    assert not [pid for pid in children if alive(pid)], out
    ports = [running.port] + [int(url.rsplit(":", 1)[1]) for url in running.nodes]
    assert not [port for port in ports if port_open(port)]
    assert not (tmp_path / "nginx.pid").exists()  # nginx removed it: it stopped, not died


async def test_ctrl_c_stops_a_one_node_cluster(tmp_path):
    """SIGINT (Ctrl-C) reaches only the command (its children have their own process group)
    and stops everything like SIGTERM; one node needs neither Redis nor PostgreSQL."""
    nginx_or_skip()
    env = cluster_env(f"sqlite://{tmp_path / 'one.sqlite3'}", ROOMCAST_DATA_DIR=str(tmp_path))
    env.pop("ROOMCAST_REDIS_URL")
    running = start_cluster(env, tmp_path / "state", "1")
    try:
        await running.read_until_listening()
        children = descendants(running.proc.pid)
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(running.url + "/ready")).status_code == 200
        running.proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(asyncio.to_thread(running.proc.wait), 30)
    finally:
        await running.stop()
    out = running.text()
    assert code == 0, out
    assert "stopping (SIGINT): nginx and 1 node(s)" in out, out
    assert not [pid for pid in children if alive(pid)], out


async def test_a_node_that_dies_stops_the_whole_cluster(tmp_path):
    nginx_or_skip()
    database = f"sqlite://{tmp_path / 'one.sqlite3'}"
    env = cluster_env(database, ROOMCAST_DATA_DIR=str(tmp_path))
    env.pop("ROOMCAST_REDIS_URL")  # one node needs neither Redis nor PostgreSQL
    running = start_cluster(env, tmp_path / "state", "1")
    try:
        await running.read_until_listening()
        children = descendants(running.proc.pid)
        os.kill(running.node_pids[0], signal.SIGKILL)
        code = await asyncio.wait_for(asyncio.to_thread(running.proc.wait), 30)
    finally:
        await running.stop()
    out = running.text()
    assert code == 1, out
    assert "node 1 exited with code -9" in out, out
    # The command waited for its children, and nginx's master for its worker: all gone now.
    assert not [pid for pid in children if alive(pid)], out


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "cluster", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def refusal_env(**extra: str) -> dict[str, str]:
    env = cluster_env("postgres://postgres@127.0.0.1:5432/never_used", **extra)
    env.pop("ROOMCAST_REDIS_URL")
    return env


@pytest.mark.parametrize(
    ("args", "env_extra", "expected"),
    [
        (["2"], {}, "several nodes need Redis"),
        (["2"], {}, "--redis-url"),
        (
            ["2", "--redis-url", REDIS_URL],
            {"ROOMCAST_DATABASE_URL": "sqlite://x.sqlite3"},
            "several nodes need one PostgreSQL database",
        ),
        (["0"], {}, "between 1 and 64"),
        (["1", "--port", "70000"], {}, "--port must be between 0 and 65535"),
        (["1", "--nginx", "/nonexistent/nginx"], {}, "apt-get install -y nginx"),
        (
            ["1", "--demo"],
            {"ROOMCAST_ENV": "production", "ROOMCAST_JWT_SECRET": STRONG_SECRET},
            "not with ROOMCAST_ENV=production",
        ),
    ],
)
def test_cluster_refuses_clearly(tmp_path, args, env_extra, expected):
    env = refusal_env(ROOMCAST_DATA_DIR=str(tmp_path), **env_extra)
    done = run_cli(env, *args, "--state-dir", str(tmp_path / "state"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("roomcast cluster: error: "), done.stderr
    assert expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_cluster_refuses_a_busy_port(tmp_path):
    nginx_or_skip()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = refusal_env(ROOMCAST_DATA_DIR=str(tmp_path))
        done = run_cli(env, "1", "--port", str(port), "--state-dir", str(tmp_path / "s"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"nginx: cannot listen on 127.0.0.1:{port}" in done.stderr, done.stderr
