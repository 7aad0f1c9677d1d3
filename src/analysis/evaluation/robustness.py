"""Robustness of an outcome's estimate (notebook 04).

* the pre-trend Wald test of Callaway-Sant'Anna's pre-adoption cells;
* placebo adoption dates: adopters' pre-adoption months only, adoption moved earlier,
  where the true effect is zero by construction;
* alternative comparison group, covariates, anticipation, estimation method;
* honest bounds for violations of parallel trends (Rambachan and Roth);
* a specification curve over the grid of reasonable choices.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.evaluation.estimate import OutcomeEstimates, Spec, callaway_santanna
from analysis.evaluation.panel import OutcomePanel

PLACEBO_SHIFT_MONTHS = 6


def _overall(panel: OutcomePanel, spec: Spec, unbalanced: bool = False) -> dict:
    from analysis.did import aggte

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = aggte(callaway_santanna(panel, spec, unbalanced=unbalanced), "simple", na_rm=True).tidy().iloc[0]
    return {k: float(row[k]) for k in ("estimate", "std_error", "conf_low", "conf_high", "p_value")}


def pretrend(estimates: OutcomeEstimates, alp: float) -> dict:
    test = estimates.cs.extra.get("pretest") or {}
    p_value = test.get("p_value", np.nan)
    return {"outcome": estimates.yname, "W": test.get("W", np.nan), "df": test.get("df", np.nan), "p_value": p_value,
            "rejects": bool(np.isfinite(p_value) and p_value < alp)}


def pretrend_table(estimates, honest: pd.DataFrame, alp: float) -> pd.DataFrame:
    """Pre-trend test per outcome and a flag: the test rejects, or the honest bounds break
    down already at a violation no larger than the largest pre-period one (RM Mbar <= 1)."""
    rows = []
    for est in estimates:
        row = pretrend(est, alp)
        rm = honest[(honest["outcome"] == est.yname) & (honest["method"] == "relative_magnitudes")]
        breakdown = float(rm["breakdown"].iloc[0]) if len(rm) else np.nan
        row["breakdown_rm"] = breakdown
        row["flag"] = bool(row["rejects"] or (np.isfinite(breakdown) and breakdown < 1.0))
        rows.append(row)
    return pd.DataFrame(rows)


def placebo_panel(panel: OutcomePanel, shift: int) -> OutcomePanel:
    """Adopters' pre-adoption rows with adoption moved ``shift`` periods earlier; never-adopters kept whole."""
    data, g, t = panel.data, panel.gname, panel.tname
    pre = data[(data[g] == 0) | (data[t] < data[g])].copy()
    pre[g] = np.where(pre[g] > 0, pre[g] - shift, 0)
    first = pre[t].min()
    pre = pre[(pre[g] == 0) | (pre[g] > first)]  # a placebo cohort needs a pre-period of its own
    return OutcomePanel(panel.yname, pre, t, panel.idname, g)


def robustness_checks(estimates: OutcomeEstimates) -> pd.DataFrame:
    panel, spec = estimates.panel, estimates.spec
    scale = 4 if panel.frequency == "week" else 1
    checks = {
        "main": None,
        "not_yet_treated" if spec.control_group == "nevertreated" else "never_treated": replace(
            spec, control_group="notyettreated" if spec.control_group == "nevertreated" else "nevertreated"),
        "anticipation_plus_1": replace(spec, anticipation=spec.anticipation + 1 * scale),
        "outcome_regression" if spec.est_method != "reg" else "doubly_robust": replace(
            spec, est_method="reg" if spec.est_method != "reg" else "dr"),
        "universal_base_period": replace(spec, base_period="universal"),
    }
    rows = []
    for name, alt in checks.items():
        if alt is None:
            row = {k: float(v) for k, v in estimates.simple_row("cs").items()
                   if k in ("estimate", "std_error", "conf_low", "conf_high", "p_value")}
        else:
            try:
                row = _overall(panel, alt)
            except (ValueError, np.linalg.LinAlgError) as exc:
                row = {"note": str(exc).splitlines()[0]}
        rows.append({"outcome": panel.yname, "check": name, **row})
    try:
        placebo = placebo_panel(panel, PLACEBO_SHIFT_MONTHS * scale)
        rows.append({"outcome": panel.yname, "check": "placebo_adoption", **_overall(placebo, replace(spec, anticipation=0), unbalanced=True)})
    except (ValueError, np.linalg.LinAlgError) as exc:
        rows.append({"outcome": panel.yname, "check": "placebo_adoption", "note": str(exc).splitlines()[0]})
    return pd.DataFrame(rows)


def specification_curve(estimates: OutcomeEstimates, covariates: tuple[str, ...] = ("distance_km",)) -> pd.DataFrame:
    """The overall ATT across comparison group x method x covariates x anticipation."""
    panel, spec = estimates.panel, estimates.spec
    available = tuple(c for c in covariates if c in panel.data)
    grid = itertools.product(("nevertreated", "notyettreated"), ("dr", "ipw", "reg"),
                             ((), available) if available else ((),), (0, 1))
    rows = []
    for control_group, est_method, covs, anticipation in grid:
        alt = replace(spec, control_group=control_group, est_method=est_method, covariates=covs,
                      anticipation=anticipation * (4 if panel.frequency == "week" else 1))
        try:
            result = _overall(panel, alt)
        except (ValueError, np.linalg.LinAlgError):
            continue
        label = f"{'never' if control_group == 'nevertreated' else 'notyet'}/{est_method}/{'+'.join(covs) or 'no-x'}/a{anticipation}"
        rows.append({"outcome": panel.yname, "control_group": control_group, "est_method": est_method,
                     "covariates": "+".join(covs), "anticipation": anticipation, "label": label, **result})
    return pd.DataFrame(rows)


def honest_table(estimates: OutcomeEstimates, *, window: int = 6, alp: float = 0.05) -> pd.DataFrame:
    """Honest bounds (Rambachan-Roth) on the first post-adoption effect, both restrictions.

    Pre-period coefficients must share one base period, so the event study is
    re-estimated with ``base_period="universal"``; ``window`` periods on each side
    keep the linear programmes small.
    """
    from analysis.did import aggte
    from analysis.did.honest import event_study_inputs, honest_bounds

    panel, spec = estimates.panel, estimates.spec
    scale = 4 if panel.frequency == "week" else 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = callaway_santanna(panel, replace(spec, base_period="universal"))
        dyn = aggte(cs, "dynamic", min_e=-window * scale - 1, max_e=window * scale, na_rm=True)
    betahat, sigma, num_pre, num_post, _ = event_study_inputs(dyn, min_e=-window * scale - 1, max_e=window * scale)
    rows = []
    for method in ("relative_magnitudes", "smoothness"):
        result = honest_bounds(betahat, sigma, num_pre, num_post, method=method, alpha=alp, seed=spec.seed)
        frame = result.bounds.rename(columns={"ci_lb": "lb", "ci_ub": "ub"})
        rows.append(frame.assign(outcome=panel.yname, method=method, breakdown=result.breakdown))
    cols = ["outcome", "method", "M", "id_lb", "id_ub", "lb", "ub", "breakdown"]
    return pd.concat(rows, ignore_index=True)[cols]
