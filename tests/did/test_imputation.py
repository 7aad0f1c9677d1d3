"""BJS imputation: matches pyfixest's did2s point estimate, unbiased under heterogeneity."""

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from analysis.did.imputation import imputation
from analysis.did.simulate import simulate_staggered_panel

ARGS = ("y", "period", "unit", "cohort")


def test_point_estimate_equals_did2s():
    s = simulate_staggered_panel(seed=31)
    res = imputation(s.data, *ARGS)
    g = pf.did2s(s.data, yname="y", first_stage="~ 0 | unit + period", second_stage="~ treated",
                 treatment="treated", cluster="unit")
    assert res.tidy().iloc[0]["estimate"] == pytest.approx(float(g.coef()["treated"]), rel=1e-8)


def test_recovers_heterogeneous_effects_and_leaves_data():
    s = simulate_staggered_panel(noise_sd=0.02, unit_het_sd=0.0, growth=0.1, seed=32)
    before = s.data.copy()
    res = imputation(s.data, *ARGS, min_e=-3, max_e=6)
    pd.testing.assert_frame_equal(s.data, before)
    tidy = res.tidy()
    # the overall row averages over the requested horizons 0..6
    post = s.data[(s.data["treated"] == 1) & (s.data["period"] - s.data["cohort"] <= 6)]
    dyn = tidy.query("type == 'dynamic'").set_index("event_time")["estimate"]
    np.testing.assert_allclose(dyn.loc[0:6].to_numpy(), s.true_event(range(7)).to_numpy(), atol=0.03)
    np.testing.assert_allclose(dyn.loc[-3:-1].to_numpy(), 0.0, atol=0.05)
    # overall truth over horizons 0..6: event-time effects weighted by their treated obs
    n_e = post.groupby(post["period"] - post["cohort"]).size()
    overall = tidy.iloc[0]["estimate"]
    assert overall == pytest.approx(np.average(s.true_event(range(7)), weights=n_e), abs=0.03)
    assert 0 <= res.extra["pretrend_wald_p"] <= 1
    full = imputation(s.data, *ARGS).tidy().iloc[0]["estimate"]
    assert full == pytest.approx(s.true_overall(), abs=0.03)


def test_se_is_plausible_against_replications():
    # BJS conservative SE should not be far below the sampling sd across draws
    ests, ses = [], []
    for seed in range(12):
        s = simulate_staggered_panel(seed=100 + seed, unit_het_sd=0.0)
        row = imputation(s.data, *ARGS).tidy().iloc[0]
        ests.append(row["estimate"] - s.true_overall())
        ses.append(row["std_error"])
    assert np.mean(ses) > 0.6 * np.std(ests, ddof=1)
    assert abs(np.mean(ests)) < 3 * np.std(ests, ddof=1) / np.sqrt(len(ests)) + 0.05


def test_no_untreated_periods_are_dropped():
    s = simulate_staggered_panel(never_share=0.0, seed=33)
    res = imputation(s.data, *ARGS)
    # after the last cohort adopts (period 25) no unit is untreated: those obs are dropped
    assert res.extra["n_treated_obs"] < int(s.data["treated"].sum())
