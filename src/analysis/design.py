"""Design of the next rollout: minimum detectable effects of candidate schedules, by simulation.

A planner's question - "if the remaining units adopt in July, how big a change could
we detect by December, and would staggering them be better?" - is answered the way
DeclareDesign does it in R: fit a noise model to the panel we have, simulate the
future panel under each candidate schedule, run the estimator the evaluation will
use (Callaway-Sant'Anna :func:`analysis.did.att_gt` + :func:`analysis.did.aggte`
``simple``, with the evaluation's few-cluster-corrected inference) on every draw, and
read off power.

Noise model (:func:`fit_panel_model`), from the untreated cells only (never treated,
or before adoption): two-way fixed-effects residuals give each unit's standard
deviation and a pooled AR(1) coefficient, corrected for the downward bias of
within-unit residual autocorrelation in short panels (Nickell 1981: ``E[rho_hat] ~
rho - (1 + rho) / (T - 1)``); each SD is the stationary one, corrected for the share
of an AR(1) series' variance that its own mean absorbs. Unit and period effects
cancel in DiD, so the simulated outcome is ``y_it = mu_i + sigma_i u_it + delta *
1{t >= g_i}`` with stationary AR(1) ``u`` of unit variance. Hand-written (a few lines
of moments): no maintained Python package simulates staggered-rollout designs.

Power and MDE: the estimators are linear in ``y`` and their standard errors do not
move when every treated post-period outcome shifts by a constant, so one set of
draws under no effect gives the whole power curve: a draw rejects at effect ``delta``
when ``|est_r + delta| > crit * se_r`` (checked in the tests by simulating at an
effect). The MDE is the smallest positive ``delta`` with power >= ``power`` (80%);
its Monte Carlo standard error is a bootstrap over replications. The interval width
(95% by default) is the mean width over draws. A schedule that leaves no comparison
(every unit adopting at once, no unit left untreated) cannot be estimated: every
draw fails and its MDE is NaN, which is itself the answer to report.

``size`` is the rejection rate under no effect. With very few comparison units the
intervals of the chosen inference can be too narrow (size well above ``alpha``) and
its MDE flatters the design; ``mde_size_adjusted`` uses instead the critical value
that gives the test exact size in the simulation (the ``1 - alpha`` quantile of
``|t|`` under no effect), the honest number to compare schedules by.

Draws are seeded per (outcome, schedule, replication) from one ``SeedSequence``, so
results are identical whatever the number of worker processes.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from scipy.stats import t as t_dist

__all__ = [
    "PanelModel", "Scenario", "DesignResult", "fit_panel_model", "simulate_rollout", "simulate_design",
    "all_at_once", "staggered_by_group", "randomised_order", "analytic_mde", "analytic_mde_two_period",
    "mde_from_draws",
]

TIDY_DESIGN_COLUMNS = [
    "outcome", "scenario", "n_units", "n_treated", "n_cohorts", "n_periods", "reps", "n_failed",
    "mde", "mde_mc_se", "ci_width", "se_mean", "sd_estimate", "size", "mde_size_adjusted", "alpha", "power",
]


# ------------------------------------------------------------------ noise model
@dataclass(frozen=True)
class PanelModel:
    """Noise model of one outcome: unit means and SDs (indexed by unit id) and AR(1) ``rho``."""

    yname: str
    unit_mean: pd.Series
    unit_sd: pd.Series
    rho: float
    rho_raw: float
    n_obs: int

    def sd_for(self, units) -> np.ndarray:
        """SD per unit; units not in the fitted data get the median SD."""
        med = float(self.unit_sd.median())
        return np.array([float(self.unit_sd.get(u, med)) for u in units])

    def mean_for(self, units) -> np.ndarray:
        med = float(self.unit_mean.median())
        return np.array([float(self.unit_mean.get(u, med)) for u in units])


def _two_way_residuals(y: np.ndarray, unit: np.ndarray, period: np.ndarray, iters: int = 200) -> np.ndarray:
    """Residuals of ``y`` on unit and period effects (alternating projections; works unbalanced)."""
    r = y - y.mean()
    for _ in range(iters):
        r_old = r
        r = r - pd.Series(r).groupby(unit).transform("mean").to_numpy()
        r = r - pd.Series(r).groupby(period).transform("mean").to_numpy()
        if np.max(np.abs(r - r_old)) < 1e-12 * (1 + np.max(np.abs(r))):
            break
    return r


def fit_panel_model(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str | None = None,
                    *, min_obs: int = 3) -> PanelModel:
    """Fit the noise model of ``yname`` on the untreated cells of a long panel.

    ``gname`` (first treated period, 0 = never) removes treated cells; without it all
    rows are used. Units with fewer than ``min_obs`` untreated rows get the median SD.
    """
    for col in (yname, tname, idname) + ((gname,) if gname else ()):
        if col not in data.columns:
            raise KeyError(f"column {col!r} is not in the data (columns: {list(data.columns)})")
    frame = data[[idname, tname, yname] + ([gname] if gname else [])].copy()
    frame[yname] = pd.to_numeric(frame[yname], errors="coerce")
    frame = frame.dropna(subset=[yname])
    if gname:
        g = pd.to_numeric(frame[gname], errors="coerce").fillna(0)
        frame = frame[(g <= 0) | (frame[tname] < g)]
    if frame.empty or frame[idname].nunique() < 2 or frame[tname].nunique() < 3:
        raise ValueError(f"{yname!r}: need untreated observations of at least 2 units in 3 periods to fit "
                         "the noise model")
    frame = frame.sort_values([idname, tname]).reset_index(drop=True)
    res = _two_way_residuals(frame[yname].to_numpy(float), frame[idname].to_numpy(), frame[tname].to_numpy())
    frame["_r"] = res
    # pooled lag-1 autocorrelation over consecutive periods of the same unit
    periods = np.sort(frame[tname].unique())
    pos = pd.Series(np.arange(len(periods)), index=periods)
    k = pos.loc[frame[tname]].to_numpy()
    same = (frame[idname].to_numpy()[1:] == frame[idname].to_numpy()[:-1]) & (np.diff(k) == 1)
    den = float(np.sum(res**2))
    rho_raw = float(np.sum(res[1:][same] * res[:-1][same])) / den if den > 0 else 0.0
    n_i = frame.groupby(idname).size()
    t_bar = float(n_i.mean())
    rho = (rho_raw * (t_bar - 1) + 1) / (t_bar - 2) if t_bar > 3 else rho_raw  # Nickell-type correction
    rho = float(np.clip(rho, -0.95, 0.95))
    # stationary SD per unit: demeaning an AR(1) series of length n removes c(n) = (1/n) sum_st rho^|s-t|
    # of its n variances, so E[sum (u - mean u)^2] = sigma^2 (n - c(n))
    ss = frame.groupby(idname)["_r"].apply(lambda r: float(np.sum(r.to_numpy() ** 2)))
    lags = {m: 1 + 2 / m * sum((m - j) * rho**j for j in range(1, m)) for m in n_i.unique()}
    dof = (n_i - n_i.map(lags)).clip(lower=0.5)
    sd = np.sqrt(ss / dof)
    sd[n_i < min_obs] = np.nan
    sd = sd.fillna(float(sd.median()))
    means = frame.groupby(idname)[yname].mean()
    return PanelModel(yname=yname, unit_mean=means, unit_sd=sd, rho=rho, rho_raw=float(rho_raw),
                      n_obs=len(frame))


# ------------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class Scenario:
    """A candidate schedule: adoption period per unit (0 = comparison unit) over periods ``1..n_periods``."""

    name: str
    adoption: tuple[tuple[Any, int], ...]
    n_periods: int

    def __post_init__(self):
        if self.n_periods < 2:
            raise ValueError(f"scenario {self.name!r}: need at least 2 periods")
        bad = [g for _, g in self.adoption if g != 0 and not 2 <= g <= self.n_periods]
        if bad:
            raise ValueError(f"scenario {self.name!r}: adoption periods must be 0 (comparison) or in "
                             f"2..{self.n_periods}, got {sorted(set(bad))}")
        if not any(g > 0 for _, g in self.adoption):
            raise ValueError(f"scenario {self.name!r}: no unit adopts")

    @property
    def units(self) -> list:
        return [u for u, _ in self.adoption]

    @property
    def cohorts(self) -> np.ndarray:
        return np.array([g for _, g in self.adoption], dtype=int)

    def table(self) -> pd.DataFrame:
        """Tidy schedule: ``unit``, ``adoption_period`` (0 = comparison)."""
        return pd.DataFrame({"unit": self.units, "adoption_period": self.cohorts})


def _adoption(name, mapping: dict, n_periods: int, controls=()) -> Scenario:
    items = [(c, 0) for c in controls] + list(mapping.items())
    return Scenario(name, tuple(items), int(n_periods))


def all_at_once(units, start: int, n_periods: int, controls=(), name: str = "all_at_once") -> Scenario:
    """Every unit in ``units`` adopts in period ``start``; ``controls`` never adopt."""
    return _adoption(name, {u: int(start) for u in units}, n_periods, controls)


def staggered_by_group(groups: dict, start: int, spacing: int, n_periods: int, controls=(), order=None,
                       name: str = "staggered_by_group") -> Scenario:
    """Groups (e.g. kelurahan: ``{unit: group}``) adopt one after another, ``spacing`` periods apart.

    ``order`` lists the groups in adoption order (default: sorted).
    """
    order = sorted(set(groups.values()), key=str) if order is None else list(order)
    wave = {grp: int(start) + i * int(spacing) for i, grp in enumerate(order)}
    return _adoption(name, {u: wave[grp] for u, grp in groups.items()}, n_periods, controls)


def randomised_order(units, start: int, n_waves: int, spacing: int, n_periods: int, seed: int, controls=(),
                     name: str = "randomised_order") -> Scenario:
    """Units in a seeded random order, split into ``n_waves`` waves ``spacing`` periods apart."""
    units = list(units)
    perm = np.random.default_rng(seed).permutation(len(units))
    waves = np.array_split(perm, int(n_waves))
    mapping = {units[j]: int(start) + w * int(spacing) for w, idx in enumerate(waves) for j in idx}
    return _adoption(name, {u: mapping[u] for u in units}, n_periods, controls)


# ------------------------------------------------------------------ simulation
def simulate_rollout(model: PanelModel, scenario: Scenario, rng: np.random.Generator,
                     effect: float = 0.0) -> pd.DataFrame:
    """One simulated panel ``unit, period, cohort, y`` for ``scenario`` (constant ``effect`` after adoption)."""
    units = scenario.units
    n, t = len(units), scenario.n_periods
    sd = model.sd_for(units)
    rho = model.rho
    eps = rng.standard_normal((n, t))
    u = np.empty((n, t))
    u[:, 0] = eps[:, 0]
    innov = np.sqrt(1 - rho**2)
    for j in range(1, t):
        u[:, j] = rho * u[:, j - 1] + innov * eps[:, j]
    periods = np.arange(1, t + 1)
    g = scenario.cohorts
    treated = (g[:, None] > 0) & (periods[None, :] >= g[:, None])
    y = model.mean_for(units)[:, None] + sd[:, None] * u + effect * treated
    return pd.DataFrame({
        "unit": np.repeat(np.arange(n), t), "period": np.tile(periods, n),
        "cohort": np.repeat(g, t), "y": y.ravel(),
    })


def _estimate(panel: pd.DataFrame, control_group: str, est_method: str, alpha: float) -> tuple[float, float]:
    from analysis.did import aggte, att_gt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = att_gt(panel, "y", "period", "unit", "cohort", control_group=control_group, est_method=est_method,
                     alp=alpha)
        agg = aggte(res, type="simple")
    return float(agg.overall_att), float(agg.overall_se)


def _run_chunk(args) -> list[tuple[int, float, float]]:
    model, scenario, seeds, control_group, est_method, alpha, effect = args
    out = []
    for rep, ss in seeds:
        panel = simulate_rollout(model, scenario, np.random.default_rng(ss), effect=effect)
        try:
            est, se = _estimate(panel, control_group, est_method, alpha)
        except (ValueError, np.linalg.LinAlgError):
            est, se = np.nan, np.nan
        out.append((rep, est, se))
    return out


def mde_from_draws(est: np.ndarray, se: np.ndarray, *, alpha: float = 0.05, power: float = 0.8,
                   crit: float | None = None) -> float:
    """The effect above which the rejection rate is at least ``power``, given draws under no effect.

    A draw rejects at effect ``d`` when ``|est + d| > z se``, i.e. ``d > z se - est`` or
    ``d < -z se - est``; the power curve is evaluated exactly at its jump points. ``z``
    is ``crit`` when given (e.g. a t quantile), else the normal ``1 - alpha/2`` quantile.
    """
    ok = np.isfinite(est) & np.isfinite(se)
    est, se = est[ok], se[ok]
    if len(est) == 0:
        return float("nan")
    z = norm.ppf(1 - alpha / 2) if crit is None else crit
    upper = np.sort(z * se - est)   # reject for d > upper
    lower = np.sort(-z * se - est)  # reject for d < lower
    cand = upper[upper > 0]
    if len(cand) == 0:
        return 0.0
    n = len(est)
    # power just above each candidate: #upper <= cand plus #lower > cand
    pw = (np.searchsorted(upper, cand, side="right") + (n - np.searchsorted(lower, cand, side="right"))) / n
    hit = np.flatnonzero(pw >= power)
    return float(cand[hit[0]]) if len(hit) else float("nan")


def _mde_mc_se(est, se, crit, power, n_boot: int = 200, seed: int = 0) -> float:
    ok = np.isfinite(est) & np.isfinite(se)
    est, se = est[ok], se[ok]
    if len(est) < 10:
        return float("nan")
    rng = np.random.default_rng(seed)
    vals = [mde_from_draws(est[i], se[i], crit=crit, power=power)
            for i in (rng.integers(0, len(est), len(est)) for _ in range(n_boot))]
    return float(np.nanstd(vals, ddof=1))


def _size_adjusted_crit(est: np.ndarray, se: np.ndarray, alpha: float) -> float:
    """The ``1 - alpha`` quantile of ``|t|`` under no effect: the critical value of a test of exact size."""
    return float(np.quantile(np.abs(est / se), 1 - alpha)) if len(est) else float("nan")


def analytic_mde(se: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Textbook MDE for a normal estimator with known standard error: ``(z_{1-a/2} + z_power) * se``."""
    return float((norm.ppf(1 - alpha / 2) + norm.ppf(power)) * se)


