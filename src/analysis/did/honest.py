"""Sensitivity of event-study conclusions to violations of parallel trends
(Rambachan & Roth 2023, "A More Credible Approach to Parallel Trends"), as R ``HonestDiD``.

Setting: event-study coefficients ``betahat = (beta_pre, beta_post)`` with covariance
``sigma``, reference period ``e = -1`` normalised to zero, consecutive event times
``-num_pre-1, ..., -2`` (pre) and ``0, ..., num_post-1`` (post). Write
``beta = tau + delta`` with ``tau_pre = 0``; the target is ``theta = l' tau_post`` (the first
post period, the average of the post periods, or any weights ``l``). Two restriction
classes on the bias ``delta`` (with ``delta_{-1} = 0``):

* ``"smoothness"`` - Delta^SD(M): every second difference of ``delta`` is at most ``M`` in
  absolute value (``M = 0``: the pre-trend continues linearly). Robust CI: R's
  optimal fixed-length CI, ``findOptimalFLCI`` (:mod:`analysis.did.honest_flci`).
* ``"relative_magnitudes"`` - Delta^RM(Mbar): every post-period first difference of
  ``delta`` is at most ``Mbar`` times the largest pre-period one. Robust CI: R's
  conditional-least-favourable hybrid ARP set (``computeConditionalCS_DeltaRM``,
  ``method = "C-LF"``, kappa = alpha/10; :mod:`analysis.did.honest_arp`).

Both reproduce ``createSensitivityResults`` / ``createSensitivityResults_relativeMagnitudes``
to the digits R prints (tests/did/test_honest_reference.py). For each value on the grid the
result also gives the *identified set* for ``theta`` at ``beta = betahat`` (two linear
programs; under SD empty - NaN - when the estimated pre-period path is itself not
M-smooth), and the *breakdown value*: the smallest ``M`` / ``Mbar`` at which the robust CI
contains 0 (0 if it already does at 0; ``inf`` if it never does). R reads it off the grid;
here it is located by bisection: for SD, on the FLCI; for RM, on the test of
``theta = 0`` (when the accepted set is an interval, as usual, the grid CI contains 0
exactly when that test accepts, up to the grid). Relative magnitudes need at least two
post periods (R's separate no-nuisance test for one post period is not ported).

Earlier versions of this module reported a conservative Bonferroni projection CI (RM)
and a FLCI around the fixed linear-extrapolation estimator (SD). Both were valid but
up to 1.9 times longer than R's; no caller needs them, so they are gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis.did.honest_arp import conditional_cs_rm, rm_rejects
from analysis.did.honest_flci import folded_normal_quantile, optimal_flci
from analysis.did.results import DiDResult, conform_tidy

__all__ = ["honest_bounds", "HonestResult", "event_study_inputs", "flci_critical_value", "target_vector"]

CI_METHOD = {"smoothness": "FLCI", "relative_magnitudes": "C-LF"}


def flci_critical_value(t: float, alpha: float = 0.05) -> float:
    """1-alpha quantile of |N(t, 1)|: the half-length (in SDs) of a fixed-length CI with max bias t SDs."""
    return folded_normal_quantile(1 - alpha, t, exact=True)


def target_vector(l_vec, num_post: int) -> np.ndarray:
    """``l``: ``"first"`` (default), ``"average"`` or explicit weights of length ``num_post``."""
    if l_vec is None or (isinstance(l_vec, str) and l_vec == "first"):
        l = np.zeros(num_post)
        l[0] = 1.0
        return l
    if isinstance(l_vec, str):
        if l_vec != "average":
            raise ValueError("l_vec must be 'first', 'average' or a vector of length num_post")
        return np.full(num_post, 1.0 / num_post)
    l = np.asarray(l_vec, dtype=float).ravel()
    if l.shape[0] != num_post:
        raise ValueError("l_vec must have length num_post")
    return l


def _full_index(num_pre: int, num_post: int):
    """Positions in the full path (pre, ref, post); the reference period is at ``num_pre``."""
    return num_pre, num_pre + 1 + num_post


def _embed(num_pre, num_post):
    """Matrix mapping delta (pre+post, no ref) to the full path with delta_ref = 0."""
    ref, L = _full_index(num_pre, num_post)
    E = np.zeros((L, num_pre + num_post))
    for j in range(num_pre):
        E[j, j] = 1.0
    for j in range(num_post):
        E[ref + 1 + j, num_pre + j] = 1.0
    return E


def _diff(L, order):
    D = np.eye(L)
    for _ in range(order):
        D = D[1:] - D[:-1]
    return D


def _lp_range(c, A_ub, b_ub, A_eq, b_eq):
    """(min, max) of c'x over the polyhedron, NaN if infeasible."""
    out = []
    for sign in (1.0, -1.0):
        r = optimize.linprog(sign * c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=(None, None),
                             method="highs")
        if r.status == 2:  # infeasible
            return np.nan, np.nan
        if r.status == 3:  # unbounded
            out.append(-np.inf * sign)
            continue
        out.append(sign * r.fun)
    return out[0], out[1]


