"""Conditional and hybrid (ARP) confidence sets for relative magnitudes, Delta^RM(Mbar).

A port of R ``HonestDiD``'s ``computeConditionalCS_DeltaRM`` (Rambachan & Roth 2023,
section 5; Andrews, Roth & Pakes 2023 for the moment-inequality test with nuisance
parameters). Delta^RM(Mbar) is the union over the pre-period first difference ``s`` that
attains the maximum and its sign of polyhedra ``{A delta <= 0}``; for each, a
theta grid is tested and a theta is in the set if any of them accepts it. The CI is
``[min, max]`` of the accepted grid points, as R reports it.

Written here rather than wrapping a port: R HonestDiD has no maintained Python package
(the ``honestdid`` ports on GitHub are young, unpublished or untested against R), and
this module needs no LP solver at all for the tests: every linear program in the ARP test
(the statistic ``eta``, its dual vertex, the bisection for ``vlo``/``vup`` and the 1,000
least-favourable simulations) is a maximum of ``gamma' y`` over the vertices of the dual
polytope ``{gamma >= 0 : [sd, X]' gamma = e1}``, which depends on neither theta nor the
draw. The vertices are enumerated once per (s, sign) (a few thousand at most for event
studies up to ten post periods); larger problems fall back to ``scipy.optimize.linprog``.
The least-favourable critical value uses R's own draws (``set.seed(0)``,
``mvtnorm::rmvnorm``, see :mod:`analysis.did.honest_rng`), so results match R to the
digits it prints rather than to simulation noise.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from math import comb

import numpy as np
from scipy import optimize, special, stats

from analysis.did.honest_rng import r_rmvnorm

__all__ = ["rm_constraints", "conditional_cs_rm", "construct_gamma", "DualPolytope"]

MAX_VERTEX_BASES = 250_000  # C(rows, dims) above this: solve LPs instead of enumerating
TOL_LAMBDA = 1e-6


def construct_gamma(l: np.ndarray) -> np.ndarray:
    """Invertible matrix with ``l'`` as first row, the rest unit rows chosen as R's RREF pivots."""
    rows = [np.asarray(l, dtype=float)]
    for j in range(len(l)):
        e = np.zeros(len(l))
        e[j] = 1.0
        if np.linalg.matrix_rank(np.vstack(rows + [e])) > len(rows):
            rows.append(e)
        if len(rows) == len(l):
            break
    return np.vstack(rows)


def rm_constraints(num_pre: int, num_post: int, Mbar: float, s: int, max_positive: bool) -> np.ndarray:
    """R's ``.create_A_RM``: ``A delta <= 0`` for Delta^RM_{s,+/-}(Mbar), reference column dropped."""
    n = num_pre + num_post
    Atilde = np.zeros((n, n + 1))
    for r in range(n):
        Atilde[r, r:r + 2] = [-1.0, 1.0]
    v = np.zeros(n + 1)
    v[num_pre + s - 1:num_pre + s + 1] = [-1.0, 1.0]
    if not max_positive:
        v = -v
    A_ub = np.vstack([np.tile(v, (num_pre, 1)), np.tile(Mbar * v, (num_post, 1))])
    A = np.vstack([Atilde - A_ub, -Atilde - A_ub])
    A = A[np.sum(A * A, axis=1) > 1e-10]
    return np.delete(A, num_pre, axis=1)


@lru_cache(maxsize=16)
def _bases(k: int, p: int) -> np.ndarray:
    return np.array(list(itertools.combinations(range(k), p)), dtype=np.intp)


