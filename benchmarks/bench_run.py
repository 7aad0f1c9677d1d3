"""Benchmark command 1 (`make run`) after installation, on the default data.

Times `analysis run --params params/main.yaml` end to end (every notebook, the brief,
HTML and PDF rendering) as a subprocess, several times, and reports the median, the
spread and the peak resident memory of the run's process tree. The default data set is
generated first if data/raw is empty (that generation is timed separately, once).

    .venv/bin/python benchmarks/bench_run.py [--repeats 3]
Writes benchmarks/results/run.json. Target (issue 2): median under 90 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS = [sys.executable, "-m", "analysis.cli"]


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of the largest child process of ``cmd``."""
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    raw = ROOT / "data" / "raw"
    generation = None
    if not any(p.name != ".gitkeep" for p in raw.iterdir()):
        generation, _ = timed([*ANALYSIS, "synth", "--out", str(raw)])
    runs = [timed([*ANALYSIS, "run", "--params", "params/main.yaml"]) for _ in range(args.repeats)]
    seconds = [s for s, _ in runs]
    result = {
        "benchmark": "analysis run --params params/main.yaml (command 1 after installation)",
        "repeats": args.repeats,
        "median_seconds": round(statistics.median(seconds), 2),
        "min_seconds": round(min(seconds), 2),
        "max_seconds": round(max(seconds), 2),
        "peak_rss_mib": round(max(p for _, p in runs), 1),
        "generation_seconds": None if generation is None else round(generation, 2),
        "target_seconds": 90,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine()},
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "run.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
