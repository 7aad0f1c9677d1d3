"""Two-way fixed-effects (TWFE) comparators: static and event-study regressions.

These are the *naive baseline*: with staggered adoption and effects that vary by
cohort or grow with exposure, the static TWFE coefficient is a weighted average of
2x2 comparisons some of which use already-treated units as controls ("forbidden"
comparisons, see :mod:`analysis.did.bacon`), and event-study leads/lags are
contaminated by other periods' effects (Sun & Abraham 2021). They are reported so
the project can show how much the robust estimators change the answer.

The regressions themselves are pyfixest ``feols`` with unit and time fixed effects
and cluster-robust (CRV1) SEs; with few clusters the WCR wild cluster bootstrap of
:mod:`analysis.did.inference` replaces the analytic p-values and intervals.
This module also holds the small panel helpers the other comparators share.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis.did._names import any_column_names, split_covariates
from analysis.did.inference import choose_inference, randomization_inference, wild_cluster_bootstrap
from analysis.did.results import DiDResult, conform_tidy

__all__ = ["twfe", "event_dummy_name"]


# ----------------------------------------------------------------------------- helpers


def prepare_panel(data, yname, tname, idname, gname, extra_cols=()) -> pd.DataFrame:
    """Validated copy with the columns an estimator needs plus ``_D`` and ``_rel``.

    ``_D`` is the treatment dummy (``gname > 0`` and ``tname >= gname``) and ``_rel``
    the event time ``tname - gname`` (NaN for never-treated units, including units
    adopting after the last period). The caller's frame is never modified.
    """
    cols = list(dict.fromkeys([yname, tname, idname, gname, *extra_cols]))
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    d = data[cols].copy()
    d = d.dropna(subset=[yname, tname, idname, gname])
    if d.groupby(idname)[gname].nunique().max() > 1:
        raise ValueError(f"{gname} must be constant within {idname}")
    if d.duplicated([idname, tname]).any():
        raise ValueError(f"({idname}, {tname}) must identify rows")
    g = d[gname].to_numpy(float)
    t = d[tname].to_numpy(float)
    d["_D"] = ((g > 0) & (t >= g)).astype(float)
    # units adopting after the last period are never treated within the window (as R did)
    d["_rel"] = np.where((g > 0) & (g <= np.nanmax(t)), t - g, np.nan)
    return d


def event_dummy_name(e: int) -> str:
    return f"_e_m{-int(e)}" if e < 0 else f"_e_p{int(e)}"


def parse_xformla(xformla) -> list[str]:
    """Covariate names from an R-style ``~ x1 + x2`` string, a list of names, or None."""
    return split_covariates(xformla or None)


def cluster_var(clustervars, idname) -> str:
    if clustervars is None:
        return idname
    if isinstance(clustervars, str):
        return clustervars
    cv = [c for c in clustervars if c != idname] or [idname]
    if len(cv) > 1:
        raise NotImplementedError("one-way clustering only")
    return cv[0]


def base_params(yname, tname, idname, gname, *, control_group, xformla, clustervars, est_method, anticipation=0):
    return dict(
        yname=yname, tname=tname, idname=idname, gname=gname, control_group=control_group,
        anticipation=anticipation, est_method=est_method, xformla=xformla, clustervars=clustervars,
    )


def normal_row(estimator, typ, term, est, se, *, event_time=np.nan, n=np.nan, alpha=0.05, df=None, **extra):
    """A tidy row with a normal (or t with ``df``) interval."""
    q = stats.t.ppf(1 - alpha / 2, df) if df else stats.norm.ppf(1 - alpha / 2)
    if np.isfinite(se) and se > 0:
        stat = est / se
        p = 2 * (stats.t.sf(abs(stat), df) if df else stats.norm.sf(abs(stat)))
    else:
        p = np.nan
    row = dict(
        estimator=estimator, type=typ, term=term, event_time=event_time, estimate=est, std_error=se,
        conf_low=est - q * se, conf_high=est + q * se, p_value=p, n=n,
    )
    row.update(extra)
    return row


def feols_quiet(fml, data, **kwargs):
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(fml, data, **kwargs)


# ----------------------------------------------------------------------------- TWFE


@any_column_names()
def twfe(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    dynamic: bool = False,
    min_e: int | None = None,
    max_e: int | None = None,
    ref: int = -1,
    xformla: str | None = None,
    clustervars=None,
    inference: str = "auto",
    boot_reps: int = 999,
    ri_draws: int = 0,
    seed=None,
    alpha: float = 0.05,
) -> DiDResult:
    """Static (and optionally event-study) TWFE regression with unit and time FE.

    Static: ``y ~ D | id + t`` with ``D = 1{t >= g > 0}`` -> one ``type="simple"`` row.
    ``dynamic=True`` adds ``y ~ sum_e 1{t - g = e} | id + t`` with event time ``ref``
    omitted; event times below ``min_e`` / above ``max_e`` are *binned* into the end
    points (the usual practice, and one source of contamination). Never-treated
    units have all dummies zero. Standard errors: CRV1 clustered on ``clustervars``
    (default the unit). ``inference`` ("auto", "analytic", "wild_bootstrap") is
    decided by :func:`~analysis.did.inference.choose_inference`; with the wild
    bootstrap, ``p_value`` and ``conf_low/high`` are WCR (null imposed) and
    ``std_error`` stays the analytic CRV1 value. ``ri_draws > 0`` adds randomisation
    inference for the static coefficient (adoption dates permuted across units,
    ``extra["randomization_inference"]``).
    """
    covs = parse_xformla(xformla)
    clus = cluster_var(clustervars, idname)
    d = prepare_panel(data, yname, tname, idname, gname, extra_cols=[*covs, clus])
    n_units = d[idname].nunique()
    G = d[clus].nunique()
    method, reason = choose_inference(G, inference)
    rhs_cov = "".join(f" + {c}" for c in covs)
    fe = f" | {idname} + {tname}"
    name = "twfe_event" if dynamic else "twfe"
    rows = []

    fit = feols_quiet(f"{yname} ~ _D{rhs_cov}{fe}", d, vcov={"CRV1": clus})
    est, se = float(fit.coef()["_D"]), float(fit.se()["_D"])
    row = normal_row(name, "simple", "ATT", est, se, n=n_units, alpha=alpha, df=G - 1)
    wild = {}
    if method == "wild_bootstrap":
        wb = wild_cluster_bootstrap(d, yname, ["_D", *covs], "_D", clus, fe=[idname, tname],
                                    reps=boot_reps, seed=seed, alpha=alpha)
        row.update(p_value=wb.p_value, conf_low=wb.conf_low, conf_high=wb.conf_high)
        wild["ATT"] = wb.as_dict()
    rows.append(row)
    if ri_draws > 0:
        def static_coef(dd):
            dd = dd.copy()
            g = dd[gname].to_numpy(float)
            dd["_D"] = ((g > 0) & (dd[tname].to_numpy(float) >= g)).astype(float)
            return float(feols_quiet(f"{yname} ~ _D{rhs_cov}{fe}", dd).coef()["_D"])

        ri = randomization_inference(static_coef, d, idname, gname, draws=ri_draws, seed=seed, observed=est)
        extra_ri = ri.as_dict()
    else:
        extra_ri = None

    if dynamic:
        rel = d["_rel"]
        lo = int(np.nanmin(rel)) if min_e is None else int(min_e)
        hi = int(np.nanmax(rel)) if max_e is None else int(max_e)
        if not lo <= ref <= hi:
            raise ValueError("ref must lie in [min_e, max_e]")
        binned = rel.clip(lower=lo, upper=hi)
        names, dummies = [], {}
        for e in range(lo, hi + 1):
            dummy = (binned == e).to_numpy(float)
            if e != ref and dummy.sum() > 0:
                names.append((e, event_dummy_name(e)))
                dummies[event_dummy_name(e)] = dummy
        d = pd.concat([d, pd.DataFrame(dummies, index=d.index)], axis=1)
        fit_d = feols_quiet(f"{yname} ~ {' + '.join(c for _, c in names)}{rhs_cov}{fe}", d, vcov={"CRV1": clus})
        coefs, ses = fit_d.coef(), fit_d.se()
        vc = pd.DataFrame(fit_d._vcov, index=fit_d._coefnames, columns=fit_d._coefnames)
        kept = [c for _, c in names if c in coefs.index]
        vcov_event = vc.loc[kept, kept].to_numpy()
        kept_e = [(e, col) for e, col in names if col in coefs.index]  # collinear dummies dropped
        wbs = {}
        if method == "wild_bootstrap":
            res_list = wild_cluster_bootstrap(d, yname, kept + covs, kept, clus, fe=[idname, tname],
                                              reps=boot_reps, seed=seed, alpha=alpha)
            wbs = dict(zip(kept, res_list))
        for e, col in kept_e:
            r = normal_row(name, "dynamic", f"e={e}", float(coefs[col]), float(ses[col]), event_time=e,
                           n=n_units, alpha=alpha, df=G - 1)
            if col in wbs:
                wb = wbs[col]
                r.update(p_value=wb.p_value, conf_low=wb.conf_low, conf_high=wb.conf_high)
                wild[f"e={e}"] = wb.as_dict()
            rows.append(r)

    params = base_params(yname, tname, idname, gname, control_group="implicit", xformla=xformla,
                         clustervars=clus, est_method="twfe")
    params.update(dynamic=dynamic, min_e=min_e, max_e=max_e, ref=ref)
    extra = {"inference": method, "inference_reason": reason, "n_clusters": G, "n_obs": int(len(d))}
    if wild:
        extra["wild_bootstrap"] = wild
    if extra_ri is not None:
        extra["randomization_inference"] = extra_ri
    if dynamic:
        extra["vcov_event"] = vcov_event  # CRV1 covariance of the dynamic rows, in row order
    return DiDResult(estimator=name, table=conform_tidy(pd.DataFrame(rows)), params=params, extra=extra)
