"""Honest (Rambachan-Roth) sensitivity bounds: defining properties."""

import numpy as np
import pytest
from scipy import stats

from analysis.did.honest import event_study_inputs, flci_critical_value, honest_bounds
from analysis.did.simulate import simulate_staggered_panel
from analysis.did.sunab import sun_abraham

ARGS = ("y", "period", "unit", "cohort")


def _synthetic(num_pre=4, num_post=3, effect=1.0, se=0.1, rho=0.3, seed=0):
    rng = np.random.default_rng(seed)
    k = num_pre + num_post
    S = se**2 * (rho ** np.abs(np.subtract.outer(np.arange(k), np.arange(k))))
    beta = np.r_[np.zeros(num_pre), np.full(num_post, effect)] + rng.multivariate_normal(np.zeros(k), S)
    return beta, S


def test_flci_critical_value():
    assert flci_critical_value(0.0) == pytest.approx(stats.norm.ppf(0.975))
    t = 1.3
    c = flci_critical_value(t)
    assert stats.norm.cdf(c - t) - stats.norm.cdf(-c - t) == pytest.approx(0.95, abs=1e-8)


@pytest.mark.parametrize("l_vec", ["first", "average"])
def test_m0_smoothness_is_linear_extrapolation_ci(l_vec):
    beta, S = _synthetic()
    res = honest_bounds(beta, S, 4, 3, method="smoothness", Mvec=[0.0], l_vec=l_vec)
    l = np.array([1.0, 0, 0]) if l_vec == "first" else np.full(3, 1 / 3)
    # linear extrapolation through (e=-2, beta_-2) and (e=-1, 0): delta_k = -k beta_-2
    a = np.r_[np.zeros(3), np.sum(np.arange(1, 4) * l), l]
    est, se = a @ beta, np.sqrt(a @ S @ a)
    row = res.bounds.iloc[0]
    assert row["ci_lb"] == pytest.approx(est - 1.959963985 * se)
    assert row["ci_ub"] == pytest.approx(est + 1.959963985 * se)


@pytest.mark.parametrize("method", ["smoothness", "relative_magnitudes"])
def test_cis_widen_monotonically_and_contain_identified_set(method):
    beta, S = _synthetic(seed=3)
    res = honest_bounds(beta, S, 4, 3, method=method, Mvec=np.linspace(0, 1, 9), l_vec="average")
    b = res.bounds
    assert np.all(np.diff(b["ci_lb"]) <= 1e-12) and np.all(np.diff(b["ci_ub"]) >= -1e-12)
    assert (b["ci_ub"] - b["ci_lb"]).iloc[-1] > (b["ci_ub"] - b["ci_lb"]).iloc[0]
    ok = b["id_lb"].notna()
    assert ok.any()
    assert (b.loc[ok, "ci_lb"] <= b.loc[ok, "id_lb"] + 1e-9).all()
    assert (b.loc[ok, "ci_ub"] >= b.loc[ok, "id_ub"] - 1e-9).all()
    # identified sets are nested too
    assert np.all(np.diff(b.loc[ok, "id_ub"] - b.loc[ok, "id_lb"]) >= -1e-9)


def test_smoothness_worst_case_bias_matches_closed_form():
    # FLCI half-length at M equals sigma_a * cv(b/sigma_a) with
    # b = M * sum_i |sum_{k>=i} l_k (k - i + 1)|
    beta, S = _synthetic(num_pre=3, num_post=4)
    l = np.array([0.1, 0.2, 0.3, 0.4])
    M = 0.05
    res = honest_bounds(beta, S, 3, 4, method="smoothness", Mvec=[M], l_vec=l)
    a = np.r_[np.zeros(2), np.sum(np.arange(1, 5) * l), l]
    sig = np.sqrt(a @ S @ a)
    bias = M * sum(abs(sum(l[k - 1] * (k - i + 1) for k in range(i, 5))) for i in range(1, 5))
    half = sig * flci_critical_value(bias / sig)
    row = res.bounds.iloc[0]
    assert (row["ci_ub"] - row["ci_lb"]) / 2 == pytest.approx(half, rel=1e-6)