class DualPolytope:
    """``P = {gamma >= 0 : W' gamma = e1}``, ``W = [sd, X]``: maximise ``f' gamma`` over it.

    ``max_{gamma in P} y' gamma`` is ARP's ``eta`` (min eta s.t. sd*eta + X delta >= y).
    """

    def __init__(self, W: np.ndarray):
        self.W = W
        k, p = W.shape
        self.vertices = None
        if comb(k, p) <= MAX_VERTEX_BASES:
            self.vertices = self._enumerate(W)

    @staticmethod
    def _enumerate(W):
        k, p = W.shape
        bases = _bases(k, p)
        WB = W[bases]  # (nb, p, p)
        det = np.linalg.det(WB)
        ok = np.abs(det) > 1e-10 * max(float(np.abs(W).max()), 1e-300) ** p
        bases, WB = bases[ok], WB[ok]
        e1 = np.zeros(p)
        e1[0] = 1.0
        gB = np.linalg.solve(np.transpose(WB, (0, 2, 1)), np.broadcast_to(e1, (len(WB), p))[..., None])[..., 0]
        feas = np.all(gB >= -1e-10, axis=1)
        V = np.zeros((int(feas.sum()), k))
        np.put_along_axis(V, bases[feas], np.clip(gB[feas], 0.0, None), axis=1)
        if len(V) == 0:
            return V
        # degenerate vertices come from many bases: keep one copy of each (hash of the
        # rounded coordinates; a collision would only keep a duplicate)
        key = np.round(V / np.abs(V).max(), 11) @ np.linspace(1.0, 2.0, k) ** np.arange(1, k + 1)
        _, first = np.unique(key, return_index=True)
        return V[np.sort(first)]

    def argmax(self, F: np.ndarray):
        """Rows of ``F``: objectives. Returns (values, maximising vertex per row); NaN if unbounded/empty."""
        F = np.atleast_2d(F)
        if self.vertices is not None:
            if len(self.vertices) == 0:
                return np.full(len(F), np.nan), np.full(F.shape, np.nan)
            vals = F @ self.vertices.T
            idx = np.argmax(vals, axis=1)
            return vals[np.arange(len(F)), idx], self.vertices[idx]
        k, p = self.W.shape
        b = np.zeros(p)
        b[0] = 1.0
        out_v, out_g = np.full(len(F), np.nan), np.full(F.shape, np.nan)
        for i, f in enumerate(F):
            r = optimize.linprog(-f, A_eq=self.W.T, b_eq=b, bounds=(0, None), method="highs")
            if r.status == 0:
                out_v[i], out_g[i] = -r.fun, r.x
        return out_v, out_g


def lf_critical_value(poly: DualPolytope, sigma: np.ndarray, kappa: float, sims: int = 1000,
                      seed: int = 0) -> float:
    """R's ``.compute_least_favorable_cv`` (nuisance case): 1-kappa quantile of eta over R's draws."""
    xi = r_rmvnorm(sims, sigma, seed)
    eta, _ = poly.argmax(xi)
    eta = eta[np.isfinite(eta)]
    if not len(eta):  # empty dual: no draw's LP solves, so the LF step can never reject (R's NA)
        return np.inf
    return float(np.quantile(eta, 1 - kappa))  # numpy's default = R's type 7


def _trunc_norm_quantile(p, lo, hi):
    """``p`` quantile of N(0, 1) truncated to ``[lo, hi]`` (R: ``TruncatedNormal::norminvp``)."""
    if lo >= 0:  # upper tail: work with survival probabilities, which keep their precision there
        a, b = special.ndtr(-lo), special.ndtr(-hi)
        if a > 1e-280:
            return float(-special.ndtri(a - p * (a - b)))
    elif hi < np.inf:
        a, b = special.ndtr(lo), special.ndtr(hi)
        if b > 1e-280:
            return float(special.ndtri(a + p * (b - a)))
    else:
        return float(special.ndtri(special.ndtr(lo) + p * special.ndtr(-lo)))
    return float(stats.truncnorm.ppf(p, lo, hi))  # far tails


def _roundeps(x, eps=np.finfo(float).eps ** 0.75):
    return 0.0 if abs(x) < eps else x


