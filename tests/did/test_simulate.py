"""The panel simulator: shape, cohort sizes, truth bookkeeping, reproducibility."""

import numpy as np
import pytest

from analysis.did.simulate import cohort_sizes, simulate_staggered_panel


def test_shape_cohorts_and_seed():
    a = simulate_staggered_panel(n_units=36, n_periods=36, seed=3)
    b = simulate_staggered_panel(n_units=36, n_periods=36, seed=3)
    assert a.data.shape[0] == 36 * 36
    assert a.data.equals(b.data)
    sizes = a.data.drop_duplicates("unit")["cohort"].value_counts().to_dict()
    assert sizes == {g: n for g, n in a.sizes.items() if n}
    assert cohort_sizes(35, (7, 13, 19, 25), 0.2) == {7: 7, 13: 7, 19: 7, 25: 7, 0: 7}
    # treatment dummy is the staggered adoption indicator, absorbing
    d = a.data
    assert ((d["treated"] == 1) == ((d["cohort"] > 0) & (d["period"] >= d["cohort"]))).all()


def test_truth_matches_noiseless_effects():
    s = simulate_staggered_panel(noise_sd=0.0, unit_het_sd=0.0, growth=0.1, seed=1)
    d = s.data
    post = d[d["treated"] == 1]
    # overall truth = mean effect over treated unit-periods
    assert s.true_overall() == pytest.approx(post["tau"].mean())
    ev = post.assign(e=post["period"] - post["cohort"]).groupby("e")["tau"].mean()
    np.testing.assert_allclose(s.true_event(ev.index).to_numpy(), ev.to_numpy())
    # effects grow with exposure and differ across cohorts
    assert s.true_event([0, 10]).diff().iloc[-1] > 0
    e0 = s.att_gt[s.att_gt["period"] == s.att_gt["group"]]["att"]
    assert e0.nunique() == 4


def test_pretrend_breaks_parallel_trends():
    base = simulate_staggered_panel(noise_sd=0.0, seed=2)
    bad = simulate_staggered_panel(noise_sd=0.0, pretrend_slope=0.2, seed=2)
    diff = (bad.data["y"] - base.data["y"]).to_numpy()
    treated_units = bad.data["cohort"] > 0
    assert np.allclose(diff[~treated_units], 0)
    assert np.ptp(diff[treated_units]) > 1


def test_invalid_cohort():
    with pytest.raises(ValueError):
        simulate_staggered_panel(n_periods=10, cohorts=(12,))
