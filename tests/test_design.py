"""Design of the next rollout (analysis.design): noise model, schedules, MDE by simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from analysis import design as dz
from analysis.did.simulate import simulate_staggered_panel


def flat_model(n_units: int, sd: float = 1.0, rho: float = 0.5) -> dz.PanelModel:
    units = list(range(n_units))
    return dz.PanelModel("y", pd.Series(0.0, index=units), pd.Series(sd, index=units), rho=rho, rho_raw=rho, n_obs=0)


def test_noise_model_recovers_rho_and_stationary_sd():
    rhos, sds = [], []
    for seed in range(4):
        sim = simulate_staggered_panel(n_units=60, rho=0.5, noise_sd=1.0, seed=seed)
        m = dz.fit_panel_model(sim.data, "y", "period", "unit", "cohort")
        rhos.append(m.rho)
        sds.append(m.unit_sd.mean())
        assert m.rho_raw < m.rho  # the short-panel correction moves it up
        assert set(m.unit_sd.index) == set(sim.data["unit"])
    assert np.mean(rhos) == pytest.approx(0.5, abs=0.06)
    assert np.mean(sds) == pytest.approx(1 / np.sqrt(1 - 0.5**2), rel=0.08)  # stationary SD of AR(1) u


def test_noise_model_uses_untreated_cells_only():
    sim = simulate_staggered_panel(n_units=40, effect=50.0, growth=0.0, seed=1)  # huge effect
    m = dz.fit_panel_model(sim.data, "y", "period", "unit", "cohort")
    assert m.unit_sd.max() < 3  # treated cells would inflate the SDs of treated units
    with pytest.raises(KeyError, match="'nope'"):
        dz.fit_panel_model(sim.data, "nope", "period", "unit")


def test_schedules():
    a = dz.all_at_once(["a", "b", "c"], start=7, n_periods=12, controls=["x"])
    assert a.table().to_dict("list") == {"unit": ["x", "a", "b", "c"], "adoption_period": [0, 7, 7, 7]}
    s = dz.staggered_by_group({"a": "k1", "b": "k2", "c": "k1", "d": "k3"}, start=4, spacing=3, n_periods=12)
    assert dict(s.adoption) == {"a": 4, "b": 7, "c": 4, "d": 10}
    r1 = dz.randomised_order(list("abcdef"), start=3, n_waves=3, spacing=2, n_periods=12, seed=5)
    r2 = dz.randomised_order(list("abcdef"), start=3, n_waves=3, spacing=2, n_periods=12, seed=5)
    assert r1 == r2 and sorted(g for _, g in r1.adoption) == [3, 3, 5, 5, 7, 7]
    with pytest.raises(ValueError, match="adoption periods"):
        dz.all_at_once(["a"], start=20, n_periods=12)
    with pytest.raises(ValueError, match="no unit adopts"):
        dz.Scenario("empty", (("a", 0),), 12)


def test_mde_from_draws_matches_textbook_for_exact_normal_draws():
    n, s = 20_000, 0.7
    est = norm.ppf((np.arange(n) + 0.5) / n) * s  # exact N(0, s^2) quantiles
    mde = dz.mde_from_draws(est, np.full(n, s))
    assert mde == pytest.approx(dz.analytic_mde(s), rel=2e-3)  # (1.96 + 0.84) * s
    assert dz.mde_from_draws(est, np.full(n, s), power=0.5) == pytest.approx(1.959964 * s, rel=2e-3)
    # a test of exact size needs the normal critical value when the SEs are right ...
    assert dz._size_adjusted_crit(est, np.full(n, s), 0.05) == pytest.approx(1.959964, rel=2e-3)
    # ... and a larger one when they are too small by half
    assert dz._size_adjusted_crit(est, np.full(n, s / 2), 0.05) == pytest.approx(2 * 1.959964, rel=2e-3)


def test_power_from_null_draws_equals_simulating_at_the_effect():
    """The shortcut the module relies on: an effect shifts every estimate by itself, SEs unchanged."""
    model = flat_model(12)
    scen = dz.staggered_by_group({u: u % 2 for u in range(2, 12)}, start=5, spacing=2, n_periods=9,
                                 controls=[0, 1])
    null = dz.simulate_design(model, scen, reps=20, seed=3)
    shifted = dz.simulate_design(model, scen, reps=20, seed=3, effect=0.8)
    np.testing.assert_allclose(shifted.draws["estimate"], null.draws["estimate"] + 0.8, atol=1e-10)
    np.testing.assert_allclose(shifted.draws["std_error"], null.draws["std_error"], rtol=1e-10)
    assert shifted.tidy()["mde"].iloc[0] == pytest.approx(null.tidy()["mde"].iloc[0])


def test_results_do_not_depend_on_the_number_of_workers():
    model = flat_model(10)
    scens = [dz.all_at_once(range(5, 10), start=4, n_periods=6, controls=range(5), name="once"),
             dz.randomised_order(range(5, 10), start=3, n_waves=2, spacing=2, n_periods=6, seed=1,
                                 controls=range(5))]
    one = dz.simulate_design(model, scens, reps=24, seed=9, n_jobs=1, chunk_size=5)
    two = dz.simulate_design(model, scens, reps=24, seed=9, n_jobs=2, chunk_size=7)
    pd.testing.assert_frame_equal(one.tidy(), two.tidy())
    pd.testing.assert_frame_equal(one.draws, two.draws)
    tidy = one.tidy()
    assert list(tidy.columns) == dz.TIDY_DESIGN_COLUMNS and tidy["scenario"].tolist() == ["once", "randomised_order"]
    assert (tidy["ci_width"] > 0).all() and (tidy["mde"] > 0).all() and (tidy["n_failed"] == 0).all()


def test_a_schedule_without_comparison_units_is_reported_not_estimable():
    model = flat_model(6)
    res = dz.simulate_design(model, dz.all_at_once(range(6), start=4, n_periods=6), reps=20, seed=1)
    row = res.tidy().iloc[0]
    assert row["n_failed"] == 20 and np.isnan(row["mde"]) and np.isnan(row["ci_width"])


def test_power_curve_reaches_target_at_the_mde():
    model = flat_model(30, sd=1.0, rho=0.3)
    scen = dz.all_at_once(range(15, 30), start=4, n_periods=6, controls=range(15))
    res = dz.simulate_design(model, scen, reps=60, seed=2)
    mde = res.tidy()["mde"].iloc[0]
    curve = res.power_curve([0.0, mde * (1 + 1e-9), 2 * mde])  # the MDE is where power reaches 80%
    assert curve["power"].iloc[0] < 0.2 and curve["power"].iloc[1] >= 0.8 and curve["power"].iloc[2] > 0.95


@pytest.mark.slow
def test_two_period_mde_agrees_with_analytic_formula():
    """Balanced 2x2 design, 100 treated and 100 control units, sigma = 1, rho = 0.5:
    analytic MDE = (z_.975 + z_.8) * sqrt(2 sigma^2 (1 - rho) (1/100 + 1/100)) = 0.3962.
    The simulated MDE (CS att_gt + aggte with analytic SEs, 1000 draws) must be within
    5% (normal critical values here, as in the formula); its Monte Carlo standard error
    (bootstrap over draws) is reported and must be
    small enough for that comparison to mean something (< 2.5%)."""
    model = flat_model(200, sd=1.0, rho=0.5)
    scen = dz.all_at_once(range(100, 200), start=2, n_periods=2, controls=range(100), name="two_period")
    row = dz.simulate_design(model, scen, reps=1000, seed=2024, n_jobs=2, chunk_size=100,
                             inference="analytic").tidy().iloc[0]
    analytic = dz.analytic_mde_two_period(1.0, 0.5, 100, 100)
    assert analytic == pytest.approx(0.39620, abs=1e-4)
    print(f"two-period MDE: simulated {row['mde']:.4f} (MC s.e. {row['mde_mc_se']:.4f}), analytic {analytic:.4f}")
    assert row["mde_mc_se"] < 0.025 * analytic
    assert abs(row["mde"] - analytic) <= 0.05 * analytic
    assert row["size"] == pytest.approx(0.05, abs=0.025)
    assert row["mde_size_adjusted"] == pytest.approx(row["mde"], rel=0.05)


def test_few_cluster_inference_is_the_evaluations_correction():
    from scipy.stats import t

    model = flat_model(8)
    scen = dz.all_at_once(range(4, 8), start=4, n_periods=6, controls=range(4))
    few = dz.simulate_design(model, scen, reps=20, seed=4).tidy().iloc[0]
    plain = dz.simulate_design(model, scen, reps=20, seed=4, inference="analytic").tidy().iloc[0]
    factor = np.sqrt(8 / 7) * t.ppf(0.975, 7) / norm.ppf(0.975)  # SE x sqrt(G/(G-1)), t(G-1) quantiles
    assert few["ci_width"] == pytest.approx(factor * plain["ci_width"])
    assert few["mde"] > plain["mde"]
    with pytest.raises(ValueError, match="inference"):
        dz.simulate_design(model, scen, reps=20, inference="wild")


def test_simulated_rollout_has_the_fitted_noise():
    model = dz.PanelModel("y", pd.Series([5.0, -2.0], index=["a", "b"]), pd.Series([2.0, 0.5], index=["a", "b"]),
                          rho=0.6, rho_raw=0.6, n_obs=0)
    scen = dz.Scenario("s", (("a", 0), ("b", 3)), 4000)
    panel = dz.simulate_rollout(model, scen, np.random.default_rng(0), effect=1.5)
    a = panel[panel.unit == 0]["y"].to_numpy()
    assert a.mean() == pytest.approx(5.0, abs=0.3) and a.std() == pytest.approx(2.0, rel=0.05)
    assert np.corrcoef(a[1:], a[:-1])[0, 1] == pytest.approx(0.6, abs=0.05)
    b = panel[panel.unit == 1]
    assert (b["cohort"] == 3).all() and b.loc[b.period >= 3, "y"].mean() == pytest.approx(-2.0 + 1.5, abs=0.1)
    # units missing from the fitted data get the median SD and mean
    assert dz.PanelModel("y", model.unit_mean, model.unit_sd, 0.6, 0.6, 0).sd_for(["zz"])[0] == pytest.approx(1.25)


def test_progress_bar_does_not_change_results():
    model = flat_model(6)
    scen = dz.all_at_once(range(3, 6), start=3, n_periods=4, controls=range(3))
    quiet = dz.simulate_design(model, scen, reps=20, seed=1)
    shown = dz.simulate_design(model, scen, reps=20, seed=1, progress=True)
    pd.testing.assert_frame_equal(quiet.draws, shown.draws)