def _identified_set(method, b, num_pre, num_post, l, M):
    """Identified set of ``l' tau_post`` at ``beta = b``: ``l' b_post - [max, min] l' delta_post``."""
    ref, L = _full_index(num_pre, num_post)
    E = _embed(num_pre, num_post)
    lfull = np.r_[np.zeros(num_pre), l]
    A_eq = np.hstack([np.eye(num_pre), np.zeros((num_pre, num_post))])
    if method == "smoothness":
        D = _diff(L, 2) @ E
        A_ub, b_ub = np.vstack([D, -D]), np.full(2 * D.shape[0], M)
    else:
        post = (_diff(L, 1) @ E)[ref:]
        max_pre = float(np.max(np.abs(np.diff(np.r_[b[:num_pre], 0.0]))))
        A_ub, b_ub = np.vstack([post, -post]), np.full(2 * post.shape[0], M * max_pre)
    lo, hi = _lp_range(lfull, A_ub, b_ub, A_eq, b[:num_pre])
    theta = float(l @ b[num_pre:])
    return theta - hi, theta - lo


@dataclass
class HonestResult(DiDResult):
    """Sensitivity result: ``bounds`` frame (one row per M) plus the breakdown value.

    ``bounds`` columns: ``M, id_lb, id_ub, ci_lb, ci_ub, ci_method``. The tidy table has one
    row per M (``type="sensitivity"``, ``term="M=..."``) with the robust CI in
    ``conf_low/conf_high`` and its midpoint in ``estimate``.
    """

    bounds: pd.DataFrame = field(default_factory=pd.DataFrame)
    breakdown: float = float("nan")


def honest_bounds(
    betahat,
    sigma,
    num_pre: int,
    num_post: int,
    *,
    method: str = "smoothness",
    Mvec=None,
    l_vec=None,
    alpha: float = 0.05,
    sims: int = 1000,
    seed: int = 0,
    grid_points: int = 1000,
    grid_lb: float | None = None,
    grid_ub: float | None = None,
    search_step: int = 8,
    breakdown_tol: float = 1e-3,
    hybrid: str = "LF",
) -> HonestResult:
    """Identified sets, robust CIs (R's FLCI / C-LF) and breakdown value over a grid of ``M``.

    ``l_vec``: ``"first"`` (default, as R), ``"average"`` or weights of length ``num_post``.
    ``Mvec`` defaults to 11 values from 0 to twice the breakdown value. ``seed``/``sims``:
    R's ``seed`` and number of least-favourable draws (RM only; R: 0 and 1,000).
    ``grid_points``, ``grid_lb``, ``grid_ub``: R's ``gridPoints``, ``grid.lb``, ``grid.ub`` for
    the RM test inversion (default: +-20 SD of ``l' beta_post``) (all points are tested, as R does; ``search_step`` only matters for
    event studies too large for vertex enumeration, see ``conditional_cs_rm``).
    ``breakdown_tol``: relative precision of the breakdown value. ``hybrid`` (RM only):
    ``"LF"`` - R's default ``method = "C-LF"`` - or ``"ARP"`` - R's ``"Conditional"``.
    """
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if b.shape[0] != num_pre + num_post or S.shape != (len(b), len(b)):
        raise ValueError("betahat/sigma do not match num_pre + num_post")
    if num_pre < 1 or num_post < 1:
        raise ValueError("need at least one pre and one post coefficient")
    if method not in CI_METHOD:
        raise ValueError("method must be 'smoothness' or 'relative_magnitudes'")
    if hybrid not in ("LF", "ARP"):
        raise ValueError("hybrid must be 'LF' (R's C-LF) or 'ARP' (R's Conditional)")
    ci_method = CI_METHOD[method] if method == "smoothness" or hybrid == "LF" else "Conditional"
    l = target_vector(l_vec, num_post)
    lfull = np.r_[np.zeros(num_pre), l]
    theta_plain = float(l @ b[num_pre:])
    se_plain = float(np.sqrt(lfull @ S @ lfull))
    z = stats.norm.ppf(1 - alpha / 2)

    if method == "smoothness":
        def ci(M):
            r = optimal_flci(b, S, num_pre, num_post, l, M, alpha=alpha)
            return r.lb, r.ub

        def gap(M):  # distance from 0 to the CI, <= 0 once the CI contains 0
            lo, hi = ci(M)
            return max(lo, -hi)

        scale = se_plain
    else:
        def ci(Mbar):
            lo, hi, _, _ = conditional_cs_rm(b, S, num_pre, num_post, l, Mbar, alpha=alpha, seed=seed, sims=sims,
                                             grid_points=grid_points, grid_lb=grid_lb, grid_ub=grid_ub,
                                             search_step=search_step, hybrid=hybrid)
            return lo, hi

        def gap(Mbar):
            rejects = rm_rejects(b, S, num_pre, num_post, l, Mbar, 0.0, alpha=alpha, seed=seed, sims=sims,
                                 hybrid=hybrid)
            return 1.0 if rejects else -1.0

        scale = 1.0

    breakdown = _breakdown(gap, scale, breakdown_tol)
    if Mvec is None:
        top = 2 * breakdown if np.isfinite(breakdown) and breakdown > 0 else 2 * scale
        Mvec = np.linspace(0.0, top, 11)
    rows, trows = [], []
    for M in np.asarray(Mvec, dtype=float):
        lo, hi = ci(M)
        il, ih = _identified_set(method, b, num_pre, num_post, l, M)
        rows.append({"M": M, "id_lb": il, "id_ub": ih, "ci_lb": lo, "ci_ub": hi, "ci_method": ci_method})
        trows.append({"estimator": "honest_did", "type": "sensitivity", "term": f"M={M:g}",
                      "estimate": (lo + hi) / 2, "conf_low": lo, "conf_high": hi})
    bounds = pd.DataFrame(rows)
    extra = {
        "method": method,
        "breakdown": breakdown,
        "l_vec": l.tolist(),
        "original": {"estimate": theta_plain, "std_error": se_plain,
                     "conf_low": theta_plain - z * se_plain, "conf_high": theta_plain + z * se_plain},
        "bounds": bounds.to_dict(orient="records"),
        "ci_type": "optimal FLCI (R HonestDiD findOptimalFLCI)" if method == "smoothness"
        else f"ARP confidence set (R HonestDiD computeConditionalCS_DeltaRM, {ci_method})",
    }
    params = {"num_pre": num_pre, "num_post": num_post, "alpha": alpha, "method": method}
    return HonestResult(estimator="honest_did", table=conform_tidy(pd.DataFrame(trows)), params=params, extra=extra,
                        bounds=bounds, breakdown=breakdown)


