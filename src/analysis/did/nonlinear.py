"""Difference-in-differences for non-linear outcomes: counts (Poisson) and ordered
satisfaction scores (ordered logit/probit).

Counts (:func:`poisson_did`): disease cases per puskesmas-period with population as
exposure (``log(population)`` offset). Estimated with pyfixest ``fepois`` (unit and
time FE, CRV1 clustered SEs); parallel trends are assumed in *ratios* (multiplicative
trends), the natural assumption for rates. Two designs:

* ``method="etwfe"`` (default) - Wooldridge's (2023) extended TWFE Poisson: one
  coefficient per treated (cohort, period) cell, so effects may vary by cohort and
  exposure without the forbidden comparisons of a pooled dummy;
* ``method="twfe"`` - the pooled dummy (``dynamic=False``) or event-time dummies with
  leads (``dynamic=True``); biased like linear TWFE when effects are heterogeneous.

Reporting (hand-written delta method): for a set A of treated observations with
cell coefficients ``beta_j`` and fitted means ``mu_it``, the counterfactual mean is
``mu_it * exp(-beta_j)``; the **rate ratio** is ``sum_A mu / sum_A mu0`` and the
**ATT in incidence per ``per`` population** is ``sum_A (mu - mu0) / sum_A exposure *
per`` (per unit-period when there is no exposure). Gradients treat the fitted
counterfactual ``mu0`` as fixed (the FE estimation error is not propagated), which is
standard for marginal effects of FE Poisson but slightly understates uncertainty.
The tidy table holds the incidence ATTs (additive scale, comparable with the other
estimators); ``extra["rate_ratio"]`` the rate ratios.

Ordered items (:func:`ordered_did`): respondents' 1-4 scores in repeated
cross-sections, statsmodels ``OrderedModel`` on ``D = treated x post`` plus a treated
group indicator, period dummies and unit-type controls, cluster-robust covariance.
Reports the latent coefficient on ``D`` and the average shift in ``P(score >= k)``
among treated post observations (delta method, numerical gradient). Limitations:
no unit fixed effects (incidental-parameter bias in a non-linear model), a single
treatment coefficient (no cohort heterogeneity), and parallel trends assumed on the
latent index - which is not equivalent to parallel trends in the score's
distribution; treat it as descriptive support for the linear ATT on the score.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis.did._names import any_column_names
from analysis.did.inference import choose_inference
from analysis.did.results import DiDResult, conform_tidy
from analysis.did.twfe import base_params, cluster_var, event_dummy_name, normal_row, prepare_panel

__all__ = ["poisson_did", "ordered_did"]


def _fepois(fml, d, offset, clus):
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.fepois(fml, d, offset=offset, vcov={"CRV1": clus})


@any_column_names(None)
def poisson_did(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    exposure: str | None = None,
    method: str = "etwfe",
    dynamic: bool = True,
    min_e: int | None = None,
    max_e: int | None = None,
    ref: int = -1,
    clustervars=None,
    per: float = 10_000,
    alpha: float = 0.05,
) -> DiDResult:
    """Poisson DiD for counts; see the module docstring for designs and reporting.

    ``exposure``: population column (offset ``log(exposure)``). Rows: ``simple``
    overall ATT (incidence per ``per``; per unit-period without exposure) and, with
    ``dynamic``, one row per event time (ETWFE: post-adoption only; TWFE: leads and
    lags from ``min_e`` to ``max_e`` with ``ref`` omitted, end points binned).
    """
    if method not in ("etwfe", "twfe"):
        raise ValueError("method must be 'etwfe' or 'twfe'")
    clus = cluster_var(clustervars, idname)
    extra_cols = [clus] + ([exposure] if exposure else [])
    d = prepare_panel(data, yname, tname, idname, gname, extra_cols=extra_cols)
    if (d[yname] < 0).any():
        raise ValueError("counts must be non-negative")
    offset = None
    if exposure:
        if (d[exposure] <= 0).any():
            raise ValueError("exposure must be positive")
        d["_logexp"] = np.log(d[exposure].to_numpy(float))
        offset = "_logexp"
    # units / periods with only zero counts are uninformative (separated) under FE
    # Poisson; drop them up front so fitted values align with the rows
    for _ in range(3):
        keep = (d.groupby(idname)[yname].transform("sum") > 0) & (d.groupby(tname)[yname].transform("sum") > 0)
        if keep.all():
            break
        d = d[keep]
    d = d.reset_index(drop=True)
    rel = d["_rel"]
    # column per coefficient and, for every row, which coefficient its effect uses
    cols: dict[str, np.ndarray] = {}
    if method == "etwfe":
        post = (d["_D"] == 1).to_numpy()
        cell = pd.Series(np.where(post, d[gname].astype(int).astype(str) + "_" + d[tname].astype(int).astype(str),
                                  ""), index=d.index)
        for c in sorted(set(cell[post])):
            cols["_c_" + c] = (cell == c).to_numpy(float)
    else:
        if dynamic:
            lo = int(np.nanmin(rel)) if min_e is None else int(min_e)
            hi = int(np.nanmax(rel)) if max_e is None else int(max_e)
            binned = rel.clip(lower=lo, upper=hi)
            for e in range(lo, hi + 1):
                if e != ref:
                    cols[event_dummy_name(e)] = (binned == e).to_numpy(float)
        else:
            cols["_Dp"] = d["_D"].to_numpy(float)
    cols = {k: v for k, v in cols.items() if v.sum() > 0}
    d = pd.concat([d, pd.DataFrame(cols, index=d.index)], axis=1)
    fit = _fepois(f"{yname} ~ {' + '.join(cols)} | {idname} + {tname}", d, offset, clus)
    names = [n for n in fit._coefnames]
    beta = fit.coef()
    V = pd.DataFrame(fit._vcov, index=names, columns=names)
    if fit._N != len(d):  # pragma: no cover - guarded by the zero filter above
        raise RuntimeError("fepois dropped observations; fitted values would not align")
    used = d
    mu = np.asarray(fit.predict(type="response"), dtype=float)
    X = used[names].to_numpy(float)  # at most one nonzero per row
    xb = X @ beta[names].to_numpy()
    mu0 = mu * np.exp(-xb)
    expo = used[exposure].to_numpy(float) if exposure else np.ones(len(used))
    scale = per if exposure else 1.0
    G = used[clus].nunique()
    n_units = used[idname].nunique()
    z = stats.norm.ppf(1 - alpha / 2)

    def summarise(mask, typ, term, event_time=np.nan):
        m = mask & (X.sum(axis=1) > 0)
        if not m.any():
            return None, None
        att = float(np.sum(mu[m] - mu0[m]) / np.sum(expo[m]) * scale)
        grad_att = (X[m] * mu[m, None]).sum(axis=0) / np.sum(expo[m]) * scale
        se_att = float(np.sqrt(grad_att @ V.to_numpy() @ grad_att))
        lrr = float(np.log(np.sum(mu[m]) / np.sum(mu0[m])))
        grad_lrr = (X[m] * mu[m, None]).sum(axis=0) / np.sum(mu[m])
        se_lrr = float(np.sqrt(grad_lrr @ V.to_numpy() @ grad_lrr))
        row = normal_row(f"poisson_{method}", typ, term, att, se_att, event_time=event_time, n=n_units, alpha=alpha)
        rr = {"term": term, "event_time": event_time, "rate_ratio": float(np.exp(lrr)), "log_se": se_lrr,
              "conf_low": float(np.exp(lrr - z * se_lrr)), "conf_high": float(np.exp(lrr + z * se_lrr)),
              "p_value": float(2 * stats.norm.sf(abs(lrr) / se_lrr)) if se_lrr > 0 else np.nan}
        return row, rr

    urel = used["_rel"].to_numpy()
    udD = used["_D"].to_numpy() == 1
    rows, rrs = [], []
    r, rr = summarise(udD, "simple", "ATT")
    rows.append(r), rrs.append(rr)
    if dynamic:
        evs = sorted({int(e) for e in urel[np.isfinite(urel)]})
        if method == "twfe":
            binned = np.clip(urel, lo, hi)
        else:
            binned = urel
            evs = [e for e in evs if e >= 0 and (min_e is None or e >= min_e) and (max_e is None or e <= max_e)]
        for e in evs:
            if method == "twfe" and (e < lo or e > hi or e == ref):
                continue
            r, rr = summarise(binned == e, "dynamic", f"e={e}", event_time=e)
            if r is not None:
                rows.append(r), rrs.append(rr)
    method_inf, reason = choose_inference(G, "analytic")
    params = base_params(yname, tname, idname, gname, control_group="notyettreated" if method == "etwfe" else
                         "implicit", xformla=None, clustervars=clus, est_method=f"poisson_{method}")
    params.update(exposure=exposure, per=per, dynamic=dynamic, min_e=min_e, max_e=max_e)
    extra = {"rate_ratio": rrs, "inference": method_inf, "inference_reason": reason + "; delta-method SEs",
             "n_clusters": int(G), "scale": f"incidence per {per:g}" if exposure else "count per unit-period"}
    return DiDResult(estimator=f"poisson_{method}", table=conform_tidy(pd.DataFrame(rows)), params=params,
                     extra=extra)


@any_column_names(None)
def ordered_did(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    gname: str,
    *,
    controls=(),
    clustervars: str | None = None,
    threshold: int = 3,
    distr: str = "logit",
    alpha: float = 0.05,
) -> DiDResult:
    """Ordered-response DiD (see module docstring). ``controls`` are categorical columns.

    Rows (``type="simple"``): ``term="latent"`` (coefficient on treated x post, cluster
    SE) and ``term="P(y>=k)"`` (average change in the probability of a score of at
    least ``threshold`` among treated post observations).
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    cols = list(dict.fromkeys([yname, tname, gname, *controls] + ([clustervars] if clustervars else [])))
    d = data[cols].dropna().copy()
    g, t = d[gname].to_numpy(float), d[tname].to_numpy(float)
    D = ((g > 0) & (t >= g)).astype(float)
    X = pd.DataFrame({"_D": D, "_treated_group": (g > 0).astype(float)}, index=d.index)
    dummies = [pd.get_dummies(d[tname].astype("category"), prefix="_t", drop_first=True, dtype=float)]
    for c in controls:
        dummies.append(pd.get_dummies(d[c].astype("category"), prefix=f"_{c}", drop_first=True, dtype=float))
    X = pd.concat([X, *dummies], axis=1)
    X = X.loc[:, X.std() > 0]
    levels = np.sort(d[yname].unique())
    yv = pd.Series(pd.Categorical(d[yname], categories=levels, ordered=True), index=d.index)
    model = OrderedModel(yv, X, distr=distr)
    fit_kw = {"method": "bfgs", "disp": 0, "maxiter": 2000}
    if clustervars:
        fit_kw.update(cov_type="cluster", cov_kwds={"groups": pd.factorize(d[clustervars])[0]})
    res = model.fit(**fit_kw)
    params = res.params.to_numpy()
    cov = np.asarray(res.cov_params())
    ix = list(X.columns).index("_D")
    k_level = int(np.searchsorted(levels, threshold))  # first category counted as ">= threshold"
    sel = D == 1

    def p_shift(p):
        X1 = X.loc[sel].to_numpy(float).copy()
        X0 = X1.copy()
        X0[:, ix] = 0.0
        pr1 = model.predict(p, exog=X1)
        pr0 = model.predict(p, exog=X0)
        return float(np.mean(pr1[:, k_level:].sum(axis=1) - pr0[:, k_level:].sum(axis=1)))

    shift = p_shift(params)
    eps = 1e-5
    grad = np.array([(p_shift(params + eps * e) - p_shift(params - eps * e)) / (2 * eps)
                     for e in np.eye(len(params))])
    se_shift = float(np.sqrt(grad @ cov @ grad))
    beta, se_beta = float(params[ix]), float(np.sqrt(cov[ix, ix]))
    G = d[clustervars].nunique() if clustervars else len(d)
    rows = [
        normal_row("ordered_" + distr, "simple", "latent", beta, se_beta, n=len(d), alpha=alpha),
        normal_row("ordered_" + distr, "simple", f"P(y>={threshold})", shift, se_shift, n=len(d), alpha=alpha),
    ]
    method, reason = choose_inference(max(G, 2), "analytic")
    p = base_params(yname, tname, None, gname, control_group="notyettreated", xformla=" + ".join(controls) or None,
                    clustervars=clustervars, est_method=f"ordered_{distr}")
    p.update(threshold=threshold)
    extra = {"inference": method, "inference_reason": reason, "converged": bool(res.mle_retvals.get("converged", True)),
             "cov_type": res.cov_type, "n_obs": int(len(d))}
    return DiDResult(estimator="ordered_" + distr, table=conform_tidy(pd.DataFrame(rows)), params=p, extra=extra)
