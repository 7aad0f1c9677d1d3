"""Heterogeneity and mechanisms (notebook 05).

* Effects by ticket channel and service: the queue outcomes re-aggregated per
  unit x month x channel (or service) in DuckDB, then Callaway-Sant'Anna per level.
* Effects by unit type and kelurahan: Callaway-Sant'Anna on each subgroup that still
  has adopters and comparisons.
* Which unit characteristics predict larger effects: unit-level DiD effects (each
  adopter's pre/post change minus the never-adopters' change over the same months)
  explained by gradient-boosted trees whose fit is judged only out of fold (cross-fitting),
  so it cannot flatter itself with in-sample fit.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.inspection import permutation_importance
from sklearn.model_selection import KFold

from analysis.evaluation.estimate import Spec, comparison_group, overall_effect
from analysis.evaluation.panel import GNAME, IDNAME, OutcomePanel

TICKET_MEASURES = {
    "wait_minutes": "avg(date_diff('second', issued_at, called_at)) / 60.0",
    "service_minutes": "avg(date_diff('second', served_at, finished_at)) / 60.0",
    "share_within_1h": "avg(CASE WHEN date_diff('second', issued_at, finished_at) <= 3600 THEN 1.0 ELSE 0.0 END)"
                       " FILTER (WHERE priority)",
}
MIN_ADOPTERS = 2  # a subgroup needs adopters of its own ...
MIN_UNITS = 4  # ... and enough units in all to have comparisons
SUBGROUP_COLUMNS = ["outcome", "dimension", "level", "n_units", "estimate", "std_error", "conf_low", "conf_high",
                    "p_value", "control_group", "note"]


def ticket_panel(interim_dir: str | Path, panel: pd.DataFrame, yname: str, by: str) -> pd.DataFrame:
    """Unit x month x ``by`` (channel or service) panel of a queue outcome."""
    tickets = str(Path(interim_dir) / "tickets.parquet")
    with duckdb.connect() as con:
        agg = con.execute(f"""
            SELECT unit_id, date_trunc('month', issued_at) AS month, {by} AS level, {TICKET_MEASURES[yname]} AS {yname},
                   count(*) AS n_tickets
            FROM read_parquet('{tickets}') GROUP BY ALL""").df()
    keys = panel[[IDNAME, "month", "period", GNAME]].drop_duplicates()
    keys = keys.assign(month=pd.to_datetime(keys["month"]))
    agg["month"] = pd.to_datetime(agg["month"]).astype(keys["month"].dtype)
    return agg.merge(keys, on=[IDNAME, "month"], how="inner")


def _enough(data: pd.DataFrame) -> bool:
    units = data.drop_duplicates(IDNAME)
    return int((units[GNAME] > 0).sum()) >= MIN_ADOPTERS and len(units) >= MIN_UNITS


def by_level(panel: OutcomePanel, spec: Spec, levels: pd.Series, dimension: str) -> pd.DataFrame:
    """Overall ATT within each level of a unit-level variable (unit type, kelurahan)."""
    rows = []
    for level in sorted(levels.dropna().unique()):
        part = panel.data[levels.reindex(panel.data.index).eq(level).to_numpy()]
        rows.append(_subgroup_row(panel, spec, part, dimension, level))
    return pd.DataFrame(rows).reindex(columns=SUBGROUP_COLUMNS)


def by_ticket_level(interim_dir, monthly: pd.DataFrame, yname: str, spec: Spec, by: str) -> pd.DataFrame:
    data = ticket_panel(interim_dir, monthly, yname, by)
    base = OutcomePanel(yname, data, "period")
    rows = []
    for level, part in data.groupby("level", sort=True):
        part = part[part[yname].notna()]
        rows.append(_subgroup_row(base, spec, part, by, level))
    return pd.DataFrame(rows).reindex(columns=SUBGROUP_COLUMNS)


def _subgroup_row(panel: OutcomePanel, spec: Spec, part: pd.DataFrame, dimension: str, level) -> dict:
    row = {"outcome": panel.yname, "dimension": dimension, "level": str(level),
           "n_units": int(part[IDNAME].nunique())}
    if not _enough(part):
        return {**row, "note": f"fewer than {MIN_ADOPTERS} adopting units or {MIN_UNITS} units in all"}
    sub = OutcomePanel(panel.yname, part.reset_index(drop=True), panel.tname, panel.idname, panel.gname)
    sub_spec, _ = comparison_group(sub, replace(spec, covariates=()))
    try:
        return {**row, "control_group": sub_spec.control_group, **overall_effect(sub, sub_spec)}
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {**row, "note": str(exc).splitlines()[0]}


def unit_effects(panel: OutcomePanel) -> pd.DataFrame:
    """Each adopter's own DiD: its post-minus-pre mean change minus the never-adopters' change."""
    data, y, t, g = panel.data, panel.yname, panel.tname, panel.gname
    never = data[data[g] == 0].groupby(t)[y].mean()
    rows = []
    for unit, d in data[data[g] > 0].groupby(panel.idname):
        adopt = d[g].iloc[0]
        pre, post = d[d[t] < adopt], d[d[t] >= adopt]
        if len(pre) < 2 or len(post) < 2 or never.empty:
            continue
        change = post[y].mean() - pre[y].mean()
        control = never.reindex(post[t]).mean() - never.reindex(pre[t]).mean()
        rows.append({IDNAME: unit, "effect": change - control, "baseline": pre[y].mean(), GNAME: adopt})
    return pd.DataFrame(rows)


PREDICTOR_COLUMNS = ["outcome", "feature", "importance", "r2_out_of_fold"]


def stack_predictors(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """One predictor table for all outcomes (empty, with its columns, when no outcome had enough units)."""
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=PREDICTOR_COLUMNS)


def effect_predictors(panel: OutcomePanel, units: pd.DataFrame, seed: int, folds: int = 5,
                      area: str = "kelurahan") -> tuple[pd.DataFrame, float]:
    """Cross-fitted gradient boosting of unit effects on unit characteristics.

    ``area``: the column of ``units`` naming each unit's area at the study's grouping level (17 kab/kota
    rather than 3,259 desa dummies in a province, where permutation importance would take hours).

    Returns permutation importances measured on held-out folds only, and the
    out-of-fold R^2 (near or below zero means the characteristics do not predict
    which units gain more: an honest null, not a failure).
    """
    effects = unit_effects(panel).merge(units, on=IDNAME, how="left")
    features = pd.get_dummies(effects[["unit_type", area]].astype(str), dtype=float)
    for col in ("distance_km", "baseline", GNAME):
        if col in effects:
            features[col] = effects[col].astype(float)
    y = effects["effect"].to_numpy(float)
    if len(effects) < 2 * folds:
        raise ValueError(f"{len(effects)} adopting units: too few to cross-fit {folds} folds")
    oof = np.full(len(y), np.nan)
    importances = []
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(features):
        model = GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=0.05, subsample=0.8,
                                          random_state=seed)
        model.fit(features.iloc[train], y[train])
        oof[test] = model.predict(features.iloc[test])
        if len(test) > 1:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                imp = permutation_importance(model, features.iloc[test], y[test], n_repeats=5, random_state=seed)
            importances.append(imp.importances_mean)
    r2 = 1 - np.sum((y - oof) ** 2) / np.sum((y - y.mean()) ** 2)
    table = pd.DataFrame({"feature": features.columns, "importance": np.mean(importances, axis=0)})
    table = table.assign(outcome=panel.yname, r2_out_of_fold=r2).sort_values("importance", ascending=False)
    return table[PREDICTOR_COLUMNS].reset_index(drop=True), float(r2)
