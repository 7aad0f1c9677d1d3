"""Few-cluster inference: the rule, WCR wild bootstrap (against a brute-force
implementation), randomisation inference, multiplier bootstrap."""

import numpy as np
import pandas as pd
import pytest

from analysis.did.inference import (
    FEW_CLUSTERS, WEBB_BELOW, bootstrap_weights, choose_inference, multiplier_bootstrap, permute_cohorts,
    randomization_inference, wild_cluster_bootstrap,
)
from analysis.did.simulate import simulate_staggered_panel
from analysis.did.twfe import twfe


def test_choose_inference_rule():
    m, why = choose_inference(FEW_CLUSTERS - 1)
    assert m == "wild_bootstrap" and str(FEW_CLUSTERS) in why
    assert "Webb" in choose_inference(WEBB_BELOW - 1)[1]
    assert choose_inference(FEW_CLUSTERS)[0] == "analytic"
    m, why = choose_inference(10, "analytic")
    assert m == "analytic" and "warning" in why
    assert choose_inference(100, "wild_bootstrap")[0] == "wild_bootstrap"
    with pytest.raises(ValueError):
        choose_inference(10, "jackknife")
    with pytest.raises(ValueError):
        choose_inference(1)


def test_bootstrap_weights_moments():
    rng = np.random.default_rng(0)
    for kind in ("rademacher", "webb", "mammen", "normal"):
        w = bootstrap_weights(kind, 200_000, rng)
        assert abs(w.mean()) < 0.01 and abs(w.var() - 1) < 0.02
    assert len(np.unique(bootstrap_weights("webb", 1000, rng))) == 6


def _small_panel(seed, n_units=10, n_periods=6, effect=0.0):
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(n_periods), n_units)
    D = ((u % 2 == 0) & (t >= 3)).astype(float)
    x = rng.normal(size=len(u))
    y = 0.5 * x + effect * D + rng.normal(size=n_units)[u] + 0.1 * t + rng.normal(size=len(u)) * (1 + u % 3)
    return pd.DataFrame({"y": y, "D": D, "x": x, "unit": u, "period": t})


def _brute_force_wcr(d, r, W):
    """Restricted wild cluster bootstrap by refitting dummy-variable OLS for each draw."""
    units = pd.get_dummies(d["unit"], dtype=float).to_numpy()
    times = pd.get_dummies(d["period"], dtype=float).to_numpy()[:, 1:]
    Xr = np.column_stack([d["x"], units, times])
    Xu = np.column_stack([d["D"], Xr])
    y = d["y"].to_numpy()
    cl = d["unit"].to_numpy()

    def ols_t(yy):
        b, *_ = np.linalg.lstsq(Xu, yy, rcond=None)
        u = yy - Xu @ b
        XtXi = np.linalg.pinv(Xu.T @ Xu)
        meat = sum(np.outer(s, s) for s in (Xu[cl == g].T @ u[cl == g] for g in np.unique(cl)))
        se = np.sqrt((XtXi @ meat @ XtXi)[0, 0])
        return b[0], se

    b0, se0 = ols_t(y)
    t0 = abs(b0 - r) / se0
    br, *_ = np.linalg.lstsq(Xr, y - r * d["D"].to_numpy(), rcond=None)
    fitted = Xr @ br + r * d["D"].to_numpy()
    ur = y - fitted
    tb = []
    for b in range(W.shape[1]):
        bb, sb = ols_t(fitted + ur * W[cl, b])
        tb.append(abs(bb - r) / sb)
    return np.mean(np.array(tb) >= t0 - 1e-12)


def test_wild_bootstrap_matches_brute_force():
    d = _small_panel(1, effect=0.8)
    reps = 99
    res = wild_cluster_bootstrap(d, "y", ["D", "x"], "D", "unit", fe=["unit", "period"], reps=reps, seed=5)
    assert res.weights == "webb"  # 10 clusters < WEBB_BELOW
    W = bootstrap_weights("webb", (10, reps), np.random.default_rng(5))
    assert res.p_value == pytest.approx(_brute_force_wcr(d, 0.0, W))
    # the closed-form p-value function agrees with refitting at other null values too
    for r in (-2.0, 1.0, 2.0):
        assert res.pvalue_at(r) == pytest.approx(_brute_force_wcr(d, r, W))
    # the interval is the test inversion: just outside its ends the test rejects, inside it does not
    se = res.std_error
    assert _brute_force_wcr(d, res.conf_high + 0.01 * se, W) <= 0.05
    assert _brute_force_wcr(d, res.conf_low - 0.01 * se, W) <= 0.05
    assert res.pvalue_at(res.conf_high - 0.01 * se) > 0.05 and res.pvalue_at(res.conf_low + 0.01 * se) > 0.05
    # the CRV1 SE matches pyfixest's
    import pyfixest as pf

    fit = pf.feols("y ~ D + x | unit + period", d, vcov={"CRV1": "unit"})
    assert res.std_error == pytest.approx(float(fit.se()["D"]), rel=1e-6)
    assert res.estimate == pytest.approx(float(fit.coef()["D"]), rel=1e-8)


