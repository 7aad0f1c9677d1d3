"""Timing of ``analysis design`` on the default data: 3 schedules for the units not yet adopted.

Generates the default synthetic Plaju (clean exports: the panels are those cleaning
produces), builds the monthly panel, and runs the planner's comparison (all at once,
staggered by kelurahan, randomised order) for every outcome of ``params/main.yaml`` with
200 simulated rollouts per outcome and schedule on 2 processes. Target: under 3 minutes
on the project machine (2 cores). Prints the table and the wall time.

Usage::

    nice .venv/bin/python benchmarks/bench_design_schedules.py [--reps 200] [--jobs 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    import os

    from analysis.config import RunParams
    from analysis.evaluation.rollout import Plan, compare_schedules, default_adopt_month
    from analysis.panels import compute_panels, connect_interim
    from analysis.synth.config import MessyConfig, SynthConfig
    from analysis.synth.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        raw = generate(Path(tmp) / "raw", SynthConfig(messy=MessyConfig.none()))
        monthly = compute_panels(connect_interim(raw / "_truth" / "clean"))["panel_unit_month"]
    params = RunParams()
    plan = Plan(default_adopt_month(monthly["month"].max().strftime("%Y-%m")))
    t0 = time.time()
    table, _ = compare_schedules(monthly, list(params.outcomes), plan, reps=a.reps, seed=params.seed,
                                 n_jobs=a.jobs)
    seconds = time.time() - t0
    cols = ["outcome", "scenario", "n_units", "mde", "mde_size_adjusted", "ci_width", "note"]
    print(table[cols].round(3).to_string(index=False))
    print(f"\n{len(params.outcomes)} outcomes x 3 schedules x {a.reps} draws: {seconds:.1f} s on {a.jobs} processes "
          f"(load average {os.getloadavg()[0]:.1f}); target < 180 s")
    return 0 if seconds < 180 else 1


if __name__ == "__main__":
    raise SystemExit(main())
