"""Benchmark the command line's answers: `analysis --help`, `analysis params` and a rejected `--set`.

Each command runs as a fresh subprocess (as a user types it), several times; the CPU
time (user + system) of the child is read from ``resource.getrusage`` and the median
reported. CPU time, not wall time, so a busy machine does not inflate the figures.
Target (issue 15): each under 1 s of CPU. ``tests/test_cli_fast.py`` checks the cause
(nothing heavy imported); this file measures the effect.

    .venv/bin/python benchmarks/bench_cli.py [--repeats 7]
Writes benchmarks/results/cli.json.
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
ANALYSIS = [str(Path(sys.executable).with_name("analysis"))]
COMMANDS = {
    "analysis --help": ["--help"],
    "analysis params": ["params"],
    "analysis run --set est_method=ols (rejected)": ["run", "--set", "est_method=ols"],
    "analysis run --set outcomes=ikm,bogus (rejected)": ["run", "--set", "outcomes=ikm,bogus"],
    "analysis brief --unit XYZ99 (rejected; needs a complete run)": ["brief", "--unit", "XYZ99"],
}


def cpu_seconds(args: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of ``analysis <args>``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*ANALYSIS, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    has_run = (ROOT / "reports" / "runs" / "LATEST").exists()
    results = {}
    for name, argv in COMMANDS.items():
        if argv[0] == "brief" and not has_run:
            continue
        cpu_seconds(argv)  # warm the file cache (.pyc, site-packages) once
        runs = [cpu_seconds(argv) for _ in range(args.repeats)]
        results[name] = {"median_cpu_seconds": round(statistics.median(c for c, _ in runs), 3),
                         "max_cpu_seconds": round(max(c for c, _ in runs), 3),
                         "median_wall_seconds": round(statistics.median(w for _, w in runs), 3)}
        print(f"{name:<62} CPU median {results[name]['median_cpu_seconds']:.2f} s "
              f"(max {results[name]['max_cpu_seconds']:.2f} s), wall {results[name]['median_wall_seconds']:.2f} s")
    report = {"benchmark": "command-line answers (CPU seconds per fresh process)", "repeats": args.repeats,
              "target_cpu_seconds": 1.0, "commands": results, "load_average": os.getloadavg(),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine()}}
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "cli.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
