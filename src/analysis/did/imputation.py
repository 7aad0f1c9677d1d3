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
from scipy.sparse.linalg import spsolve

from analysis.did._names import any_column_names
from analysis.did.inference import choose_inference
from analysis.did.results import DiDResult, conform_tidy
from analysis.did.twfe import (
    base_params, cluster_var, event_dummy_name, feols_quiet, normal_row, parse_xformla, prepare_panel,
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


def _lead_dummies(d0: pd.DataFrame, leads, idname, tname, covs) -> list[tuple[int, str, np.ndarray]]:
    """Lead dummies ``1{t - g = e}`` on untreated rows, nearest lead first, empty ones skipped."""
    rel = d0["_rel"].to_numpy()
    out = []
    for e in sorted(leads, reverse=True):
        dummy = (rel == e).astype(float)
        if dummy.any():
            out.append((e, event_dummy_name(e), dummy))
    return out


def _identified_leads(leads, dl: pd.DataFrame, idname, tname, covs, extra: dict) -> list[tuple[int, str]]:
    """Drop leads the unit and time effects make collinear, deterministically, with a warning.

    When the leads cover every untreated period of the treated units they sum to
    ``1{treated unit}``, which the unit effects absorb: only differences between
    leads are identified. Leads are checked nearest first (e = -1, -2, ...) after
    partialling out the fixed effects and covariates; a lead in the span of the
    nearer ones is dropped, so the reference is the most distant lead and the
    others are measured relative to it. The order never depends on hashing.
    """
    from analysis.did.inference import _demean

    if not leads:
        return []
    fe = np.column_stack([pd.factorize(dl[idname], sort=True)[0], pd.factorize(dl[tname], sort=True)[0]])
    cols = [v for _, _, v in leads]
    Z = _demean(np.column_stack(cols + [dl[c].to_numpy(float) for c in covs]), fe.astype(np.uint64))
    C, L = Z[:, len(cols):], Z[:, : len(cols)]
    if C.shape[1]:
        L = L - C @ np.linalg.lstsq(C, L, rcond=None)[0]
    norms = np.linalg.norm(np.column_stack(cols), axis=0)
    r = np.abs(np.diag(np.linalg.qr(L, mode="r")))
    ok = r > 1e-8 * np.maximum(norms, 1.0)
    dropped = [e for (e, _, _), k in zip(leads, ok) if not k]
    if dropped:
        msg = (f"Pre-trend leads {dropped} are collinear with the unit and time effects (the leads cover every "
               f"untreated period of the treated units): lead {dropped[0]} is the reference and the other leads "
               "are measured relative to it")
        warnings.warn(msg, UserWarning, stacklevel=3)
        extra["pretrend_reference"] = dropped
        extra.setdefault("warnings", []).append(msg)
    return [(e, c) for (e, c, _), k in zip(leads, ok) if k]


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
        names = _lead_dummies(d0, range(int(min_e), 0), idname, tname, covs)
        dl = d0.assign(**{c: v for _, c, v in names})
        names = _identified_leads(names, dl, idname, tname, covs, extra)
    if min_e is not None and min_e < 0 and names:
        cov_rhs = "".join(f" + {c}" for c in covs)
        pre = feols_quiet(f"{yname} ~ {' + '.join(c for _, c in names)}{cov_rhs} | {idname} + {tname}", dl,
                          vcov={"CRV1": clus})
        pc, ps = pre.coef(), pre.se()
        kept = [(e, c) for e, c in names if c in pc.index]
        for e, col in kept:
            rows.append(normal_row("imputation", "dynamic", f"e={e}", float(pc[col]), float(ps[col]),
                                   event_time=e, n=n_units, alpha=alpha, df=G - 1))
        if kept:
            R = np.zeros((len(kept), len(pre._coefnames)))
            for i, (_, col) in enumerate(kept):
                R[i, list(pre._coefnames).index(col)] = 1.0
            wt = pre.wald_test(R=R)
            extra["pretrend_wald_p"] = float(np.asarray(wt["pvalue"]).ravel()[0])
    for j, e in enumerate(horizons, start=1):
        rows.append(normal_row("imputation", "dynamic", f"e={e}", est[j], se[j], event_time=e, n=n_units, alpha=alpha))

    table = conform_tidy(pd.DataFrame(rows))
    table = pd.concat([table.iloc[:1], table.iloc[1:].sort_values("event_time")], ignore_index=True)
    params = base_params(yname, tname, idname, gname, control_group="notyettreated", xformla=xformla,
                         clustervars=clus, est_method="imputation")
    params.update(min_e=min_e, max_e=max_e, horizons=horizons, leave_out=leave_out)
    return DiDResult(estimator="imputation", table=table, params=params, extra=extra)
