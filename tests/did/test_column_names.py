"""Every estimator on a panel whose columns have awkward names (issue 13, item 4).

Real exports name columns ``class`` (a Python keyword: R bacondecomp's math_reform
example calls its time column so), ``unit id`` (space), ``tahun-bulan`` (hyphen),
``nilai_ñ`` (non-ASCII), ``log`` / ``C`` (formula functions). Each estimator must
give exactly the estimates it gives on the same panel with plain names, and report
the user's names in its parameters.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.did import aggte, att_gt, bacon_decomposition, imputation, sun_abraham, twfe
from analysis.did._names import ColumnMap, is_safe_name, split_covariates
from analysis.did.inference import (
    cs_multiplier_bootstrap, randomization_inference, wild_cluster_bootstrap,
)
from analysis.did.nonlinear import ordered_did, poisson_did
from analysis.did.simulate import simulate_staggered_panel

PLAIN = {"y": "nilai_ñ", "period": "class", "unit": "unit id", "cohort": "tahun-bulan", "x": "log",
         "cluster": "C", "count": "lambda", "pop": "import", "score": "skor kepuasan (1-4)",
         "kind": "jenis-unit"}
PLAIN_ARGS = ("y", "period", "unit", "cohort")
ODD_ARGS = tuple(PLAIN[a] for a in PLAIN_ARGS)


@pytest.fixture(scope="module")
def panels():
    s = simulate_staggered_panel(n_units=30, n_periods=12, cohorts=(4, 7, 9), seed=5)
    d = s.data[["y", "period", "unit", "cohort"]].copy()
    rng = np.random.default_rng(1)
    d["x"] = rng.normal(size=len(d))
    d["cluster"] = (d["unit"] - 1) // 2  # 15 clusters of two units
    d["pop"] = 10_000 + 100 * d["unit"]
    d["count"] = rng.poisson(3 + (d["period"] >= d["cohort"]) * (d["cohort"] > 0), len(d))
    d["kind"] = d["unit"] % 3
    d["score"] = np.clip(np.round(2.5 + 0.4 * d["y"] / d["y"].std()), 1, 4).astype(int)
    return d, d.rename(columns=PLAIN)


def _same(a, b):
    cols = ["term", "estimate", "std_error", "conf_low", "conf_high", "p_value"]
    pd.testing.assert_frame_equal(a.tidy()[cols].reset_index(drop=True), b.tidy()[cols].reset_index(drop=True))


def _check_params(res, **expected):
    for k, v in expected.items():
        assert res.params[k] == v, (k, res.params[k])


def test_safe_name_rules():
    for bad in ("class", "unit id", "tahun-bulan", "nilai_ñ", "log", "C", "I", "lambda", "sum", "2x", "_D", ""):
        assert not is_safe_name(bad), bad
    for ok in ("y", "period", "unit_id", "cohort2"):
        assert is_safe_name(ok), ok
    assert split_covariates("~ `unit id` + log + x") == ["unit id", "log", "x"]
    assert split_covariates(["a b", "1"]) == ["a b"]
    cm = ColumnMap(["class", "y", "unit id"])
    assert cm.safe("y") == "y" and cm.user(cm.safe("class")) == "class"
    with pytest.raises(ValueError, match="reserved"):
        cm.frame(pd.DataFrame({cm.safe("class"): [1], "class": [2]}))


def test_att_gt_and_aggte(panels):
    plain, odd = panels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = att_gt(plain, *PLAIN_ARGS, xformla=["x"], clustervars="cluster", bstrap=True, biters=199, seed=1)
        b = att_gt(odd, *ODD_ARGS, xformla=["log"], clustervars="C", bstrap=True, biters=199, seed=1)
    _same(a, b)
    _check_params(b, yname="nilai_ñ", tname="class", idname="unit id", gname="tahun-bulan", clustervars="C")
    for kind in ("simple", "dynamic", "group", "calendar"):
        _same(aggte(a, type=kind), aggte(b, type=kind))
    _same(cs_multiplier_bootstrap(aggte(a, type="dynamic"), cluster=a, inference="wild_bootstrap", reps=99, seed=2),
          cs_multiplier_bootstrap(aggte(b, type="dynamic"), cluster=b, inference="wild_bootstrap", reps=99, seed=2))


@pytest.mark.parametrize("kwargs", [dict(inference="analytic"),
                                    dict(dynamic=True, inference="wild_bootstrap", boot_reps=99, seed=3)])
def test_twfe(panels, kwargs):
    plain, odd = panels
    a = twfe(plain, *PLAIN_ARGS, xformla="~ x", clustervars="cluster", **kwargs)
    b = twfe(odd, *ODD_ARGS, xformla="~ log", clustervars="C", **kwargs)
    _same(a, b)
    _check_params(b, yname="nilai_ñ", tname="class", idname="unit id", gname="tahun-bulan", clustervars="C",
                  xformla="~ log")


def test_bacon(panels):
    plain, odd = panels
    a = bacon_decomposition(plain, *PLAIN_ARGS)
    b = bacon_decomposition(odd, *ODD_ARGS)
    _same(a, b)
    pd.testing.assert_frame_equal(a.decomposition, b.decomposition)
    _check_params(b, tname="class", idname="unit id")


@pytest.mark.parametrize("inference", ["analytic", "wild_bootstrap"])
def test_sun_abraham(panels, inference):
    plain, odd = panels
    a = sun_abraham(plain, *PLAIN_ARGS, xformla=["x"], inference=inference, boot_reps=99, seed=4)
    b = sun_abraham(odd, *ODD_ARGS, xformla=["log"], inference=inference, boot_reps=99, seed=4)
    _same(a, b)
    _check_params(b, yname="nilai_ñ", gname="tahun-bulan", xformla=["log"])


def test_imputation(panels):
    plain, odd = panels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = imputation(plain, *PLAIN_ARGS, min_e=-3, clustervars="cluster", xformla="~ x")
        b = imputation(odd, *ODD_ARGS, min_e=-3, clustervars="C", xformla="~ `log`")
    _same(a, b)
    _check_params(b, yname="nilai_ñ", clustervars="C", xformla="~ `log`")


def test_nonlinear(panels):
    plain, odd = panels
    a = poisson_did(plain, "count", "period", "unit", "cohort", exposure="pop")
    b = poisson_did(odd, "lambda", "class", "unit id", "tahun-bulan", exposure="import")
    _same(a, b)
    _check_params(b, yname="lambda", exposure="import")
    a = ordered_did(plain, "score", "period", "cohort", clustervars="cluster", controls=["kind"])
    b = ordered_did(odd, PLAIN["score"], "class", "tahun-bulan", clustervars="C", controls=["jenis-unit"])
    _same(a, b)
    _check_params(b, yname=PLAIN["score"], clustervars="C")


def test_inference_helpers(panels):
    plain, odd = panels

    def add_d(d, t, g):
        return d.assign(**{"treated now": ((d[g] > 0) & (d[t] >= d[g])).astype(float)})

    a = wild_cluster_bootstrap(add_d(plain, "period", "cohort"), "y", ["treated now"], "treated now", "cluster",
                               fe=["unit", "period"], reps=99, seed=6)
    b = wild_cluster_bootstrap(add_d(odd, "class", "tahun-bulan"), "nilai_ñ", ["treated now"], "treated now", "C",
                               fe=["unit id", "class"], reps=99, seed=6)
    assert a.as_dict() == b.as_dict()

    def stat(t, g, y):
        return lambda d: float(add_d(d, t, g).groupby("treated now")[y].mean().diff().iloc[-1])

    ra = randomization_inference(stat("period", "cohort", "y"), plain, "unit", "cohort", draws=49, seed=7)
    rb = randomization_inference(stat("class", "tahun-bulan", "nilai_ñ"), odd, "unit id", "tahun-bulan", draws=49,
                                 seed=7)
    assert ra.p_value == rb.p_value and np.array_equal(ra.draws, rb.draws)


def test_missing_column_error_names_the_users_column(panels):
    _, odd = panels
    with pytest.raises(KeyError, match="tahun-bulan2"):
        twfe(odd, "nilai_ñ", "class", "unit id", "tahun-bulan2")


def test_published_math_reform_with_time_column_class():
    """bacondecomp's math_reform example names its time column ``class`` (it used to raise SyntaxError)."""
    from tests.did.conftest import read_external

    d = read_external("math_reform.csv")
    d["reformyr_math"] = d["reformyr_math"].fillna(0)
    res = bacon_decomposition(d, "incearn_ln", "class", "state", "reformyr_math")
    assert res.extra["weighted_sum"] == pytest.approx(res.extra["twfe_estimate"], abs=1e-10)
    assert res.params["tname"] == "class"
    static = twfe(d, "incearn_ln", "class", "state", "reformyr_math", inference="analytic")
    assert static.tidy()["estimate"].iloc[0] == pytest.approx(res.extra["twfe_estimate"], abs=1e-12)


def test_synth_did():
    from analysis.did.synthdid import synth_did

    s = simulate_staggered_panel(n_units=20, n_periods=10, cohorts=(7,), never_share=0.6, seed=9).data
    plain = s[["y", "period", "unit", "cohort"]]
    odd = plain.rename(columns=PLAIN)
    a = synth_did(plain, "y", "period", "unit", gname="cohort", replications=20, seed=1)
    b = synth_did(odd, "nilai_ñ", "class", "unit id", gname="tahun-bulan", replications=20, seed=1)
    assert a.estimate == b.estimate and a.se == b.se
    wa, wb = a.unit_weights(), b.unit_weights()
    assert list(wb.columns)[0] == "unit id"  # the user's name
    pd.testing.assert_frame_equal(wa, wb.rename(columns={"unit id": "unit"}))
