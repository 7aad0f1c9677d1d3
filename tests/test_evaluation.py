"""The evaluation layer the notebooks call: estimates, fallbacks, robustness, heterogeneity.

Fast checks on simulated panels with known effects (analysis.did.simulate), plus one
integration check on the generator's data with a parallel-trends violation.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.did.simulate import simulate_staggered_panel
from analysis.evaluation import heterogeneity, robustness
from analysis.evaluation.estimate import Spec, comparison_group, estimate_outcome, resolve_inference
from analysis.evaluation.panel import OutcomePanel

warnings.filterwarnings("ignore", category=UserWarning)


def panel_from(sim, yname="ikm") -> OutcomePanel:
    data = sim.data.rename(columns={"unit": "unit_id", "cohort": "first_treat", "y": yname})
    return OutcomePanel(yname, data.assign(unit_id=data["unit_id"].astype(str)), "period")


@pytest.fixture(scope="module")
def clean_estimates():
    sim = simulate_staggered_panel(seed=11)
    return sim, estimate_outcome(panel_from(sim), Spec(inference="analytic"))


def test_headline_covers_truth_and_twfe_is_reported(clean_estimates):
    sim, est = clean_estimates
    row = est.headline()
    assert row["conf_low"] <= sim.true_overall() <= row["conf_high"]
    assert np.isfinite(row["twfe_estimate"]) and row["n_units"] == 36
    tidy = est.tidy()
    assert {"callaway_santanna", "twfe", "sun_abraham", "imputation"} <= set(tidy["estimator"])
    assert tidy["inference"].notna().all()


def test_inference_rule_follows_cluster_count():
    assert resolve_inference("auto", 12)[0] == "wild"
    assert resolve_inference("auto", 60)[0] == "analytic"
    method, reason = resolve_inference("analytic", 12)
    assert method == "analytic" and "warning" in reason


def test_few_never_treated_switch_to_not_yet_treated():
    sim = simulate_staggered_panel(n_units=20, never_share=0.1, seed=3)
    spec, reason = comparison_group(panel_from(sim), Spec())
    assert spec.control_group == "notyettreated" and "never-adopting units" in reason
    est = estimate_outcome(panel_from(sim), Spec(inference="analytic"), with_comparators=False)
    assert est.headline()["control_group"] == "notyettreated"


def test_placebo_adoption_finds_nothing(clean_estimates):
    _, est = clean_estimates
    checks = robustness.robustness_checks(est).set_index("check")
    placebo = checks.loc["placebo_adoption"]
    assert placebo["conf_low"] <= 0 <= placebo["conf_high"]
    assert {"main", "not_yet_treated", "anticipation_plus_1", "universal_base_period"} <= set(checks.index)


def test_specification_curve_spans_the_grid(clean_estimates):
    _, est = clean_estimates
    curve = robustness.specification_curve(est)
    assert len(curve) == 12  # 2 comparison groups x 3 methods x 2 anticipations (no covariate column here)
    assert curve["estimate"].between(curve["conf_low"], curve["conf_high"]).all()


def test_pretrend_test_and_honest_bounds_flag_a_violation(clean_estimates):
    _, clean = clean_estimates
    violated = estimate_outcome(panel_from(simulate_staggered_panel(seed=11, pretrend_slope=0.3)),
                                Spec(inference="analytic"), with_comparators=False)
    flags, breakdowns = [], []
    for est in (clean, violated):
        dynamic = robustness.universal_event_study(est)
        bounds = robustness.honest_table(est, dynamic)
        table = robustness.pretrend_table([est], {est.yname: dynamic}, bounds, 0.05)
        flags.append(bool(table["flag"].iloc[0]))
        breakdowns.append(float(table["breakdown_rm"].iloc[0]))
        assert set(bounds["method"]) == {"relative_magnitudes", "smoothness"}
        assert (bounds["lb"] <= bounds["ub"]).all()
    assert flags == [False, True]


def test_rank_robust_wald_ignores_coefficients_fixed_by_design():
    b = np.array([0.5, 0.0, 0.0])
    V = np.diag([0.25, 0.0, 0.0])
    W, q = robustness.rank_robust_wald(b, V)
    assert q == 1 and W == pytest.approx(1.0)


def test_unit_effects_and_cross_fitted_predictors(clean_estimates):
    sim, est = clean_estimates
    panel = est.panel
    effects = heterogeneity.unit_effects(panel)
    assert len(effects) == (panel.data.drop_duplicates("unit_id")["first_treat"] > 0).sum()
    units = pd.DataFrame({"unit_id": effects["unit_id"], "unit_type": "school", "kelurahan": "Plaju Ulu",
                          "distance_km": np.linspace(0, 5, len(effects))})
    table, r2 = heterogeneity.effect_predictors(panel, units, seed=1)
    assert set(table["feature"]) >= {"distance_km", "first_treat"} and np.isfinite(r2)
    assert r2 < 0.9, "out-of-fold fit on noise-driven unit effects cannot be near perfect"


@pytest.mark.slow
def test_generator_violation_is_flagged(tmp_path):
    from analysis.clean import clean_raw
    from analysis.evaluation.panel import outcome_panel
    from analysis.panels import build_panels
    from analysis.synth import MessyConfig, SynthConfig, generate

    generate(tmp_path / "raw", SynthConfig(pretrend_violation=1.0, messy=MessyConfig.none()))
    clean_raw(tmp_path / "raw", tmp_path / "interim")
    build_panels(tmp_path / "interim", tmp_path / "processed")
    est = estimate_outcome(outcome_panel(tmp_path / "processed", "ikm"), Spec(), with_comparators=False)
    dynamic = robustness.universal_event_study(est)
    table = robustness.pretrend_table([est], {"ikm": dynamic}, robustness.honest_table(est, dynamic), 0.05)
    assert bool(table["flag"].iloc[0]), "a parallel-trends violation must be flagged, not reported as an effect"
    weekly = outcome_panel(tmp_path / "processed", "incidence_per_10k")  # covariates reach the weekly panel too
    assert weekly.data[["baseline_staff", "distance_km"]].notna().all().all()


def test_randomisation_counts_only_estimable_permutations(monkeypatch):
    # a permutation of adoption dates can leave no estimable ATT(g,t) (conservative scenario):
    # it is left out of the p-value and counted, instead of stopping the run
    from analysis.did import NotEstimableError
    from analysis.evaluation import estimate as E

    real, calls = E.overall_effect, {"n": 0}

    def every_third_not_estimable(panel, spec, **kw):
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            raise NotEstimableError("All ATT(g,t) are NaN")
        return real(panel, spec, **kw)

    monkeypatch.setattr(E, "overall_effect", every_third_not_estimable)
    est = E.estimate_outcome(panel_from(simulate_staggered_panel(seed=5)), Spec(inference="randomization", biters=9),
                             with_comparators=False)
    row = est.headline()
    assert row["ri_draws"] == 6 and 0 < row["ri_p_value"] <= 1


def test_unit_figures_stay_page_sized_for_a_province():
    """4,464 units (Sumatera Selatan) must not give figures hundreds of inches tall with a label per unit."""
    import matplotlib.pyplot as plt

    from analysis.evaluation import figures

    n = 4464
    months = pd.Series(pd.date_range("2023-01-01", periods=36, freq="MS"))
    schedule = pd.DataFrame({"unit_id": [f"U{i}" for i in range(n)], "unit_name": [f"Unit {i}" for i in range(n)],
                             "adoption_month": ["2024-01" if i % 3 else "" for i in range(n)]})
    fig = figures.adoption_timeline(schedule, months)
    assert fig.get_size_inches()[1] < 15 and len(fig.axes[0].get_yticklabels()) == 0
    plt.close(fig)
    ikm = pd.DataFrame({"unit_id": schedule["unit_id"], "unit_name": schedule["unit_name"], "quarter": "2025Q4",
                        "ikm": np.linspace(60, 95, n), "mutu": "B"})
    fig = figures.ikm_by_unit(ikm)
    assert fig.get_size_inches()[1] < 15 and len(fig.axes[0].get_yticklabels()) == figures.MAX_NAMED_ROWS
    plt.close(fig)
