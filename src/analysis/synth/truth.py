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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.panels import OUTCOMES_MONTH

HEALTH_OUTCOMES = ["incidence_per_10k", "cases"]


def _att_cells(obs: pd.DataFrame, cf: pd.DataFrame, outcomes: list[str], time: str, panel: str) -> pd.DataFrame:
    key = ["unit_id", time]
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
