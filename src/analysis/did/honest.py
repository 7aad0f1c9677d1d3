"""Sensitivity of event-study conclusions to violations of parallel trends
(Rambachan & Roth 2023, "A More Credible Approach to Parallel Trends").

Hand-written because the reference implementation (R ``HonestDiD``) has no Python
port. Setting: event-study coefficients ``betahat = (beta_pre, beta_post)`` with
covariance ``sigma``, reference period ``e = -1`` normalised to zero, consecutive
event times ``-num_pre-1, ..., -2`` (pre) and ``0, ..., num_post-1`` (post). Write
``beta = tau + delta`` with ``tau_pre = 0``; the target is ``theta = l' tau_post``.
Two restriction classes on the bias ``delta`` (with ``delta_{-1} = 0``):

* ``"smoothness"`` - Delta^SD(M): every second difference of ``delta`` (pre and post,
  through the reference period) is at most ``M`` in absolute value; ``M = 0`` means
  the trend continues linearly.
* ``"relative_magnitudes"`` - Delta^RM(Mbar): every post-period first difference of
  ``delta`` is at most ``Mbar`` times the largest pre-period first difference.

For each value on the grid the result gives

* the *identified set* for ``theta`` at ``beta = betahat`` (two ``scipy.optimize.linprog``
  programs: min/max of ``l' delta_post`` subject to ``delta_pre = beta_pre`` and the
  restriction). Under SD it is empty (NaN) when the estimated pre-period path is
  itself not M-smooth;
* a robust confidence interval for ``theta``, uniformly valid over the restriction set:

  - SD: a fixed-length CI (Armstrong & Kolesar 2018) centred on the
    linear-extrapolation estimator ``thetahat = l' beta_post + beta_{-2} * sum_k k l_k``
    (which removes any linear trend), ``thetahat +- sigma_a * cv_alpha(b / sigma_a)``, where
    ``b`` is its worst-case bias over Delta^SD(M) (an LP) and ``cv_alpha(t)`` the
    1-alpha quantile of ``|N(t, 1)|``. At ``M = 0`` this is the usual CI of the
    linear-extrapolation estimate. It is valid but not R&R's *optimal* FLCI (the
    affine estimator is fixed rather than optimised), so it can be somewhat wider.
  - RM: a Bonferroni projection CI (conservative): an ``alpha/2`` simultaneous upper
    confidence bound for the largest pre-period first difference (sup-t over the
    pre-period differences, by simulation) times ``Mbar`` times the worst-case factor
    ``sum_j |sum_{k>=j} l_k|`` widens the ``1 - alpha/2`` CI of ``l' beta_post``.
    Coverage is at least ``1 - alpha``; R&R's conditional/hybrid tests are tighter.

* the *breakdown value*: the smallest ``M`` / ``Mbar`` at which the robust CI
  includes 0 (0 if the CI at zero already does; ``inf`` if it never does).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis.did.results import DiDResult, conform_tidy

__all__ = ["honest_bounds", "HonestResult", "event_study_inputs", "flci_critical_value"]


def flci_critical_value(t: float, alpha: float = 0.05) -> float:
    """1-alpha quantile of |N(t, 1)|: the half-length (in SDs) of a fixed-length CI with max bias t SDs."""
    t = abs(float(t))
    if t == 0:
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(np.sqrt(stats.ncx2.ppf(1 - alpha, df=1, nc=t * t)))


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


def _second_diff(L):
    D = np.zeros((L - 2, L))
    for j in range(L - 2):
        D[j, j:j + 3] = [1.0, -2.0, 1.0]
    return D


def _first_diff(L):
    D = np.zeros((L - 1, L))
    for j in range(L - 1):
        D[j, j:j + 2] = [-1.0, 1.0]
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


def _sd_constraints(num_pre, num_post, M):
    E = _embed(num_pre, num_post)
    D2 = _second_diff(E.shape[0]) @ E
    return np.vstack([D2, -D2]), np.full(2 * D2.shape[0], M)


@dataclass
class HonestResult(DiDResult):
    """Sensitivity result: ``bounds`` frame (one row per M) plus the breakdown value.

    ``bounds`` columns: ``M, id_lb, id_ub, ci_lb, ci_ub``. The tidy table has one row
    per M (``type="sensitivity"``, ``term="M=..."``) with the robust CI in
    ``conf_low/conf_high`` and the centre estimate in ``estimate``.
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
    sims: int = 20_000,
    seed: int = 0,
) -> HonestResult:
    """Identified sets, robust CIs and breakdown value over a grid of ``M`` (see module doc).

    ``l_vec`` defaults to the first post period (``"first"``); ``"average"`` gives the
    average of the post periods; or pass a vector of length ``num_post``. ``Mvec``
    defaults to a grid from 0 to twice the breakdown value (or a data-scaled range).
    ``sims``/``seed`` only affect the RM sup-t critical value.
    """
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if b.shape[0] != num_pre + num_post or S.shape != (len(b), len(b)):
        raise ValueError("betahat/sigma do not match num_pre + num_post")
    if num_pre < 1 or num_post < 1:
        raise ValueError("need at least one pre and one post coefficient")
    if method not in ("smoothness", "relative_magnitudes"):
        raise ValueError("method must be 'smoothness' or 'relative_magnitudes'")
    if l_vec is None or (isinstance(l_vec, str) and l_vec == "first"):
        l = np.zeros(num_post)
        l[0] = 1.0
    elif isinstance(l_vec, str) and l_vec == "average":
        l = np.full(num_post, 1.0 / num_post)
    else:
        l = np.asarray(l_vec, dtype=float).ravel()
        if l.shape[0] != num_post:
            raise ValueError("l_vec must have length num_post")
    b_pre, b_post = b[:num_pre], b[num_pre:]
    lfull = np.concatenate([np.zeros(num_pre), l])
    ref, L = _full_index(num_pre, num_post)
    E = _embed(num_pre, num_post)
    A_eq = np.hstack([np.eye(num_pre), np.zeros((num_pre, num_post))])
    theta_plain = float(l @ b_post)
    se_plain = float(np.sqrt(lfull @ S @ lfull))
    z = stats.norm.ppf(1 - alpha / 2)

    if method == "smoothness":
        k = np.arange(1, num_post + 1)
        a = lfull.copy()
        a[num_pre - 1] += float(np.sum(k * l))  # linear extrapolation through (e=-2, e=-1)
        center = float(a @ b)
        sig_a = float(np.sqrt(a @ S @ a))

        def worst_bias(M):
            if M == 0:
                return 0.0
            A_ub, b_ub = _sd_constraints(num_pre, num_post, M)
            lo, hi = _lp_range(a, A_ub, b_ub, None, None)
            return max(abs(lo), abs(hi))

        def ci(M):
            half = sig_a * flci_critical_value(worst_bias(M) / sig_a if sig_a > 0 else 0.0, alpha)
            return center - half, center + half

        def id_set(M):
            A_ub, b_ub = _sd_constraints(num_pre, num_post, M)
            lo, hi = _lp_range(lfull, A_ub, b_ub, A_eq, b_pre)
            return theta_plain - hi, theta_plain - lo

        scale = max(sig_a, 1e-12)
    else:
        D1 = _first_diff(L) @ E
        pre_rows, post_rows = D1[:ref], D1[ref:]
        # sup-t bound on the pre-period first differences
        Dpre = pre_rows[:, :num_pre]
        dhat = Dpre @ b_pre
        Sd = Dpre @ S[:num_pre, :num_pre] @ Dpre.T
        sd = np.sqrt(np.clip(np.diag(Sd), 0, None))
        rng = np.random.default_rng(seed)
        if np.all(sd > 0):
            draws = rng.multivariate_normal(np.zeros(len(sd)), Sd, size=sims, method="eigh")
            c_sup = float(np.quantile(np.max(np.abs(draws) / sd, axis=1), 1 - alpha / 2))
        else:
            c_sup = 0.0
        mpre_hat = float(np.max(np.abs(dhat)))
        mpre_upper = float(np.max(np.abs(dhat) + c_sup * sd))
        # worst case of |l' delta_post| per unit bound on the post first differences
        cum = np.array([abs(l[j:].sum()) for j in range(num_post)])
        factor = float(cum.sum())
        z2 = stats.norm.ppf(1 - alpha / 4)
        center = theta_plain

        def ci(Mbar):
            w = Mbar * mpre_upper * factor
            return theta_plain - z2 * se_plain - w, theta_plain + z2 * se_plain + w

        def id_set(Mbar):
            A_ub = np.vstack([post_rows, -post_rows])
            b_ub = np.full(A_ub.shape[0], Mbar * mpre_hat)
            lo, hi = _lp_range(lfull, A_ub, b_ub, A_eq, b_pre)
            return theta_plain - hi, theta_plain - lo

        scale = max(mpre_upper * factor, 1e-12)

    # breakdown: smallest M with 0 inside the robust CI (endpoints are monotone in M)
    def gap(M):
        lo, hi = ci(M)
        return lo if center > 0 else -hi

    if gap(0.0) <= 0:
        breakdown = 0.0
    else:
        hi_m = se_plain / scale if method == "smoothness" else 1.0
        hi_m = max(hi_m, 1e-6)
        for _ in range(60):
            if gap(hi_m) <= 0:
                break
            hi_m *= 2
        breakdown = float(optimize.brentq(gap, 0.0, hi_m, xtol=1e-10 * max(hi_m, 1))) if gap(hi_m) <= 0 else np.inf

    if Mvec is None:
        top = 2 * breakdown if np.isfinite(breakdown) and breakdown > 0 else (
            2 * se_plain / scale if method == "smoothness" else 2.0)
        Mvec = np.linspace(0.0, top, 11)
    rows, trows = [], []
    for M in np.asarray(Mvec, dtype=float):
        lo, hi = ci(M)
        il, ih = id_set(M)
        rows.append({"M": M, "id_lb": il, "id_ub": ih, "ci_lb": lo, "ci_ub": hi})
        trows.append({"estimator": "honest_did", "type": "sensitivity", "term": f"M={M:g}", "estimate": center,
                      "conf_low": lo, "conf_high": hi})
    bounds = pd.DataFrame(rows)
    extra = {
        "method": method,
        "breakdown": breakdown,
        "l_vec": l.tolist(),
        "original": {"estimate": theta_plain, "std_error": se_plain,
                     "conf_low": theta_plain - z * se_plain, "conf_high": theta_plain + z * se_plain},
        "bounds": bounds.to_dict(orient="records"),
        "ci_type": "FLCI around the linear-extrapolation estimator" if method == "smoothness"
        else "Bonferroni projection (conservative)",
    }
    if method == "smoothness":
        extra["linear_extrapolation"] = {"estimate": center, "std_error": sig_a}
    else:
        extra["max_pre_violation"] = mpre_hat
        extra["max_pre_violation_upper"] = mpre_upper
    params = {"num_pre": num_pre, "num_post": num_post, "alpha": alpha, "method": method}
    return HonestResult(estimator="honest_did", table=conform_tidy(pd.DataFrame(trows)), params=params, extra=extra,
                        bounds=bounds, breakdown=breakdown)


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
