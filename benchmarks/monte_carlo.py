"""Monte Carlo benchmark: bias and coverage of the staggered-DiD estimators on a
Plaju-sized design (not a timed test).

Design (``analysis.did.simulate.simulate_staggered_panel`` defaults, growth 0.1):
36 service units, 36 months, cohorts adopting in months 7, 13, 19, 25 (8/7/7/7 units)
plus 7 never-treated units; effects grow with exposure (0.1 per month) and differ by
cohort (multipliers 0.5-1.5, earliest cohort smallest), unit-level
effect heterogeneity, AR(1) errors (rho = 0.5). The truth is fixed across
replications (deterministic cohort sizes), so bias and coverage are exact targets.

Methods: Callaway-Sant'Anna (never-treated controls, ``simple`` overall ATT and
``dynamic`` event times) with analytic influence-function SEs (the core estimator's)
and with the cluster multiplier bootstrap (``cs_multiplier_bootstrap``, few-cluster
corrected: G/(G-1) and t(G-1); simultaneous band too); static
TWFE with CRV1 and with the WCR wild cluster bootstrap; TWFE event study (CRV1);
Sun-Abraham (CRV1 of the aggregated CATTs); BJS imputation (conservative SEs).

Usage::

    .venv/bin/python benchmarks/monte_carlo.py --reps 500        # full run (~10 min on 2 cores)
    .venv/bin/python benchmarks/monte_carlo.py --quick           # 20 replications, smoke test

Writes ``benchmarks/results/monte_carlo.json``, ``monte_carlo.md`` and the
per-replication records ``monte_carlo_reps.csv.gz`` (git-ignored).
"""

from __future__ import annotations

import os

# one BLAS thread per worker: the parallelism is across replications
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json
import time
import warnings

import numpy as np
import pandas as pd
from _replicate import parser, replicate

#: the simulator's defaults with stronger exposure growth (0.1 per month), the case
#: where static TWFE's forbidden comparisons bite
SETTINGS = {"growth": 0.1}
PRE = (-3, -2, -1)
POST = tuple(range(0, 12))
EVENT_TIMES = PRE + POST
ARGS = ("y", "period", "unit", "cohort")


def _truth(sim) -> dict[str, float]:
    truth = {"overall": sim.true_overall()}
    ev = sim.true_event(POST)
    truth.update({f"e={e}": float(ev.loc[e]) for e in POST})
    truth.update({f"e={e}": 0.0 for e in PRE})
    return truth


def _rows_from_tidy(method, tidy, *, overall_term, with_simul=False):
    out = []
    for _, r in tidy.iterrows():
        if r["term"] == overall_term and r["type"] in ("simple",):
            target = "overall"
        elif pd.notna(r["event_time"]) and int(r["event_time"]) in EVENT_TIMES:
            target = f"e={int(r['event_time'])}"
        else:
            continue
        rec = dict(method=method, target=target, estimate=r["estimate"], se=r["std_error"], lo=r["conf_low"],
                   hi=r["conf_high"])
        if with_simul:
            rec.update(lo_s=r["conf_low_simul"], hi_s=r["conf_high_simul"])
        out.append(rec)
    return out


def one_replication(seed: int, *, boot_reps: int = 999, settings: dict | None = None) -> list[dict]:
    """All methods on one simulated panel; returns one record per (method, target)."""
    warnings.simplefilter("ignore")
    from analysis.did import aggte, att_gt
    from analysis.did.imputation import imputation
    from analysis.did.inference import cs_multiplier_bootstrap
    from analysis.did.simulate import simulate_staggered_panel
    from analysis.did.sunab import sun_abraham
    from analysis.did.twfe import twfe

    sim = simulate_staggered_panel(seed=seed, **(SETTINGS if settings is None else settings))
    d = sim.data
    recs: list[dict] = []

    gt = att_gt(d, *ARGS, control_group="nevertreated", est_method="reg")
    simple = aggte(gt, type="simple")
    dyn = aggte(gt, type="dynamic", min_e=min(PRE), max_e=max(POST))
    recs += _rows_from_tidy("CS analytic", simple.tidy(), overall_term="overall")
    recs += _rows_from_tidy("CS analytic", dyn.tidy(), overall_term=None)
    mb_s = cs_multiplier_bootstrap(simple, cluster=gt, inference="wild_bootstrap", reps=boot_reps, seed=seed)
    mb_d = cs_multiplier_bootstrap(dyn, cluster=gt, inference="wild_bootstrap", reps=boot_reps, seed=seed + 1)
    recs += _rows_from_tidy("CS multiplier bootstrap", mb_s.tidy(), overall_term="overall")
    recs += _rows_from_tidy("CS multiplier bootstrap", mb_d.tidy(), overall_term=None, with_simul=True)

    st = twfe(d, *ARGS, inference="analytic")
    recs += _rows_from_tidy("TWFE CRV1", st.tidy(), overall_term="ATT")
    wb = twfe(d, *ARGS, inference="wild_bootstrap", boot_reps=boot_reps, seed=seed)
    recs += _rows_from_tidy("TWFE wild bootstrap (WCR)", wb.tidy(), overall_term="ATT")
    ev = twfe(d, *ARGS, dynamic=True, inference="analytic")
    recs += _rows_from_tidy("TWFE event study CRV1", ev.tidy().query("type == 'dynamic'"), overall_term=None)

    sa = sun_abraham(d, *ARGS, inference="analytic")
    recs += _rows_from_tidy("Sun-Abraham CRV1", sa.tidy(), overall_term="ATT")
    imp = imputation(d, *ARGS, min_e=min(PRE))
    recs += _rows_from_tidy("Imputation (BJS)", imp.tidy(), overall_term="ATT")
    for r in recs:
        r["seed"] = seed
    return recs


