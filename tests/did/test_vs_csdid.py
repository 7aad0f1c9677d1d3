"""Agreement with csdid 0.4.3 (a Python port of R did) on simulated panels.

csdid is a test-only peer. Both implement R did's algorithm, so ATT(g,t), analytic
standard errors and every aggregation agree up to floating-point noise; IPW/DR
cells differ only by the logit's convergence tolerance (statsmodels IRLS vs our
Newton iterations run to full convergence), hence ``TOL``.

Known, deliberate differences (not exercised here): with ``panel=False`` csdid
refuses repeated ``idname`` values, while we treat every row as its own
observation; csdid's bootstrap (Rademacher) draws new multipliers for every
aggregated parameter, ours (Rademacher by default, as R did) shares one set of multipliers between
``att_gt`` and all ``aggte`` calls. Bootstrap results are therefore checked against
the analytic standard errors in ``test_attgt_bootstrap.py``, not against csdid.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

from analysis.did import aggte, att_gt
from analysis.did._cs_simulate import simulate_panel

csdid_att_gt = pytest.importorskip("csdid.att_gt")

TOL = 1e-8  # absolute on estimates, relative on standard errors


def _csdid(df, *, panel=True, unb=False, control_group="nevertreated", anticipation=0, xformla=None,
           est_method="dr", base_period="varying", weightsname=None, clustervars=None):
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = csdid_att_gt.ATTgt(
            yname="y", tname="t", idname="id", gname="g", data=df.copy(), control_group=control_group,
            anticipation=anticipation, xformla=("y" + xformla) if xformla else None, panel=panel,
            allow_unbalanced_panel=unb, weights_name=weightsname, clustervar=clustervars,
        ).fit(est_method=est_method, base_period=base_period, bstrap=False)
    return m


def _csdid_agg(m, typ):
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.aggte(typec=typ)
    return m.atte


def _compare(df, *, panel=True, unb=False, aggs=("simple", "group", "dynamic", "calendar"), **kw):
    m = _csdid(df, panel=panel, unb=unb, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = att_gt(df, "y", "t", "id", "g", panel=panel, allow_unbalanced_panel=unb, **kw)
    np.testing.assert_array_equal(np.asarray(m.results["group"], float), r.group)
    np.testing.assert_array_equal(np.asarray(m.results["year"], float), r.t)
    np.testing.assert_allclose(np.asarray(m.results["att"], float), r.att, rtol=0, atol=TOL)
    np.testing.assert_allclose(np.asarray(m.results["se"], float), r.se, rtol=TOL, equal_nan=True)
    if m.MP["W"] is not None:
        assert r.pretest["W"] == pytest.approx(m.MP["W"], rel=1e-7)
    for typ in aggs:
        ours, theirs = aggte(r, typ), _csdid_agg(m, typ)
        assert ours.overall_att == pytest.approx(theirs["overall_att"], abs=TOL)
        assert ours.overall_se == pytest.approx(float(np.ravel(theirs["overall_se"])[0]), rel=TOL)
        if ours.egt is not None:
            np.testing.assert_allclose(ours.att_egt, np.asarray(theirs["att_egt"], float), atol=TOL, rtol=0)
            np.testing.assert_allclose(ours.se_egt, np.ravel(np.asarray(theirs["se_egt"], float)), rtol=TOL)
    return r


BALANCED = [
    dict(xformla="~x"),
    dict(xformla="~x", est_method="ipw"),
    dict(xformla="~x", est_method="reg"),
    dict(xformla="~x", control_group="notyettreated"),
    dict(xformla="~x", anticipation=1),
    dict(xformla="~x", base_period="universal"),
    dict(xformla="~x", control_group="notyettreated", anticipation=1, base_period="universal", est_method="ipw"),
    dict(xformla="~x", weightsname="w"),
    dict(xformla="~x", clustervars="cl", est_method="reg"),
]


@pytest.mark.parametrize("kw", BALANCED, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_balanced_panel(kw):
    df = simulate_panel(300, 6, [3, 4, 5], seed=11)
    _compare(df, **kw)


def test_time_varying_covariate_and_gapped_periods():
    # Periods 2001, 2003, ..., 2011: covariates are taken at the earlier period of each pair.
    df = simulate_panel(300, 6, [3, 5], seed=12, first_period=2001, period_step=2, time_varying_x=True)
    _compare(df, xformla="~x", control_group="notyettreated")


@pytest.mark.parametrize("kw", [dict(xformla="~x"), dict(xformla="~x", est_method="ipw", control_group="notyettreated"),
                                dict(xformla="~x", est_method="reg", anticipation=1)],
                         ids=["dr", "ipw-nyt", "reg-antic"])
def test_unbalanced_panel(kw):
    df = simulate_panel(300, 6, [3, 4, 5], seed=13, unbalanced_drop=0.1)
    r = _compare(df, unb=True, **kw)
    assert r.extra["layout"] == "unbalanced_panel"
    assert r.n == df["id"].nunique()


@pytest.mark.parametrize("kw", [dict(xformla="~x"), dict(est_method="ipw", control_group="notyettreated"),
                                dict(xformla="~x", est_method="reg")], ids=["dr", "ipw-nyt", "reg"])
def test_repeated_cross_sections(kw):
    df = simulate_panel(300, 5, [3, 4], seed=14, unbalanced_drop=0.2)
    df = df.assign(id=np.arange(len(df)))
    r = _compare(df, panel=False, **kw)
    assert r.extra["layout"] == "repeated_cross_section"
    assert r.n == len(df)


@pytest.mark.parametrize(
    "agg_kw",
    [dict(balance_e=1), dict(min_e=-2, max_e=2), dict(balance_e=2, min_e=-1), dict(max_e=1)],
    ids=["balance1", "window", "balance2-min", "max1"],
)
def test_dynamic_windows_and_balancing(agg_kw):
    df = simulate_panel(300, 7, [3, 4, 5, 6], seed=15)
    m = _csdid(df, xformla="~x")
    res = att_gt(df, "y", "t", "id", "g", xformla="~x")
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.aggte(typec="dynamic", **agg_kw)
    theirs = m.atte
    ours = aggte(res, "dynamic", **agg_kw)
    np.testing.assert_array_equal(ours.egt, np.asarray(theirs["egt"], float))
    np.testing.assert_allclose(ours.att_egt, np.asarray(theirs["att_egt"], float), atol=TOL, rtol=0)
    np.testing.assert_allclose(ours.se_egt, np.ravel(np.asarray(theirs["se_egt"], float)), rtol=TOL)
    assert ours.overall_att == pytest.approx(theirs["overall_att"], abs=TOL)
    assert ours.overall_se == pytest.approx(float(np.ravel(theirs["overall_se"])[0]), rel=TOL)


@pytest.mark.parametrize("seed", [4, 9, 10, 14, 101, 202, 404])
def test_random_designs(seed):
    """Random period grids, cohorts, methods and comparison groups, balanced or not."""
    rng = np.random.default_rng(seed)
    n_periods = int(rng.integers(4, 8))
    cohorts = sorted(rng.choice(np.arange(2, n_periods + 1), size=int(rng.integers(1, n_periods - 1)), replace=False))
    unbalanced = bool(rng.integers(0, 2))
    df = simulate_panel(int(rng.integers(150, 400)), n_periods, [int(c) for c in cohorts], seed=seed,
                        first_period=int(rng.integers(1, 2000)), period_step=int(rng.integers(1, 4)),
                        unbalanced_drop=0.08 if unbalanced else 0.0, time_varying_x=bool(rng.integers(0, 2)))
    kw = dict(
        xformla="~x",
        est_method=str(rng.choice(["dr", "ipw", "reg"])),
        control_group=str(rng.choice(["nevertreated", "notyettreated"])),
        anticipation=int(rng.integers(0, 2)),
        base_period=str(rng.choice(["varying", "universal"])),
    )
    _compare(df, unb=unbalanced, **kw)
