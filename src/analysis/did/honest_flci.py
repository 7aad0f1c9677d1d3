"""Optimal fixed-length confidence interval (FLCI) for smoothness restrictions, Delta^SD(M).

A port of R ``HonestDiD``'s ``findOptimalFLCI`` (Rambachan & Roth 2023, section 4;
Armstrong & Kolesar 2018). Among affine estimators ``theta_hat = a' betahat`` with
``a = (a_pre, l)`` whose bias is bounded over Delta^SD(M), pick the one whose
fixed-length CI ``theta_hat +- h * cv_alpha(M * b / h)`` is shortest, where ``h`` is the
estimator's SD, ``M * b`` its worst-case bias and ``cv_alpha(t)`` the 1-alpha quantile of
``|N(t, 1)|``. As in R, the pre-period weights are parametrised by ``w`` with
``a_pre = (w_1, w_2 - w_1, ...)``: the worst-case bias (for M = 1) is
``const + sum_i |w_1 + ... + w_i|`` subject to ``sum_i w_i = sum_t t l_t``; for each ``h``
between the minimum-variance and the minimum-bias estimators the smallest bias with SD
``<= h`` is a small smooth program (SLSQP on ``(U, w)`` with ``U_i >= |cumsum(w)_i|``), and
the half-length is minimised over ``h`` (it is convex in ``h``).

Hand-written rather than through ``cvxpy`` (R uses CVXR/ECOS): the program has at most
a few dozen variables and scipy solves it to well below the printed precision, without a
new compiled dependency. ``cv_alpha`` defaults to R's own simulated folded-normal quantile
(10^6 draws after ``set.seed(0)``, :mod:`analysis.did.honest_rng`) so published intervals
are reproduced to their digits; ``exact_cv=True`` uses the noncentral chi-square quantile.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize, stats

from analysis.did.honest_rng import r_rnorm

__all__ = ["optimal_flci", "FLCIResult", "folded_normal_quantile"]


R_FOLDED_SIMS = 10**6


@lru_cache(maxsize=1)
def _sorted_r_draws() -> np.ndarray:
    return np.sort(r_rnorm(R_FOLDED_SIMS, 0))


def _order_stat_abs(z: np.ndarray, mu: float, k: int) -> float:
    """k-th smallest (1-based) of ``|z + mu|`` for sorted ``z``, by bisection on its count."""
    count = lambda c: np.searchsorted(z, c - mu, "right") - np.searchsorted(z, -c - mu, "left")  # noqa: E731
    lo, hi = 0.0, abs(mu) + max(abs(z[0]), abs(z[-1])) + 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if count(mid) >= k:
            hi = mid
        else:
            lo = mid
    return hi


def folded_normal_quantile(p: float, mu: float, *, exact: bool = False) -> float:
    """``p`` quantile of ``|N(mu, 1)|``: R's simulated ``.qfoldednormal`` or the exact one.

    The simulated one is R's ``quantile(abs(rnorm(1e6) + mu), p)`` (type 7) after
    ``set.seed(0)``, found from the sorted draws without forming ``|z + mu|``.
    """
    mu = abs(float(mu))
    if exact:
        return float(np.sqrt(stats.ncx2.ppf(p, df=1, nc=mu * mu))) if mu > 0 else float(stats.norm.ppf((1 + p) / 2))
    z = _sorted_r_draws()
    h = (len(z) - 1) * p
    j = int(np.floor(h))
    x1 = _order_stat_abs(z, mu, j + 1)
    x2 = _order_stat_abs(z, mu, j + 2) if h > j else x1
    return float(x1 + (h - j) * (x2 - x1))


@dataclass
class FLCIResult:
    lb: float
    ub: float
    center: float
    half_length: float
    weights: np.ndarray  # a = (a_pre, l): the estimator is a' betahat
    sd: float
    max_bias: float


def _w_to_l(w):
    a = np.array(w, dtype=float)
    a[1:] = w[1:] - w[:-1]
    return a


def _setup(sigma, num_pre, num_post, l):
    P = np.eye(num_pre) - np.eye(num_pre, k=-1)  # a_pre = P w
    S_pre = sigma[:num_pre, :num_pre]
    S_pp = sigma[:num_pre, num_pre:]
    Q = P.T @ S_pre @ P
    c = P.T @ S_pp @ l
    s0 = float(l @ sigma[num_pre:, num_pre:] @ l)
    t = np.arange(1, num_post + 1)
    total = float(t @ l)
    const = sum(abs(float(np.arange(1, s + 1) @ l[num_post - s:])) for s in range(1, num_post + 1)) - total
    return Q, c, s0, total, const


def optimal_flci(betahat, sigma, num_pre: int, num_post: int, l_vec, M: float, *, alpha: float = 0.05,
                 exact_cv: bool = False) -> FLCIResult:
    """R ``findOptimalFLCI`` for Delta^SD(M) and target ``l' tau_post``."""
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    l = np.asarray(l_vec, dtype=float).ravel()
    Q, c, s0, total, const = _setup(S, num_pre, num_post, l)
    cum = np.tril(np.ones((num_pre, num_pre)))
    var = lambda w: float(w @ Q @ w + 2 * w @ c + s0)  # noqa: E731

    # minimum-variance weights: KKT system of min w'Qw + 2c'w s.t. sum(w) = total (bias is
    # irrelevant at M = 0); least squares keeps it solvable when Q is singular (a
    # coefficient fixed by design has no variance)
    kkt = np.block([[Q, np.ones((num_pre, 1))], [np.ones((1, num_pre)), np.zeros((1, 1))]])
    w_min = np.linalg.lstsq(kkt, np.r_[-c, total], rcond=None)[0][:num_pre]
    w_lin = np.zeros(num_pre)
    w_lin[-1] = total  # linear extrapolation through the last pre-period: minimum bias
    bias = lambda w: const + float(np.sum(np.abs(cum @ w)))  # noqa: E731
    h_min, h0 = np.sqrt(max(var(w_min), 0.0)), np.sqrt(max(var(w_lin), 0.0))

    def min_bias_given_h(h, start):
        n = num_pre
        x0 = np.r_[np.abs(cum @ start) + 1e-12, start]
        cons = [
            {"type": "ineq", "fun": lambda x: x[:n] - cum @ x[n:], "jac": lambda x: np.hstack([np.eye(n), -cum])},
            {"type": "ineq", "fun": lambda x: x[:n] + cum @ x[n:], "jac": lambda x: np.hstack([np.eye(n), cum])},
            {"type": "eq", "fun": lambda x: np.sum(x[n:]) - total, "jac": lambda x: np.r_[np.zeros(n), np.ones(n)][None]},
            {"type": "ineq", "fun": lambda x: h * h - var(x[n:]),
             "jac": lambda x: np.r_[np.zeros(n), -2 * (Q @ x[n:] + c)][None]},
        ]
        r = optimize.minimize(lambda x: np.sum(x[:n]), x0, jac=lambda x: np.r_[np.ones(n), np.zeros(n)],
                              constraints=cons, method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
        w = r.x[n:]
        return w

    last = {}

    def weights_at(h):
        if h >= h0:
            return w_lin
        if h <= h_min:
            return w_min
        # warm start from the previous h, else between the two extremes at the same SD share
        share = (h - h_min) / max(h0 - h_min, 1e-300)
        w = min_bias_given_h(h, last.get("w", w_min + share * (w_lin - w_min)))
        last["w"] = w
        return w

    def half_length(w):
        sd = np.sqrt(max(var(w), 0.0))
        return sd * folded_normal_quantile(1 - alpha, M * bias(w) / sd if sd > 0 else 0.0, exact=exact_cv)

    if M == 0 or h0 - h_min <= 1e-12 * max(h0, 1e-300):
        w = w_min if M == 0 else w_lin
    else:
        r = optimize.minimize_scalar(lambda h: half_length(weights_at(h)), bounds=(h_min, h0), method="bounded",
                                     options={"xatol": 1e-6 * h0})
        w = weights_at(r.x)
        for cand in (w_min, w_lin):  # convexity makes an endpoint optimum possible
            if half_length(cand) < half_length(w):
                w = cand
    a = np.r_[_w_to_l(w), l]
    hl = half_length(w)
    center = float(a @ b)
    return FLCIResult(lb=center - hl, ub=center + hl, center=center, half_length=hl, weights=a,
                      sd=float(np.sqrt(max(var(w), 0.0))), max_bias=M * bias(w))
