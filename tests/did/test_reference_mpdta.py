"""Reproduce every R did 2.5 number for mpdta (analytic standard errors).

Estimates must agree to 1e-8 in absolute value, standard errors to 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.did import aggte, att_gt

pytestmark = pytest.mark.reference

SCENARIOS = {
    "mpdta_nev_dr": dict(control_group="nevertreated", est_method="dr"),
    "mpdta_nyt_dr": dict(control_group="notyettreated", est_method="dr"),
    "mpdta_nev_ipw": dict(control_group="nevertreated", est_method="ipw"),
    "mpdta_nev_reg_cov": dict(control_group="nevertreated", est_method="reg", xformla="~lpop"),
}
ATOL_EST, RTOL_SE = 1e-8, 1e-6


@pytest.fixture(scope="module")
def fits(mpdta):
    return {
        name: att_gt(mpdta, "lemp", "year", "countyreal", "first.treat", **kw) for name, kw in SCENARIOS.items()
    }


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_attgt_matches_r(fits, rref_attgt, scenario):
    ref = rref_attgt[rref_attgt.scenario == scenario].sort_values(["group", "t"])
    tidy = fits[scenario].tidy().sort_values(["group", "period"])
    assert len(tidy) == len(ref) == 12
    np.testing.assert_array_equal(tidy["group"].to_numpy(), ref["group"].to_numpy())
    np.testing.assert_array_equal(tidy["period"].to_numpy(), ref["t"].to_numpy())
    np.testing.assert_allclose(tidy["estimate"], ref["att"], rtol=0, atol=ATOL_EST)
    np.testing.assert_allclose(tidy["std_error"], ref["se"], rtol=RTOL_SE, atol=0)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_pretest_matches_r(fits, rref_pretest, scenario):
    ref = rref_pretest[rref_pretest.scenario == scenario].iloc[0]
    pt = fits[scenario].pretest
    assert pt["df"] == 5  # pre-treatment cells: (2006,2004), (2006,2005), (2007,2004..2006)
    assert pt["W"] == pytest.approx(ref["W"], rel=1e-6)
    assert round(pt["p_value"], 5) == pytest.approx(ref["Wpval"], abs=1e-12)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("agg_type", ["simple", "group", "dynamic", "calendar"])
def test_aggte_matches_r(fits, rref_aggte, scenario, agg_type):
    ref = rref_aggte[(rref_aggte.scenario == scenario) & (rref_aggte.type == agg_type)]
    agg = aggte(fits[scenario], agg_type)
    assert agg.overall_att == pytest.approx(ref["overall_att"].iloc[0], abs=ATOL_EST, rel=0)
    assert agg.overall_se == pytest.approx(ref["overall_se"].iloc[0], rel=RTOL_SE, abs=0)
    if agg_type == "simple":
        assert agg.egt is None
        return
    np.testing.assert_array_equal(agg.egt, ref["egt"].to_numpy(dtype=float))
    np.testing.assert_allclose(agg.att_egt, ref["att_egt"], rtol=0, atol=ATOL_EST)
    np.testing.assert_allclose(agg.se_egt, ref["se_egt"], rtol=RTOL_SE, atol=0)
    # The tidy frame carries the same numbers, one row per egt plus the overall row.
    tidy = agg.tidy()
    assert list(tidy["term"])[-1] == "overall"
    np.testing.assert_allclose(tidy["estimate"].iloc[:-1], ref["att_egt"], rtol=0, atol=ATOL_EST)


def test_aggregate_method_equals_aggte(fits):
    res = fits["mpdta_nev_dr"]
    a, b = res.aggregate(type="dynamic"), aggte(res, "dynamic")
    np.testing.assert_array_equal(a.att_egt, b.att_egt)
    assert a.overall_se == b.overall_se


def test_published_point_estimates(fits):
    """Figures printed in the R did articles for the same data (no covariates, DR)."""
    res = fits["mpdta_nev_dr"]
    tidy = res.tidy().set_index("term")
    assert tidy.loc["ATT(2004,2006)", "estimate"] == pytest.approx(-0.1373, abs=5e-5)
    assert aggte(res, "simple").overall_att == pytest.approx(-0.0400, abs=5e-5)
    assert aggte(res, "group").overall_att == pytest.approx(-0.0310, abs=5e-5)
    assert aggte(res, "dynamic").overall_att == pytest.approx(-0.0772, abs=5e-5)
    assert aggte(res, "calendar").overall_att == pytest.approx(-0.0417, abs=5e-5)
