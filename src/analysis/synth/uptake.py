"""Uptake of KPI management by each adopting unit: adoption on paper is not use.

Each unit gets a true uptake ``u`` in [0, 1] (own random stream, so the other draws of
the generator are unchanged). About ``paper_share`` of adopters adopt on paper only
(``u`` in 0.05-0.2); the rest draw ``u`` from Beta(2, 2). Uptake does two things:

* it scales the unit's KPI effect: the effect multiplier becomes
  ``cohort_mult * (GRADIENT_BASE + GRADIENT_SLOPE * u)``, so the true effect rises
  linearly in ``u`` (the intensity gradient the heterogeneity step must recover);
* it shows in the exports after adoption: SKP appraisals are submitted on time
  (within ``ONTIME_DAYS`` of the period's end) with probability rising in ``u``, and
  supervisors appraise more of their staff (appraisal coverage ``COVERAGE_BASE`` before
  adoption or without KPI, up to 1 with full uptake). Training already rises with
  the effect (the generator's training hazard), hence with ``u``.

Never-adopting units get ``u = 0``. ``_truth/uptake.parquet`` holds ``u`` and the
multiplier; the unit-level true effects follow from the truth panels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import measures

#: the effect multiplier is GRADIENT_BASE + GRADIENT_SLOPE * u (1 at u = 0.5)
GRADIENT_BASE, GRADIENT_SLOPE = 0.4, 1.2
ONTIME_DAYS = measures.SKP_ONTIME_DAYS
COVERAGE_BASE = 0.85


def assign_uptake(design, seed: int, paper_share: float = 0.25) -> pd.DataFrame:
    """Draw each unit's uptake and scale its KPI effect multiplier in ``design.units`` (in place)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    units = design.units
    adopter = units["first_treat"].to_numpy() > 0
    paper = rng.random(len(units)) < paper_share
    u = np.where(paper, rng.uniform(0.05, 0.2, len(units)), rng.beta(2.0, 2.0, len(units)))
    u = np.where(adopter, np.round(u, 3), 0.0)
    mult = GRADIENT_BASE + GRADIENT_SLOPE * u
    units["cohort_mult"] = units["cohort_mult"] * np.where(adopter, mult, 1.0)
    return pd.DataFrame({"unit_id": units["unit_id"], "uptake": u, "paper_adopter": adopter & paper,
                         "effect_multiplier": np.where(adopter, mult, 0.0)})


def apply_uptake(tables: dict[str, pd.DataFrame], design, uptake: pd.DataFrame, seed: int,
                 treated: bool) -> dict[str, pd.DataFrame]:
    """SKP timing and appraisal coverage under the unit's uptake (``treated=False``: no KPI anywhere).

    The random numbers depend only on the SKP row, so both worlds share them.
    """
    skp = tables["skp"]
    rng = np.random.default_rng(np.random.SeedSequence([seed, 5]))
    u_cover, u_ontime, quick = rng.random(len(skp)), rng.random(len(skp)), rng.integers(0, ONTIME_DAYS + 1, len(skp))
    per = design.cal.period_of(skp["month"])
    g = skp["unit_id"].map(design.units.set_index("unit_id")["first_treat"]).to_numpy()
    u = skp["unit_id"].map(uptake.set_index("unit_id")["uptake"]).to_numpy()
    on = (g > 0) & (per >= g) if treated else np.zeros(len(skp), dtype=bool)
    level = np.where(on, u, 0.0)
    keep = u_cover < COVERAGE_BASE + (1 - COVERAGE_BASE) * level
    month_end = skp["month"] + pd.offsets.MonthEnd(0)
    prompt = u_ontime < 0.9 * level
    early = month_end + pd.to_timedelta(quick, unit="D")
    submitted = skp["submitted_on"].where(~prompt | (skp["submitted_on"] <= early), early)
    out = skp.assign(submitted_on=submitted)[keep].reset_index(drop=True)
    return {**tables, "skp": out}


def unit_truth(month_obs: pd.DataFrame, month_cf: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Each adopting unit's true effect: mean over its post-adoption months of observed - untreated."""
    key = ["unit_id", "period"]
    m = month_obs.merge(month_cf[key + outcomes], on=key, suffixes=("", "_cf"))
    m = m[(m["first_treat"] > 0) & (m["period"] >= m["first_treat"])]
    frames = []
    for y in outcomes:
        d = (m[y].astype("float64") - m[f"{y}_cf"].astype("float64")).rename("d")
        part = pd.concat([m[["unit_id", "first_treat"]], d], axis=1).dropna()
        agg = part.groupby(["unit_id", "first_treat"], as_index=False).agg(att=("d", "mean"), n_post=("d", "size"))
        frames.append(agg.assign(outcome=y))
    out = pd.concat(frames, ignore_index=True)[["outcome", "unit_id", "first_treat", "att", "n_post"]]
    return out.astype({"outcome": "str", "unit_id": "str", "first_treat": "int64", "att": "float64",
                       "n_post": "int64"})