def _vlo_vup_dual(eta, s_T, gamma, sigma, poly):
    """R's ``.vlo_vup_dual_fn``: bisection (ARP appendix D) with the dual LP as vertex maximum."""
    tol_c = tol_eq = 1e-6
    sigma_B = float(np.sqrt(gamma @ sigma @ gamma))
    b = sigma @ gamma / float(gamma @ sigma @ gamma)

    def check(c):
        val, g = poly.argmax((s_T + b * c)[None, :])
        return bool(np.isfinite(val[0]) and abs(c - val[0]) <= tol_eq), g[0]

    if not check(eta)[0]:
        return eta, np.inf
    low_initial, high_initial = min(-100.0, eta - 20 * sigma_B), max(100.0, eta + 20 * sigma_B)
    maxiters, switchiters = 10000, 10

    def search(start, upper):
        ok, g = check(start)
        if ok:
            return np.inf if upper else -np.inf
        dif, iters = 0.0, 1
        mid = _roundeps(float(g @ s_T)) / (1 - float(g @ b))
        while True:
            ok, g = check(mid)
            if ok or iters >= maxiters:
                break
            iters += 1
            if iters >= switchiters:
                dif = tol_c + 1
                break
            mid = _roundeps(float(g @ s_T)) / (1 - float(g @ b))
        lo, hi = (eta, mid) if upper else (mid, eta)
        while dif > tol_c and iters < maxiters:
            iters += 1
            mid = (hi + lo) / 2
            if check(mid)[0] == upper:
                lo = mid
            else:
                hi = mid
            dif = hi - lo
        return mid

    return search(low_initial, False), search(high_initial, True)


def _conditional_test(y, X, sigma, poly, alpha, hybrid, kappa, lf_cv):
    """R's ``.lp_conditional_test_fn`` (ARP or LF hybrid): True if theta is rejected."""
    sd = np.sqrt(np.diag(sigma))
    eta_arr, lam_arr = poly.argmax(y[None, :])
    eta, lam = float(eta_arr[0]), lam_arr[0]
    if not np.isfinite(eta):
        return False  # R: LP did not solve -> do not reject
    if hybrid == "LF":
        mod_size = (alpha - kappa) / (1 - kappa)
        if eta > lf_cv:
            return True
    else:
        mod_size = alpha
    k = X.shape[1]
    B = lam > TOL_LAMBDA
    degenerate = int(B.sum()) != k + 1
    XB = X[B]
    full_rank = XB.shape[0] > 1 and np.linalg.matrix_rank(XB) == min(XB.shape)
    if degenerate or not full_rank:
        vlo, vup = _vlo_vup_dual(eta, (np.eye(len(y)) - np.outer(sigma @ lam, lam) / float(lam @ sigma @ lam)) @ y,
                                 lam, sigma, poly)
        sigma_B = float(np.sqrt(lam @ sigma @ lam))
        if sigma_B < 1e-10:
            return eta > 0
        maxstat = eta / sigma_B
        zlo = vlo / sigma_B
        zup = (min(vup, lf_cv) if hybrid == "LF" else vup) / sigma_B
    else:
        WB = np.column_stack([sd[B], XB])
        WBc = np.column_stack([sd[~B], X[~B]])
        inv = np.linalg.inv(WB)
        I = np.eye(len(y))
        Gamma_B = WBc @ inv @ I[B] - I[~B]
        v_B = (inv[0] @ I[B])
        sigma2_B = float(v_B @ sigma @ v_B)
        sigma_B = np.sqrt(sigma2_B)
        rho = Gamma_B @ sigma @ v_B / sigma2_B
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = -(Gamma_B @ y) / rho + float(v_B @ y)
        vlo = float(np.max(bound[rho > 0])) if np.any(rho > 0) else -np.inf
        vup = float(np.min(bound[rho < 0])) if np.any(rho < 0) else np.inf
        zlo = vlo / sigma_B
        zup = (min(vup, lf_cv) if hybrid == "LF" else vup) / sigma_B
        maxstat = eta / sigma_B
    if not (zlo <= maxstat <= zup):
        return False
    cval = max(0.0, _trunc_norm_quantile(1 - mod_size, zlo, zup))
    return bool(maxstat > cval)