def test_wild_bootstrap_size_under_null_few_clusters():
    rej = []
    for seed in range(60):
        d = _small_panel(100 + seed, n_units=12)
        rej.append(wild_cluster_bootstrap(d, "y", ["D", "x"], "D", "unit", fe=["unit", "period"], reps=199,
                                          seed=seed, ci=False).p_value <= 0.05)
    assert np.mean(rej) <= 0.15


def _fast_twfe(d):
    """Static TWFE coefficient on a balanced panel sorted by (unit, period): closed form."""
    T = d["period"].nunique()
    g = d["cohort"].to_numpy().reshape(-1, T)
    D = ((g > 0) & (d["period"].to_numpy().reshape(-1, T) >= g)).astype(float)
    Dt = D - D.mean(axis=1, keepdims=True) - D.mean(axis=0, keepdims=True) + D.mean()
    return float((Dt * d["y"].to_numpy().reshape(-1, T)).sum() / (Dt**2).sum())


def test_permute_cohorts_keeps_sizes_and_data():
    s = simulate_staggered_panel(seed=1)
    before = s.data.copy()
    p = permute_cohorts(s.data, "unit", "cohort", np.random.default_rng(0))
    pd.testing.assert_frame_equal(s.data, before)
    sizes = lambda d: d.drop_duplicates("unit")["cohort"].value_counts().sort_index()  # noqa: E731
    pd.testing.assert_series_equal(sizes(p), sizes(s.data))
    assert (p.groupby("unit")["cohort"].nunique() == 1).all()
    assert not p["cohort"].equals(s.data["cohort"])


def test_randomization_inference_null_and_alternative():
    pvals = []
    for seed in range(30):
        s = simulate_staggered_panel(n_units=20, n_periods=12, cohorts=(4, 7, 10), effect=0.0, growth=0.0,
                                     seed=200 + seed)
        pvals.append(randomization_inference(_fast_twfe, s.data, "unit", "cohort", draws=99, seed=seed).p_value)
    pvals = np.array(pvals)
    assert 0.3 < pvals.mean() < 0.7
    assert np.mean(pvals <= 0.1) <= 0.3
    s = simulate_staggered_panel(n_units=20, n_periods=12, cohorts=(4, 7, 10), effect=3.0, seed=7)
    ri = randomization_inference(_fast_twfe, s.data, "unit", "cohort", draws=99, seed=1)
    assert ri.p_value == pytest.approx(1 / 100)
    # reproducible with a seed
    assert randomization_inference(_fast_twfe, s.data, "unit", "cohort", draws=20, seed=3).p_value == \
        randomization_inference(_fast_twfe, s.data, "unit", "cohort", draws=20, seed=3).p_value


