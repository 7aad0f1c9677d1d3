"""Sun & Abraham (2021) interaction-weighted (IW) event-study estimator.

One pyfixest ``feols`` regression with unit and time FE and a full set of
cohort x event-time dummies (reference event time -1 for every cohort), estimated on
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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.did._names import any_column_names
from analysis.did.inference import choose_inference, wild_cluster_bootstrap
from analysis.did.results import DiDResult, conform_tidy
from analysis.did.twfe import base_params, cluster_var, feols_quiet, normal_row, parse_xformla, prepare_panel

__all__ = ["sun_abraham"]


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

    cells, dummies = [], {}  # cells: (g, e, column, n_obs)
    for gg in cohorts:
        sub = (d[gname] == gg).to_numpy()
        for e in sorted(d.loc[sub, "_rel"].dropna().unique()):
            if e == -1:
                continue
            col = _cell_name(gg, e)
            dummies[col] = (sub & (d["_rel"] == e).to_numpy()).astype(float)
            cells.append((int(gg), int(e), col, int(dummies[col].sum())))
    d = pd.concat([d, pd.DataFrame(dummies, index=d.index)], axis=1)
    rhs = " + ".join(c for _, _, c, _ in cells) + "".join(f" + {c}" for c in covs)
    fit = feols_quiet(f"{yname} ~ {rhs} | {idname} + {tname}", d, vcov={"CRV1": clus})
    coef, vcov = fit.coef(), pd.DataFrame(fit._vcov, index=fit._coefnames, columns=fit._coefnames)
    cells = [c for c in cells if c[2] in coef.index]
    catt = pd.DataFrame(cells, columns=["group", "event_time", "term", "n"])
    catt["estimate"] = coef[catt["term"]].to_numpy()
    catt["std_error"] = np.sqrt(np.diag(vcov.loc[catt["term"], catt["term"]]))

    G = d[clus].nunique()
    n_units = d[idname].nunique()
    method, reason = choose_inference(G, inference)
    xnames = [c for c in fit._coefnames]

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
    if method == "wild_bootstrap":
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
