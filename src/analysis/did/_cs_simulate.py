"""Simulated staggered-adoption panels with known effects (tests and benchmarks).

The design follows the simulations of Callaway and Sant'Anna (2021): unit fixed
effects correlated with the cohort, a covariate that shifts both selection into
cohorts and the outcome trend (so unconditional parallel trends fail but
conditional ones hold), common period effects, and treatment effects that vary by
cohort and grow with exposure: ``ATT(g,t) = effect_scale * (t - g + 1) * (1 + 0.5 *
cohort_rank)`` for ``t >= g``. ``true_att`` returns the truth per cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def true_att(g: float, t: float, cohort_labels: list[int], effect_scale: float = 1.0, period_step: int = 1) -> float:
    """True ATT(g,t) of :func:`simulate_panel` (``cohort_labels``: the cohorts' period labels)."""
    if g == 0 or t < g:
        return 0.0
    rank = sorted(int(c) for c in cohort_labels).index(int(g))
    return effect_scale * ((t - g) / period_step + 1) * (1 + 0.5 * rank)


def simulate_panel(
    n_units: int = 1000,
    n_periods: int = 6,
    cohorts: list[int] | None = None,
    *,
    never_share: float = 0.3,
    effect_scale: float = 1.0,
    covariate_trend: float = 0.5,
    first_period: int = 1,
    period_step: int = 1,
    noise: float = 1.0,
    seed: int = 0,
    unbalanced_drop: float = 0.0,
    time_varying_x: bool = False,
) -> pd.DataFrame:
    """Balanced (or randomly thinned) panel with columns id, t, g, y, x, w, cl.

    ``cohorts`` are given as period *indices* (1-based); they are mapped to the period
    labels ``first_period + (k - 1) * period_step`` so non-consecutive labels can be
    tested. ``unbalanced_drop`` drops that share of unit-period rows at random.
    """
    rng = np.random.default_rng(seed)
    periods = first_period + period_step * np.arange(n_periods)
    if cohorts is None:
        cohorts = list(range(2, n_periods + 1))
    cohort_labels = [int(periods[c - 1]) for c in cohorts]
    x = rng.normal(size=n_units)
    # Selection on x: higher x -> more likely to be treated, and earlier.
    scores = np.column_stack([np.zeros(n_units)] + [1.0 * x * (len(cohorts) - k) / len(cohorts) for k in range(len(cohorts))])
    with np.errstate(divide="ignore"):  # never_share=0: no never-treated units
        base = np.log(np.r_[never_share, np.full(len(cohorts), (1 - never_share) / len(cohorts))])
    logits = scores + base
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    choice = (prob.cumsum(axis=1) > rng.random(n_units)[:, None]).argmax(axis=1)
    g = np.where(choice == 0, 0, np.array([0] + cohort_labels)[choice])
    alpha = rng.normal(size=n_units) + 0.5 * (g > 0)
    ids = np.repeat(np.arange(1, n_units + 1), n_periods)
    tt = np.tile(periods, n_units)
    tidx = np.tile(np.arange(n_periods), n_units)
    gg = np.repeat(g, n_periods)
    xx = np.repeat(x, n_periods)
    if time_varying_x:
        xx = xx + 0.1 * rng.normal(size=xx.size)
    delta = 0.3 * tidx
    y = np.repeat(alpha, n_periods) + delta + covariate_trend * np.repeat(x, n_periods) * tidx
    eff = np.zeros_like(y)
    treated = (gg > 0) & (tt >= gg)
    rank = np.zeros_like(gg, dtype=float)
    for k, c in enumerate(sorted(cohort_labels)):
        rank[gg == c] = k
    exposure = (tt - gg) / period_step + 1
    eff[treated] = effect_scale * exposure[treated] * (1 + 0.5 * rank[treated])
    y = y + eff + noise * rng.normal(size=y.size)
    df = pd.DataFrame({
        "id": ids, "t": tt, "g": gg, "y": y, "x": xx,
        "w": np.repeat(rng.uniform(0.5, 2.0, n_units), n_periods),
        "cl": np.repeat(rng.integers(0, max(2, n_units // 20), n_units), n_periods),
    })
    if unbalanced_drop > 0:
        keep = rng.random(len(df)) >= unbalanced_drop
        df = df.loc[keep].reset_index(drop=True)
    return df
