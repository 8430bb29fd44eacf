"""N Roomcast nodes on N cores over one Redis, the generator on the cores left (issue 16).

    .venv/bin/python -m benchmarks.nodes                          # 1 and 2 nodes, s2+s4, 3 reps
    .venv/bin/python -m benchmarks.nodes --nodes 1,2,4,8 --reps 3 # on a machine with >= 10 cores
    .venv/bin/python -m benchmarks.nodes --plan --nodes 1,2,4     # print the core plan only

Node k runs on core k of the cores this process may use (`os.sched_getaffinity`), pinned with
`taskset`; a private `redis-server` (no persistence) gets the next core, the generator
(`shared/bench/loadgen.js`, one Node.js process: one core is all it uses) the ones after.
The clients are spread over the nodes (client i -> node i mod N). Each row carries its `plan`
and `shared` (True when some processes had to share a core): on a machine with fewer than
N + 2 cores a row is no scaling figure, only the CPU per delivery summed over the nodes is.
Rows go to benchmarks/results/nodes-<date>-<time>.jsonl; a table is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median

from benchmarks.run import SECRET, find_shared, prepare_node, raise_fd_limit
from benchmarks.servers import Running, free_port, roomcast_env, stop, wait_port
from server.asgi import uvicorn_flags

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def plan(nodes: int, cores: list[int]) -> dict:
    """Which core each node, Redis and the generator get; `shared` when any must share."""
    if nodes < 1 or not cores:
        raise ValueError("at least one node and one core")
    if len(cores) >= nodes + 2:
        return {
            "nodes": cores[:nodes],
            "redis": cores[nodes],
            "generator": cores[nodes + 1 :],
            "shared": False,
        }
    if len(cores) == nodes + 1:  # Redis beside node 0, the generator alone
        return {
            "nodes": cores[:nodes],
            "redis": cores[0],
            "generator": cores[nodes:],
            "shared": True,
        }
    # fewer cores than nodes + 1: the last core for the generator, the nodes round-robin on
    # the others (everything on one core when there is only one)
    servers = cores[:-1] or cores
    return {
        "nodes": [servers[k % len(servers)] for k in range(nodes)],
        "redis": servers[0],
        "generator": cores[-1:],
        "shared": True,
    }


def pinned(cores, argv: list[str]) -> list[str]:
    if not shutil.which("taskset"):
        return argv
    cpus = ",".join(str(c) for c in ([cores] if isinstance(cores, int) else cores))
    return ["taskset", "-c", cpus, *argv]


def start_redis(core: int, logdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    argv += ["--save", "", "--appendonly", "no"]
    with open(logdir / "nodes-redis.log", "ab") as log:
        proc = subprocess.Popen(pinned(core, argv), stdout=log, stderr=subprocess.STDOUT)
    wait_port(Running("redis", proc, port, logdir / "nodes-redis.log"))
    return proc, f"redis://127.0.0.1:{port}"


def start_node(k: int, core: int, redis_url: str, data_dir: Path, prefix: str, python: str, logdir):
    """One Roomcast node as benchmarks/servers.py starts `roomcast-redis` (its own core)."""
    port = free_port()
    env = roomcast_env(
        SECRET,
        data_dir / "roomcast.sqlite3",
        data_dir,
        ROOMCAST_REDIS_URL=redis_url,
        ROOMCAST_REDIS_PREFIX=prefix,
    )
    argv = [python, "-m", "uvicorn", "--factory", "server.asgi:create", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--log-level", "warning", "--backlog", "1024", *uvicorn_flags()]
    log = logdir / f"nodes-node{k}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            pinned(core, argv), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    running = Running(f"node{k}", proc, port, log)
    wait_port(running, timeout=60)  # the first node migrates the database
    return running


def run_once(n: int, cores: list[int], rep: int, args, node_modules: Path, shared: Path) -> None:
    layout = plan(n, cores)
    redis, redis_url = start_redis(layout["redis"], args.logdir)
    data_dir = Path(tempfile.mkdtemp(prefix="rc-nodes-"))
    prefix = f"nodes-{uuid.uuid4().hex[:10]}"
    nodes: list[Running] = []
    try:
        for k, core in enumerate(layout["nodes"]):
            nodes.append(start_node(k, core, redis_url, data_dir, prefix, args.python, args.logdir))
        time.sleep(1)
        label = f"rc-{n}-nodes"
        argv = ["node", str(shared / "loadgen.js"), "--url", ",".join(x.url for x in nodes)]
        argv += ["--namespace", "/bench", "--scenario", ",".join(args.scenarios)]
        argv += ["--secret", SECRET, "--server-pid", ",".join(str(x.pid) for x in nodes)]
        argv += ["--redis-pid", str(redis.pid), "--label", label, "--rep", str(rep)]
        argv += ["--timeout", "120", *args.loadgen_args.split()]
        env = {**os.environ, "NODE_PATH": str(node_modules)}
        proc = subprocess.run(
            pinned(layout["generator"], argv), env=env, capture_output=True, text=True
        )
        with open(args.out, "a") as f:
            for line in proc.stdout.splitlines():
                if line.startswith("{"):
                    row = {**json.loads(line), "nodes": n, "plan": layout}
                    row["shared"] = layout["shared"]
                    f.write(json.dumps(row) + "\n")
                    print(f"  {label} rep{rep} {row.get('scenario')}: {headline(row)}", flush=True)
        if proc.returncode != 0:
            print(f"  {label} rep{rep}: generator exited {proc.returncode}: {proc.stderr[-300:]}")
    finally:
        for node in nodes:
            stop(node)
        stop(redis)
        shutil.rmtree(data_dir, ignore_errors=True)


def headline(row: dict) -> str:
    keys = ("deliveries_per_s", "cpu_us_per_delivery", "redis_cpu_us_per_delivery", "missing")
    return ", ".join(f"{k} {row.get(k)}" for k in (*keys, "server_cpu_pct", "gen_cpu_pct"))


def print_table(path: Path) -> None:
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.startswith("{")]
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if "error" not in row and "nodes" in row:
            groups.setdefault((row["nodes"], row["scenario"]), []).append(row)
    base = {
        s: median(r["cpu_us_per_delivery"] for r in g) for (n, s), g in groups.items() if n == 1
    }
    rate = {s: median(r["deliveries_per_s"] for r in g) for (n, s), g in groups.items() if n == 1}
    print("| nodes | scenario | runs | deliveries/s | x 1 node | server CPU µs/delivery |"
          " x 1 node | Redis CPU µs/delivery | missing (sum) | cores shared |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (n, s), g in sorted(groups.items()):
        dps = median(r["deliveries_per_s"] for r in g)
        cpu = median(r["cpu_us_per_delivery"] for r in g)
        red = median(r.get("redis_cpu_us_per_delivery") or 0 for r in g)
        missing = sum(r.get("missing", 0) for r in g)
        x_rate = f"{dps / rate[s]:.2f}x" if rate.get(s) else "-"
        x_cpu = f"{cpu / base[s]:.2f}x" if base.get(s) else "-"
        print(f"| {n} | {s} | {len(g)} | {dps:,.0f} | {x_rate} | {cpu:.1f} | {x_cpu} | {red:.2f} |"
              f" {missing} | {'yes' if g[0]['shared'] else 'no'} |")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.nodes", description=__doc__)
    p.add_argument("--nodes", default="1,2", help="comma list of node counts (default 1,2)")
    p.add_argument("--scenarios", default="s2,s4", help="loadgen scenarios (default s2,s4)")
    p.add_argument("--reps", type=int, default=3, help="interleaved repetitions")
    p.add_argument("--plan", action="store_true", help="print the core plan and stop")
    p.add_argument("--shared", help="path to shared/bench (default: found beside the repo)")
    p.add_argument("--cache", type=Path, default=HERE / ".cache" / "node", help="npm ci here")
    p.add_argument("--out", type=Path, help="JSON lines file (default benchmarks/results/...)")
    p.add_argument("--loadgen-args", default="", help="extra loadgen options")
    p.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"))
    args = p.parse_args(argv)
    counts = [int(x) for x in args.nodes.split(",") if x.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    cores = sorted(os.sched_getaffinity(0))
    for n in counts:
        print(f"{n} node(s) on cores {cores}: {plan(n, cores)}")
    if args.plan:
        return
    shared = find_shared(args.shared)
    node_modules = prepare_node(shared, args.cache)
    raise_fd_limit()
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    args.out = args.out or results / f"nodes-{time.strftime('%Y-%m-%d-%H%M%S')}.jsonl"
    args.logdir = args.out.parent
    for rep in range(1, args.reps + 1):
        for n in counts:
            run_once(n, cores, rep, args, node_modules, shared)
    print(f"\nrows in {args.out}\n")
    print_table(args.out)


if __name__ == "__main__":
    main()
