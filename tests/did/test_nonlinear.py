"""Poisson DiD with exposure and ordered-response DiD on simulated data with known effects."""

import numpy as np
import pandas as pd
import pytest

from analysis.did.nonlinear import ordered_did, poisson_did
from analysis.did.simulate import simulate_staggered_panel

ARGS = ("cases", "period", "unit", "cohort")


def _counts(rr_by_cohort, seed=0, base_rate=30.0, n_units=36, n_periods=24, cohorts=(5, 9, 13, 17)):
    """Cases per puskesmas-period: population exposure, unit and time effects, rate ratio by cohort."""
    s = simulate_staggered_panel(n_units=n_units, n_periods=n_periods, cohorts=cohorts, seed=seed)
    d = s.data[["unit", "period", "cohort", "treated"]].copy()
    rng = np.random.default_rng(seed)
    pop = rng.integers(5_000, 40_000, n_units)
    d["pop"] = pop[d["unit"] - 1]
    unit_eff = rng.normal(0, 0.3, n_units)[d["unit"] - 1]
    rate0 = base_rate / 10_000 * np.exp(unit_eff + 0.2 * np.sin(d["period"] / 3))
    rr = np.where(d["treated"] == 1, d["cohort"].map(rr_by_cohort).fillna(1.0), 1.0)
    d["cases"] = rng.poisson(d["pop"] * rate0 * rr)
    tr = d["treated"] == 1
    true_att = float((d.loc[tr, "pop"] * rate0[tr] * (rr[tr] - 1)).sum() / d.loc[tr, "pop"].sum() * 10_000)
    return d, true_att


@pytest.fixture(scope="module")
def constant_rr():
    return _counts({5: 0.75, 9: 0.75, 13: 0.75, 17: 0.75}, seed=1)


@pytest.mark.parametrize("method", ["etwfe", "twfe"])
def test_poisson_recovers_rate_ratio_and_incidence(constant_rr, method):
    d, true_att = constant_rr
    before = d.copy()
    res = poisson_did(d, *ARGS, exposure="pop", method=method, dynamic=False)
    pd.testing.assert_frame_equal(d, before)
    rr = res.extra["rate_ratio"][0]
    assert rr["conf_low"] < 0.75 < rr["conf_high"]
    assert rr["rate_ratio"] == pytest.approx(0.75, abs=0.03)
    row = res.tidy().iloc[0]
    assert row["conf_low"] < true_att < row["conf_high"]
    assert row["estimate"] < 0 and res.extra["scale"] == "incidence per 10000"


def test_etwfe_handles_cohort_heterogeneity_and_event_times():
    d, true_att = _counts({5: 0.6, 9: 0.75, 13: 0.9, 17: 1.0}, seed=2)
    res = poisson_did(d, *ARGS, exposure="pop", max_e=5)
    tidy = res.tidy()
    assert tidy.iloc[0]["estimate"] == pytest.approx(true_att, abs=3 * tidy.iloc[0]["std_error"])
    assert tidy.query("type == 'dynamic'")["event_time"].tolist() == [0, 1, 2, 3, 4, 5]
    rrs = pd.DataFrame(res.extra["rate_ratio"])
    assert (rrs["conf_low"] < rrs["rate_ratio"]).all() and (rrs["rate_ratio"] < rrs["conf_high"]).all()


def test_poisson_event_study_leads_are_null(constant_rr):
    d, _ = constant_rr
    res = poisson_did(d, *ARGS, exposure="pop", method="twfe", dynamic=True, min_e=-3, max_e=3)
    rrs = pd.DataFrame(res.extra["rate_ratio"]).dropna(subset=["event_time"]).set_index("event_time")
    assert list(rrs.index) == [-3, -2, 0, 1, 2, 3]
    assert (rrs.loc[[-3, -2], "rate_ratio"].sub(1).abs() < 0.1).all()
    assert (rrs.loc[[0, 1, 2, 3], "rate_ratio"] < 0.9).all()


def test_poisson_input_checks(constant_rr):
    d, _ = constant_rr
    bad = d.assign(pop=0)
    with pytest.raises(ValueError, match="exposure"):
        poisson_did(bad, *ARGS, exposure="pop")
    with pytest.raises(ValueError):
        poisson_did(d, *ARGS, method="ols")


def test_ordered_did_recovers_latent_shift():
    rng = np.random.default_rng(0)
    cohorts = np.array([0] * 8 + [3] * 7 + [5] * 7 + [7] * 7 + [9] * 7)
    utype = rng.integers(0, 3, 36)
    rows = []
    for u in range(36):
        for t in range(1, 13):
            D = float(cohorts[u] > 0 and t >= cohorts[u])
            lat = 0.3 * utype[u] + 0.05 * t + 0.2 * (cohorts[u] > 0) + 0.6 * D + rng.logistic(size=15)
            for v in np.digitize(lat, [-0.5, 0.8, 2.0]) + 1:
                rows.append((u, t, cohorts[u], utype[u], v))
    d = pd.DataFrame(rows, columns=["unit", "quarter", "cohort", "utype", "score"])
    before = d.copy()
    res = ordered_did(d, "score", "quarter", "cohort", controls=["utype"], clustervars="unit")
    pd.testing.assert_frame_equal(d, before)
    tidy = res.tidy().set_index("term")
    assert tidy.loc["latent", "conf_low"] < 0.6 < tidy.loc["latent", "conf_high"]
    assert res.extra["cov_type"] == "cluster"
    # the probability shift implied by a 0.6 latent shift is positive and sizeable
    assert 0.05 < tidy.loc["P(y>=3)", "estimate"] < 0.3
    assert tidy.loc["P(y>=3)", "conf_low"] > 0
