"""Borusyak, Jaravel & Spiess (2024) imputation estimator.

Step 1: a pyfixest ``feols`` of ``y ~ covariates | id + t`` on *untreated*
observations only (never-treated units and not-yet-treated periods). Step 2: impute
``Y(0)`` for every treated observation from the estimated fixed effects and take
``tau_it = y_it - Yhat_it(0)``. Estimates are equal-weighted averages of ``tau_it``:
per event time (``dynamic``) and over all treated observations in the requested
horizons (``simple``: every treated unit-period counts once, as CS's ``simple``).
The point estimates coincide with Gardner's two-stage ``did2s`` (pyfixest), but
the standard errors here are BJS's (Theorem 3, conservative) ones, which pyfixest
does not provide - hence the hand-written variance:

    sigma^2 = sum_clusters ( sum_{it in cluster} v_it * eps_it )^2

with implied weights ``v_it = w_it`` on treated observations and
``v_0 = -Z_0 (Z_0'Z_0)^{-1} Z_1' w_1`` on untreated ones (``Z`` = unit and time
dummies and covariates; solved with sparse normal equations), ``eps_it`` the
step-1 residual for untreated observations and ``tau_it - taubar`` for treated ones,
where ``taubar`` is the ``v^2``-weighted mean of ``tau`` within the observation's
cohort x event-time cell, leaving the observation itself out (BJS's leave-out
refinement; with ~7 units per cell the plain mean shrinks the residuals and the
Monte Carlo showed under-coverage). The variance is conservative when effects vary
within those cells.

Pre-trend rows (event times < 0, only when ``min_e < 0``) are BJS's test regression:
on untreated observations, ``y`` on lead dummies ``1{t - g = e}`` for ``e`` in
``[min_e, -1]`` with unit and time FE, clustered SEs; ``extra["pretrend_wald_p"]`` is
their joint Wald test. They are tests for parallel trends, not imputation estimates.
When every untreated period of the treated units is a requested lead, the leads sum
to the treated-unit indicator the unit effects absorb, so one lead must be the
reference: the most distant one (the others are relative to it), chosen by a rank
check on the fixed-effect-demeaned leads taken nearest first, with a warning and
``extra["pretrend_reference"]``; nothing depends on hash order.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.linalg import spsolve

from analysis.did._names import any_column_names
from analysis.did.inference import choose_inference
from analysis.did.results import DiDResult, conform_tidy
from analysis.did.twfe import (
    base_params, cluster_var, feols_quiet, normal_row, parse_xformla, prepare_panel,
)

__all__ = ["imputation"]


def _design(d: pd.DataFrame, idname: str, tname: str, covs: list[str]) -> sp.csr_matrix:
    """Sparse FE design: all unit dummies, time dummies minus the first, covariates."""
    n = len(d)
    ui, _ = pd.factorize(d[idname], sort=True)
    ti, _ = pd.factorize(d[tname], sort=True)
    nu = ui.max() + 1
    rows = np.arange(n)
    U = sp.csr_matrix((np.ones(n), (rows, ui)), shape=(n, nu))
    Tm = sp.csr_matrix((np.ones(n), (rows, ti)), shape=(n, ti.max() + 1))[:, 1:]
    parts = [U, Tm]
    if covs:
        parts.append(sp.csr_matrix(d[covs].to_numpy(float)))
    return sp.hstack(parts, format="csr")


def _pretrend_leads(d0: pd.DataFrame, leads, yname, idname, tname, covs, clus, extra: dict):
    """BJS's pre-trend regression on untreated rows: ``(event time, estimate, SE)`` per lead, Wald p.

    ``y ~ leads + covariates | unit + period`` with CRV1 SEs as pyfixest's ``feols``
    (same small-sample factor and Wald test), hand-written so that every step has
    a fixed order: pyfixest orders the fixed effects by hashing, which moves
    estimates of these nearly collinear leads in the 10th digit with
    ``PYTHONHASHSEED``.

    When the leads cover every untreated period of the treated units they sum to
    ``1{treated unit}``, which the unit effects absorb: only differences between
    leads are identified. Leads are checked nearest first (e = -1, -2, ...) after
    partialling out the fixed effects and covariates; a lead in the span of the
    nearer ones is dropped with a warning, so the reference is the most distant lead
    and the others are measured relative to it.
    """
    from analysis.did.inference import _demean, crv1_factor

    rel = d0["_rel"].to_numpy()
    cols = [(e, (rel == e).astype(float)) for e in sorted(leads, reverse=True)]
    cols = [(e, v) for e, v in cols if v.any()]
    if not cols:
        return [], None
    fe = np.column_stack([pd.factorize(d0[idname], sort=True)[0], pd.factorize(d0[tname], sort=True)[0]])
    Z = _demean(np.column_stack([d0[yname].to_numpy(float)] + [v for _, v in cols]
                                + [d0[c].to_numpy(float) for c in covs]), fe.astype(np.uint64))
    y, L, C = Z[:, 0], Z[:, 1: 1 + len(cols)], Z[:, 1 + len(cols):]
    Lc = L - C @ np.linalg.lstsq(C, L, rcond=None)[0] if C.shape[1] else L
    r = np.abs(np.diag(np.linalg.qr(Lc, mode="r")))
    ok = r > 1e-8 * np.maximum(np.linalg.norm(np.column_stack([v for _, v in cols]), axis=0), 1.0)
    dropped = [e for (e, _), k in zip(cols, ok) if not k]
    if dropped:
        msg = (f"Pre-trend leads {dropped} are collinear with the unit and time effects (the leads cover every "
               f"untreated period of the treated units): lead {dropped[0]} is the reference and the other leads "
               "are measured relative to it")
        warnings.warn(msg, UserWarning, stacklevel=3)
        extra["pretrend_reference"] = dropped
    X = np.column_stack([L[:, ok], C])
    XtX_inv = np.linalg.inv(X.T @ X)
    beta = XtX_inv @ (X.T @ y)
    resid = y - X @ beta
    codes = pd.factorize(d0[clus], sort=True)[0]
    S = np.column_stack([np.bincount(codes, weights=X[:, j] * resid) for j in range(X.shape[1])])
    V = crv1_factor(d0, [idname, tname], clus, X.shape[1]) * (XtX_inv @ (S.T @ S) @ XtX_inv)
    q = int(ok.sum())
    b, Vb = beta[:q], V[:q, :q]
    W = float(b @ np.linalg.pinv(Vb) @ b)
    if C.shape[1]:  # pyfixest's wald_test: chi2 unless the restriction is the identity
        p = float(stats.chi2.sf(W, q))
    else:
        p = float(1 - stats.f.cdf(W / q, q, len(np.unique(codes)) - 1))
    kept = [e for (e, _), k in zip(cols, ok) if k]
    return [(e, float(b[i]), float(np.sqrt(Vb[i, i]))) for i, e in enumerate(kept)], p


@any_column_names()
def imputation(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    min_e: int | None = None,
    max_e: int | None = None,
    clustervars=None,
    horizons=None,
    xformla: str | None = None,
    inference: str = "analytic",
    leave_out: bool = True,
    alpha: float = 0.05,
) -> DiDResult:
    """BJS imputation estimates: overall ATT (``simple``) and event-time effects (``dynamic``).

    ``horizons``: event times (>= 0) included in the estimates (default: all, or
    ``0..max_e``). ``min_e < 0`` adds BJS pre-trend test rows. Units with no untreated
    observation and treated observations in periods without any untreated unit are
    dropped (their counterfactual is not identified). SEs: BJS conservative, clustered
    on ``clustervars`` (default the unit); normal intervals. ``inference`` other than
    analytic is recorded but not applied here (use :mod:`analysis.did.inference`).
    ``leave_out=False`` uses cell means including the observation itself.
    """
    covs = parse_xformla(xformla)
    clus = cluster_var(clustervars, idname)
    d = prepare_panel(data, yname, tname, idname, gname, extra_cols=[*covs, clus])
    untreated = d["_D"] == 0
    ok_units = d.loc[untreated, idname].unique()
    ok_periods = d.loc[untreated, tname].unique()
    d = d[d[idname].isin(ok_units) & d[tname].isin(ok_periods)].reset_index(drop=True)
    untreated = (d["_D"] == 0).to_numpy()
    treated = ~untreated

    rhs = " + ".join(covs) if covs else "1"
    fit = feols_quiet(f"{yname} ~ {rhs} | {idname} + {tname}", d.loc[untreated], vcov={"CRV1": clus})
    d0, d1 = d.loc[untreated], d.loc[treated]
    yhat1 = np.asarray(fit.predict(newdata=d1), dtype=float)
    resid0 = d0[yname].to_numpy(float) - np.asarray(fit.predict(newdata=d0), dtype=float)
    tau = d1[yname].to_numpy(float) - yhat1
    rel1 = d1["_rel"].to_numpy()

    if horizons is None:
        hi = np.nanmax(rel1) if max_e is None else max_e
        horizons = [int(e) for e in np.unique(rel1) if 0 <= e <= hi]
    horizons = [int(e) for e in horizons if np.any(rel1 == e)]
    if not horizons:
        raise ValueError("no treated observations in the requested horizons")

    # weights on treated obs: column 0 = overall, then one per horizon
    in_h = np.isin(rel1, horizons)
    W1 = np.zeros((len(d1), 1 + len(horizons)))
    W1[in_h, 0] = 1.0 / in_h.sum()
    for j, e in enumerate(horizons, start=1):
        m = rel1 == e
        W1[m, j] = 1.0 / m.sum()
    est = W1.T @ tau

    # implied weights on untreated obs: v0 = -Z0 (Z0'Z0)^{-1} Z1' W1
    Z = _design(d, idname, tname, covs)
    Z0, Z1 = Z[untreated], Z[treated]
    A = (Z0.T @ Z0).tocsc()
    B = Z1.T @ W1
    Gam = spsolve(A, B)
    Gam = Gam.reshape(A.shape[0], -1)
    V0 = -(Z0 @ Gam)

    # treated residuals: tau minus its v^2-weighted mean within cohort x event-time cells
    cell = pd.factorize(pd.Series(list(zip(d1[gname], rel1))))[0]
    ncell = cell.max() + 1
    clus_codes, _ = pd.factorize(pd.concat([d0[clus], d1[clus]]))
    c0, c1 = clus_codes[: len(d0)], clus_codes[len(d0):]
    G = clus_codes.max() + 1
    se = np.empty(W1.shape[1])
    for j in range(W1.shape[1]):
        w2 = W1[:, j] ** 2
        num = np.bincount(cell, w2 * tau, ncell)[cell]
        den = np.bincount(cell, w2, ncell)[cell]
        if leave_out:
            # leave the observation itself out of its cell mean (BJS's refinement):
            # otherwise residuals in small cells are shrunk and the variance understated
            num_lo, den_lo = num - w2 * tau, den - w2
            ok = den_lo > 1e-14 * np.maximum(den, 1e-300)
            taubar = np.where(ok, num_lo / np.where(ok, den_lo, 1.0), np.divide(num, den, out=tau.copy(),
                                                                                 where=den > 0))
        else:
            taubar = np.divide(num, den, out=np.zeros(len(tau)), where=den > 0)
        eps1 = tau - taubar
        s = np.bincount(c0, V0[:, j] * resid0, G) + np.bincount(c1, W1[:, j] * eps1, G)
        se[j] = np.sqrt(np.sum(s**2))

    n_units = d[idname].nunique()
    method, reason = choose_inference(G, inference)
    if method != "analytic":  # no bootstrap implemented for the imputation estimator
        reason += f"; {method} is not implemented for imputation, BJS analytic SEs reported instead"
        method = "analytic"
    rows = [normal_row("imputation", "simple", "ATT", est[0], se[0], n=n_units, alpha=alpha)]
    extra = {"inference": method, "inference_reason": reason + "; BJS conservative analytic SEs", "n_clusters": int(G),
             "n_treated_obs": int(treated.sum()), "n_untreated_obs": int(untreated.sum()), "horizons": horizons}

    if min_e is not None and min_e < 0:
        leads, wald_p = _pretrend_leads(d0, range(int(min_e), 0), yname, idname, tname, covs, clus, extra)
        for e, b, s_e in leads:
            rows.append(normal_row("imputation", "dynamic", f"e={e}", b, s_e, event_time=e, n=n_units, alpha=alpha,
                                   df=G - 1))
        if wald_p is not None:
            extra["pretrend_wald_p"] = wald_p
    for j, e in enumerate(horizons, start=1):
        rows.append(normal_row("imputation", "dynamic", f"e={e}", est[j], se[j], event_time=e, n=n_units, alpha=alpha))

    table = conform_tidy(pd.DataFrame(rows))
    table = pd.concat([table.iloc[:1], table.iloc[1:].sort_values("event_time")], ignore_index=True)
    params = base_params(yname, tname, idname, gname, control_group="notyettreated", xformla=xformla,
                         clustervars=clus, est_method="imputation")
    params.update(min_e=min_e, max_e=max_e, horizons=horizons, leave_out=leave_out)
    return DiDResult(estimator="imputation", table=table, params=params, extra=extra)
