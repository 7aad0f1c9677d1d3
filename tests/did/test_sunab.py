"""Sun-Abraham IW estimator: unbiased where TWFE is not; control-cohort options."""

import numpy as np
import pandas as pd
import pytest

from analysis.did.simulate import simulate_staggered_panel
from analysis.did.sunab import sun_abraham

ARGS = ("y", "period", "unit", "cohort")


@pytest.fixture(scope="module")
def hetero():
    return simulate_staggered_panel(noise_sd=0.02, unit_het_sd=0.0, growth=0.1, cohort_het=0.5, seed=21)


def test_recovers_overall_and_event_effects(hetero):
    before = hetero.data.copy()
    res = sun_abraham(hetero.data, *ARGS, min_e=-3, max_e=8, inference="analytic")
    pd.testing.assert_frame_equal(hetero.data, before)
    tidy = res.tidy()
    overall = tidy.query("type == 'simple'")["estimate"].iloc[0]
    assert overall == pytest.approx(hetero.true_overall(), abs=0.03)
    dyn = tidy.query("type == 'dynamic'").set_index("event_time")["estimate"]
    assert list(dyn.index) == [-3, -2, 0, 1, 2, 3, 4, 5, 6, 7, 8]
    np.testing.assert_allclose(dyn.loc[0:8].to_numpy(), hetero.true_event(range(0, 9)).to_numpy(), atol=0.05)
    np.testing.assert_allclose(dyn.loc[[-3, -2]].to_numpy(), 0.0, atol=0.05)
    catt = pd.DataFrame(res.extra["catt"])
    assert set(catt["group"]) == {7, 13, 19, 25}
    assert res.params["control_group"] == "nevertreated"


def test_last_cohort_control(hetero):
    res = sun_abraham(hetero.data, *ARGS, control_cohort="last", inference="analytic")
    overall = res.tidy().query("type == 'simple'")["estimate"].iloc[0]
    assert overall == pytest.approx(hetero.true_overall(max_period=24), abs=0.03)
    assert set(pd.DataFrame(res.extra["catt"])["group"]) == {7, 13, 19}
    assert res.extra["max_period"] == 24


def test_no_never_treated_requires_last():
    s = simulate_staggered_panel(never_share=0.0, seed=2)
    with pytest.raises(ValueError, match="last"):
        sun_abraham(s.data, *ARGS)


def test_coverage_sanity_noisy():
    # with sampling noise the CI should contain the truth in a typical draw
    s = simulate_staggered_panel(seed=22)
    row = sun_abraham(s.data, *ARGS, inference="analytic").tidy().iloc[0]
    assert row["conf_low"] < s.true_overall() < row["conf_high"]
    assert row["std_error"] > 0


def test_few_clusters_wild_bootstrap_rows():
    s = simulate_staggered_panel(n_units=10, n_periods=12, cohorts=(4, 8), never_share=0.3, effect=3.0,
                                 noise_sd=0.3, seed=23)
    res = sun_abraham(s.data, *ARGS, min_e=-2, max_e=3, boot_reps=199, seed=1)
    assert res.extra["inference"] == "wild_bootstrap" and "Webb" in res.extra["inference_reason"]
    tidy = res.tidy()
    assert ((tidy["conf_low"] < tidy["estimate"]) & (tidy["estimate"] < tidy["conf_high"])).all()
    post = tidy[tidy["event_time"] >= 0]
    assert (post["p_value"] < 0.05).all()


@pytest.mark.parametrize("kwargs", [dict(), dict(control_cohort="last"), dict(xformla="~ x", clustervars="cl")])
def test_sparse_fit_equals_pyfixest_dense_dummies(kwargs):
    """The sparse within-unit fit reproduces pyfixest's feols on the dense cohort x event-time dummies."""
    import pyfixest as pf

    s = simulate_staggered_panel(seed=22).data
    rng = np.random.default_rng(0)
    d = s.assign(x=rng.normal(size=len(s)), cl=s["unit"] % 17).drop(index=rng.choice(len(s), 60, replace=False))
    res = sun_abraham(d, *ARGS, inference="analytic", **kwargs)
    catt = pd.DataFrame(res.extra["catt"])
    dd = d.copy()
    if kwargs.get("control_cohort") == "last":
        dd = dd[dd["period"] < 25]
    names = []
    for g, e in zip(catt["group"], catt["event_time"]):
        col = f"c{g}_{e + 100}"
        dd[col] = ((dd["cohort"] == g) & (dd["period"] - dd["cohort"] == e)).astype(float)
        names.append(col)
    rhs = " + ".join(names) + (" + x" if "xformla" in kwargs else "")
    fit = pf.feols(f"y ~ {rhs} | unit + period", dd, vcov={"CRV1": kwargs.get("clustervars", "unit")})
    np.testing.assert_allclose(catt["estimate"], fit.coef()[names], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(catt["std_error"], fit.se()[names], rtol=1e-6)


def test_collinear_cell_is_dropped_like_pyfixest():
    """A period where only one cohort's cell is observed besides the reference: the cell is absorbed."""
    s = simulate_staggered_panel(n_units=24, n_periods=10, cohorts=(4, 7), seed=4).data
    # remove every never-treated and cohort-7 row in period 10: cohort 4's e=6 cell equals the time effect
    d = s[~((s["period"] == 10) & (s["cohort"] != 4))]
    res = sun_abraham(d, *ARGS, control_cohort="never", inference="analytic")
    catt = pd.DataFrame(res.extra["catt"])
    assert not ((catt["group"] == 4) & (catt["event_time"] == 6)).any()
    assert np.isfinite(res.tidy()["std_error"]).all()
