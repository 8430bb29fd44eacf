"""Side-by-side benchmark: Roomcast vs stock python-socketio vs Node socket.io, one command.

    .venv/bin/python -m benchmarks.run                 # everything, 3 interleaved repetitions
    .venv/bin/python -m benchmarks.run --quick --reps 1 --scenarios s3 --servers roomcast,node
    .venv/bin/python -m benchmarks.run --baseline main --servers roomcast,node   # before/after

Each server is started fresh for each repetition on CPU 0; the generator runs on CPU 1. The
generator's JSON lines go to benchmarks/results/<date>-<time>.jsonl and a table of medians is
printed at the end (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import servers, table
from benchmarks.servers import (
    BASELINE_NAME,
    DEFAULT_SERVERS,
    GENERATOR_CPU,
    PRODUCT_KINDS,
    REDIS_KINDS,
    ROOMCAST_KINDS,
    SERVER_NAMES,
    Rig,
    pinned,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LOADGEN_SCENARIOS = ("s1", "s2", "s3", "s4")
PRODUCT_SCENARIOS = ("p1", "p2")
SECRET = "roomcast-bench-secret-0123456789-abcdefghijklmnop"
# --quick: a smoke run of every path in seconds, not a measurement
QUICK = {
    "s1": ["--clients", "200"],
    "s2": ["--clients", "200", "--messages", "20"],
    "s3": ["--clients", "20", "--duration", "2"],
    "s4": ["--clients", "200", "--messages", "2000"],
}
QUICK_PRODUCT = ["--clients", "100", "--messages", "20"]  # p1: one alert per user


def find_shared(explicit: str | None) -> Path:
    """shared/bench: --shared, else $ROOMCAST_BENCH_SHARED, else a `shared/bench` beside the
    repository or one of its parents (/work/main sits beside /work/shared)."""

    def bench_dir(path: Path) -> Path | None:
        for p in (path, path / "bench"):
            if (p / "loadgen.js").exists():
                return p.resolve()
        return None

    if explicit:  # a path given by hand that is wrong is an error, not a hint
        found = bench_dir(Path(explicit))
        if found is None:
            raise SystemExit(f"--shared {explicit}: no loadgen.js there (nor in its bench/)")
        return found
    candidates = [os.environ.get("ROOMCAST_BENCH_SHARED")]
    candidates += [str(p / "shared" / "bench") for p in [REPO, *REPO.parents]]
    for candidate in candidates:
        found = bench_dir(Path(candidate)) if candidate else None
        if found is not None:
            return found
    raise SystemExit("cannot find shared/bench/loadgen.js: pass --shared PATH")


def prepare_node(shared: Path, cache: Path) -> Path:
    """npm ci into our own cache dir (shared/ may be read-only); only when the lock changed."""
    if not shutil.which("node") or not shutil.which("npm"):
        raise SystemExit("node and npm are needed (apt-get install nodejs npm)")
    cache.mkdir(parents=True, exist_ok=True)
    lock = (shared / "package-lock.json").read_bytes()
    stamp = cache / "package-lock.json"
    if not (cache / "node_modules").is_dir() or not stamp.exists() or stamp.read_bytes() != lock:
        shutil.copyfile(shared / "package.json", cache / "package.json")
        stamp.write_bytes(lock)
        print(f"npm ci in {cache} ...", flush=True)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=cache, check=True
        )
    return cache / "node_modules"


def versions(node_modules: Path, python: str) -> dict:
    def npm_version(name: str) -> str | None:
        try:
            return json.loads((node_modules / name / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            return None

    def dist(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    def out(argv: list[str]) -> str | None:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = out(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = out(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"])
    return {
        "python": platform.python_version(),
        **{
            name: dist(name)
            for name in ("python-socketio", "python-engineio", "uvicorn", "websockets", "uvloop")
        },
        "node": out(["node", "--version"]),
        "socket.io": npm_version("socket.io"),
        "socket.io-client": npm_version("socket.io-client"),
        "redis-server": (out(["redis-server", "--version"]) or "").split(" v=")[-1].split(" ")[0]
        or None,
        "roomcast_commit": (commit or "?") + ("+dirty" if dirty else ""),
        "cpus": os.cpu_count(),
        "peer_python": python,
    }


def raise_fd_limit() -> None:
    # 2000 sockets on each side: the soft limit (often 1024) would refuse connections.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def run_node(argv: list[str], node_modules: Path, out: Path, label: str, rep: int, what: str):
    """Run one generator process on CPU 1; a crash is recorded as an error line."""
    env = {**os.environ, "NODE_PATH": str(node_modules)}
    started = time.monotonic()
    proc = subprocess.run(
        pinned(GENERATOR_CPU, ["node", *argv]), env=env, capture_output=True, text=True
    )
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            print(f"  {label} rep{rep} {row.get('scenario')}: {headline(row)}", flush=True)
    if proc.returncode != 0:
        # the first line naming an error says why (the stack trace below it says where)
        lines = [x.strip() for x in (proc.stderr or proc.stdout).splitlines() if x.strip()]
        why = next((x for x in lines if "Error" in x or "error" in x), lines[0] if lines else "")
        took = time.monotonic() - started
        error = f"{what} exited {proc.returncode} after {took:.0f} s: {why}"[:500]
        print(f"  {label} rep{rep} {what}: {error}", flush=True)
        with open(out, "a") as f:
            f.write(json.dumps({"label": label, "rep": rep, "scenario": what, "error": error}))
            f.write("\n")


def headline(row: dict) -> str:
    if "skipped" in row:
        return "skipped: " + row["skipped"]
    if "error" in row:
        return "error: " + str(row["error"])
    _, main, header, _ = table.SCENARIOS.get(row["scenario"], ("", "", "", []))
    parts = [f"{header} {table.fmt(row.get(main))}"]
    for key in ("lat_p99_ms", "missing", "server_cpu_pct", "gen_cpu_pct"):
        if row.get(key) is not None:
            parts.append(f"{key} {table.fmt(row[key])}")
    return ", ".join(parts)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--reps", type=int, default=3, help="interleaved repetitions (default 3)")
    p.add_argument(
        "--scenarios",
        default=",".join(LOADGEN_SCENARIOS + PRODUCT_SCENARIOS),
        help="comma list of s1..s4 (loadgen) and p1,p2 (product paths, Roomcast only)",
    )
    p.add_argument(
        "--servers",
        default=",".join(DEFAULT_SERVERS),
        help=f"comma list of {', '.join(SERVER_NAMES)} (default: all but the 2-node one)",
    )
    p.add_argument("--quick", action="store_true", help="few clients and messages: a smoke run")
    p.add_argument("--shared", help="path to shared/bench (default: found beside the repo)")
    p.add_argument("--cache", type=Path, default=HERE / ".cache" / "node", help="npm ci here")
    p.add_argument("--out", type=Path, help="JSON lines file (default benchmarks/results/...)")
    p.add_argument("--redis-url", help="use this Redis instead of a private redis-server")
    p.add_argument("--users", type=int, default=1000, help="users prepared for p1/p2")
    p.add_argument("--window", type=int, default=16, help="p1/p2 requests in flight")
    p.add_argument("--loadgen-args", default="", help="extra loadgen options (split on spaces)")
    p.add_argument(
        "--baseline",
        metavar="REF",
        help="also run git revision REF as server roomcast-base (a temporary git worktree, "
        "this venv), measured in the same run as roomcast",
    )
    args = p.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    for s in args.scenarios:
        if s not in LOADGEN_SCENARIOS + PRODUCT_SCENARIOS:
            p.error(f"unknown scenario {s!r}")
    for s in args.servers:
        if s not in SERVER_NAMES:
            p.error(f"unknown server {s!r}; known: {', '.join(SERVER_NAMES)}")
    if args.reps < 1:
        p.error("--reps must be at least 1")
    if args.baseline and BASELINE_NAME not in args.servers:
        # before/after side by side: the baseline runs just before this checkout
        at = args.servers.index("roomcast") if "roomcast" in args.servers else 0
        args.servers.insert(at, BASELINE_NAME)
    if BASELINE_NAME in args.servers and not args.baseline:
        p.error(f"{BASELINE_NAME} needs --baseline REF")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_fd_limit()
    shared = find_shared(args.shared)
    node_modules = prepare_node(shared, args.cache)
    python = servers.python_for_peers(REPO)
    stamp = time.strftime("%Y-%m-%d-%H%M%S")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = args.out or results / f"{stamp}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "stamp": stamp,
        "command": " ".join(["python -m benchmarks.run", *(argv or sys.argv[1:])]),
        "reps": args.reps,
        "servers": args.servers,
        "scenarios": args.scenarios,
        "quick": args.quick,
        "shared": str(shared),
        "versions": versions(node_modules, python),
    }
    with tempfile.TemporaryDirectory(prefix="roomcast-bench-") as tmp:
        work = Path(tmp)
        baseline = None
        if args.baseline:
            baseline, commit, flags = servers.checkout_baseline(REPO, args.baseline, work, python)
            meta["baseline"] = {"ref": args.baseline, "commit": commit, "uvicorn_flags": flags}
        try:
            run_all(args, meta, out, work, node_modules, python, shared, stamp, baseline)
        finally:
            if baseline is not None:
                servers.remove_baseline(REPO, baseline)
    rows, _ = table.load_file(out)
    print()
    print(f"## {stamp}: medians of {args.reps} ({'quick' if args.quick else 'full'}), {out}")
    print(table.render(rows, args.servers))
    return 0


def run_all(args, meta, out, work, node_modules, python, shared, stamp, baseline) -> None:
    with open(out, "a") as f:
        f.write(json.dumps({"meta": meta}) + "\n")
    print(json.dumps(meta["versions"]), flush=True)
    if baseline is not None:
        print(f"baseline {meta['baseline']['ref']} = {meta['baseline']['commit']}", flush=True)
    print(f"results -> {out}", flush=True)
    loadgen_scen = [s for s in args.scenarios if s in LOADGEN_SCENARIOS]
    product_scen = [s for s in args.scenarios if s in PRODUCT_SCENARIOS]
    redis_proc = None
    rig = Rig(
        repo=REPO,
        shared=shared,
        node_modules=node_modules,
        python=python,
        secret=SECRET,
        template_db=None,
        workdir=work,
        logdir=out.parent,  # server logs beside the results (gitignored *.log)
        redis_url=args.redis_url,
        stamp=stamp,
        baseline=baseline,
        baseline_flags=meta.get("baseline", {}).get("uvicorn_flags", []),
    )
    tokens = work / "tokens.json"
    if any(s in ROOMCAST_KINDS for s in args.servers):
        users = min(args.users, 100) if args.quick else args.users
        rig.template_db = work / "template.sqlite3"
        subprocess.run(
            [
                python, "-m", "benchmarks.prepare_db", "--db", str(rig.template_db),
                "--users", str(users), "--secret", SECRET, "--tokens", str(tokens),
            ],
            cwd=REPO, check=True, env=servers.clean_env(PYTHONWARNINGS="ignore"),
        )  # fmt: skip
    if REDIS_KINDS & set(args.servers) and not args.redis_url:
        redis_proc, rig.redis_url = servers.start_redis(out.parent, stamp)
        rig.redis_pid = redis_proc.pid  # taskset exec'd it: this is redis-server itself
    try:
        for rep in range(1, args.reps + 1):
            for name in args.servers:
                one_server(args, rig, name, rep, out, loadgen_scen, product_scen, tokens)
    finally:
        if redis_proc is not None:
            servers.stop(redis_proc)


def one_server(args, rig: Rig, name: str, rep: int, out: Path, loadgen_scen, product_scen, tokens):
    print(f"[rep {rep}] starting {name}", flush=True)
    try:
        running = servers.start(name, rig, rep)
    except RuntimeError as exc:
        print(f"  {name}: {exc}", flush=True)
        with open(out, "a") as f:
            for s in loadgen_scen:
                f.write(json.dumps({"label": name, "rep": rep, "scenario": s, "error": str(exc)}))
                f.write("\n")
        return
    try:
        time.sleep(1.0)  # let start-up work (imports, first GC) settle before measuring
        common = ["--secret", rig.secret, "--server-pid", running.pids]
        common += ["--label", name, "--rep", str(rep), "--out", str(out)]
        extra = args.loadgen_args.split()
        if name in REDIS_KINDS and rig.redis_pid:
            extra += ["--redis-pid", str(rig.redis_pid)]
        for s in loadgen_scen:
            argv = [str(rig.shared / "loadgen.js"), "--url", running.urls, "--namespace", "/bench"]
            argv += ["--scenario", s, "--timeout", "120", *common, *extra]
            argv += QUICK[s] if args.quick else []
            run_node(argv, rig.node_modules, out, name, rep, s)
        if name in PRODUCT_KINDS and product_scen:
            argv = [str(HERE / "product.js"), "--url", running.url, "--tokens", str(tokens)]
            argv += ["--scenario", ",".join(product_scen), "--window", str(args.window)]
            argv += ["--server-pid", str(running.pid), "--label", name, "--rep", str(rep)]
            argv += ["--out", str(out)]
            argv += QUICK_PRODUCT if args.quick else []
            run_node(argv, rig.node_modules, out, name, rep, "+".join(product_scen))
    finally:
        servers.stop(running)


if __name__ == "__main__":
    raise SystemExit(main())
