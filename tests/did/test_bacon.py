"""Goodman-Bacon decomposition: exact identity with the static TWFE coefficient."""

import pandas as pd
import pytest

from analysis.did.bacon import bacon_decomposition
from analysis.did.simulate import simulate_staggered_panel
from analysis.did.twfe import twfe

ARGS = ("y", "period", "unit", "cohort")


@pytest.mark.parametrize("seed,cohorts,never", [(1, (7, 13, 19, 25), 0.2), (2, (3, 20), 0.3), (5, (5, 9, 30), 0.0)])
def test_weights_sum_to_one_and_reproduce_twfe(seed, cohorts, never):
    s = simulate_staggered_panel(n_units=31, cohorts=cohorts, never_share=never, seed=seed)
    before = s.data.copy()
    res = bacon_decomposition(s.data, *ARGS)
    pd.testing.assert_frame_equal(s.data, before)
    dec = res.decomposition
    beta = twfe(s.data, *ARGS, inference="analytic").tidy()["estimate"].iloc[0]
    assert (dec["weight"] >= 0).all()
    assert dec["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (dec["weight"] * dec["estimate"]).sum() == pytest.approx(beta, abs=1e-10)
    n_cohorts = len(cohorts)
    n_pairs = n_cohorts * (n_cohorts - 1) // 2
    assert len(dec) == n_cohorts * (never > 0) + 2 * n_pairs


def test_always_treated_group_is_a_control():
    s = simulate_staggered_panel(never_share=0.25, seed=3)
    d = s.data.copy()
    d.loc[d["cohort"] == 0, "cohort"] = 1  # treated from the first period
    res = bacon_decomposition(d, *ARGS)
    assert "Later vs Always Treated" in set(res.decomposition["type"])
    beta = twfe(d, *ARGS, inference="analytic").tidy()["estimate"].iloc[0]
    assert res.extra["weighted_sum"] == pytest.approx(beta, abs=1e-10)


def test_forbidden_comparisons_and_negative_cell_weights():
    s = simulate_staggered_panel(noise_sd=0.0, unit_het_sd=0.0, growth=0.1, seed=4)
    res = bacon_decomposition(s.data, *ARGS)
    by = res.by_type().set_index("type")
    truth = s.true_overall()
    # the forbidden comparison is biased downwards (growing effects of the control cohort)
    assert by.loc["Later vs Earlier Treated", "estimate"] < truth - 0.2
    assert res.extra["forbidden_weight"] > 0.2
    # TWFE = sum of cell weights x true cell effects, some weights negative
    cw = res.cell_weights.merge(s.att_gt, on=["group", "period"])
    assert cw["weight"].sum() == pytest.approx(1.0)
    assert (cw["weight"] * cw["att"]).sum() == pytest.approx(res.extra["twfe_estimate"], abs=1e-8)
    assert res.extra["negative_cell_weight"] < 0


def test_unbalanced_panel_rejected():
    s = simulate_staggered_panel(seed=5)
    with pytest.raises(ValueError, match="balanced"):
        bacon_decomposition(s.data.iloc[1:], *ARGS)


def test_result_serialises():
    from analysis.did.results import DiDResult

    s = simulate_staggered_panel(seed=6)
    res = bacon_decomposition(s.data, *ARGS)
    back = DiDResult.from_json(res.to_json())
    assert back.extra["weight_sum"] == pytest.approx(1.0)
    assert len(back.extra["decomposition"]) == len(res.decomposition)
