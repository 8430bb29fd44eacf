"""Medians per server and scenario from the generators' JSON lines, as markdown tables.

`python -m benchmarks.table benchmarks/results/FILE.jsonl` prints the tables of a past run.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ANCHOR, BASELINE = "node", "stock"
BEFORE = "roomcast-base"  # `benchmarks.run --baseline REF`: another revision, same run
GEN_SATURATED = 90.0  # % of one core: above this the figure is the generator's, not the server's


# scenario -> (title, main figure (higher is better), its header, [(extra key, header)])
SCENARIOS: dict[str, tuple[str, str, str, list[tuple[str, str]]]] = {
    "s1": ("s1 connect storm", "connects_per_s", "conn/s", [("kib_per_conn", "KiB/conn")]),
    "s2": (
        "s2 room fan-out",
        "deliveries_per_s",
        "deliveries/s",
        [("lat_p50_ms", "p50 ms"), ("lat_p99_ms", "p99 ms")],
    ),
    "s3": (
        "s3 ack round trip",
        "acks_per_s",
        "acks/s",
        [("lat_p50_ms", "p50 ms"), ("lat_p99_ms", "p99 ms")],
    ),
    "s4": (
        "s4 targeted emits",
        "deliveries_per_s",
        "deliveries/s",
        [("lat_p99_ms", "p99 ms")],
    ),
    "p1": (
        "p1 alert to each of N users (POST /api/v1/alerts → breach_alert)",
        "alerts_per_s",
        "alerts/s delivered",
        [
            ("stored_per_s", "stored/s"),
            ("lat_p50_ms", "p50 ms"),
            ("lat_p99_ms", "p99 ms"),
            ("store_lat_p99_ms", "store→dlv p99 ms"),
        ],
    ),
    "p2": (
        "p2 chat message to an N-member room (stored, acked, broadcast)",
        "deliveries_per_s",
        "deliveries/s",
        [
            ("stored_per_s", "stored msgs/s"),
            ("ack_p99_ms", "ack p99 ms"),
            ("lat_p50_ms", "p50 ms"),
            ("lat_p99_ms", "p99 ms"),
            ("cpu_us_per_delivery", "CPU µs/dlv"),
        ],
    ),
}
# The server's own CPU time per unit of work (derived by `cost`): on a busy machine the
# throughput figures shrink with whatever else runs on CPU 0, this one much less.
COST_HEADER = {
    "s1": "CPU µs/conn",
    "s2": "CPU µs/dlv",
    "s3": "CPU µs/ack",
    "s4": "CPU µs/dlv",
    "p1": "CPU µs/alert",
    "p2": "CPU µs/msg",
}


def cost(row: dict) -> float | None:
    """Server CPU µs per connect / delivery / ack / alert / message of one result row."""
    scenario, pct = row.get("scenario"), row.get("server_cpu_pct")
    try:
        if scenario in ("s2", "s4"):
            return row.get("cpu_us_per_delivery")
        if scenario == "p1":
            return row.get("cpu_us_per_alert")
        if scenario == "p2":
            return row.get("cpu_us_per_message")
        if pct is None:
            return None
        if scenario == "s1":
            return pct / 100 * row["wall_ms"] * 1000 / row["connected"]
        if scenario == "s3":
            return pct / 100 * row["duration_s"] * 1e6 / row["acks"]
    except (KeyError, TypeError, ZeroDivisionError):
        return None
    return None


# summed over repetitions instead of a median: any non-zero value is a defect
SUMMED = ("missing", "failed", "connect_failed", "errors", "join_failed")


def load(lines: Iterable[str]) -> tuple[list[dict], list[dict]]:
    """(result rows, meta rows) from JSON lines; blank and malformed lines are skipped."""
    rows, meta = [], []
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if "meta" in obj:
            meta.append(obj["meta"])
        elif "scenario" in obj:
            rows.append(obj)
    return rows, meta


def load_file(path: Path) -> tuple[list[dict], list[dict]]:
    return load(path.read_text().splitlines())


def median(values: Iterable) -> float | None:
    got = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return statistics.median(got) if got else None


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", " ")
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", " ")
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(value: float | None, anchor: float | None) -> str:
    if value is None or not anchor:
        return "-"
    return f"{value / anchor:.2f}x"


def group(rows: list[dict]) -> dict[str, dict[str, list[dict]]]:
    """scenario -> server label -> rows (in file order)."""
    out: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        out[row["scenario"]][row.get("label") or "?"].append(row)
    return out


def scenario_table(scenario: str, by_server: dict[str, list[dict]], order: list[str]) -> str:
    title, main, header, extras = SCENARIOS.get(
        scenario, (scenario, "deliveries_per_s", "deliveries/s", [])
    )
    servers = [s for s in order if s in by_server] + sorted(set(by_server) - set(order))
    mains = {s: median(r.get(main) for r in by_server[s] if "error" not in r) for s in servers}
    costs = {s: median(cost(r) for r in by_server[s] if "error" not in r) for s in servers}
    # the product paths (p1, p2) exist only in Roomcast: no peer to compare with
    anchored = scenario.startswith("s")
    cols = ["server", "runs", header] + (["x node", "x stock"] if anchored else [])
    cols += [COST_HEADER.get(scenario, "CPU µs/op")] + (["CPU x node"] if anchored else [])
    cols += [h for _, h in extras] + ["missing/failed (sum)", "server CPU %", "gen CPU %"]
    lines = [f"### {title}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    notes: dict[str, list[str]] = {}  # one line per distinct note, with its repetitions
    for server in servers:
        runs = by_server[server]
        good = [r for r in runs if "error" not in r and "skipped" not in r]
        for r in runs:
            if "skipped" in r:
                note = f"skipped: {r['skipped']}"
            elif "error" in r:
                note = f"error: {r['error']}"
            elif r.get("first_error"):
                note = f"first error: {r['first_error']}"
            else:
                continue
            notes.setdefault(f"{server}\0{note}", []).append(str(r.get("rep")))
        if not good:
            continue
        defects = sum(int(r.get(k) or 0) for r in good for k in SUMMED)
        gen = median(r.get("gen_cpu_pct") for r in good)
        gen_text = fmt(gen) + (" ⚠ generator-bound" if gen and gen >= GEN_SATURATED else "")
        cells = [
            server,
            str(len(good)),
            fmt(mains[server]),
            *(
                [ratio(mains[server], mains.get(ANCHOR)), ratio(mains[server], mains.get(BASELINE))]
                if anchored
                else []
            ),
            fmt(costs[server]),
            *([ratio(costs[server], costs.get(ANCHOR))] if anchored else []),
            *[fmt(median(r.get(k) for r in good)) for k, _ in extras],
            str(defects),
            fmt(median(r.get("server_cpu_pct") for r in good)),
            gen_text,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(lines) == 4:
        lines = [f"### {title}", "", "(no results)"]
    shown = []
    for key, reps in notes.items():
        server, note = key.split("\0", 1)
        shown.append(f"- {server} rep {', '.join(reps)}: {note}")
    return "\n".join(lines + (["", *shown] if shown else []))


def before_after(grouped: dict, before: str = BEFORE, after: str = "roomcast") -> str | None:
    """One line per scenario: the baseline revision against this checkout (same run)."""
    cols = ["scenario", "main figure", before, after, "after / before"]
    cols += [f"CPU µs/op {before}", f"CPU µs/op {after}", "CPU after / before"]
    cols.append(f"CPU {after} x node")
    lines = ["### before / after", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for scenario, (_, main, header, _extras) in SCENARIOS.items():
        by_server = grouped.get(scenario, {})
        if before not in by_server or after not in by_server:
            continue

        def med(server, key=None, by_server=by_server):
            runs = by_server.get(server, [])
            good = [r for r in runs if "error" not in r and "skipped" not in r]
            return median((r.get(key) if key else cost(r)) for r in good)

        b, a = med(before, main), med(after, main)
        cb, ca, cn = med(before), med(after), med(ANCHOR)
        cells = [scenario, header, fmt(b), fmt(a), ratio(a, b), fmt(cb), fmt(ca), ratio(ca, cb)]
        lines.append("| " + " | ".join([*cells, ratio(ca, cn)]) + " |")
    return "\n".join(lines) if len(lines) > 4 else None


def render(rows: list[dict], order: list[str] | None = None) -> str:
    order = order or ["node", "stock", BEFORE, "roomcast", "roomcast-redis", "roomcast-redis-x2"]
    grouped = group(rows)
    known = [s for s in SCENARIOS if s in grouped] + sorted(set(grouped) - set(SCENARIOS))
    tables = [scenario_table(s, grouped[s], order) for s in known]
    summary = before_after(grouped)
    return "\n\n".join(tables + ([summary] if summary else []))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m benchmarks.table RESULTS.jsonl [...]", file=sys.stderr)
        return 2
    rows: list[dict] = []
    for name in args:
        rows += load_file(Path(name))[0]
    print(render(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