def _chunk(seeds, boot_reps, settings):
    return [rec for s in seeds for rec in one_replication(int(s), boot_reps=boot_reps, settings=settings)]


def summarise(df: pd.DataFrame, truth: dict[str, float]) -> pd.DataFrame:
    df = df.copy()
    df["truth"] = df["target"].map(truth)
    df["err"] = df["estimate"] - df["truth"]
    df["covered"] = (df["lo"] <= df["truth"]) & (df["truth"] <= df["hi"])
    df["length"] = df["hi"] - df["lo"]
    g = df.groupby(["method", "target"], sort=False)
    out = g.agg(reps=("estimate", "size"), truth=("truth", "first"), bias=("err", "mean"),
                sd=("estimate", "std"), mean_se=("se", "mean"), rmse=("err", lambda e: float(np.sqrt(np.mean(e**2)))),
                coverage=("covered", "mean"), ci_length=("length", "mean")).reset_index()
    out["mc_se_coverage"] = np.sqrt(out["coverage"] * (1 - out["coverage"]) / out["reps"])
    return out


def uniform_coverage(df: pd.DataFrame, truth: dict[str, float]) -> float | None:
    """Share of replications whose simultaneous band covers every post-period effect."""
    sub = df[(df["method"] == "CS multiplier bootstrap") & df["target"].isin([f"e={e}" for e in POST])].copy()
    if "lo_s" not in sub or sub["lo_s"].isna().all():
        return None
    sub["truth"] = sub["target"].map(truth)
    sub["ok"] = (sub["lo_s"] <= sub["truth"]) & (sub["truth"] <= sub["hi_s"])
    return float(sub.groupby("seed")["ok"].all().mean())


def to_markdown(summary: pd.DataFrame, meta: dict) -> str:
    lines = [
        f"# Monte Carlo: {meta['reps']} replications, {meta['design']}",
        "",
        f"Run {meta['finished_utc']} in {meta['seconds']:.0f} s on {meta['jobs']} processes; bootstrap draws "
        f"{meta['boot_reps']}. Coverage of nominal 95% intervals; Monte Carlo SE of a coverage near 95% is "
        f"about {100 * np.sqrt(0.95 * 0.05 / meta['reps']):.1f} pp.",
        "",
    ]
    if meta.get("uniform_coverage") is not None:
        lines += [f"CS multiplier bootstrap simultaneous band, joint coverage of e = 0..{max(POST)}: "
                  f"{100 * meta['uniform_coverage']:.1f}%", ""]
    shown = ["overall", "e=-2", "e=0", "e=3", "e=6", "e=11"]
    tab = summary[summary["target"].isin(shown)].copy()
    tab["target"] = pd.Categorical(tab["target"], shown, ordered=True)
    tab = tab.sort_values(["target", "method"])
    lines.append("| target | truth | method | bias | sd | mean SE | RMSE | coverage % | CI length |")
    lines.append("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for _, r in tab.iterrows():
        lines.append(f"| {r['target']} | {r['truth']:.3f} | {r['method']} | {r['bias']:+.3f} | {r['sd']:.3f} | "
                     f"{r['mean_se']:.3f} | {r['rmse']:.3f} | {100 * r['coverage']:.1f} | {r['ci_length']:.3f} |")
    lines += ["", "Coverage by event time (all event times, %):", ""]
    piv = summary.pivot(index="target", columns="method", values="coverage") * 100
    order = ["overall"] + [f"e={e}" for e in EVENT_TIMES]
    piv = piv.reindex([o for o in order if o in piv.index])
    lines.append("| target | " + " | ".join(piv.columns) + " |")
    lines.append("|---|" + "---:|" * len(piv.columns))
    for idx, r in piv.iterrows():
        lines.append(f"| {idx} | " + " | ".join("" if pd.isna(v) else f"{v:.1f}" for v in r) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = parser(__doc__, reps=500, seed=20260101, quick="20 replications, 199 bootstrap draws")
    ap.add_argument("--boot-reps", type=int, default=999)
    a = ap.parse_args(argv)
    reps, boot_reps = (20, 199) if a.quick else (a.reps, a.boot_reps)
    from analysis.did.simulate import simulate_staggered_panel

    sim0 = simulate_staggered_panel(seed=0, **SETTINGS)
    truth = _truth(sim0)
    recs, seconds = replicate(_chunk, a.seed, reps, a.jobs, boot_reps=boot_reps, settings=None)
    df = pd.DataFrame(recs)
    summary = summarise(df, truth)
    a.out.mkdir(parents=True, exist_ok=True)
    stem = "monte_carlo_quick" if a.quick else "monte_carlo"
    df.to_csv(a.out / f"{stem}_reps.csv.gz", index=False)  # per-replication records, for re-analysis
    meta = {
        "reps": int(reps), "boot_reps": boot_reps, "jobs": a.jobs, "seed": a.seed,
        "seconds": seconds, "finished_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "design": "36 units x 36 months, cohorts 7/13/19/25 (8/7/7/7 units) + 7 never treated, effects "
                  "growing 0.1/month with cohort multipliers 0.5-1.5, AR(1) errors (rho 0.5)",
        "settings": sim0.settings, "truth": truth, "uniform_coverage": uniform_coverage(df, truth),
    }
    (a.out / f"{stem}.json").write_text(json.dumps(
        {"meta": meta, "summary": summary.replace({np.nan: None}).to_dict(orient="records")}, indent=2,
        default=float) + "\n")
    md = to_markdown(summary, meta)
    (a.out / f"{stem}.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
