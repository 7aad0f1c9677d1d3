"""TWFE comparators: agreement with pyfixest, bias under heterogeneous effects,
inference rule wiring, caller's data untouched."""

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from analysis.did import DiDResult
from analysis.did.simulate import simulate_staggered_panel
from analysis.did.twfe import twfe

ARGS = ("y", "period", "unit", "cohort")


@pytest.fixture(scope="module")
def hetero():
    # noiseless: any gap between estimate and truth is bias, not sampling error
    return simulate_staggered_panel(noise_sd=0.0, unit_het_sd=0.0, growth=0.1, cohort_het=0.5, seed=11)


@pytest.fixture(scope="module")
def noisy():
    return simulate_staggered_panel(seed=12)


def test_static_matches_pyfixest_and_does_not_touch_data(noisy):
    before = noisy.data.copy()
    res = twfe(noisy.data, *ARGS, inference="analytic")
    pd.testing.assert_frame_equal(noisy.data, before)
    assert isinstance(res, DiDResult)
    fit = pf.feols("y ~ treated | unit + period", noisy.data, vcov={"CRV1": "unit"})
    row = res.tidy().iloc[0]
    assert row["type"] == "simple"
    assert row["estimate"] == pytest.approx(fit.coef()["treated"])
    assert row["std_error"] == pytest.approx(fit.se()["treated"])
    assert res.params["gname"] == "cohort" and res.params["clustervars"] == "unit"
    assert res.extra["inference"] == "analytic"


def test_static_twfe_biased_with_growing_heterogeneous_effects(hetero):
    est = twfe(hetero.data, *ARGS, inference="analytic").tidy()["estimate"].iloc[0]
    assert est < hetero.true_overall() - 0.1  # downward bias from forbidden comparisons


def test_static_twfe_unbiased_with_constant_effect():
    s = simulate_staggered_panel(noise_sd=0.0, unit_het_sd=0.0, growth=0.0, cohort_het=0.0, seed=3)
    est = twfe(s.data, *ARGS, inference="analytic").tidy()["estimate"].iloc[0]
    assert est == pytest.approx(1.0, abs=1e-8)


def test_event_study_rows_and_binning(noisy):
    res = twfe(noisy.data, *ARGS, dynamic=True, min_e=-4, max_e=6, inference="analytic")
    dyn = res.tidy().query("type == 'dynamic'")
    assert dyn["event_time"].tolist() == [-4, -3, -2, 0, 1, 2, 3, 4, 5, 6]
    assert res.tidy()["type"].tolist()[0] == "simple"
    with pytest.raises(ValueError):
        twfe(noisy.data, *ARGS, dynamic=True, min_e=0, max_e=4)


def test_few_clusters_switch_to_wild_bootstrap():
    s = simulate_staggered_panel(n_units=16, seed=4)
    res = twfe(s.data, *ARGS, seed=1, boot_reps=399)
    assert res.extra["inference"] == "wild_bootstrap"
    assert "16 clusters" in res.extra["inference_reason"]
    row = res.tidy().iloc[0]
    assert row["conf_low"] < row["estimate"] < row["conf_high"]
    assert res.extra["wild_bootstrap"]["ATT"]["weights"] == "rademacher"


def test_event_study_wild_bootstrap_and_vcov():
    s = simulate_staggered_panel(n_units=14, n_periods=12, cohorts=(4, 8), never_share=0.3, seed=5)
    res = twfe(s.data, *ARGS, dynamic=True, min_e=-3, max_e=3, boot_reps=199, seed=2)
    dyn = res.tidy().query("type == 'dynamic'")
    assert set(res.extra["wild_bootstrap"]) == {"ATT"} | {f"e={e}" for e in dyn["event_time"].astype(int)}
    assert ((dyn["conf_low"] < dyn["estimate"]) & (dyn["estimate"] < dyn["conf_high"])).all()
    V = np.asarray(res.extra["vcov_event"])
    np.testing.assert_allclose(np.sqrt(np.diag(V)), dyn["std_error"].to_numpy())
