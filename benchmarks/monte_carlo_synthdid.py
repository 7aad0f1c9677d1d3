"""Monte Carlo benchmark: coverage of the placebo interval for one treated unit (synthetic DiD,
synthetic control and DiD of :mod:`analysis.did.synthdid`; not a timed test).

Design (a single office among Plaju-sized comparison units): N = 36 units, T = 30 months,
the treatment starts in month 23 (T0 = 22 pre-periods, T1 = 8 post-periods) at ONE unit
drawn at random in each replication (so the treated unit is exchangeable with the
controls, the condition under which the placebo variance of Arkhangelsky et al. 2021,
Algorithm 4, is valid). Outcomes::

    y_it = a_i + b_t + g_i' f_t + u_it + tau * 1{i treated, t > T0}

with unit and period effects, a rank-2 interactive component (loadings N(0, 1), factors
random walks with step sd 0.3: the case where plain DiD's parallel trends fail and
the weights matter), AR(1) errors (rho = 0.5, innovation sd 1) and tau = 1.
Each replication estimates SDID, SC and DiD with R synthdid's defaults and the
placebo standard error (``--placebo-reps`` permutations, R's default 200), and checks
whether ``estimate +- 1.96 se`` covers tau.

Usage::

    .venv/bin/python benchmarks/monte_carlo_synthdid.py --reps 200 --jobs 2   # full run
    .venv/bin/python benchmarks/monte_carlo_synthdid.py --quick               # 20 replications

Writes ``benchmarks/results/monte_carlo_synthdid.json`` and ``.md`` and the
per-replication records ``monte_carlo_synthdid_reps.csv.gz`` (git-ignored).
"""

from __future__ import annotations

import os

# one BLAS thread per worker: the parallelism is across replications
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json
import time

import numpy as np
import pandas as pd
from _replicate import parser, replicate

DESIGN = dict(n_units=36, n_periods=30, t0=22, rank=2, factor_step=0.3, rho=0.5, noise_sd=1.0, tau=1.0)
METHODS = ("sdid", "sc", "did")


def simulate(seed, *, n_units, n_periods, t0, rank, factor_step, rho, noise_sd, tau):
    """One panel as a matrix with the treated unit in the last row (controls first)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, n_units)
    b = rng.normal(0, 0.5, n_periods) + 0.05 * np.arange(n_periods)
    load = rng.normal(0, 1, (n_units, rank))
    fac = np.cumsum(rng.normal(0, factor_step, (rank, n_periods)), axis=1)
    eps = rng.normal(0, noise_sd, (n_units, n_periods))
    u = np.empty_like(eps)
    u[:, 0] = eps[:, 0] / np.sqrt(1 - rho**2)
    for t in range(1, n_periods):
        u[:, t] = rho * u[:, t - 1] + eps[:, t]
    Y = a[:, None] + b[None, :] + load @ fac + u
    treated = int(rng.integers(n_units))  # random assignment of the single treated unit
    order = np.r_[np.delete(np.arange(n_units), treated), treated]
    Y = Y[order]
    Y[-1, t0:] += tau
    return Y


def one_replication(seed: int, placebo_reps: int) -> list[dict]:
    from analysis.did.synthdid import did_estimate, sc_estimate, synthdid_estimate, synthdid_se

    Y = simulate(seed, **DESIGN)
    n0, t0 = DESIGN["n_units"] - 1, DESIGN["t0"]
    out = []
    for name, f in zip(METHODS, (synthdid_estimate, sc_estimate, did_estimate)):
        fit = f(Y, n0, t0)
        se = synthdid_se(fit, "placebo", replications=placebo_reps, seed=seed)["se"]
        out.append(dict(seed=int(seed), method=name, estimate=fit.estimate, se=se,
                        covered=bool(abs(fit.estimate - DESIGN["tau"]) <= 1.959964 * se)))
    return out


def _chunk(seeds, placebo_reps):
    return [r for s in seeds for r in one_replication(int(s), placebo_reps)]


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    g = df.groupby("method", sort=False)
    n = g.size()
    cov = g["covered"].mean()
    return pd.DataFrame({
        "method": n.index, "reps": n.values,
        "bias": (g["estimate"].mean() - DESIGN["tau"]).values,
        "rmse": np.sqrt(g["estimate"].apply(lambda e: np.mean((e - DESIGN["tau"]) ** 2))).values,
        "mean_se": g["se"].mean().values, "sd_estimate": g["estimate"].std().values,
        "coverage": cov.values, "coverage_mc_se": np.sqrt(cov * (1 - cov) / n).values,
    })


def to_markdown(summary: pd.DataFrame, meta: dict) -> str:
    lines = [
        f"Placebo-interval coverage, one treated unit ({meta['reps']} replications, "
        f"{meta['placebo_reps']} placebo permutations each, {meta['seconds']:.0f} s on {meta['jobs']} processes)",
        "",
        "| method | bias | RMSE | mean placebo SE | SD of estimates | coverage of 95% interval (MC s.e.) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in summary.itertuples():
        lines.append(f"| {r.method} | {r.bias:+.3f} | {r.rmse:.3f} | {r.mean_se:.3f} | {r.sd_estimate:.3f} | "
                     f"{100 * r.coverage:.1f}% ({100 * r.coverage_mc_se:.1f} pp) |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = parser(__doc__, reps=200, seed=20261129, quick="20 replications, 50 placebo permutations")
    ap.add_argument("--placebo-reps", type=int, default=200)
    a = ap.parse_args(argv)
    reps, placebo_reps = (20, 50) if a.quick else (a.reps, a.placebo_reps)
    recs, seconds = replicate(_chunk, a.seed, reps, a.jobs, placebo_reps=placebo_reps)
    df = pd.DataFrame(recs)
    summary = summarise(df)
    a.out.mkdir(parents=True, exist_ok=True)
    stem = "monte_carlo_synthdid_quick" if a.quick else "monte_carlo_synthdid"
    df.to_csv(a.out / f"{stem}_reps.csv.gz", index=False)
    meta = {"reps": int(reps), "placebo_reps": placebo_reps, "jobs": a.jobs, "seed": a.seed,
            "seconds": seconds, "finished_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "design": DESIGN}
    (a.out / f"{stem}.json").write_text(json.dumps({"meta": meta, "summary": summary.to_dict(orient="records")},
                                                   indent=2, default=float) + "\n")
    md = to_markdown(summary, meta)
    (a.out / f"{stem}.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
