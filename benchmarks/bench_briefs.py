"""Benchmark every area (or unit) brief of a run: wall time, per-brief median, peak memory, 1 vs 2 workers.

Each configuration runs ``analysis brief --all-areas|--all-units --run RUN --workers N`` as a
fresh subprocess, as a user types it (process pool, index page and the audit of every brief
included), after removing the briefs an earlier configuration made. CPU time (user + system of
the command and its workers) barely grows on a busy machine, so it shows the work when wall
time cannot. The process tree's
resident memory is sampled every 0.2 s with psutil: the peak of the tree's sum (parent and
workers together) and of its largest process. Per-brief seconds are read from the command's
progress lines. Runs are the latest complete run of each study (``reports/runs``).

    .venv/bin/python benchmarks/bench_briefs.py                          # palembang areas, plaju units, ...
    .venv/bin/python benchmarks/bench_briefs.py --case palembang:areas --workers 2
    .venv/bin/python benchmarks/bench_briefs.py --case sumatera_selatan:areas --workers 2 --run reports/runs/<id>
Writes benchmarks/results/briefs.json and prints a Markdown table.
Goal (issue 12): the 17 kab/kota briefs of Sumatera Selatan in under 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS = str(Path(sys.executable).with_name("analysis"))
CASES = ("palembang:areas", "plaju:units", "sumatera_selatan:areas")
PER_BRIEF = re.compile(r"^(brief|failed) (.+) \((\d+(?:\.\d+)?) s\)")


def latest_run(study: str) -> Path | None:
    """The latest complete run of ``study`` under reports/runs (None if there is none)."""
    found = []
    for manifest in (ROOT / "reports" / "runs").glob("*/manifest.json"):
        if manifest.parent.is_symlink():  # reports/runs/latest
            continue
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("status") == "complete" and data.get("parameters", {}).get("study") == study:
            found.append(manifest.parent)
    return max(found, key=lambda p: p.name) if found else None


def clear(run: Path, level: str) -> None:
    shutil.rmtree(run / level, ignore_errors=True)
    for page in run.glob("index-*.html"):
        page.unlink()


def measure(run: Path, level: str, workers: int) -> dict:
    clear(run, level)
    command = [ANALYSIS, "brief", f"--all-{level}", "--run", str(run), "--workers", str(workers)]
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    log = run / f".bench-briefs-{level}-{workers}.log"
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)
        root = psutil.Process(proc.pid)
        peak_total = peak_one = 0
        while proc.poll() is None:
            try:
                rss = [p.memory_info().rss for p in (root, *root.children(recursive=True))]
                peak_total, peak_one = max(peak_total, sum(rss)), max(peak_one, max(rss))
            except psutil.Error:
                pass
            time.sleep(0.2)
    wall = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and its workers (waited for)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    lines = log.read_text(encoding="utf-8").splitlines()
    log.unlink()
    per = [(m.group(1), m.group(2), float(m.group(3))) for m in map(PER_BRIEF.match, lines) if m]
    seconds = [s for state, _, s in per if state == "brief"]
    return {"level": level, "workers": workers, "exit_code": proc.returncode, "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1),
            "briefs": len(seconds), "failed": [name for state, name, _ in per if state == "failed"],
            "per_brief_median_s": round(statistics.median(seconds), 2) if seconds else None,
            "per_brief_max_s": round(max(seconds), 2) if seconds else None,
            "peak_rss_total_mb": round(peak_total / 2**20), "peak_rss_process_mb": round(peak_one / 2**20),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "summary": lines[-1] if lines else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", help=f"STUDY:areas|units (default: {', '.join(CASES)})")
    parser.add_argument("--workers", type=int, action="append", help="worker counts (default: 1 and 2)")
    parser.add_argument("--run", type=Path, help="this run folder for every case (default: each study's latest "
                                                  "complete run)")
    args = parser.parse_args()
    results = []
    for case in args.case or CASES:
        study, level = case.split(":")
        run = args.run.resolve() if args.run else latest_run(study)
        if run is None:
            print(f"skip {case}: no complete run of study '{study}' (analysis run --params params/<study>.yaml)")
            continue
        for workers in args.workers or [1, 2]:
            row = {"study": study, "run": run.name, **measure(run, level, workers)}
            print(json.dumps(row), flush=True)
            results.append(row)
    out = ROOT / "benchmarks" / "results" / "briefs.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                               "results": results}, indent=2), encoding="utf-8")
    print("\n| study | briefs | workers | wall | CPU | per brief (median) | peak RSS (tree / largest process) | load |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['study']} {r['level']} | {r['briefs']} | {r['workers']} | {r['wall_s']:.0f} s | {r['cpu_s']:.0f} s | "
              f"{r['per_brief_median_s']} s | {r['peak_rss_total_mb']} / {r['peak_rss_process_mb']} MB | "
              f"{r['load_before']}-{r['load_after']} |")


if __name__ == "__main__":
    main()
