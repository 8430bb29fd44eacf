"""The benchmark runner (benchmarks/): result parsing and the table, then one cheap real run.

No timing is asserted: the figures depend on the machine; what is checked is that a run
produces a well-formed line per scenario and that the table reads recorded lines right.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import run, table

REPO = Path(__file__).resolve().parent.parent

RECORDED = [
    '{"meta": {"stamp": "2026-11-23-130603", "versions": {"node": "v20.20.2"}}}',
    # loadgen lines as recorded (trimmed to the keys the table reads)
    '{"label":"node","rep":"1","scenario":"s2","deliveries_per_s":100000,"lat_p50_ms":300,'
    '"lat_p99_ms":900,"missing":0,"server_cpu_pct":80,"gen_cpu_pct":95.5}',
    '{"label":"node","rep":"2","scenario":"s2","deliveries_per_s":120000,"lat_p99_ms":1000,'
    '"missing":0,"server_cpu_pct":82,"gen_cpu_pct":93}',
    '{"label":"stock","rep":"1","scenario":"s2","deliveries_per_s":10000,"lat_p99_ms":150,'
    '"missing":0,"server_cpu_pct":99,"gen_cpu_pct":40}',
    '{"label":"roomcast","rep":"1","scenario":"s2","deliveries_per_s":20000,"lat_p99_ms":120,'
    '"missing":3,"server_cpu_pct":99,"gen_cpu_pct":50}',
    '{"label":"roomcast","rep":"2","scenario":"s2","deliveries_per_s":24000,"lat_p99_ms":130,'
    '"missing":2,"server_cpu_pct":99,"gen_cpu_pct":50}',
    '{"label":"roomcast","rep":"3","scenario":"s2","error":"loadgen exited 1"}',
    '{"label":"roomcast","rep":"1","scenario":"p2","skipped":"/chat is not available: 404"}',
    "not json at all",
    "",
]


def test_load_separates_meta_results_and_noise():
    rows, meta = table.load(RECORDED)
    assert meta == [{"stamp": "2026-11-23-130603", "versions": {"node": "v20.20.2"}}]
    assert [r["label"] for r in rows] == ["node"] * 2 + ["stock"] + ["roomcast"] * 4


def test_table_medians_ratios_defects_and_notes():
    rows, _ = table.load(RECORDED)
    text = table.render(rows)
    lines = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if "|" in line}
    # node: median of 100 000 and 120 000; the generator was near saturation and says so
    assert "| 110 000 | 1.00x | 11.00x |" in lines["node"]
    assert "generator-bound" in lines["node"]
    # roomcast: the error row is not a run; median 22 000; missing summed over runs (3 + 2)
    cells = [c.strip() for c in lines["roomcast"].strip("|").split("|")]
    assert cells[:5] == ["roomcast", "2", "22 000", "0.20x", "2.20x"]
    assert cells[-3] == "5"
    assert cells[5] == "-"  # no CPU per delivery recorded in these lines
    assert "generator-bound" not in lines["roomcast"]
    assert "roomcast rep 3: error: loadgen exited 1" in text
    # a skipped product scenario is named with its reason, not silently absent
    assert "p2 chat message" in text and "skipped: /chat is not available: 404" in text


def test_cost_is_server_cpu_per_operation():
    s1 = {"scenario": "s1", "server_cpu_pct": 50.0, "wall_ms": 2000.0, "connected": 1000}
    s3 = {"scenario": "s3", "server_cpu_pct": 80.0, "duration_s": 10.0, "acks": 40000}
    assert table.cost(s1) == 1000.0 and table.cost(s3) == 200.0
    assert table.cost({"scenario": "s2", "cpu_us_per_delivery": 12.5}) == 12.5
    assert table.cost({"scenario": "s3", "server_cpu_pct": None}) is None
    nobody = {"scenario": "s1", "server_cpu_pct": 5.0, "wall_ms": 1, "connected": 0}
    assert table.cost(nobody) is None


def test_fmt_and_ratio_edges():
    assert table.fmt(None) == "-" and table.fmt(0) == "0" and table.fmt(12345) == "12 345"
    assert table.fmt(3.14159) == "3.14" and table.fmt(1234.6) == "1 235"
    assert table.ratio(5.0, None) == "-" and table.ratio(5.0, 0) == "-"
    assert table.ratio(5.0, 10.0) == "0.50x"


def test_arguments_are_checked():
    args = run.parse_args(["--reps", "1", "--scenarios", "s3,p1", "--servers", "roomcast"])
    assert args.scenarios == ["s3", "p1"] and args.servers == ["roomcast"]
    for bad in (["--servers", "nginx"], ["--scenarios", "s9"], ["--reps", "0"]):
        with pytest.raises(SystemExit):
            run.parse_args(bad)


def shared_bench() -> Path:
    """shared/bench beside the repository, else where this workplace keeps it; else skip."""
    try:
        return run.find_shared(None)
    except SystemExit:
        fallback = Path("/work/shared/bench")
        if not (fallback / "loadgen.js").exists():
            pytest.skip("no shared/bench on this machine")
        return fallback


def test_shared_bench_is_found_or_named():
    shared = Path("/work/shared/bench")
    if not (shared / "loadgen.js").exists():
        pytest.skip("no shared/bench on this machine")
    assert run.find_shared(str(shared)) == shared.resolve()
    assert run.find_shared(str(shared.parent)) == shared.resolve()  # the folder above works too
    with pytest.raises(SystemExit, match="--shared"):
        run.find_shared("/nonexistent/place")


@pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")), reason="needs node, npm")
def test_quick_s3_against_roomcast_end_to_end(tmp_path):
    shared = shared_bench()
    out = tmp_path / "quick.jsonl"
    argv = [sys.executable, "-m", "benchmarks.run", "--quick", "--reps", "1"]
    argv += ["--scenarios", "s3", "--servers", "roomcast", "--out", str(out)]
    argv += ["--shared", str(shared)]  # a clone elsewhere does not sit beside shared/
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    rows, meta = table.load_file(out)
    assert meta and meta[0]["versions"]["python-socketio"]
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["label"] == "roomcast" and row["scenario"] == "s3" and row["namespace"] == "/bench"
    assert "error" not in row and row["errors"] == 0 and row["acks"] > 0
    assert row["server_cpu_pct"] is not None  # --server-pid reached the generator
    assert "| roomcast | 1 |" in done.stdout
    json.dumps(row)  # a plain JSON object


def test_before_after_compares_the_baseline_revision_in_the_same_run():
    lines = [
        '{"label":"roomcast-base","rep":"1","scenario":"s2","deliveries_per_s":50000,'
        '"cpu_us_per_delivery":10.0,"missing":0}',
        '{"label":"roomcast","rep":"1","scenario":"s2","deliveries_per_s":60000,'
        '"cpu_us_per_delivery":5.0,"missing":0}',
        '{"label":"node","rep":"1","scenario":"s2","deliveries_per_s":55000,'
        '"cpu_us_per_delivery":8.0,"missing":0}',
    ]
    rows, _ = table.load(lines)
    text = table.render(rows)
    row = next(line for line in text.splitlines() if line.startswith("| s2 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:5] == ["s2", "deliveries/s", "50 000", "60 000", "1.20x"]
    assert cells[5:] == ["10.0", "5.00", "0.50x", "0.62x"]  # CPU per delivery, then x node
    assert "before / after" not in table.render(rows[1:])  # no baseline: no such table
