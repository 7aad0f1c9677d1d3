"""True treatment effects of the synthetic data, on the panel outcomes themselves.

ATT(g,t) = mean over units of cohort g of [Y_t(observed) - Y_t(never adopted)],
both computed by :mod:`analysis.panels` from the two simulated worlds (common
random numbers), so the truth is the exact sample effect on the panel the
estimators see. Pre-adoption cells are 0 unless ``anticipation`` > 0. A
``pretrend_violation`` changes untreated outcomes only, so it biases estimators
without changing the truth.

Aggregates mirror Callaway and Sant'Anna's ``aggte``: ``simple`` averages post
cells (t >= g) weighted by cohort size; ``group`` averages each cohort's post
cells (egt = g, plus the cohort-size-weighted overall with egt missing);
``dynamic`` averages by event time e = t - g weighted by cohort size (egt = e,
plus the mean over e >= 0 with egt missing).

The employee panel (``panel_asn_month``) has its own truth: ATT(g,t) of ``skp_good``
is the mean over the employees of cohort g appraised in month t of the difference
between the two worlds (``n_units`` counts employees), so an employee-level estimate
is compared with the effect on employees, not on units' shares; ``panel_asn_quarter``
the same by quarter (each employee's share of appraised months rated good).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analysis.panels import OUTCOMES_MONTH
from analysis.panels_asn import PERIODS, period_query

HEALTH_OUTCOMES = ["incidence_per_10k", "cases"]


ASN_OUTCOMES = ["skp_good"]


def _att_cells(obs: pd.DataFrame, cf: pd.DataFrame, outcomes: list[str], time: str, panel: str,
               idname: str = "unit_id") -> pd.DataFrame:
    key = [idname, time]
    merged = obs.merge(cf[key + outcomes], on=key, suffixes=("", "_cf"))
    merged = merged[merged["first_treat"] > 0]
    frames = []
    for y in outcomes:
        diff = merged[y].astype("float64") - merged[f"{y}_cf"].astype("float64")
        cell = pd.DataFrame({"group": merged["first_treat"], "period": merged[time], "d": diff})
        agg = cell.groupby(["group", "period"], sort=True)["d"].agg(att="mean", n_units="count").reset_index()
        agg = agg[agg["n_units"] > 0]
        agg.insert(0, "outcome", y)
        agg.insert(1, "panel", panel)
        frames.append(agg)
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"group": "int64", "period": "int64", "n_units": "int64", "att": "float64"})


def att_gt(panels_obs: dict[str, pd.DataFrame], panels_cf: dict[str, pd.DataFrame]) -> pd.DataFrame:
    month = _att_cells(panels_obs["panel_unit_month"], panels_cf["panel_unit_month"], OUTCOMES_MONTH, "period",
                       "panel_unit_month")
    week = _att_cells(panels_obs["panel_unit_week_health"], panels_cf["panel_unit_week_health"], HEALTH_OUTCOMES,
                      "week", "panel_unit_week_health")
    return pd.concat([month, week], ignore_index=True)


def asn_att_gt(panels_obs: dict[str, pd.DataFrame], panels_cf: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """True ATT(g,t) on the employee panel by month (``panel_asn_month``) and by quarter (``panel_asn_quarter``:
    the employee-level estimate's default periods), from each world's panels
    (:func:`analysis.panels.compute_panels`: the pipeline's own query)."""
    obs, cf = panels_obs["panel_asn_month"], panels_cf["panel_asn_month"]
    out = [_att_cells(obs, cf, ASN_OUTCOMES, "period", "panel_asn_month", idname="asn_id")]
    con = duckdb.connect()
    try:
        for name, months in PERIODS.items():
            if months > 1:
                obs_p, cf_p = (con.register("asn_month", f).execute(period_query("asn_month", months)).df()
                               for f in (obs, cf))
                out.append(_att_cells(obs_p, cf_p, ASN_OUTCOMES, "period", f"panel_asn_{name}", idname="asn_id"))
    finally:
        con.close()
    return pd.concat(out, ignore_index=True)


def aggregates(cells: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (outcome, panel), c in cells.groupby(["outcome", "panel"], sort=True):
        size = c.groupby("group")["n_units"].max()
        c = c.assign(w=c["group"].map(size), e=c["period"] - c["group"])
        post = c[c["e"] >= 0]
        if post.empty:
            continue
        rows.append((outcome, panel, "simple", pd.NA, np.average(post["att"], weights=post["w"])))
        theta_g = post.groupby("group")["att"].mean()
        for g, v in theta_g.items():
            rows.append((outcome, panel, "group", g, v))
        rows.append((outcome, panel, "group", pd.NA, np.average(theta_g, weights=size.reindex(theta_g.index))))
        theta_e = c.groupby("e").apply(lambda x: np.average(x["att"], weights=x["w"]), include_groups=False)
        for e, v in theta_e.items():
            rows.append((outcome, panel, "dynamic", e, v))
        rows.append((outcome, panel, "dynamic", pd.NA, theta_e[theta_e.index >= 0].mean()))
    out = pd.DataFrame(rows, columns=["outcome", "panel", "type", "egt", "att"])
    return out.astype({"egt": "Int64", "att": "float64", "outcome": "str", "panel": "str", "type": "str"})
