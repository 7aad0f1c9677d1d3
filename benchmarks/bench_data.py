"""Time generate + clean + panels of the default data set and a 10x larger one.

Each run happens in a fresh subprocess so the peak resident memory
(``ru_maxrss`` of the child) belongs to that run alone; we report the median of
``--repeat`` runs (>= 3) for wall time and CPU time, and the max of peak memory.

    .venv/bin/python benchmarks/bench_data.py            # scales 1 and 10, 3 runs each
    .venv/bin/python benchmarks/bench_data.py --scales 1 --repeat 5

Results: a table on stdout and JSON in benchmarks/results/ (git-ignored).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter(); c0 = time.process_time()
from analysis.synth import SynthConfig, generate
from analysis.clean import clean_raw
from analysis.panels import build_panels
t_import = time.perf_counter() - t0
root = Path(sys.argv[1]); scale = float(sys.argv[2])
out = {"import_s": t_import}
t = time.perf_counter(); generate(root / "raw", SynthConfig(scale=scale)); out["generate_s"] = time.perf_counter() - t
t = time.perf_counter(); rep = clean_raw(root / "raw", root / "interim"); out["clean_s"] = time.perf_counter() - t
t = time.perf_counter(); build_panels(root / "interim", root / "processed"); out["panels_s"] = time.perf_counter() - t
out["total_s"] = time.perf_counter() - t0
out["cpu_s"] = time.process_time() - c0
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["rows_raw"] = int(rep.quality["rows_raw"].sum())
out["rows_tickets"] = int(rep.quality.loc[rep.quality["table"] == "tickets", "rows_clean"].sum())
print(json.dumps(out))
"""


def one_run(scale: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        env = dict(os.environ, PYTHONHASHSEED="0")
        res = subprocess.run([sys.executable, "-c", CHILD, tmp, str(scale)], capture_output=True, text=True,
                             env=env, cwd=ROOT, check=True)
        return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.repeat < 3:
        ap.error("--repeat must be at least 3 (we report medians)")
    summary = []
    for scale in args.scales:
        runs = [one_run(scale) for _ in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in ("generate_s", "clean_s", "panels_s", "total_s",
                                                                   "cpu_s", "import_s")}
        summary.append({"scale": scale, **med, "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                        "rows_raw": runs[0]["rows_raw"], "rows_tickets": runs[0]["rows_tickets"], "runs": runs})
    print(f"{'scale':>6} {'raw rows':>9} {'tickets':>8} {'generate':>9} {'clean':>7} {'panels':>7} {'total':>7} "
          f"{'cpu':>7} {'peak MB':>8}")
    for s in summary:
        print(f"{s['scale']:>6g} {s['rows_raw']:>9d} {s['rows_tickets']:>8d} {s['generate_s']:>8.1f}s "
              f"{s['clean_s']:>6.1f}s {s['panels_s']:>6.1f}s {s['total_s']:>6.1f}s {s['cpu_s']:>6.1f}s "
              f"{s['peak_rss_mb']:>8.0f}")
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    info = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "load_avg_1m": os.getloadavg()[0], "repeat": args.repeat, "results": summary}
    dest = out_dir / "bench_data.json"
    dest.write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {dest.relative_to(ROOT)} (median of {args.repeat} runs; load average {info['load_avg_1m']:.1f})")


if __name__ == "__main__":
    main()
