"""aggte: weights, windows, balancing, NaN handling and result API (beyond the R/csdid comparisons)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import norm

from analysis.did import AggteResult, aggte, att_gt
from analysis.did._cs_simulate import simulate_panel
from analysis.did.results import TIDY_COLUMNS

ARGS = ("y", "t", "id", "g")


@pytest.fixture(scope="module")
def res():
    df = simulate_panel(500, 7, [3, 4, 6], seed=41)
    return att_gt(df, *ARGS, xformla="~x", weightsname="w")


@pytest.fixture(scope="module")
def shares(res):
    G, w = res.unit_group, res.unit_weight
    return {g: float(np.sum(w * (G == g))) for g in res.params["glist"]}


def test_simple_is_cohort_share_weighted_mean_of_post_cells(res, shares):
    post = res.t >= res.group
    wts = np.array([shares[g] for g in res.group[post]])
    expected = np.sum(res.att[post] * wts) / wts.sum()
    assert aggte(res, "simple").overall_att == pytest.approx(expected, abs=1e-14)


def test_group_effects_and_overall(res, shares):
    agg = aggte(res, "group")
    np.testing.assert_array_equal(agg.egt, [3, 4, 6])
    for g, est in zip(agg.egt, agg.att_egt):
        sel = (res.group == g) & (res.t >= g)
        assert est == pytest.approx(res.att[sel].mean(), abs=1e-14)
    pg = np.array([shares[g] for g in agg.egt])
    assert agg.overall_att == pytest.approx(agg.att_egt @ pg / pg.sum(), abs=1e-14)


def test_dynamic_and_calendar_definitions(res, shares):
    dyn = aggte(res, "dynamic")
    e = res.t - res.group
    np.testing.assert_array_equal(dyn.egt, np.unique(e))
    for ev, est in zip(dyn.egt, dyn.att_egt):
        sel = e == ev
        wts = np.array([shares[g] for g in res.group[sel]])
        assert est == pytest.approx(np.sum(res.att[sel] * wts) / wts.sum(), abs=1e-14)
    assert dyn.overall_att == pytest.approx(dyn.att_egt[dyn.egt >= 0].mean(), abs=1e-14)
    cal = aggte(res, "calendar")
    np.testing.assert_array_equal(cal.egt, [3, 4, 5, 6, 7])
    assert cal.overall_att == pytest.approx(cal.att_egt.mean(), abs=1e-14)


def test_weight_estimation_enters_the_standard_error(res):
    # Dropping R's wif term (treating the cohort shares as known) changes the SE.
    agg = aggte(res, "simple")
    keep = res.t >= res.group
    G, w = res.unit_group, res.unit_weight
    pg = np.array([np.mean(w * (G == g)) for g in res.group[keep]])
    naive_if = res.inffunc[:, keep] @ (pg / pg.sum())
    naive_se = np.sqrt(np.mean(naive_if**2) / res.n)
    assert agg.overall_se > naive_se * 1.01


def test_min_max_e_and_balance_e(res):
    dyn = aggte(res, "dynamic", min_e=-2, max_e=2)
    np.testing.assert_array_equal(dyn.egt, [-2, -1, 0, 1, 2])
    full = aggte(res, "dynamic")
    np.testing.assert_allclose(dyn.att_egt, full.att_egt[np.isin(full.egt, dyn.egt)], atol=1e-14)
    bal = aggte(res, "dynamic", balance_e=2)
    # Only cohorts observed at least 2 periods after treatment (3 and 4; 6 ends at e=1) enter.
    assert bal.egt.max() == 2
    e0 = (res.t - res.group == 0) & np.isin(res.group, [3, 4])
    G, w = res.unit_group, res.unit_weight
    pg = np.array([np.sum(w * (G == g)) for g in res.group[e0]])
    assert bal.att_egt[bal.egt == 0][0] == pytest.approx(res.att[e0] @ pg / pg.sum(), abs=1e-14)
    grp = aggte(res, "group", max_e=0)
    on_impact = res.t == res.group
    np.testing.assert_allclose(grp.att_egt, res.att[on_impact], atol=1e-14)


def test_errors_and_warnings(res):
    with pytest.raises(ValueError, match="type must be one of"):
        aggte(res, "cohort")
    with pytest.raises(ValueError, match="No event times"):
        aggte(res, "dynamic", min_e=10)
    with pytest.raises(ValueError, match="balance_e"):
        aggte(res, "dynamic", balance_e=-1)
    with pytest.raises(ValueError, match="alp"):
        aggte(res, "simple", alp=2)
    with pytest.warns(UserWarning, match="ignored for type='calendar'"):
        aggte(res, "calendar", max_e=2)
    with pytest.raises(TypeError, match="ATTgtResult"):
        aggte(res.tidy(), "simple")


def test_group_na_rm_drops_cohort_without_post_cells():
    df = simulate_panel(300, 5, [3, 5], seed=42, unbalanced_drop=0.0)
    df = df[~((df.g == 5) & (df.t == 5))]  # cohort 5 never observed treated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = att_gt(df, *ARGS, allow_unbalanced_panel=True)
    agg = aggte(r, "group", na_rm=True)
    np.testing.assert_array_equal(agg.egt, [3])
    assert agg.overall_att == pytest.approx(agg.att_egt[0])


def test_tidy_and_alp(res):
    agg = aggte(res, "dynamic", alp=0.10)
    assert isinstance(agg, AggteResult)
    tidy = agg.tidy()
    assert list(tidy.columns) == TIDY_COLUMNS
    assert list(tidy.term[:3]) == ["event_time=-4", "event_time=-3", "event_time=-2"]  # cohort 6 from t=2
    assert tidy.term.iloc[-1] == "overall" and np.isnan(tidy.event_time.iloc[-1])
    np.testing.assert_allclose((tidy.conf_high - tidy.estimate) / tidy.std_error, 1.6448536269514722)
    z = np.abs(tidy.estimate / tidy.std_error)
    np.testing.assert_allclose(tidy.p_value, 2 * norm.sf(z), rtol=1e-12)
    assert agg.params["type"] == "dynamic" and agg.params["alp"] == 0.10
    grp = aggte(res, "group").tidy()
    np.testing.assert_array_equal(grp.group.iloc[:-1], [3, 4, 6])
    cal = aggte(res, "calendar").tidy()
    np.testing.assert_array_equal(cal.period.iloc[:-1], [3, 4, 5, 6, 7])


def test_min_e_ignored_for_simple_and_group_as_in_r(res):
    base = aggte(res, "simple")
    with pytest.warns(UserWarning, match="min_e and balance_e are ignored for type='simple'"):
        again = aggte(res, "simple", min_e=1)
    assert again.overall_att == base.overall_att
    with pytest.warns(UserWarning, match="type='group'"):
        aggte(res, "group", balance_e=1)
