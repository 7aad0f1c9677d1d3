"""Goodman-Bacon (2021) decomposition of the static TWFE coefficient.

Hand-written because no maintained Python package implements it (R has ``bacondecomp``).
On a balanced panel without covariates the static TWFE coefficient is *exactly* the
weighted average of all 2x2 DiD comparisons between timing groups:

* ``Treated vs Never Treated``   - a cohort against never-treated units;
* ``Earlier vs Later Treated``   - an earlier cohort, while the later one is still untreated;
* ``Later vs Earlier Treated``   - a later cohort against an *already treated* earlier one:
  the "forbidden" comparison, biased when effects change over time;
* ``Later vs Always Treated``    - a cohort against units treated from the first period.

Weights follow Goodman-Bacon (2021, eq. 10a-10c): they are products of group-size
shares and the variance of the treatment dummy within each 2x2 subsample, divided by
the variance of the two-way demeaned treatment dummy; they are nonnegative and sum
to one, and ``sum(weight * estimate)`` equals the TWFE coefficient (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.did._names import any_column_names
from analysis.did.results import DiDResult
from analysis.did.twfe import base_params, prepare_panel, twfe

__all__ = ["bacon_decomposition", "BaconResult"]


@dataclass
class BaconResult(DiDResult):
    """DiDResult whose ``decomposition`` frame lists every 2x2 comparison.

    ``decomposition`` columns: ``type, treated, control, estimate, weight`` (``treated``/
    ``control`` are adoption periods; 0 = never treated). ``by_type()`` sums weights
    and weight-averages estimates by comparison type. ``cell_weights`` (``group, period,
    weight``) are the weights the TWFE coefficient puts on each treated cell's ATT
    (de Chaisemartin & D'Haultfoeuille 2020); they sum to one and can be negative.
    """

    decomposition: pd.DataFrame = field(default_factory=pd.DataFrame)
    cell_weights: pd.DataFrame = field(default_factory=pd.DataFrame)

    def by_type(self) -> pd.DataFrame:
        d = self.decomposition
        out = d.groupby("type").apply(
            lambda x: pd.Series({"weight": x["weight"].sum(),
                                 "estimate": np.average(x["estimate"], weights=x["weight"])
                                 if x["weight"].sum() > 0 else np.nan}),
            include_groups=False,
        )
        return out.reset_index()


@any_column_names(None)
def bacon_decomposition(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str) -> BaconResult:
    """Decompose the static TWFE estimate of ``y ~ D | id + t`` into 2x2 comparisons.

    Requires a balanced panel. Units whose ``gname`` is 0 or later than the last
    period are the never-treated group; units with ``gname`` at or before the first
    period are always treated.
    """
    d = prepare_panel(data, yname, tname, idname, gname)
    periods = np.sort(d[tname].unique())
    T = len(periods)
    counts = d.groupby(idname).size()
    if (counts != T).any():
        raise ValueError("the Goodman-Bacon decomposition requires a balanced panel")
    t_max = periods[-1]
    g_unit = d.groupby(idname)[gname].first()
    # timing group of a unit: its adoption period, U (=0) if never treated in-window
    timing = g_unit.where((g_unit > 0) & (g_unit <= t_max), 0)
    d["_grp"] = d[idname].map(timing)
    n_units = len(timing)
    share = timing.value_counts() / n_units  # n_k
    dbar = d.groupby("_grp")["_D"].mean()  # share of periods treated, by group

    # variance of the two-way demeaned treatment dummy (balanced panel)
    D = d["_D"]
    Dtil = D - d.groupby(idname)["_D"].transform("mean") - d.groupby(tname)["_D"].transform("mean") + D.mean()
    VD = float(np.mean(Dtil**2))
    if VD <= 0:
        raise ValueError("no variation in treatment timing")

    ybar = d.groupby(["_grp", tname])[yname].mean().unstack(tname)  # group x period means

    def mean_y(grp, mask):
        cols = periods[mask]
        return float(ybar.loc[grp, cols].mean()) if len(cols) else np.nan

    rows = []
    treated_groups = sorted(g for g in share.index if g != 0)
    has_never = 0 in share.index
    for k in treated_groups:
        if has_never and dbar[k] < 1:
            nk, nu = share[k], share[0]
            nku = nk / (nk + nu)
            w = (nk + nu) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k]) / VD
            pre, post = periods < k, periods >= k
            est = (mean_y(k, post) - mean_y(k, pre)) - (mean_y(0, post) - mean_y(0, pre))
            rows.append(("Treated vs Never Treated", k, 0, est, w))
    for i, k in enumerate(treated_groups):
        for l in treated_groups[i + 1:]:  # k adopts earlier than l
            nk, nl = share[k], share[l]
            nkl = nk / (nk + nl)
            Dk, Dl = dbar[k], dbar[l]
            # earlier k treated, later l as control, window t < l
            if Dk < 1:
                w = ((nk + nl) * (1 - Dl)) ** 2 * nkl * (1 - nkl) * (Dk - Dl) / (1 - Dl) * (1 - Dk) / (1 - Dl) / VD
                pre, mid = periods < k, (periods >= k) & (periods < l)
                est = (mean_y(k, mid) - mean_y(k, pre)) - (mean_y(l, mid) - mean_y(l, pre))
                rows.append(("Earlier vs Later Treated", k, l, est, w))
            # later l treated, earlier (already treated) k as control, window t >= k
            w = ((nk + nl) * Dk) ** 2 * nkl * (1 - nkl) * (Dl / Dk) * (Dk - Dl) / Dk / VD
            mid, post = (periods >= k) & (periods < l), periods >= l
            est = (mean_y(l, post) - mean_y(l, mid)) - (mean_y(k, post) - mean_y(k, mid))
            typ = "Later vs Always Treated" if Dk >= 1 else "Later vs Earlier Treated"
            rows.append((typ, l, k, est, w))

    dec = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])

    # de Chaisemartin & D'Haultfoeuille (2020) weights of the TWFE coefficient on the
    # treated cells' effects: beta = sum_{D=1} w_it tau_it with w_it ~ residualised D.
    # Late periods of early cohorts get negative weights when effects grow.
    tr = d["_D"] == 1
    cw = (d.loc[tr].assign(_w=Dtil[tr] / Dtil[tr].sum())
          .groupby([gname, tname])["_w"].sum().rename("weight").reset_index()
          .rename(columns={gname: "group", tname: "period"}))
    base = twfe(data, yname, tname, idname, gname, inference="analytic")
    table = base.table.copy()
    table["estimator"] = "bacon"
    beta_dec = float(np.sum(dec["estimate"] * dec["weight"]))
    params = base_params(yname, tname, idname, gname, control_group="implicit", xformla=None,
                         clustervars=idname, est_method="twfe")
    extra = {
        "decomposition": dec.to_dict(orient="records"),
        "twfe_estimate": float(table["estimate"].iloc[0]),
        "weighted_sum": beta_dec,
        "weight_sum": float(dec["weight"].sum()),
        "forbidden_weight": float(dec.loc[dec["type"] == "Later vs Earlier Treated", "weight"].sum()),
        "cell_weights": cw.to_dict(orient="records"),
        "negative_cell_weight": float(cw.loc[cw["weight"] < 0, "weight"].sum()),
        "inference": base.extra["inference"],
        "inference_reason": base.extra["inference_reason"],
    }
    return BaconResult(estimator="bacon", table=table, params=params, extra=extra, decomposition=dec,
                       cell_weights=cw)