def analytic_mde_two_period(sigma: float, rho: float, n_treated: int, n_control: int, *, alpha: float = 0.05,
                            power: float = 0.8) -> float:
    """MDE of the 2x2 DiD: ``se^2 = 2 sigma^2 (1 - rho) (1/n_T + 1/n_C)`` (AR(1) between the two periods)."""
    se = np.sqrt(2 * sigma**2 * (1 - rho) * (1 / n_treated + 1 / n_control))
    return analytic_mde(se, alpha=alpha, power=power)


@dataclass
class DesignResult:
    """Simulated designs: ``tidy()`` has one row per outcome and scenario; ``draws`` every replication."""

    table: pd.DataFrame
    draws: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        return self.table[TIDY_DESIGN_COLUMNS].reset_index(drop=True)

    def power_curve(self, effects) -> pd.DataFrame:
        """Power at each effect size for every outcome and scenario (from the same draws)."""
        rows = []
        for (outcome, scen), d in self.draws.groupby(["outcome", "scenario"], sort=False):
            d = d.dropna(subset=["estimate", "std_error"])
            for eff in effects:
                rej = np.abs(d["estimate"] - self.settings["effect"] + eff) > d["crit"] * d["std_error"]
                rows.append(dict(outcome=outcome, scenario=scen, effect=float(eff), power=float(rej.mean())))
        return pd.DataFrame(rows)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from rich.progress import Progress

    prog = Progress(transient=True)
    prog.start()
    return prog, prog.add_task("simulating rollouts", total=total)


