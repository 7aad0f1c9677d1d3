"""Few-cluster inference: the rule, wild cluster bootstrap, randomisation inference,
multiplier bootstrap on influence functions.

The default study has 30-40 service units, so cluster-robust analytic SEs (which need many
clusters) are at the edge of reliability. :func:`choose_inference` encodes the
project's rule; the other functions implement the alternatives.

Why the wild cluster bootstrap is hand-written: pyfixest's ``Feols.wildboottest``
needs the separate ``wildboottest`` package, returns a p-value only (no confidence
interval) and works on a one-hot design matrix. Here the fixed effects are
partialled out first (Frisch-Waugh-Lovell, pyfixest's demeaner), and because the
null-restricted residuals are *affine* in the hypothesised value ``r``, the
bootstrap t-statistics for every ``r`` come from two B x G matrices, so the WCR
confidence interval is obtained by exact test inversion at negligible cost
(the trick of Roodman, MacKinnon, Nielsen & Webb 2019, "fast and wild").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "FEW_CLUSTERS",
    "WEBB_BELOW",
    "choose_inference",
    "bootstrap_weights",
    "WildBootResult",
    "wild_cluster_bootstrap",
    "RIResult",
    "randomization_inference",
    "permute_cohorts",
    "multiplier_bootstrap",
    "cs_multiplier_bootstrap",
]

#: Below this many clusters "auto" switches from analytic cluster-robust SEs to the
#: wild cluster bootstrap (plus randomisation inference where the design allows).
#: Simulations in Cameron, Gelbach & Miller (2008) and MacKinnon & Webb (2017) show
#: CRV1 t-tests over-reject noticeably below ~30-50 balanced clusters and much worse
#: with few treated clusters; 30 is the conventional lower bound.
FEW_CLUSTERS = 30
#: Below this many clusters Rademacher weights give too few distinct bootstrap
#: samples (2^G); Webb's six-point distribution is used instead (Webb 2023).
WEBB_BELOW = 12


def choose_inference(n_clusters: int, requested: str = "auto") -> tuple[str, str]:
    """Return ``(method, reason)`` for ``n_clusters`` clusters.

    ``method`` is ``"analytic"`` or ``"wild_bootstrap"`` (for influence-function
    estimators such as Callaway-Sant'Anna the latter means the cluster multiplier
    bootstrap). ``requested`` other than ``"auto"`` is honoured and the reason says so
    (with a warning in the text when analytic is forced with few clusters).
    """
    n = int(n_clusters)
    if n < 2:
        raise ValueError("inference needs at least 2 clusters")
    wtype = ("Webb 6-point weights" if n < WEBB_BELOW
             else "Rademacher weights")
    if requested == "auto":
        if n < FEW_CLUSTERS:
            return "wild_bootstrap", (
                f"{n} clusters < {FEW_CLUSTERS}: analytic cluster-robust SEs over-reject with few clusters; "
                "using the wild cluster bootstrap (WCR with the null imposed for regression estimators, "
                f"cluster multiplier bootstrap of influence functions for Callaway-Sant'Anna; {wtype}); "
                "randomisation inference over adoption dates is reported alongside where available"
            )
        return "analytic", f"{n} clusters >= {FEW_CLUSTERS}: analytic cluster-robust (CRV1) inference"
    if requested in ("analytic", "wild_bootstrap", "randomization"):
        note = ""
        if requested == "analytic" and n < FEW_CLUSTERS:
            note = f"; warning: only {n} clusters (< {FEW_CLUSTERS}), analytic SEs may over-reject"
        return requested, f"requested by the caller ({n} clusters){note}"
    raise ValueError(f"unknown inference method {requested!r}")


def bootstrap_weights(kind: str, size, rng: np.random.Generator) -> np.ndarray:
    """Draw mean-zero, unit-variance bootstrap weights (rademacher, webb, mammen, normal)."""
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=size)
    if kind == "webb":
        pts = np.sqrt(np.array([0.5, 1.0, 1.5]))
        return rng.choice(np.concatenate([-pts, pts]), size=size)
    if kind == "mammen":
        s5 = np.sqrt(5.0)
        p = (s5 + 1) / (2 * s5)
        return np.where(rng.random(size) < p, -(s5 - 1) / 2, (s5 + 1) / 2)
    if kind == "normal":
        return rng.standard_normal(size)
    raise ValueError(f"unknown bootstrap weight type {kind!r}")


# --------------------------------------------------------------------------------------
# Wild cluster bootstrap (WCR, null imposed) for one linear combination of a linear model
# --------------------------------------------------------------------------------------


@dataclass
class WildBootResult:
    estimate: float
    std_error: float  # analytic CRV1 (same small-sample factors as pyfixest)
    t_stat: float
    p_value: float  # WCR bootstrap p-value for H0: R'beta = 0 (symmetric)
    conf_low: float  # WCR test-inversion interval
    conf_high: float
    n_clusters: int
    weights: str
    reps: int
    pvalue_at: Callable[[float], float] | None = None  # bootstrap p-value of H0: R'beta = r

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "pvalue_at"}


def _demean(mat: np.ndarray, fe_codes: np.ndarray | None) -> np.ndarray:
    if fe_codes is None:
        return mat - mat.mean(axis=0)
    from pyfixest.estimation import demean

    out, converged = demean(
        np.ascontiguousarray(mat, dtype=float),
        np.ascontiguousarray(fe_codes, dtype=np.uint64),
        np.ones(mat.shape[0]),
        tol=1e-10,
        maxiter=100_000,
    )
    if not converged:  # pragma: no cover - pathological designs only
        raise RuntimeError("fixed-effect demeaning did not converge")
    return out


def crv1_factor(d: pd.DataFrame, fe: Sequence[str], cluster: str, k: int) -> float:
    """CRV1 small-sample factor of pyfixest's default ssc: ``G/(G-1) * (N-1)/(N-K)``.

    ``K`` counts the ``k`` regressors and the fixed effects not nested in the cluster
    variable (an intercept when there are no fixed effects).
    """
    n, G = len(d), d[cluster].nunique()
    nonnested = [f for f in fe if d.groupby(f)[cluster].nunique().max() > 1]
    k_fe = sum(d[f].nunique() for f in nonnested) - max(len(nonnested) - 1, 0)
    k_all = k + k_fe if fe else k + 1
    return G / (G - 1) * (n - 1) / max(n - k_all, 1)


def wild_cluster_bootstrap(
    data: pd.DataFrame,
    yname: str,
    xnames: Sequence[str],
    R,
    cluster: str,
    *,
    fe: Sequence[str] = (),
    reps: int = 999,
    weights: str = "auto",
    seed=None,
    alpha: float = 0.05,
    ci: bool = True,
):
    """WCR wild cluster bootstrap for ``theta = R'beta`` in ``y ~ X | fe``.

    ``R`` is a regressor name or a ``{name: weight}`` dict (e.g. a Sun-Abraham
    aggregation), or a list of those: then a list of results is returned, sharing
    the demeaning and the bootstrap draws (cheaper than separate calls). The
    bootstrap is the restricted (null-imposed) WCR-11 with a symmetric (two-sided)
    t-test; ``weights="auto"`` uses Webb below :data:`WEBB_BELOW` clusters, Rademacher
    otherwise. The CI is the set of ``r`` not rejected at level ``alpha``, found by
    bisection on the bootstrap p-value. Rows with missing values are dropped.
    """
    xnames = list(xnames)
    many = isinstance(R, (list, tuple))
    Rs = list(R) if many else [R]
    cols = [yname, *xnames, cluster, *fe]
    d = data[list(dict.fromkeys(cols))].dropna()

    def rvec(spec):
        v = np.zeros(len(xnames))
        if isinstance(spec, str):
            v[xnames.index(spec)] = 1.0
        else:
            for k, w in spec.items():
                v[xnames.index(k)] = float(w)
        return v

    Rvecs = [rvec(spec) for spec in Rs]
    fe_codes = None
    if fe:
        fe_codes = np.column_stack([pd.factorize(d[f])[0] for f in fe]).astype(np.uint64)
    Z = _demean(np.column_stack([d[yname].to_numpy(float), d[xnames].to_numpy(float)]), fe_codes)
    y, X = Z[:, 0], Z[:, 1:]
    # drop regressors that the fixed effects absorb (zero after demeaning)
    keep = np.linalg.norm(X, axis=0) > 1e-8 * max(1.0, np.linalg.norm(Z[:, 1:]))
    if any(np.any(v[~keep] != 0) for v in Rvecs):
        raise ValueError("the tested combination involves regressors absorbed by the fixed effects")
    X = X[:, keep]
    Rvecs = [v[keep] for v in Rvecs]

    clus, _ = pd.factorize(d[cluster])
    G = int(clus.max()) + 1
    n, k = X.shape
    XtX_inv = np.linalg.pinv(X.T @ X)
    beta = XtX_inv @ (X.T @ y)
    uhat = y - X @ beta
    # the small-sample factor cancels in the bootstrap p-value; it only scales the reported SE
    ssc = crv1_factor(d, fe, cluster, k)

    if weights == "auto":
        weights = "webb" if G < WEBB_BELOW else "rademacher"
    rng = np.random.default_rng(seed)
    W = bootstrap_weights(weights, (G, reps), rng)  # G x B
    Wi = W[clus]  # n x B

    def cluster_sum(v):  # sums rows of v (n,) or (n, B) by cluster -> (G,) / (G, B)
        out = np.zeros((G,) + v.shape[1:])
        np.add.at(out, clus, v)
        return out

    # bootstrap residuals M_X M_FE (v o w): the cluster weights break orthogonality to
    # the (non-nested) fixed effects, so re-demean before projecting out X
    def mx(v):
        V = v[:, None] * Wi
        V = _demean(V, fe_codes) if fe else V - V.mean(axis=0)
        return V - X @ (XtX_inv @ (X.T @ V))

    mx_u = mx(uhat)
    results = []
    for Rv in Rvecs:
        theta = float(Rv @ beta)
        a = X @ (XtX_inv @ Rv)  # theta_hat = a'y
        aa = float(a @ a)
        score_u = cluster_sum(a * uhat)
        score_a = cluster_sum(a * a)
        se_raw = float(np.sqrt(np.sum(score_u**2)))
        se = se_raw * np.sqrt(ssc)
        # restricted residuals are affine in r: u_r = uhat + a (theta - r) / a'a
        num_u, num_a = W.T @ score_u, W.T @ score_a  # (B,)
        P = cluster_sum(a[:, None] * mx_u)  # G x B
        Q = cluster_sum(a[:, None] * mx(a))

        def pval(r, theta=theta, aa=aa, num_u=num_u, num_a=num_a, P=P, Q=Q, se_raw=se_raw) -> float:
            c = (theta - r) / aa
            num = num_u + c * num_a
            den = np.sqrt(np.sum((P + c * Q) ** 2, axis=0))
            tb = np.abs(num) / np.where(den > 0, den, np.inf)
            t0 = abs(theta - r) / se_raw if se_raw > 0 else np.inf
            return float(np.mean(tb >= t0 - 1e-12))

        lo = hi = np.nan
        if ci and se_raw > 0:
            lo, hi = (_invert(pval, theta, se_raw, alpha, direction) for direction in (-1, 1))
        results.append(WildBootResult(
            estimate=theta, std_error=se, t_stat=theta / se if se > 0 else np.nan, p_value=pval(0.0),
            conf_low=lo, conf_high=hi, n_clusters=G, weights=weights, reps=reps, pvalue_at=pval,
        ))
    return results if many else results[0]


def _invert(pval, theta, step, alpha, direction) -> float:
    """End of the bootstrap CI on one side: bracket the first rejection, then bisect."""
    inside, outside = theta, theta + direction * step
    for _ in range(60):
        if pval(outside) <= alpha:
            break
        inside, step = outside, step * 2
        outside = theta + direction * step
    else:
        return direction * np.inf
    tol = 1e-6 * abs(step)
    for _ in range(60):
        mid = 0.5 * (inside + outside)
        if pval(mid) > alpha:
            inside = mid
        else:
            outside = mid
        if abs(outside - inside) < tol:
            break
    return 0.5 * (inside + outside)


# --------------------------------------------------------------------------------------
# Randomisation inference over adoption dates
# --------------------------------------------------------------------------------------


@dataclass
class RIResult:
    observed: float
    p_value: float
    draws: np.ndarray
    n_draws: int
    seed: object

    def as_dict(self) -> dict:
        return {"observed": self.observed, "p_value": self.p_value, "n_draws": self.n_draws, "seed": self.seed}


class _CohortPermuter:
    """Draws copies of ``data`` with the units' adoption dates permuted (sizes kept)."""

    def __init__(self, data: pd.DataFrame, idname: str, gname: str):
        if data.groupby(idname)[gname].nunique(dropna=False).max() > 1:
            raise ValueError(f"{gname} must be constant within {idname}")
        self.codes, uniq = pd.factorize(data[idname])
        first = np.zeros(len(uniq), dtype=int)
        first[self.codes[::-1]] = np.arange(len(self.codes))[::-1]  # first row of each unit
        self.unit_g = data[gname].to_numpy()[first]
        self.data, self.gname = data, gname

    def draw(self, rng: np.random.Generator) -> pd.DataFrame:
        out = self.data.copy()
        out[self.gname] = rng.permutation(self.unit_g)[self.codes]
        return out