def test_relative_magnitudes_identified_set_closed_form():
    beta = np.array([0.2, -0.1, 0.3, 1.0, 1.2])  # pre e=-4..-2, post e=0..1
    S = np.eye(5) * 0.01
    res = honest_bounds(beta, S, 3, 2, method="relative_magnitudes", Mvec=[0.5], l_vec="average")
    # pre first differences: -0.3, 0.4, -0.3 (0.3 -> ref 0): max 0.4
    # |l'delta_post| <= Mbar * 0.4 * (|1| + |0.5|)
    w = 0.5 * 0.4 * 1.5
    row = res.bounds.iloc[0]
    assert row["id_lb"] == pytest.approx(1.1 - w) and row["id_ub"] == pytest.approx(1.1 + w)


def test_clean_design_has_positive_breakdown():
    s = simulate_staggered_panel(effect=2.0, noise_sd=0.5, seed=41)
    sa = sun_abraham(s.data, *ARGS, min_e=-5, max_e=3, inference="analytic")
    beta, S, npre, npost, e = event_study_inputs(sa)
    assert (npre, npost) == (4, 4) and list(e) == [-5, -4, -3, -2, 0, 1, 2, 3]
    for method in ("smoothness", "relative_magnitudes"):
        res = honest_bounds(beta, S, npre, npost, method=method, l_vec="first")
        assert res.breakdown > 0
        lo, hi = res.bounds.iloc[0][["ci_lb", "ci_ub"]]
        assert lo > 0
        assert res.to_json()  # serialisable


def test_strong_pretrend_violation_bounds_include_zero():
    # no effect at all; a steep differential trend makes the naive event study "significant"
    s = simulate_staggered_panel(effect=0.0, growth=0.0, pretrend_slope=0.4, seed=42)
    sa = sun_abraham(s.data, *ARGS, min_e=-5, max_e=3, inference="analytic")
    beta, S, npre, npost, _ = event_study_inputs(sa)
    rm = honest_bounds(beta, S, npre, npost, method="relative_magnitudes", Mvec=[0.0, 0.5, 1.0],
                       l_vec="average")
    naive = rm.extra["original"]
    assert naive["conf_low"] > 0  # naive conclusion: positive effect
    assert rm.breakdown < 1.0
    row = rm.bounds.iloc[-1]
    assert row["ci_lb"] <= 0 <= row["ci_ub"] and row["id_lb"] <= 0 <= row["id_ub"]
    # the smoothness class removes a linear violation: CI at M=0 covers the true 0
    sd = honest_bounds(beta, S, npre, npost, method="smoothness", Mvec=[0.0], l_vec="average")
    assert sd.bounds.iloc[0]["ci_lb"] <= 0 <= sd.bounds.iloc[0]["ci_ub"]


def test_input_validation():
    beta, S = _synthetic()
    with pytest.raises(ValueError):
        honest_bounds(beta, S, 3, 3)
    with pytest.raises(ValueError):
        honest_bounds(beta, S, 4, 3, method="other")


def test_inputs_from_callaway_santanna():
    from analysis.did import aggte, att_gt

    s = simulate_staggered_panel(seed=43)
    gt = att_gt(s.data, *ARGS, base_period="universal", est_method="reg")
    dyn = aggte(gt, type="dynamic", min_e=-4, max_e=3)
    beta, S, npre, npost, e = event_study_inputs(dyn, cluster=gt)
    assert (npre, npost) == (3, 4)
    rows = dyn.tidy().dropna(subset=["event_time"]).set_index("event_time")
    np.testing.assert_allclose(np.sqrt(np.diag(S)), rows.loc[e, "std_error"].to_numpy(), rtol=1e-8)
    res = honest_bounds(beta, S, npre, npost, method="smoothness", l_vec="average")
    assert res.bounds["ci_lb"].is_monotonic_decreasing
    gt_v = att_gt(s.data, *ARGS, est_method="reg")
    with pytest.raises(ValueError, match="universal"):
        event_study_inputs(aggte(gt_v, type="dynamic", min_e=-4, max_e=3))
