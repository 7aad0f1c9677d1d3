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

from analysis.evaluation.estimate import OutcomeEstimates, Spec, callaway_santanna, overall_effect
from analysis.evaluation.panel import OutcomePanel

PLACEBO_SHIFT_MONTHS = 6
PRETEST_LAGS = 3  # months before the base month that the pre-trend test covers
PRETEST_MIN_UNITS = 8


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


def pretrend(estimates: OutcomeEstimates, alp: float, dynamic=None, biters: int = 999) -> dict:
    """Test that the pre-adoption event-study coefficients of the window are all zero.

    Callaway-Sant'Anna's own Wald test uses every pre-adoption ATT(g,t); with a few dozen
    units and many months their covariance is singular or nearly so, and a Wald test on
    six pre-period coefficients over-rejects with few clusters (13% at a nominal 5% in 200
    simulated panels of 36 units). So the test is the sup-t statistic max_e |b_e / se_e|
    over the last ``PRETEST_LAGS`` pre-period months (universal base e = -1), with its null
    distribution from the multiplier bootstrap of their influence functions - the
    construction of R ``did``'s uniform bands. It rejected 7% of 200 such panels at 5%.
    The Wald statistic is reported beside it for reference.
    """
    from scipy.stats import t as t_dist

    from analysis.did.bootstrap import cluster_sums, multiplier_draws

    base = {"outcome": estimates.yname, "W": np.nan, "df": np.nan, "sup_t": np.nan, "p_value": np.nan,
            "test": "not computable", "rejects": False}
    if dynamic is None or dynamic.inf_egt is None:
        return base
    n_units = estimates.panel.data[estimates.panel.idname].nunique()
    if n_units < PRETEST_MIN_UNITS:  # 2^n distinct multiplier draws: too few for a bootstrap p-value
        return {**base, "test": f"not computed: {n_units} units (< {PRETEST_MIN_UNITS})"}
    e = np.asarray(dynamic.egt, dtype=float)
    lags = PRETEST_LAGS * (4 if estimates.panel.frequency == "week" else 1)
    window = np.flatnonzero((e < -1) & np.isfinite(dynamic.att_egt))
    informative = np.abs(dynamic.inf_egt[:, window]).sum(axis=0) > 0  # zero by design: no information
    window = window[informative]
    if not len(window):
        return base
    inf, b, ew = dynamic.inf_egt[:, window], np.asarray(dynamic.att_egt)[window], e[window]
    n = inf.shape[0]
    cluster = getattr(dynamic, "cluster", None)
    sums = inf if cluster is None else cluster_sums(inf, cluster)
    V = sums.T @ sums / n**2
    # (1) sup-t over the last pre-period months, bootstrap null distribution
    near = ew >= -1 - lags
    sup_t = p_sup = np.nan
    if near.any():
        draws = multiplier_draws(inf[:, near], biters=biters, seed=estimates.spec.seed, cluster=cluster, n=n)
        se = draws.std(axis=0)
        sup_t = float(np.max(np.abs(b[near]) / se))
        p_sup = float(np.mean(np.max(np.abs(draws) / se, axis=1) >= sup_t))
    # (2) linear trend over the whole pre-window (one restriction: t test with G - 1 df)
    p_slope = np.nan
    if len(ew) >= 3:
        c = (ew - ew.mean()) / np.sum((ew - ew.mean()) ** 2)
        slope, slope_se = float(c @ b), float(np.sqrt(c @ V @ c))
        p_slope = float(2 * t_dist.sf(abs(slope) / slope_se, df=max(n_units - 1, 1))) if slope_se > 0 else np.nan
    tests = [p for p in (p_sup, p_slope) if np.isfinite(p)]
    if not tests:
        return base
    p_value = float(min(1.0, len(tests) * min(tests)))  # Bonferroni over the tests that apply
    W, q = rank_robust_wald(b, V)
    return {**base, "W": W, "df": q, "sup_t": sup_t, "p_value": p_value, "p_sup_t": p_sup, "p_slope": p_slope,
            "test": "sup-t over the last pre-period months and linear pre-trend (Bonferroni)",
            "rejects": bool(p_value < alp)}


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
                row = overall_effect(panel, alt)
            except (ValueError, np.linalg.LinAlgError) as exc:
                row = {"note": str(exc).splitlines()[0]}
        rows.append({"outcome": panel.yname, "check": name, **row})
    try:
        placebo = placebo_panel(panel, PLACEBO_SHIFT_MONTHS * scale)
        rows.append({"outcome": panel.yname, "check": "placebo_adoption", **overall_effect(placebo, replace(spec, anticipation=0), unbalanced=True)})
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
            result = overall_effect(panel, alt)
        except (ValueError, np.linalg.LinAlgError):
            continue
        label = f"{'never' if control_group == 'nevertreated' else 'notyet'}/{est_method}/{'+'.join(covs) or 'no-x'}/a{anticipation}"
        rows.append({"outcome": panel.yname, "control_group": control_group, "est_method": est_method,
                     "covariates": "+".join(covs), "anticipation": anticipation, "label": label, **result})
    return pd.DataFrame(rows)


HONEST_MAX_PERIODS = 8  # per side: the exact ARP test enumerates dual vertices, C(2k, k) for k post periods


def honest_table(estimates: OutcomeEstimates, dynamic, *, alp: float = 0.05,
                 max_periods: int = HONEST_MAX_PERIODS) -> pd.DataFrame:
    """Honest bounds (Rambachan-Roth, as R HonestDiD) on the average post-adoption effect of the window.

    Relative magnitudes: R's C-LF hybrid confidence set; smoothness: R's optimal FLCI.
    At most ``max_periods`` event times are used on each side of the reference period
    (the monthly window of six months is whole; a weekly one keeps its first eight weeks
    after adoption and eight before), which keeps the exact ARP test fast. Columns:
    ``outcome, method, M, id_lb, id_ub, lb, ub, breakdown, ci_method, target``; ``M`` is M
    (smoothness) or M-bar (relative magnitudes) and ``target`` names the event times averaged.
    """
    from analysis.did.honest import event_study_inputs, honest_bounds

    betahat, sigma, num_pre, num_post, event_times = event_study_inputs(
        dynamic, min_e=-1 - max_periods, max_e=max_periods - 1)
    post = event_times[event_times >= 0]
    target = f"mean e={int(post.min())}..{int(post.max())}" if len(post) > 1 else f"e={int(post.min())}"
    rows = []
    for method in ("relative_magnitudes", "smoothness"):
        result = honest_bounds(betahat, sigma, num_pre, num_post, method=method, l_vec="average", alpha=alp,
                               seed=estimates.spec.seed)
        frame = result.bounds.rename(columns={"ci_lb": "lb", "ci_ub": "ub"})
        rows.append(frame.assign(outcome=estimates.yname, method=method, breakdown=result.breakdown, target=target))
    cols = ["outcome", "method", "M", "id_lb", "id_ub", "lb", "ub", "breakdown", "ci_method", "target"]
    return pd.concat(rows, ignore_index=True)[cols]
