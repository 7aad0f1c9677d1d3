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


def universal_event_study(estimates: OutcomeEstimates, window: int = 6):
    """Dynamic aggregation with a universal base period (e = -1), ``window`` periods each side.

    Pre-adoption coefficients then share one base, as the event-study pre-test and
    honest bounds need; the window keeps both well conditioned with few units.
    """
    from analysis.did import aggte

    panel, spec = estimates.panel, estimates.spec
    scale = 4 if panel.frequency == "week" else 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = callaway_santanna(panel, replace(spec, base_period="universal"))
        return aggte(cs, "dynamic", min_e=-window * scale - 1, max_e=window * scale, na_rm=True)


def rank_robust_wald(b: np.ndarray, V: np.ndarray, tol: float = 1e-8) -> tuple[float, int]:
    """Wald statistic on the directions ``V`` actually identifies (eigenvalues above ``tol`` x max).

    Coefficients fixed at zero by design (a semester outcome within its semester) or
    collinear ones carry no information and would otherwise blow the statistic up.
    """
    values, vectors = np.linalg.eigh((V + V.T) / 2)
    keep = values > tol * max(float(values.max()), 1e-300)
    z = vectors[:, keep].T @ b
    return float(np.sum(z**2 / values[keep])), int(keep.sum())


def pretrend(estimates: OutcomeEstimates, alp: float, dynamic=None) -> dict:
    """Wald test that the pre-adoption event-study coefficients of the window are zero.

    Callaway-Sant'Anna's own test uses every pre-adoption ATT(g,t); with a few dozen
    units and many months their covariance is singular or nearly so (R ``did`` gives
    up there), so the window's event-study coefficients (universal base period) are
    tested instead, with a small-sample F correction for the number of units.
    """
    from scipy.stats import chi2
    from scipy.stats import f as f_dist

    from analysis.did.honest import event_study_inputs

    test, source = None, "not computable"
    if dynamic is not None:
        beta, sigma, num_pre, _, _ = event_study_inputs(dynamic)
        W, q = rank_robust_wald(beta[:num_pre], sigma[:num_pre, :num_pre])
        G = estimates.panel.data[estimates.panel.idname].nunique()
        if q:
            # Hotelling's small-sample correction: with G clusters the Wald statistic over-rejects as chi2(q)
            p_value = float(f_dist.sf(W * (G - q) / (q * (G - 1)), q, G - q)) if G > q else float(chi2.sf(W, q))
            test = {"W": W, "df": q, "p_value": p_value}
            source = "event-study pre-period coefficients (Hotelling F)"
    test = test or {}
    p_value = test.get("p_value", np.nan)
    return {"outcome": estimates.yname, "W": test.get("W", np.nan), "df": test.get("df", np.nan), "p_value": p_value,
            "test": source if test else "not computable", "rejects": bool(np.isfinite(p_value) and p_value < alp)}


def pretrend_table(estimates, dynamics: dict, honest: pd.DataFrame, alp: float) -> pd.DataFrame:
    """Pre-trend test per outcome, its flag, and the honest-bounds breakdown value.

    ``breakdown_rm`` is the largest relative violation of parallel trends (in units of the
    largest pre-period one) under which the average post-adoption effect stays
    significant: reported beside the flag, it tells how fragile a clean-looking effect is.
    """
    rows = []
    for est in estimates:
        row = pretrend(est, alp, dynamics.get(est.yname))
        rm = honest[(honest["outcome"] == est.yname) & (honest["method"] == "relative_magnitudes")]
        breakdown = float(rm["breakdown"].iloc[0]) if len(rm) else np.nan
        row["breakdown_rm"] = breakdown
        row["flag"] = bool(row["rejects"])
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


def honest_table(estimates: OutcomeEstimates, dynamic, *, alp: float = 0.05) -> pd.DataFrame:
    """Honest bounds (Rambachan-Roth) on the average post-adoption effect of the window."""
    from analysis.did.honest import event_study_inputs, honest_bounds

    betahat, sigma, num_pre, num_post, _ = event_study_inputs(dynamic)
    rows = []
    for method in ("relative_magnitudes", "smoothness"):
        result = honest_bounds(betahat, sigma, num_pre, num_post, method=method, l_vec="average", alpha=alp,
                               seed=estimates.spec.seed)
        frame = result.bounds.rename(columns={"ci_lb": "lb", "ci_ub": "ub"})
        rows.append(frame.assign(outcome=estimates.yname, method=method, breakdown=result.breakdown))
    cols = ["outcome", "method", "M", "id_lb", "id_ub", "lb", "ub", "breakdown"]
    return pd.concat(rows, ignore_index=True)[cols]
