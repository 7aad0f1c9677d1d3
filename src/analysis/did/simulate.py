"""Small staggered-adoption panel simulator for tests and the Monte Carlo benchmark.

Written by hand because the point is to know the truth: every draw returns the data
*and* the population ATT(g,t), so estimators can be checked for bias and coverage.
The default design is the size of the default study: 36 service units, 36 months, four adoption
cohorts (months 7, 13, 19, 25) plus never-treated units, effects that grow with
exposure and differ by cohort (the case where static TWFE is biased).

Outcome model, for unit i in cohort g at period t::

    y_it = a_i + b_t + tau_it + pretrend_slope * (t - g) * 1{g > 0} + u_it
    tau_it = 1{g > 0, t >= g} * tau(g, t) * (1 + eta_i)
    tau(g, t) = (effect + growth * (t - g)) * m_g

``m_g`` rises linearly across cohorts from ``1 - cohort_het`` to ``1 + cohort_het``
(earliest cohort smallest), ``eta_i ~ N(0, unit_het_sd)`` is unit-level effect
heterogeneity with mean zero (so the population ATT(g,t) is ``tau(g,t)``), unit
effects ``a_i`` are correlated with the cohort (selection on levels, allowed by
parallel trends), and ``u_it`` is AR(1) within unit (serial correlation is what
makes naive SEs fail). ``pretrend_slope != 0`` breaks parallel trends with a
cohort-specific linear trend centred on the adoption date; ``pretrend_curve`` adds
a quadratic one (a violation that linear extrapolation cannot remove).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["SimulatedPanel", "simulate_staggered_panel", "cohort_sizes"]


def cohort_sizes(n_units: int, cohorts, never_share: float) -> dict[int, int]:
    """Deterministic cohort sizes: ``round(n_units * never_share)`` never treated, rest split evenly."""
    n_never = int(round(n_units * never_share))
    n_treat = n_units - n_never
    k = len(cohorts)
    base, extra = divmod(n_treat, k)
    sizes = {int(g): base + (1 if j < extra else 0) for j, g in enumerate(cohorts)}
    sizes[0] = n_never
    return sizes


@dataclass
class SimulatedPanel:
    """One simulated panel plus its truth.

    ``data`` columns: ``unit, period, cohort, y, treated, tau`` (``cohort`` = first
    treated period, 0 = never treated). ``att_gt`` has ``group, period, att`` for every
    treated cohort and period (``att`` is the population effect, 0 before adoption;
    with a pre-trend the *bias* a DiD estimator inherits is stored in ``bias_gt``).
    """

    data: pd.DataFrame
    att_gt: pd.DataFrame
    sizes: dict[int, int]
    settings: dict = field(default_factory=dict)

    def _post_cells(self) -> pd.DataFrame:
        cells = self.att_gt.copy()
        cells["n"] = cells["group"].map(self.sizes)
        cells["event_time"] = cells["period"] - cells["group"]
        return cells

    def true_overall(self, max_period: int | None = None) -> float:
        """Population ATT averaged over treated post-adoption unit-periods.

        This is the target of Callaway-Sant'Anna's ``simple`` aggregation (and of the
        imputation and Sun-Abraham overall estimates): cells (g, t>=g) weighted by
        cohort size. ``max_period`` restricts the window (e.g. Sun-Abraham with the
        last cohort as control only uses periods before its adoption).
        """
        cells = self._post_cells()
        cells = cells[cells["event_time"] >= 0]
        if max_period is not None:
            cells = cells[cells["period"] <= max_period]
        return float(np.average(cells["att"], weights=cells["n"]))

    def true_event(self, event_times=None) -> pd.Series:
        """Population ATT by event time, cohorts weighted by size (CS ``dynamic`` target)."""
        cells = self._post_cells()
        out = cells.groupby("event_time").apply(
            lambda d: float(np.average(d["att"], weights=d["n"])), include_groups=False
        )
        if event_times is not None:
            out = out.reindex(list(event_times))
        out.name = "att"
        return out


def simulate_staggered_panel(
    n_units: int = 36,
    n_periods: int = 36,
    cohorts=(7, 13, 19, 25),
    never_share: float = 0.2,
    *,
    effect: float = 1.0,
    growth: float = 0.05,
    cohort_het: float = 0.5,
    unit_het_sd: float = 0.2,
    unit_sd: float = 1.0,
    time_sd: float = 0.5,
    noise_sd: float = 1.0,
    rho: float = 0.5,
    pretrend_slope: float = 0.0,
    pretrend_curve: float = 0.0,
    seed=None,
) -> SimulatedPanel:
    """Draw one balanced panel (periods ``1..n_periods``); see the module docstring."""
    rng = np.random.default_rng(seed)
    cohorts = tuple(int(g) for g in cohorts)
    if any(g <= 1 or g > n_periods for g in cohorts):
        raise ValueError("cohorts must be adoption periods in 2..n_periods")
    sizes = cohort_sizes(n_units, cohorts, never_share)
    unit_cohort = np.concatenate([np.full(n, g) for g, n in sizes.items()]).astype(int)
    # cohort multipliers: earliest cohort smallest effect, latest largest
    ranks = np.linspace(-1.0, 1.0, len(cohorts)) if len(cohorts) > 1 else np.zeros(1)
    mult = {g: 1.0 + cohort_het * r for g, r in zip(sorted(cohorts), ranks)}

    periods = np.arange(1, n_periods + 1)
    unit = np.repeat(np.arange(1, n_units + 1), n_periods)
    period = np.tile(periods, n_units)
    g = np.repeat(unit_cohort, n_periods)

    # selection on levels: later cohorts / never-treated have different baselines
    level_shift = np.where(unit_cohort == 0, 0.5, -0.02 * unit_cohort)
    a = rng.normal(0.0, unit_sd, n_units) + level_shift
    b = rng.normal(0.0, time_sd, n_periods) + 0.03 * periods
    eta = rng.normal(0.0, unit_het_sd, n_units)

    # AR(1) errors, stationary start
    eps = rng.normal(0.0, noise_sd, (n_units, n_periods))
    u = np.empty_like(eps)
    u[:, 0] = eps[:, 0] / np.sqrt(1 - rho**2) if abs(rho) < 1 else eps[:, 0]
    for t in range(1, n_periods):
        u[:, t] = rho * u[:, t - 1] + eps[:, t]

    treated = (g > 0) & (period >= g)
    gm = np.array([mult.get(int(x), 0.0) for x in g])
    tau_pop = np.where(treated, (effect + growth * (period - g)) * gm, 0.0)
    tau = tau_pop * (1.0 + np.repeat(eta, n_periods))
    rel = np.where(g > 0, period - g, 0)
    violation = np.where(g > 0, pretrend_slope * rel + pretrend_curve * rel**2, 0.0)
    y = np.repeat(a, n_periods) + b[period - 1] + tau + violation + u.ravel()

    data = pd.DataFrame(
        {"unit": unit, "period": period, "cohort": g, "y": y, "treated": treated.astype(int), "tau": tau}
    )
    rows = [
        (gg, t, (effect + growth * (t - gg)) * mult[gg] if t >= gg else 0.0)
        for gg in sorted(cohorts)
        for t in periods
    ]
    att_gt = pd.DataFrame(rows, columns=["group", "period", "att"])
    settings = dict(
        n_units=n_units, n_periods=n_periods, cohorts=list(cohorts), never_share=never_share, effect=effect,
        growth=growth, cohort_het=cohort_het, unit_het_sd=unit_het_sd, rho=rho,
        pretrend_slope=pretrend_slope, pretrend_curve=pretrend_curve,
    )
    return SimulatedPanel(data=data, att_gt=att_gt, sizes=sizes, settings=settings)
