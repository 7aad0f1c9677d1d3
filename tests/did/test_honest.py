"""Honest (Rambachan-Roth) sensitivity bounds: defining properties (R reference values: test_honest_reference.py)."""

import numpy as np
import pytest
from scipy import stats

from scipy.optimize import linprog

from analysis.did.honest import event_study_inputs, flci_critical_value, honest_bounds, target_vector
from analysis.did.honest_arp import DualPolytope, conditional_cs_rm
from analysis.did.honest_flci import optimal_flci
from analysis.did.honest_rng import r_rnorm
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


def test_r_random_numbers():
    # R 4.x, default RNG kinds: set.seed(0); rnorm(3) / set.seed(123); rnorm(3) / set.seed(42); rnorm(1)
    np.testing.assert_allclose(r_rnorm(3, 0), [1.262954285, -0.3262333607, 1.329799263], atol=1e-9)
    np.testing.assert_allclose(r_rnorm(3, 123), [-0.5604756, -0.2301775, 1.5587083], atol=1e-7)
    np.testing.assert_allclose(r_rnorm(1, 42), [1.370958447], atol=1e-9)


@pytest.mark.parametrize("l_vec", ["first", "average"])
def test_m0_flci_is_minimum_variance_unbiased_ci(l_vec):
    # at M = 0 the FLCI is the CI of the minimum-variance estimator unbiased under linear trends
    beta, S = _synthetic()
    l = target_vector(l_vec, 3)
    r = optimal_flci(beta, S, 4, 3, l, 0.0, exact_cv=True)
    a = r.weights
    assert a[4:] == pytest.approx(l)
    assert a[:4] @ np.arange(-4, 0) + l @ np.arange(1, 4) == pytest.approx(0, abs=1e-10)  # kills linear trends
    rng = np.random.default_rng(1)
    for _ in range(20):  # any other such estimator has a larger variance
        v = rng.normal(size=4)
        v -= (v @ np.arange(-4, 0)) / (np.arange(-4, 0) @ np.arange(-4, 0)) * np.arange(-4, 0)
        b2 = np.r_[a[:4] + 0.1 * v, l]
        assert b2 @ S @ b2 >= a @ S @ a - 1e-14
    assert r.half_length == pytest.approx(1.959963985 * np.sqrt(a @ S @ a))


@pytest.mark.parametrize("M", [0.01, 0.05, 0.2])
def test_flci_bias_is_worst_case_over_delta_sd_and_beats_linear_extrapolation(M):
    beta, S = _synthetic(num_pre=3, num_post=4)
    l = np.array([0.1, 0.2, 0.3, 0.4])
    r = optimal_flci(beta, S, 3, 4, l, M)
    # worst-case bias of a' delta over Delta^SD(M) by LP, delta_{-1} = 0
    E = np.zeros((8, 7))
    E[[0, 1, 2], [0, 1, 2]] = 1
    E[[4, 5, 6, 7], [3, 4, 5, 6]] = 1
    D2 = (np.eye(8)[2:] - 2 * np.eye(8)[1:-1] + np.eye(8)[:-2]) @ E
    A_ub, b_ub = np.vstack([D2, -D2]), np.full(12, M)
    worst = -linprog(-r.weights, A_ub=A_ub, b_ub=b_ub, bounds=(None, None), method="highs").fun
    assert r.max_bias == pytest.approx(worst, rel=1e-6)
    # the linear-extrapolation FLCI is one of the candidates: the optimum is no longer
    a = np.r_[0, 0, np.sum(np.arange(1, 5) * l), l]
    bias = -linprog(-a, A_ub=A_ub, b_ub=b_ub, bounds=(None, None), method="highs").fun
    sd = np.sqrt(a @ S @ a)
    assert r.half_length <= sd * flci_critical_value(bias / sd) * (1 + 2e-3)  # R's simulated cv vs exact


def test_dual_vertices_give_the_lp_optimum():
    rng = np.random.default_rng(5)
    for k, p in [(4, 2), (8, 4), (10, 3)]:
        X = rng.normal(size=(k // 2, p - 1))
        X = np.vstack([X, -X])  # moments in +/- pairs, as Delta^RM's: eta is bounded below
        sd = rng.uniform(0.5, 2, size=k)
        poly = DualPolytope(np.column_stack([sd, X]))
        Y = rng.normal(size=(5, k))
        eta, _ = poly.argmax(Y)
        for y, e in zip(Y, eta):
            r = linprog(np.r_[1, np.zeros(p - 1)], A_ub=-np.column_stack([sd, X]), b_ub=-y, bounds=(None, None),
                        method="highs")
            assert e == pytest.approx(r.fun, abs=1e-9)


def test_lp_fallback_with_search_step_matches_vertex_enumeration(monkeypatch):
    # large event studies solve each test's LPs with HiGHS and scan the grid coarsely
    import analysis.did.honest_arp as arp

    beta, S = _synthetic(num_pre=3, num_post=3, seed=7)
    exact = conditional_cs_rm(beta, S, 3, 3, [1 / 3] * 3, 1.0, grid_points=200, hybrid="ARP")
    assert np.all(np.diff(np.flatnonzero(exact[3])) == 1)  # the accepted set is an interval here
    monkeypatch.setattr(arp, "MAX_VERTEX_BASES", 0)
    fallback = conditional_cs_rm(beta, S, 3, 3, [1 / 3] * 3, 1.0, grid_points=200, hybrid="ARP", search_step=8)
    assert fallback[:2] == pytest.approx(exact[:2], abs=1e-12)


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


def test_coefficient_fixed_by_design_does_not_break_the_bounds():
    # a pre-period coefficient with zero variance (e.g. a semester outcome within its semester)
    beta, S = _synthetic(num_pre=3, num_post=3, seed=2)
    S[1, :] = S[:, 1] = 0.0
    beta[1] = 0.0
    for method in ("smoothness", "relative_magnitudes"):
        res = honest_bounds(beta, S, 3, 3, method=method, Mvec=[0.0, 0.5], l_vec="average")
        b = res.bounds
        assert np.isfinite(b[["ci_lb", "ci_ub"]].to_numpy()).all() and (b["ci_lb"] < b["ci_ub"]).all()
        assert res.breakdown > 0


def test_lf_critical_value_of_an_empty_dual_never_rejects():
    # {gamma >= 0 : gamma1 + gamma2 = 1, gamma1 + 2 gamma2 = 0} is empty: no draw's LP solves,
    # so the least-favourable step must not reject anything (it used to crash on an empty quantile)
    from analysis.did.honest_arp import lf_critical_value

    poly = DualPolytope(np.array([[1.0, 1.0], [1.0, 2.0]]))
    assert poly.vertices is not None and len(poly.vertices) == 0
    assert lf_critical_value(poly, np.eye(2), kappa=0.005, sims=50) == np.inf