def test_multiplier_bootstrap_matches_analytic_se():
    rng = np.random.default_rng(0)
    n = 4000
    psi = rng.normal(size=(n, 3)) * np.array([1.0, 2.0, 0.5])
    mb = multiplier_bootstrap(psi, reps=2000, seed=1)
    analytic = np.sqrt((psi**2).sum(axis=0)) / n
    np.testing.assert_allclose(mb["std_error"], analytic, rtol=0.08)
    assert mb["crit_simul"] > 1.96
    # clustering: perfectly correlated IFs within clusters double the SE per pair
    cl = np.repeat(np.arange(n // 2), 2)
    psi2 = np.repeat(rng.normal(size=(n // 2, 1)), 2, axis=0)
    mb2 = multiplier_bootstrap(psi2, cluster=cl, reps=2000, seed=2)
    assert mb2["std_error"][0] == pytest.approx(np.sqrt((2 * psi2[::2, 0]) @ (2 * psi2[::2, 0])) / n, rel=0.08)


def test_twfe_randomization_inference_option():
    s = simulate_staggered_panel(n_units=16, n_periods=12, cohorts=(4, 8), effect=2.0, seed=9)
    res = twfe(s.data, "y", "period", "unit", "cohort", ri_draws=19, boot_reps=199, seed=1)
    ri = res.extra["randomization_inference"]
    assert ri["n_draws"] == 19 and ri["p_value"] == pytest.approx(1 / 20)


def test_cs_multiplier_bootstrap_wraps_core_result():
    from analysis.did import aggte, att_gt
    from analysis.did.inference import cs_multiplier_bootstrap

    s = simulate_staggered_panel(n_units=24, never_share=0.25, seed=13)
    gt = att_gt(s.data, "y", "period", "unit", "cohort", est_method="reg")
    dyn = aggte(gt, type="dynamic", min_e=-3, max_e=4)
    out = cs_multiplier_bootstrap(dyn, cluster=gt, seed=1, reps=1999)
    assert out.extra["inference"] == "wild_bootstrap" and "24 clusters" in out.extra["inference_reason"]
    a, b = dyn.tidy(), out.tidy()
    pd.testing.assert_series_equal(a["estimate"], b["estimate"])
    ok = a["std_error"].notna()
    # bootstrap SEs agree with the analytic IF-based SEs up to simulation noise
    np.testing.assert_allclose(b.loc[ok, "std_error"], a.loc[ok, "std_error"], rtol=0.15)
    ev = b["event_time"].notna() & ok
    assert (b.loc[ev, "conf_low_simul"] < b.loc[ev, "conf_low"]).all()
    assert b.loc[~b["event_time"].notna(), "conf_low_simul"].isna().all()
    assert out.overall_se == pytest.approx(b["std_error"].iloc[-1])
    # few-cluster correction: t(G-1) intervals; without it, normal intervals
    assert out.extra["bootstrap"]["df"] == 23
    r = b.iloc[-1]
    half = (r["conf_high"] - r["conf_low"]) / 2
    assert half / r["std_error"] == pytest.approx(2.0687, abs=1e-3)  # t(23) 97.5% quantile
    raw = cs_multiplier_bootstrap(dyn, cluster=gt, seed=1, reps=1999, small_sample=False).tidy().iloc[-1]
    assert (raw["conf_high"] - raw["conf_low"]) / 2 / raw["std_error"] == pytest.approx(1.96, abs=1e-2)
    assert raw["std_error"] < r["std_error"]
    # enough clusters: unchanged, analytic
    same = cs_multiplier_bootstrap(aggte(att_gt(simulate_staggered_panel(seed=2).data, "y", "period", "unit",
                                                "cohort", est_method="reg"), type="simple"))
    assert same.extra["inference"] == "analytic"


def test_cs_randomization_inference_wrapper():
    from analysis.did import aggte, att_gt

    def cs_overall(d):
        gt = att_gt(d, "y", "period", "unit", "cohort", est_method="reg", control_group="notyettreated")
        return aggte(gt, type="simple").overall_att

    s = simulate_staggered_panel(n_units=20, n_periods=12, cohorts=(4, 7, 10), effect=3.0, seed=14)
    ri = randomization_inference(cs_overall, s.data, "unit", "cohort", draws=19, seed=0)
    assert ri.p_value == pytest.approx(1 / 20)
    assert ri.observed == pytest.approx(cs_overall(s.data))


def test_randomization_inference_rebuilds_derived_columns():
    s = simulate_staggered_panel(n_units=20, n_periods=12, cohorts=(4, 7, 10), effect=3.0, seed=15)

    def diff_in_means(d):  # uses the derived treatment dummy, not the cohort column
        return float(d.loc[d["treated"] == 1, "y"].mean() - d.loc[d["treated"] == 0, "y"].mean())

    def rebuild(d):
        d["treated"] = ((d["cohort"] > 0) & (d["period"] >= d["cohort"])).astype(int)
        return d

    stale = randomization_inference(diff_in_means, s.data, "unit", "cohort", draws=19, seed=0)
    fresh = randomization_inference(diff_in_means, s.data, "unit", "cohort", draws=19, seed=0, extra_cols_fn=rebuild)
    assert stale.p_value == 1.0  # without rebuilding, every draw equals the observed statistic
    assert fresh.p_value < stale.p_value