def simulate_design(
    models: PanelModel | list[PanelModel], scenarios: Scenario | list[Scenario], *,
    reps: int = 500, alpha: float = 0.05, power: float = 0.8, control_group: str = "notyettreated",
    est_method: str = "reg", inference: str = "few_cluster", seed: int = 0, n_jobs: int = 1,
    effect: float = 0.0, chunk_size: int = 25, progress: bool = False,
) -> DesignResult:
    """Simulate every scenario for every outcome model; MDE at ``power`` and the ``1 - alpha`` interval width.

    ``inference="few_cluster"`` (default) is the evaluation's overall-effect inference
    (:func:`analysis.evaluation.estimate.small_sample`): influence-function SEs times
    ``sqrt(G/(G-1))`` and ``t(G-1)`` critical values with ``G`` units; ``"analytic"``
    keeps R did's analytic SEs and normal critical values. ``n_jobs`` worker processes
    (1 = in this process); the draws do not depend on it. ``effect`` simulates at a
    true effect (the MDE is then relative to it; default 0).
    """
    if inference not in ("few_cluster", "analytic"):
        raise ValueError(f"inference must be 'few_cluster' or 'analytic', got {inference!r}")
    models = [models] if isinstance(models, PanelModel) else list(models)
    scenarios = [scenarios] if isinstance(scenarios, Scenario) else list(scenarios)
    if reps < 20:
        raise ValueError(f"reps must be at least 20 to estimate power, got {reps}")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must be in (0, 1)")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must be unique, got {names}")
    tasks, keys = [], []
    for i, m in enumerate(models):
        for j, s in enumerate(scenarios):
            seeds = [(r, np.random.SeedSequence(seed, spawn_key=(i, j, r))) for r in range(reps)]
            for c in range(0, reps, chunk_size):
                tasks.append((m, s, seeds[c:c + chunk_size], control_group, est_method, alpha, effect))
                keys.append((i, j))
    results: dict[tuple[int, int], list] = {}
    bar = _progress(len(tasks), progress)
    try:
        if n_jobs == 1:
            outputs = []
            for task in tasks:
                outputs.append(_run_chunk(task))
                if bar:
                    bar[0].advance(bar[1])
        else:
            workers = os.cpu_count() if n_jobs in (-1, 0, None) else int(n_jobs)
            with ProcessPoolExecutor(max_workers=workers) as pool:
                outputs = []
                for out in pool.map(_run_chunk, tasks):  # map keeps task order: results do not depend on workers
                    outputs.append(out)
                    if bar:
                        bar[0].advance(bar[1])
    finally:
        if bar:
            bar[0].stop()
    for key, out in zip(keys, outputs):
        results.setdefault(key, []).extend(out)

    rows, draw_frames = [], []
    for (i, j), out in results.items():
        m, s = models[i], scenarios[j]
        rep, est, se = (np.array(x) for x in zip(*sorted(out)))
        n_units = len(s.cohorts)
        if inference == "few_cluster":
            se = se * np.sqrt(n_units / (n_units - 1))
            z = float(t_dist.ppf(1 - alpha / 2, df=n_units - 1))
        else:
            z = float(norm.ppf(1 - alpha / 2))
        ok = np.isfinite(est) & np.isfinite(se)
        draw_frames.append(pd.DataFrame({"outcome": m.yname, "scenario": s.name, "rep": rep, "estimate": est,
                                         "std_error": se, "crit": z}))
        g = s.cohorts
        rows.append(dict(
            outcome=m.yname, scenario=s.name, n_units=len(g), n_treated=int((g > 0).sum()),
            n_cohorts=len(np.unique(g[g > 0])), n_periods=s.n_periods, reps=reps, n_failed=int((~ok).sum()),
            mde=mde_from_draws(est - effect, se, crit=z, power=power),
            mde_mc_se=_mde_mc_se(est - effect, se, z, power, seed=seed),
            ci_width=float(np.mean(2 * z * se[ok])) if ok.any() else np.nan,
            se_mean=float(np.mean(se[ok])) if ok.any() else np.nan,
            sd_estimate=float(np.std(est[ok], ddof=1)) if ok.sum() > 1 else np.nan,
            size=float(np.mean(np.abs(est[ok] - effect) > z * se[ok])) if ok.any() else np.nan,
            mde_size_adjusted=mde_from_draws(est - effect, se, power=power, crit=_size_adjusted_crit(
                est[ok] - effect, se[ok], alpha)),
            alpha=alpha, power=power,
        ))
    settings = dict(reps=reps, alpha=alpha, power=power, control_group=control_group, est_method=est_method,
                    inference=inference,
                    seed=seed, effect=effect, estimator="callaway_santanna simple",
                    rho={m.yname: m.rho for m in models})
    return DesignResult(table=pd.DataFrame(rows), draws=pd.concat(draw_frames, ignore_index=True),
                        settings=settings)
