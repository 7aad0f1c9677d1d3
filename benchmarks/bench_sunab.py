"""Benchmark Sun-Abraham (``analysis.did.sun_abraham``) against pyfixest's saturated event study.

Workload (issue 13): a balanced panel of 5,000 units x 120 periods (600,000 rows),
25 cohorts adopting every 4 periods from period 8 plus 20% never treated, so the
saturated regression has 25 x 119 = 2,975 cohort x event-time cells; unit and time
fixed effects, CRV1 by unit. A 60,000-row panel (1,000 x 60, 10 cohorts, 590 cells)
shows the speed on a size pyfixest can also hold in memory.

pyfixest's comparator is ``pyfixest.did.estimation.event_study(estimator="saturated")``,
which builds the dense cohort x event-time design: at full size that is ~14 GB of
dummies, so its child runs under an address-space cap (``--cap-gb``, default 10)
and is reported as failed when it exceeds it (the machine is shared).

Every measurement runs in a fresh subprocess that reads the panel from parquet;
peak memory is the child's ``ru_maxrss``, time the wall-clock of the estimation
inside the child; median over ``--reps`` runs, configurations interleaved.

Usage::

    .venv/bin/python benchmarks/bench_sunab.py            # full run
    .venv/bin/python benchmarks/bench_sunab.py --quick    # small panel only, one run

Results: ``benchmarks/results/bench_sunab_<UTC timestamp>.json`` and a markdown table.
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
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: name: (units, periods, first adoption, adoption step, cohorts)
SIZES = {"60k": (1_000, 60, 6, 5, 10), "600k": (5_000, 120, 8, 4, 25)}


def make_panel(size: str, path: Path) -> dict:
    import numpy as np
    import pandas as pd

    n_units, n_t, first, step, n_coh = SIZES[size]
    rng = np.random.default_rng(13)
    cohorts = first + step * np.arange(n_coh)
    g_unit = np.where(rng.random(n_units) < 0.2, 0, rng.choice(cohorts, n_units))
    unit = np.repeat(np.arange(n_units), n_t)
    t = np.tile(np.arange(1, n_t + 1), n_units)
    g = g_unit[unit]
    treated = (g > 0) & (t >= g)
    y = (rng.normal(size=n_units)[unit] + 0.02 * t + np.where(treated, 1.0 + 0.01 * (t - g), 0.0)
         + rng.normal(size=len(t)))
    pd.DataFrame({"unit": unit, "t": t, "g": g, "y": y}).to_parquet(path, index=False)
    n_cells = sum(n_t - 1 for c in cohorts if (g_unit == c).any())
    return {"rows": int(len(t)), "units": n_units, "periods": n_t, "cohorts": int(n_coh), "cells": int(n_cells)}


def worker(impl: str, path: str) -> dict:
    import pandas as pd

    df = pd.read_parquet(path)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    if impl == "ours":
        sys.path.insert(0, str(ROOT / "src"))
        from analysis.did.sunab import sun_abraham

        res = sun_abraham(df, "y", "t", "unit", "g", inference="analytic")
        n_coef = len(res.extra["catt"])
    else:
        from pyfixest.did.estimation import event_study

        fit = event_study(df, yname="y", idname="unit", tname="t", gname="g", estimator="saturated",
                          cluster="unit")
        n_coef = len(fit.coef())
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "n_coef": n_coef}


def run_child(impl: str, path: Path, cap_gb: float | None, timeout: float) -> dict:
    def limit():  # runs in the child before exec: cap its address space
        if cap_gb:
            cap = int(cap_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    cmd = [sys.executable, __file__, "--worker", impl, str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return {"failed": f"timeout after {timeout:.0f} s"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"failed": f"exit {proc.returncode}: {last[:200]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=2, metavar=("IMPL", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cap-gb", type=float, default=10.0, help="address-space cap of pyfixest's child")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    sizes = ["60k"] if args.quick else list(SIZES)
    reps = 1 if args.quick else args.reps
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"meta": {"timestamp_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg_start": os.getloadavg(), "reps": reps, "pyfixest_cap_gb": args.cap_gb}}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"{size}.parquet"
            info = make_panel(size, path)
            runs: dict[str, list[dict]] = {"ours": [], "pyfixest": []}
            for rep in range(reps):
                for impl in runs:
                    if impl == "pyfixest" and rep and "failed" in runs[impl][-1]:
                        continue  # a capped failure is not worth repeating
                    r = run_child(impl, path, args.cap_gb if impl == "pyfixest" else None, args.timeout)
                    runs[impl].append(r)
                    print(f"  {size} rep {rep + 1} {impl:9s} {r}", flush=True)
            for impl, rs in runs.items():
                ok = [r for r in rs if "failed" not in r]
                info[impl] = ({"median_s": statistics.median(r["seconds"] for r in ok),
                               "runs_s": [r["seconds"] for r in ok],
                               "peak_mb": max(r["peak_mb"] for r in ok), "n_coef": ok[0]["n_coef"]}
                              if ok else {"failed": rs[0]["failed"]})
            out[size] = info
    out["meta"]["load_avg_end"] = os.getloadavg()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"bench_sunab_{stamp}.json").write_text(json.dumps(out, indent=2))
    lines = ["| panel | cells | ours: time / peak RSS | pyfixest saturated: time / peak RSS |", "|---|---:|---:|---:|"]
    for size in sizes:
        i = out[size]

        def cell(r):
            return r["failed"] if "failed" in r else f"{r['median_s']:.1f} s / {r['peak_mb'] / 1024:.2f} GB"

        lines.append(f"| {i['rows']:,} rows | {i['cells']:,} | {cell(i['ours'])} | {cell(i['pyfixest'])} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