def permute_cohorts(data: pd.DataFrame, idname: str, gname: str, rng: np.random.Generator) -> pd.DataFrame:
    """Copy of ``data`` with the units' adoption dates permuted (cohort sizes kept)."""
    return _CohortPermuter(data, idname, gname).draw(rng)


def randomization_inference(
    estimate_fn: Callable[[pd.DataFrame], float],
    data: pd.DataFrame,
    idname: str,
    gname: str,
    *,
    draws: int = 999,
    seed=None,
    observed: float | None = None,
    extra_cols_fn: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> RIResult:
    """Fisher randomisation test of the sharp null of no effect for any unit.

    The adoption dates ``gname`` are permuted across units (so cohort sizes are
    kept) ``draws`` times, ``estimate_fn`` (data -> float, e.g. a CS overall ATT) is
    re-run on each permuted copy, and the two-sided p-value is the share of the
    ``draws + 1`` assignments (the observed one included, which keeps the test
    exact) with ``|estimate| >= |observed|``. ``extra_cols_fn`` rebuilds columns
    derived from ``gname`` (e.g. a treatment dummy) after each permutation.
    Assumes adoption dates are exchangeable across units (no stratification).
    """
    rng = np.random.default_rng(seed)
    obs = float(estimate_fn(data)) if observed is None else float(observed)
    vals = np.empty(draws)
    permuter = _CohortPermuter(data, idname, gname)
    for b in range(draws):
        perm = permuter.draw(rng)
        if extra_cols_fn is not None:
            perm = extra_cols_fn(perm)
        vals[b] = float(estimate_fn(perm))
    ok = np.isfinite(vals)
    p = (1 + np.sum(np.abs(vals[ok]) >= abs(obs) - 1e-12)) / (1 + ok.sum())
    return RIResult(observed=obs, p_value=float(p), draws=vals, n_draws=int(ok.sum()), seed=seed)


# --------------------------------------------------------------------------------------
# Multiplier bootstrap on influence functions (Callaway-Sant'Anna and similar)
# --------------------------------------------------------------------------------------


def multiplier_bootstrap(
    inf_func: np.ndarray,
    *,
    cluster: np.ndarray | None = None,
    reps: int = 999,
    weights: str = "auto",
    alpha: float = 0.05,
    seed=None,
    small_sample: bool = False,
) -> dict:
    """Multiplier (cluster) bootstrap of estimates with influence functions ``inf_func``.

    ``inf_func`` is ``n x k`` (one row per unit, scaled so that ``estimate - truth
    ~ mean(inf_func)``, i.e. the convention of R ``did``: ``V = IF'IF / n**2``).
    With ``cluster`` (length n), IFs are summed within clusters first. Returns the
    bootstrap SEs (IQR-based, as R ``did``), the simultaneous critical value
    (sup-t over the k estimates) and the draws. Weights: Rademacher as R ``did`` by
    default; Webb below :data:`WEBB_BELOW` clusters. ``small_sample=True`` scales the
    cluster sums by ``sqrt(G / (G - 1))`` (the CRV1 cluster factor).
    """
    psi = np.asarray(inf_func, dtype=float)
    if psi.ndim == 1:
        psi = psi[:, None]
    n = psi.shape[0]
    if cluster is not None:
        codes, _ = pd.factorize(np.asarray(cluster))
        G = int(codes.max()) + 1
        agg = np.zeros((G, psi.shape[1]))
        np.add.at(agg, codes, psi)
        psi_c = agg
    else:
        psi_c, G = psi, n
    if small_sample:
        psi_c = psi_c * np.sqrt(G / (G - 1))
    if weights == "auto":
        weights = "webb" if G < WEBB_BELOW else "rademacher"
    rng = np.random.default_rng(seed)
    V = bootstrap_weights(weights, (reps, G), rng)
    boot = V @ psi_c / n  # reps x k: bootstrap draws of (estimate - estimate_hat)
    q75, q25 = np.quantile(boot, [0.75, 0.25], axis=0)
    se = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    se = np.where(se > np.sqrt(np.finfo(float).eps), se, np.nan)
    tmax = np.nanmax(np.abs(boot) / se, axis=1)
    crit = float(np.quantile(tmax, 1 - alpha))
    return {"std_error": se, "crit_simul": crit, "draws": boot, "weights": weights, "n_clusters": G}


def cs_multiplier_bootstrap(
    res,
    *,
    cluster=None,
    inference: str = "auto",
    reps: int = 999,
    weights: str = "auto",
    alpha: float = 0.05,
    seed=None,
    small_sample: bool = True,
):
    """Few-cluster inference for a Callaway-Sant'Anna result (``att_gt`` or ``aggte``).

    Reads the influence functions the core estimator exposes (``AggteResult.inf_egt``
    and ``inf_overall``, or ``ATTgtResult.inffunc``) and the unit-to-cluster map:
    ``cluster`` (one label per IF row; pass the ``ATTgtResult`` itself to take its
    ``.cluster``), else ``res.cluster``, else units are the clusters.
    :func:`choose_inference` decides: with
    ``"wild_bootstrap"`` the rows' ``std_error``, pointwise intervals, p-values and
    the simultaneous (sup-t) band come from :func:`multiplier_bootstrap` on the
    cluster sums of the IFs (Webb weights below :data:`WEBB_BELOW` clusters, Rademacher
    otherwise); with ``"analytic"`` the result is returned unchanged apart from the
    reported rule. Returns a copy (same class); ``extra["inference"]`` and
    ``extra["inference_reason"]`` record the decision.

    ``small_sample=True`` (default) adds the usual few-cluster corrections of
    regression CRV1 inference: cluster sums scaled by ``sqrt(G/(G-1))`` and pointwise
    intervals / p-values from a t distribution with ``G - 1`` degrees of freedom. In
    the project's Monte Carlo (36 units) the uncorrected IF standard errors are about
    7% too small and the overall ATT's 95% interval covers ~92%.
    """
    import copy

    if getattr(res, "inf_overall", None) is not None:
        cols = [res.inf_overall[:, None]] if res.inf_egt is None else [res.inf_egt, res.inf_overall[:, None]]
        psi = np.column_stack(cols)
    elif getattr(res, "inffunc", None) is not None:
        psi = res.inffunc
    else:
        raise TypeError("cs_multiplier_bootstrap needs a result with influence functions (att_gt / aggte)")
    if cluster is not None and hasattr(cluster, "inffunc"):
        cluster = cluster.cluster
    if cluster is None:
        cluster = getattr(res, "cluster", None)
    n = psi.shape[0]
    G = int(len(np.unique(cluster))) if cluster is not None else n
    method, reason = choose_inference(G, inference)
    out = copy.copy(res)
    out.extra = dict(res.extra, inference=method, inference_reason=reason, n_clusters=G)
    table = res.table.copy()
    if len(table) != psi.shape[1]:
        raise ValueError("table rows and influence-function columns do not line up")
    if method != "wild_bootstrap":
        out.table = table
        return out
    ok = np.all(np.isfinite(psi), axis=0) & np.isfinite(table["std_error"].to_numpy(float))
    mb = multiplier_bootstrap(psi[:, ok], cluster=cluster, reps=reps, weights=weights, alpha=alpha, seed=seed,
                              small_sample=small_sample)
    se = np.full(psi.shape[1], np.nan)
    se[ok] = mb["std_error"]
    est = table["estimate"].to_numpy(float)
    dist = stats.t(G - 1) if small_sample else stats.norm
    z = dist.ppf(1 - alpha / 2)
    table["std_error"] = se
    table["conf_low"], table["conf_high"] = est - z * se, est + z * se
    table["p_value"] = 2 * dist.sf(np.abs(est / se))
    # sup-t band over the non-overall rows (event times / groups / cells)
    band = ok & (table["term"].to_numpy() != "overall")
    if band.sum() > 1:
        idx = np.flatnonzero(ok)
        sub = np.isin(idx, np.flatnonzero(band))
        draws, sig = mb["draws"][:, sub], mb["std_error"][sub]
        good = np.isfinite(sig)
        crit = float(np.quantile(np.max(np.abs(draws[:, good] / sig[good]), axis=1), 1 - alpha))
        table.loc[band, "conf_low_simul"] = est[band] - crit * se[band]
        table.loc[band, "conf_high_simul"] = est[band] + crit * se[band]
        out.extra["crit_val_simul"] = crit
    out.extra["bootstrap"] = {"reps": reps, "weights": mb["weights"], "seed": seed, "small_sample": small_sample,
                              "df": G - 1 if small_sample else None}
    out.table = table
    if hasattr(out, "overall_se") and getattr(res, "inf_overall", None) is not None:
        out.overall_se = float(se[-1])
        if getattr(res, "inf_egt", None) is not None:
            out.se_egt = se[:-1]
    elif hasattr(out, "se") and getattr(res, "inffunc", None) is not None:
        out.se = se
    return out