def _breakdown(gap, scale: float, tol: float) -> float:
    """Smallest M >= 0 with ``gap(M) <= 0`` (the CI contains 0; CIs widen with M): Brent's
    bracketing method, which also converges on a step function (the RM test decision)."""
    g0 = gap(0.0)
    if g0 <= 0:
        return 0.0
    lo, hi = 0.0, max(scale, 1e-12) / 4
    for _ in range(40):
        g_hi = gap(hi)
        if g_hi <= 0:
            break
        lo, g0, hi = hi, g_hi, 2 * hi
    else:
        return float("inf")
    if g_hi == 0:
        return float(hi)
    return float(optimize.brentq(gap, lo, hi, xtol=tol * hi, rtol=tol))


def event_study_inputs(res, *, ref: int = -1, min_e=None, max_e=None, cluster=None):
    """``(betahat, sigma, num_pre, num_post, event_times)`` from an event-study result.

    Works with a Callaway-Sant'Anna ``aggte(type="dynamic")`` result (covariance from
    its influence functions, clustered by ``cluster`` - labels or the ``ATTgtResult``,
    whose ``.cluster`` is used; default: units; use ``base_period="universal"``
    so that pre-period coefficients are relative to ``e = -1``) and with the
    comparators that store ``extra["vcov_event"]`` (``twfe(dynamic=True)``,
    ``sun_abraham``). The reference row (estimate 0) is dropped; event times must be
    consecutive on each side of ``ref``.
    """
    tidy = res.tidy()
    dyn = tidy[(tidy["type"] == "dynamic") & tidy["event_time"].notna()].copy()
    if getattr(res, "inf_egt", None) is not None:
        from analysis.did.bootstrap import cluster_sums

        if cluster is not None and hasattr(cluster, "inffunc"):
            cluster = cluster.cluster
        if cluster is None:
            cluster = getattr(res, "cluster", None)
        codes = None if cluster is None else pd.factorize(np.asarray(cluster))[0].astype(np.int64)
        S = cluster_sums(res.inf_egt, codes)
        V = S.T @ S / res.inf_egt.shape[0] ** 2
        if res.params.get("base_period") == "varying" and np.any(dyn["event_time"] < ref):
            raise ValueError("use att_gt(..., base_period='universal') so pre-period coefficients share e=-1 as base")
    elif "vcov_event" in res.extra:
        V = np.asarray(res.extra["vcov_event"], dtype=float)
    else:
        raise TypeError("result has no event-study covariance (influence functions or extra['vcov_event'])")
    e = dyn["event_time"].to_numpy(float)
    keep = e != ref
    if min_e is not None:
        keep &= e >= min_e
    if max_e is not None:
        keep &= e <= max_e
    idx = np.flatnonzero(keep)
    e = e[idx]
    pre, post = e[e < ref], e[e > ref]
    if len(pre) and not np.array_equal(pre, np.arange(pre.min(), ref)):
        raise ValueError("pre-period event times must be consecutive up to ref - 1")
    if len(post) and not np.array_equal(post, np.arange(ref + 1, post.max() + 1)):
        raise ValueError("post-period event times must be consecutive from ref + 1")
    beta = dyn["estimate"].to_numpy(float)[idx]
    return beta, V[np.ix_(idx, idx)], int(len(pre)), int(len(post)), e
