"""Timing of a 3-schedule rollout-design comparison (analysis.design) on a Plaju-sized panel.

The noise model is fitted to one draw of the project's staggered simulator (36 units x
36 months); six never-treated units are the remaining adopters, the other never-treated
units stay as comparisons, and the future window is 18 months with adoption from
month 13: all at once, staggered by group (3 groups, 2 months apart) and randomised
order (3 waves). Prints the tidy comparison and the wall time per outcome.

Usage::

    .venv/bin/python benchmarks/bench_design.py --reps 500 --jobs 2
"""

from __future__ import annotations

import argparse
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    from analysis import design as dz
    from analysis.did.simulate import simulate_staggered_panel

    sim = simulate_staggered_panel(seed=1)
    model = dz.fit_panel_model(sim.data, "y", "period", "unit", "cohort")
    never = sorted(sim.data.loc[sim.data["cohort"] == 0, "unit"].unique())
    remaining, comparison = never[:6], never[6:]
    scenarios = [
        dz.all_at_once(remaining, start=13, n_periods=18, controls=comparison),
        dz.staggered_by_group({u: i % 3 for i, u in enumerate(remaining)}, start=13, spacing=2, n_periods=18,
                              controls=comparison),
        dz.randomised_order(remaining, start=13, n_waves=3, spacing=2, n_periods=18, seed=1, controls=comparison),
    ]
    t0 = time.time()
    result = dz.simulate_design(model, scenarios, reps=a.reps, seed=1, n_jobs=a.jobs)
    seconds = time.time() - t0
    print(result.tidy().round(3).to_string(index=False))
    print(f"\n3 schedules x {a.reps} draws, one outcome: {seconds:.1f} s on {a.jobs} processes "
          f"({1000 * seconds * a.jobs / (3 * a.reps):.0f} ms of CPU per draw)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