def _arp_accept(betahat, sigma, num_pre, num_post, A, l, alpha, hybrid, kappa, grid, rows, seed, sims, search_step):
    """Acceptance (bool per grid point) of R's ``.ARP_computeCI`` for ``{A delta <= 0}``."""
    Gamma = construct_gamma(l)
    AGi = A[:, num_pre:] @ np.linalg.inv(Gamma)
    a, X = AGi[:, 0], AGi[:, 1:]
    Y = A @ betahat
    SY = A @ sigma @ A.T
    a, X, Y, SY = a[rows], X[rows], Y[rows], SY[np.ix_(rows, rows)]
    poly = DualPolytope(np.column_stack([np.sqrt(np.diag(SY)), X]))
    lf_cv = lf_critical_value(poly, SY, kappa, sims=sims, seed=seed) if hybrid == "LF" else np.inf
    if poly.vertices is not None and len(poly.vertices):
        return _accept_all(Y, a, X, SY, poly, alpha, hybrid, kappa, lf_cv, grid)
    test = lambda i: not _conditional_test(Y - a * grid[i], X, SY, poly, alpha, hybrid, kappa, lf_cv)  # noqa: E731
    return _scan(test, len(grid), search_step)


def _accept_all(Y, a, X, sigma, poly, alpha, hybrid, kappa, lf_cv, grid):
    """Every grid point at once: the same decisions as ``_conditional_test``, vectorised.

    The maximising dual vertex fixes everything the primal branch needs but ``y``, so the
    grid points sharing a non-degenerate vertex are tested together; points whose vertex
    is degenerate (R's dual branch) are tested one by one.
    """
    Yg = Y[None, :] - grid[:, None] * a[None, :]
    vals = Yg @ poly.vertices.T
    idx = np.argmax(vals, axis=1)
    eta = vals[np.arange(len(grid)), idx]
    mod_size = (alpha - kappa) / (1 - kappa) if hybrid == "LF" else alpha
    reject = eta > lf_cv if hybrid == "LF" else np.zeros(len(grid), dtype=bool)
    sd = np.sqrt(np.diag(sigma))
    k = X.shape[1]
    I = np.eye(len(Y))
    for v in np.unique(idx[~reject]):
        pts = np.flatnonzero((idx == v) & ~reject)
        lam = poly.vertices[v]
        B = lam > TOL_LAMBDA
        XB = X[B]
        full_rank = XB.shape[0] > 1 and np.linalg.matrix_rank(XB) == min(XB.shape)
        if int(B.sum()) != k + 1 or not full_rank:
            for i in pts:
                reject[i] = _conditional_test(Yg[i], X, sigma, poly, alpha, hybrid, kappa, lf_cv)
            continue
        inv = np.linalg.inv(np.column_stack([sd[B], XB]))
        Gamma_B = np.column_stack([sd[~B], X[~B]]) @ inv @ I[B] - I[~B]
        v_B = inv[0] @ I[B]
        sigma2_B = float(v_B @ sigma @ v_B)
        sigma_B = np.sqrt(sigma2_B)
        rho = Gamma_B @ sigma @ v_B / sigma2_B
        y = Yg[pts]
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = -(y @ Gamma_B.T) / rho + (y @ v_B)[:, None]
        vlo = np.max(bound[:, rho > 0], axis=1) if np.any(rho > 0) else np.full(len(pts), -np.inf)
        vup = np.min(bound[:, rho < 0], axis=1) if np.any(rho < 0) else np.full(len(pts), np.inf)
        zlo = vlo / sigma_B
        zup = (np.minimum(vup, lf_cv) if hybrid == "LF" else vup) / sigma_B
        maxstat = eta[pts] / sigma_B
        inside = (zlo <= maxstat) & (maxstat <= zup)
        for j in np.flatnonzero(inside):
            cval = max(0.0, _trunc_norm_quantile(1 - mod_size, zlo[j], zup[j]))
            reject[pts[j]] = maxstat[j] > cval
    return ~reject


