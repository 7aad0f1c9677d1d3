"""Benchmark analysis.did.att_gt/aggte against csdid 0.4.3 (time and peak memory).

Workload (issue 4): balanced panel, 50,000 units x 20 periods, 5 cohorts plus never
treated, one covariate, doubly robust ATT(g,t), then simple, dynamic and group
aggregations; once with analytic standard errors and once with a 999-draw
multiplier bootstrap. Plus 500,000 units x 20 periods with the bootstrap (ours only).

Every measurement runs in a fresh subprocess that loads the data set from a parquet
file, so peak memory (``ru_maxrss`` of the child) is not polluted by other runs; runs
of the different configurations are interleaved to spread background load evenly.
Reported time is the wall-clock time of estimation + aggregation inside the child
(median over runs); ``rss_base`` is the child's resident memory after loading the
data, before estimating, so ``peak - base`` is what the estimator itself added.

Usage::

    .venv/bin/python benchmarks/bench_did.py              # full run (csdid bootstrap takes minutes)
    .venv/bin/python benchmarks/bench_did.py --quick      # 5,000 units, 1 run: smoke test
    .venv/bin/python benchmarks/bench_did.py --no-large   # skip the 500,000-unit run

Results: ``benchmarks/results/bench_did_<UTC timestamp>.json`` and a markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import io
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
COHORTS = [5, 8, 11, 14, 17]  # period indices of the five cohorts (periods 1..20)
BITERS = 999


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(impl: str, mode: str, path: str) -> dict:
    """Run one estimation in this (fresh) process and report time and memory."""
    import pandas as pd

    df = pd.read_parquet(path)
    bstrap = mode == "bootstrap"
    if impl == "ours":
        sys.path.insert(0, str(ROOT / "src"))
        from analysis.did import aggte, att_gt

        base = _rss_mb()
        t0 = time.perf_counter()
        res = att_gt(df, "y", "t", "id", "g", xformla="~x", est_method="dr", bstrap=bstrap, biters=BITERS, seed=1)
        for typ in ("simple", "dynamic", "group"):
            aggte(res, typ)
        seconds = time.perf_counter() - t0
        check = float(aggte(res, "simple").overall_att)
    else:
        from csdid.att_gt import ATTgt

        base = _rss_mb()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = ATTgt(yname="y", tname="t", idname="id", gname="g", data=df, xformla="y~x", biters=BITERS)
            m.fit(est_method="dr", bstrap=bstrap)
            for typ in ("simple", "dynamic", "group"):
                m.aggte(typec=typ, bstrap=bstrap)
        seconds = time.perf_counter() - t0
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.aggte(typec="simple", bstrap=False)
        check = float(m.atte["overall_att"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak, "rss_base_mb": base, "simple_att": check}


def run_child(impl: str, mode: str, path: Path, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--worker", impl, mode, str(path)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{impl}/{mode} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # The parent's view of the child's peak (RUSAGE_CHILDREN keeps the max over children).
    out["process_wall_s"] = wall
    return out


def make_data(n_units: int, path: Path) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from analysis.did._cs_simulate import simulate_panel

    df = simulate_panel(n_units, 20, COHORTS, seed=2024, never_share=0.3)
    df[["id", "t", "g", "y", "x"]].to_parquet(path, index=False)


def summarise(runs: list[dict]) -> dict:
    secs = [r["seconds"] for r in runs]
    return {
        "median_s": statistics.median(secs),
        "min_s": min(secs),
        "runs_s": secs,
        "peak_mb": max(r["peak_mb"] for r in runs),
        "rss_base_mb": statistics.median(r["rss_base_mb"] for r in runs),
        "simple_att": runs[0]["simple_att"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=3, metavar=("IMPL", "MODE", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--n-units", type=int, default=50_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--csdid-boot-reps", type=int, default=3, help="runs of the (slow) csdid bootstrap")
    ap.add_argument("--large-units", type=int, default=500_000)
    ap.add_argument("--large-reps", type=int, default=1)
    ap.add_argument("--no-large", action="store_true")
    ap.add_argument("--no-csdid", action="store_true")
    ap.add_argument("--quick", action="store_true", help="5,000 units, one run, no large run")
    args = ap.parse_args()

    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    if args.quick:
        args.n_units, args.reps, args.csdid_boot_reps, args.no_large = 5_000, 1, 1, True

    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "timestamp_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "n_units": args.n_units,
        "n_periods": 20,
        "cohorts": COHORTS,
        "biters": BITERS,
    }
    try:
        import csdid._version as cv

        meta["csdid"] = vars(cv).get("__version") or vars(cv).get("__version__")
    except Exception:  # pragma: no cover - informational
        meta["csdid"] = None
    import numpy
    import pandas

    meta["numpy"], meta["pandas"] = numpy.__version__, pandas.__version__

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "panel.parquet"
        make_data(args.n_units, data)
        configs = [("ours", "analytic"), ("ours", "bootstrap")]
        if not args.no_csdid:
            configs += [("csdid", "analytic"), ("csdid", "bootstrap")]
        runs: dict[str, list[dict]] = {f"{i}/{m}": [] for i, m in configs}
        for rep in range(args.reps):
            for impl, mode in configs:
                if impl == "csdid" and mode == "bootstrap" and rep >= args.csdid_boot_reps:
                    continue
                key = f"{impl}/{mode}"
                r = run_child(impl, mode, data, timeout=3600)
                runs[key].append(r)
                print(f"  rep {rep + 1} {key:18s} {r['seconds']:8.2f} s  peak {r['peak_mb']:8.0f} MB", flush=True)
        for key, rs in runs.items():
            results[key] = summarise(rs)

        if not args.no_large:
            big = Path(tmp) / "panel_large.parquet"
            make_data(args.large_units, big)
            rs = []
            for _ in range(args.large_reps):
                r = run_child("ours", "bootstrap", big, timeout=3600)
                rs.append(r)
                print(f"  large ours/bootstrap {r['seconds']:8.2f} s  peak {r['peak_mb']:8.0f} MB", flush=True)
            results["ours/bootstrap/large"] = summarise(rs)
            meta["large_units"] = args.large_units

    ratios = {}
    for mode in ("analytic", "bootstrap"):
        o, c = results.get(f"ours/{mode}"), results.get(f"csdid/{mode}")
        if o and c:
            ratios[mode] = {
                "speedup": c["median_s"] / o["median_s"],
                "peak_ratio_ours_over_csdid": o["peak_mb"] / c["peak_mb"],
                "same_simple_att": abs(o["simple_att"] - c["simple_att"]) < 1e-8,
            }
    out = {"meta": meta, "results": results, "ratios": ratios}
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"bench_did_{stamp}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")

    print()
    print(f"| configuration | units | median s (runs) | peak MB | base MB | speed-up vs csdid | peak ours/csdid |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key, r in results.items():
        impl, mode = key.split("/")[:2]
        units = meta.get("large_units") if key.endswith("large") else args.n_units
        ratio = ratios.get(mode, {}) if impl == "ours" and not key.endswith("large") else {}
        sp = f"{ratio['speedup']:.1f}x" if ratio else ""
        pk = f"{ratio['peak_ratio_ours_over_csdid']:.2f}" if ratio else ""
        print(f"| {key} | {units:,} | {r['median_s']:.2f} ({len(r['runs_s'])}) | {r['peak_mb']:.0f} | "
              f"{r['rss_base_mb']:.0f} | {sp} | {pk} |")
    print(f"\nJSON: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
