"""Benchmark `analysis inspect` on the default synthetic data (issue 11: "under 10 s on the default data").

The default raw exports are generated once into a temporary folder; then ``analysis inspect RAW``
runs ``--repeat`` times (>= 3), each as a fresh process as a user types it. ``os.wait4`` gives each
child's own resource use, so the figures are the command's alone: wall time, CPU time (user +
system, which a busy machine does not inflate) and peak resident memory. We report the median wall
and CPU time and the largest peak memory.

    .venv/bin/python benchmarks/bench_inspect.py [--repeat 3]

Results: a line on stdout and JSON in benchmarks/results/inspect.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS = str(Path(sys.executable).with_name("analysis"))
TARGET_SECONDS = 10.0


def run_child(args: list[str]) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one ``analysis <args>`` process; it must succeed."""
    start = time.perf_counter()
    proc = subprocess.Popen([ANALYSIS, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"analysis {' '.join(args)} failed: {proc.stderr.read().decode(errors='replace')[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (the median of three runs)")
    with tempfile.TemporaryDirectory(prefix="bench_inspect_") as tmp:
        raw = Path(tmp) / "raw"
        run_child(["synth", "--out", str(raw)])  # the default data: seed, study and scale of `make run`
        n_files = sum(1 for p in raw.rglob("*") if p.is_file() and "_truth" not in p.parts)
        runs = [run_child(["inspect", str(raw), "--html", str(Path(tmp) / "inspect.html")])
                for _ in range(args.repeat)]
    result = {
        "benchmark": "analysis inspect on the default synthetic data (fresh process per run)",
        "repeat": args.repeat, "raw_files": n_files, "target_wall_seconds": TARGET_SECONDS,
        "median_wall_seconds": round(statistics.median(r["wall_s"] for r in runs), 2),
        "median_cpu_seconds": round(statistics.median(r["cpu_s"] for r in runs), 2),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
        "runs": [{k: round(v, 2) for k, v in r.items()} for r in runs],
        "load_average": os.getloadavg(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine()},
    }
    print(f"analysis inspect ({n_files} raw files): wall median {result['median_wall_seconds']:.2f} s, "
          f"CPU median {result['median_cpu_seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB "
          f"(target < {TARGET_SECONDS:.0f} s; load average {result['load_average'][0]:.1f})")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "inspect.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
