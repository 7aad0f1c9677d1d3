"""Sun & Abraham (2021) interaction-weighted (IW) event-study estimator.

One regression with unit and time FE and a full set of cohort x event-time
dummies (reference event time -1 for every cohort), estimated on
treated cohorts plus a clean control cohort: never-treated units (``"never"``) or
the last-treated cohort (``"last"``; periods from its adoption on are dropped and
never-treated units, if any, stay in the control group). Because every cohort has its
own coefficients, no already-treated unit serves as a control and the cohort-specific
effects CATT(g, e) are not contaminated.

Aggregation (hand-written, a few lines): the event-time effect is the average of
CATT(g, e) over cohorts observed at e, weighted by their number of observations in
that cell (cohort shares in a balanced panel); the overall ATT averages all post
cells (e >= 0) with the same weights, i.e. over treated unit-periods - the target of
Callaway-Sant'Anna's ``simple`` aggregation. SEs: ``sqrt(w' V w)`` with ``V`` the
clustered (CRV1) covariance of the CATTs; the weights are treated as known (as
fixest's ``aggregate``), which ignores their (small) estimation error.

Why the regression is hand-written (:func:`saturated_fit`): a dense design of
``rows x (cohort x event-time)`` dummies needs 14 GB for 600,000 rows and 3,000
cells, and pyfixest demeans every dummy column densely. Here the unit effects are
eliminated in Gram form (Frisch-Waugh-Lovell): with sparse time, cell and covariate
columns ``Z`` and unit dummies ``U``, the normal equations are
``Z'Z - Z'U (U'U)^-1 U'Z``, built from sparse products whose size grows with the
rows, plus one dense ``(T + K)`` square matrix and the ``clusters x (T + K)`` CRV1
scores (0.97 GB peak for 600,000 rows, 5,000 clusters and 2,975 cells; see
benchmarks/bench_sunab.py). Collinear columns are dropped in
column order (time effects first, then cells, then covariates), as pyfixest drops
regressors the fixed effects absorb; CRV1 standard errors use pyfixest's
small-sample factor (:func:`analysis.did.inference.crv1_factor`), so estimates and
SEs equal pyfixest's ``feols`` to rounding (tested). The wild cluster bootstrap
(few clusters, hence small panels) still works on dense dummy columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg as sla
import scipy.sparse as sp

from analysis.did._names import any_column_names
from analysis.did.inference import choose_inference, crv1_factor, wild_cluster_bootstrap
from analysis.did.results import DiDResult, conform_tidy
from analysis.did.twfe import base_params, cluster_var, normal_row, parse_xformla, prepare_panel

__all__ = ["sun_abraham"]


def _dummies(codes: np.ndarray, k: int, rows: np.ndarray | None = None) -> sp.csr_matrix:
    """Sparse 0/1 matrix with a one at (row, code) for codes >= 0."""
    n = len(codes)
    keep = codes >= 0
    r = np.arange(n)[keep] if rows is None else rows[keep]
    return sp.csr_matrix((np.ones(keep.sum()), (r, codes[keep])), shape=(n, k))


def saturated_fit(y, unit, time, cell, n_cells, X, cluster, *, frame, fe_names, cluster_name, tol=1e-10):
    """OLS of ``y`` on cell dummies and ``X`` with unit and time FE; CRV1 covariance of the kept columns.

    ``unit``/``time`` are dense codes, ``cell`` the cell code per row (-1: no dummy),
    ``X`` dense covariates (n x p), ``cluster`` cluster codes. Returns ``(coef, vcov,
    kept)`` for the cell and covariate columns (``kept``: boolean over cells then
    covariates). Memory: sparse products with O(rows) entries, (T + K + p)^2 and
    clusters x (T + K + p) dense arrays.
    """
    n = len(y)
    n_units, n_t = int(unit.max()) + 1, int(time.max()) + 1
    p = X.shape[1]
    Z = sp.hstack([_dummies(np.where(time > 0, time - 1, -1), n_t - 1), _dummies(cell, n_cells),
                   sp.csr_matrix(X)], format="csr")
    m = Z.shape[1]
    U = _dummies(unit, n_units).tocsc()
    cnt = np.asarray(U.sum(axis=0)).ravel()
    B = (U.T @ Z).tocsr()  # unit sums of every column (sparse, O(rows) entries)
    Bs = sp.diags(1.0 / cnt) @ B  # unit means
    S = (Z.T @ Z).toarray() - (B.T @ Bs).toarray()  # Gram matrix of unit-demeaned columns
    uy = U.T @ y
    r = Z.T @ y - Bs.T @ uy
    # columns in the span of earlier ones (and the FE) are dropped in order, like pyfixest
    d = np.sqrt(np.clip(np.diag(S), 0, None))
    keep = d > 1e-12 * max(1.0, d.max())
    try:
        L = sla.cholesky(S[np.ix_(keep, keep)], lower=True)
        piv = np.diag(L) ** 2 / np.diag(S)[keep]
        if piv.min() < tol:
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(S)
        Rm = np.linalg.qr(np.sqrt(np.clip(w, 0, None))[:, None] * V.T, mode="r")
        keep = np.diag(Rm) ** 2 > tol * np.maximum(np.diag(S), 1e-300)
        L = sla.cholesky(S[np.ix_(keep, keep)], lower=True)
    idx = np.flatnonzero(keep)
    beta = np.zeros(m)
    beta[idx] = sla.cho_solve((L, True), r[idx])
    alpha = (uy - B @ beta) / cnt
    e = y - Z @ beta - alpha[unit]
    # cluster scores of the unit-demeaned columns: sum_c z~ e = C'(e o Z) - C'(e o U) (U'U)^-1 U'Z
    G = int(cluster.max()) + 1
    Ce = sp.csr_matrix((e, (cluster, np.arange(n))), shape=(G, n))
    scores = (Ce @ Z).toarray() - ((Ce @ U) @ Bs).toarray()
    cols = idx[idx >= n_t - 1]  # cells and covariates (time effects are nuisance)
    A = sla.cho_solve((L, True), np.eye(len(idx)))[:, np.isin(idx, cols)]  # (S^-1)[:, kept cells/covs]
    T_ = scores[:, idx] @ A
    del scores
    ssc = crv1_factor(frame, fe_names, cluster_name, len(cols))
    vcov = ssc * (T_.T @ T_)
    kept = np.zeros(n_cells + p, dtype=bool)
    kept[cols - (n_t - 1)] = True
    return beta[cols], vcov, kept


def _cell_name(g, e) -> str:
    return f"_sa_g{int(g)}_" + (f"m{-int(e)}" if e < 0 else f"p{int(e)}")


@any_column_names()
def sun_abraham(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    control_cohort: str = "never",
    min_e: int | None = None,
    max_e: int | None = None,
    xformla: str | None = None,
    clustervars=None,
    inference: str = "auto",
    boot_reps: int = 999,
    seed=None,
    alpha: float = 0.05,
) -> DiDResult:
    """Sun-Abraham IW estimates: overall ATT (``simple``) and event-time effects (``dynamic``).

    ``min_e``/``max_e`` only select which event times are reported (the regression is
    always fully saturated - binning would reintroduce contamination). Units treated
    in the first period (no pre-period) are dropped. ``extra["catt"]`` holds the
    cohort-specific estimates. With ``inference="wild_bootstrap"`` (or "auto" and few
    clusters) p-values and intervals of the aggregated rows are WCR wild cluster
    bootstrap values for the corresponding linear combinations.
    """
    if control_cohort not in ("never", "last"):
        raise ValueError("control_cohort must be 'never' or 'last'")
    covs = parse_xformla(xformla)
    clus = cluster_var(clustervars, idname)
    d = prepare_panel(data, yname, tname, idname, gname, extra_cols=[*covs, clus])
    t_min, t_max = d[tname].min(), d[tname].max()
    g = d[gname]
    d = d[~((g > 0) & (g <= t_min))].copy()  # always treated: no pre-period
    never = (d[gname] == 0) | (d[gname] > t_max)
    cohorts = sorted(d.loc[~never, gname].unique())
    if control_cohort == "never":
        if not never.any():
            raise ValueError("no never-treated units: use control_cohort='last'")
        control_mask = never
    else:
        if len(cohorts) < 2:
            raise ValueError("control_cohort='last' needs at least two treated cohorts")
        g_last = cohorts[-1]
        cohorts = cohorts[:-1]
        d = d[d[tname] < g_last].copy()
        never = (d[gname] == 0) | (d[gname] > t_max)
        control_mask = never | (d[gname] == g_last)
    d.loc[control_mask.to_numpy(), "_rel"] = np.nan

    cells = []  # (g, e, column, n_obs)
    rel = d["_rel"].to_numpy()
    gcol = d[gname].to_numpy()
    cell_code = np.full(len(d), -1)
    for gg in cohorts:
        sub = gcol == gg
        for e in np.unique(rel[sub & np.isfinite(rel)]):
            if e == -1:
                continue
            m = sub & (rel == e)
            cell_code[m] = len(cells)
            cells.append((int(gg), int(e), _cell_name(gg, e), int(m.sum())))
    clus_codes = pd.factorize(d[clus], sort=True)[0]
    coef_v, V, kept = saturated_fit(
        d[yname].to_numpy(float), pd.factorize(d[idname], sort=True)[0], pd.factorize(d[tname], sort=True)[0],
        cell_code, len(cells), d[covs].to_numpy(float) if covs else np.empty((len(d), 0)), clus_codes,
        frame=d, fe_names=[idname, tname], cluster_name=clus,
    )
    names = [c for _, _, c, _ in cells] + list(covs)
    kept_names = [nm for nm, k in zip(names, kept) if k]
    coef = pd.Series(coef_v, index=kept_names)
    vcov = pd.DataFrame(V, index=kept_names, columns=kept_names)
    all_cells, cells = cells, [c for c in cells if c[2] in coef.index]
    catt = pd.DataFrame(cells, columns=["group", "event_time", "term", "n"])
    catt["estimate"] = coef[catt["term"]].to_numpy()
    catt["std_error"] = np.sqrt(np.diag(vcov.loc[catt["term"], catt["term"]]))

    G = d[clus].nunique()
    n_units = d[idname].nunique()
    method, reason = choose_inference(G, inference)
    xnames = kept_names

    combos = []  # aggregation weights of every row, for one shared wild bootstrap

    def agg_row(sel: pd.DataFrame, typ, term, event_time=np.nan):
        w = sel["n"].to_numpy(float) / sel["n"].sum()
        V = vcov.loc[sel["term"], sel["term"]].to_numpy()
        est = float(w @ sel["estimate"].to_numpy())
        se = float(np.sqrt(w @ V @ w))
        combos.append(dict(zip(sel["term"], w)))
        return normal_row("sun_abraham", typ, term, est, se, event_time=event_time, n=n_units, alpha=alpha,
                          df=G - 1)

    rows = [agg_row(catt[catt["event_time"] >= 0], "simple", "ATT")]
    lo = catt["event_time"].min() if min_e is None else min_e
    hi = catt["event_time"].max() if max_e is None else max_e
    ev = [e for e in sorted(catt["event_time"].unique()) if lo <= e <= hi]
    Wagg = np.zeros((len(ev), len(catt)))  # event-time aggregation weights, for the covariance
    for i, e in enumerate(ev):
        sel = catt[catt["event_time"] == e]
        Wagg[i, sel.index] = sel["n"].to_numpy(float) / sel["n"].sum()
        rows.append(agg_row(sel, "dynamic", f"e={e}", event_time=e))
    Vc = vcov.loc[catt["term"], catt["term"]].to_numpy()
    if method == "wild_bootstrap":  # few clusters: small panels, dense dummy columns are affordable
        d = pd.concat([d, pd.DataFrame({c: (cell_code == i).astype(float) for i, (_, _, c, _) in
                                        enumerate(all_cells) if c in coef.index}, index=d.index)], axis=1)
        wbs = wild_cluster_bootstrap(d, yname, xnames, combos, clus, fe=[idname, tname], reps=boot_reps,
                                     seed=seed, alpha=alpha)
        for row, wb in zip(rows, wbs):
            row.update(p_value=wb.p_value, conf_low=wb.conf_low, conf_high=wb.conf_high)

    params = base_params(yname, tname, idname, gname,
                         control_group="nevertreated" if control_cohort == "never" else "lasttreated",
                         xformla=xformla, clustervars=clus, est_method="sun_abraham")
    params.update(min_e=min_e, max_e=max_e)
    extra = {"inference": method, "inference_reason": reason, "n_clusters": G,
             "catt": catt.drop(columns="term").to_dict(orient="records"),
             "max_period": float(d[tname].max()),
             "vcov_event": Wagg @ Vc @ Wagg.T}  # covariance of the dynamic rows, weights as known
    return DiDResult(estimator="sun_abraham", table=conform_tidy(pd.DataFrame(rows)), params=params, extra=extra)