def _scan(test, n, step):
    """Accepted grid indices: every point if ``step == 1``; else every ``step``-th point, refined
    point by point next to the outermost accepted ones (assumes accepted runs of >= ``step`` points)."""
    accept = np.zeros(n, dtype=bool)
    if step <= 1:
        for i in range(n):
            accept[i] = test(i)
        return accept
    coarse = list(range(0, n, step))
    if coarse[-1] != n - 1:
        coarse.append(n - 1)
    for i in coarse:
        accept[i] = test(i)
    hits = np.flatnonzero(accept)
    if len(hits) == 0:
        return accept
    first, last = hits[0], hits[-1]
    for i in range(first - 1, max(first - step, -1), -1):
        if not test(i):
            break
        accept[i] = True
    for i in range(last + 1, min(last + step, n)):
        if not test(i):
            break
        accept[i] = True
    return accept


def conditional_cs_rm(betahat, sigma, num_pre: int, num_post: int, l_vec, Mbar: float, *, alpha: float = 0.05,
                      hybrid: str = "LF", kappa: float | None = None, grid_points: int = 1000,
                      grid_lb: float | None = None, grid_ub: float | None = None, seed: int = 0,
                      sims: int = 1000, search_step: int = 1):
    """R ``computeConditionalCS_DeltaRM`` (defaults as R: C-LF hybrid, kappa = alpha/10, 1,000
    grid points on +-20 sd(l' beta_post), post-period moments only). Returns ``(lb, ub, grid, accept)``.

    Every grid point is tested (vectorised over the grid). Only when the dual polytope is too
    large to enumerate (more than ~10 post periods) are the tests LPs one at a time; then
    ``search_step > 1`` tests every ``search_step``-th grid point and refines next to the
    outermost accepted ones: the same endpoints unless an accepted run is shorter than
    ``search_step`` points.
    """
    if num_post < 2:
        raise ValueError("the ARP confidence set with nuisance parameters needs at least two post periods")
    if hybrid not in ("LF", "ARP"):
        raise ValueError("hybrid must be 'LF' (R's C-LF) or 'ARP' (R's Conditional)")
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    l = np.asarray(l_vec, dtype=float).ravel()
    kappa = alpha / 10 if kappa is None else kappa
    post = slice(num_pre, num_pre + num_post)
    sd_theta = float(np.sqrt(l @ S[post, post] @ l))
    lo = -20 * sd_theta if grid_lb is None else grid_lb
    hi = 20 * sd_theta if grid_ub is None else grid_ub
    grid = np.linspace(lo, hi, grid_points)
    accept = np.zeros(grid_points, dtype=bool)
    for s in range(-(num_pre - 1), 1):
        for positive in (True, False):
            A = rm_constraints(num_pre, num_post, Mbar, s, positive)
            rows = np.flatnonzero(np.any(A[:, num_pre:] != 0, axis=1))
            accept |= _arp_accept(b, S, num_pre, num_post, A, l, alpha, hybrid, kappa, grid, rows, seed, sims,
                                  search_step)
    if not accept.any():
        return np.nan, np.nan, grid, accept
    return float(grid[accept].min()), float(grid[accept].max()), grid, accept


def rm_rejects(betahat, sigma, num_pre: int, num_post: int, l_vec, Mbar: float, theta: float, *,
               alpha: float = 0.05, hybrid: str = "LF", kappa: float | None = None, seed: int = 0,
               sims: int = 1000) -> bool:
    """True if every (s, sign) test rejects ``l' tau_post = theta`` under Delta^RM(Mbar)."""
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    l = np.asarray(l_vec, dtype=float).ravel()
    kappa = alpha / 10 if kappa is None else kappa
    grid = np.array([float(theta)])
    for s in range(-(num_pre - 1), 1):
        for positive in (True, False):
            A = rm_constraints(num_pre, num_post, Mbar, s, positive)
            rows = np.flatnonzero(np.any(A[:, num_pre:] != 0, axis=1))
            if _arp_accept(b, S, num_pre, num_post, A, l, alpha, hybrid, kappa, grid, rows, seed, sims, 1)[0]:
                return False
    return True
