"""Streamed Callaway-Sant'Anna (analysis.did.streamed) against the in-memory att_gt/aggte.

Everything must agree to 1e-10: estimates, analytic and bootstrap standard errors
(unit-keyed multipliers, same seed), simultaneous critical values, the pre-test and
every aggregation, for any chunk size and unit order. R did's own numbers for the
covariate case come from ../shared/data/did-reference (R did 2.5, see its README).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from analysis.did import aggte, att_gt, simulate_staggered_panel
from analysis.did.stream_sources import DuckDBChunks, SparkChunks, frame_chunks, local_spark
from analysis.did.streamed import StreamError, streamed_att_gt
from analysis.did.unit_draws import keyed_draw_sums, keyed_multipliers, unit_keys

MPDTA = ("lemp", "year", "countyreal", "first.treat")
SIM = ("y", "period", "unit", "cohort")
TYPES = ("simple", "group", "dynamic", "calendar")
TOL = 1e-10


def _quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


def _close(a, b, what):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=what)
    ok = ~np.isnan(a)
    np.testing.assert_allclose(b[ok], a[ok], rtol=TOL, atol=TOL * max(1.0, np.abs(a[ok]).max(initial=0)),
                               err_msg=what)


def _compare(mem, streamed, *, boot: bool, aggs=TYPES):
    """In-memory ATTgtResult vs StreamedResult: cells, pre-test, every aggregation."""
    m, s = mem.table, streamed.table
    assert list(m.term) == list(s.term)
    for col in ("estimate", "std_error", "conf_low_simul", "n"):
        _close(m[col], s[col], f"attgt {col}")
    if mem.pretest is None:
        assert streamed.pretest is None
    else:
        assert streamed.pretest["df"] == mem.pretest["df"]
        assert streamed.pretest["W"] == pytest.approx(mem.pretest["W"], rel=TOL)
    for ty in aggs:
        ma, sa = _quiet(aggte, mem, ty), streamed.aggregate(ty)
        assert list(ma.table.term) == list(sa.table.term)
        for col in ("estimate", "std_error", "conf_low_simul"):
            _close(ma.table[col], sa.table[col], f"{ty} {col}")
        if boot:
            assert np.isfinite(sa.overall_se)


def _sim(n_units, seed, **kw):
    return simulate_staggered_panel(n_units=n_units, n_periods=8, cohorts=(3, 5, 7), seed=seed, **kw).data


@pytest.fixture(scope="module")
def sims():
    out = {}
    for n in (60, 400, 2500):
        d = _sim(n, seed=n)
        rng = np.random.default_rng(n)
        x = rng.normal(size=n)  # time-invariant covariates
        d["x1"] = x[d["unit"].to_numpy() - 1]
        d["x2"] = (rng.random(n) < 0.4).astype(float)[d["unit"].to_numpy() - 1]
        d["y"] = d["y"] + 0.3 * d["x1"] * d["period"] / 8
        out[n] = d
    return out


SCENARIOS = {
    "nev": dict(),
    "nyt": dict(control_group="notyettreated"),
    "universal": dict(base_period="universal"),
    "nyt_antic": dict(control_group="notyettreated", anticipation=1),
    "cov": dict(xformla="~x1+x2"),
    "cov_nyt_universal": dict(xformla=["x1", "x2"], control_group="notyettreated", base_period="universal"),
}


@pytest.mark.parametrize("size", [60, 400, 2500])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_simulated_panels_match_in_memory(sims, size, scenario):
    d, kw = sims[size], SCENARIOS[scenario]
    boot = size == 400
    opts = dict(est_method="reg", bstrap=boot, cband=boot, biters=199, seed=7, **kw)
    mem = _quiet(att_gt, d, *SIM, boot_draws="unit_keyed", **opts)
    for n_chunks, order in ((1, None), (3, 11), (7, 12)):
        got = _quiet(streamed_att_gt, frame_chunks(d, "unit", n_chunks, seed=order), *SIM, **opts)
        _compare(mem, got, boot=boot)


@pytest.mark.parametrize("est_method", ["reg", "dr", "ipw"])
@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
def test_mpdta_matches_in_memory_with_bootstrap(mpdta, est_method, control_group):
    opts = dict(est_method=est_method, control_group=control_group, bstrap=True, cband=True, biters=299, seed=20)
    mem = _quiet(att_gt, mpdta, *MPDTA, boot_draws="unit_keyed", **opts)
    for n_chunks, order in ((2, 1), (5, 2), (13, 3)):
        got = _quiet(streamed_att_gt, frame_chunks(mpdta, "countyreal", n_chunks, seed=order), *MPDTA, **opts)
        _compare(mem, got, boot=True)
        assert got.crit_val == pytest.approx(mem.crit_val, rel=TOL)


def test_mpdta_covariates_match_r(mpdta, rref_attgt, rref_aggte):
    """Outcome regression with ~lpop from sufficient statistics equals R did 2.5 (rref, mpdta_nev_reg_cov)."""
    got = _quiet(streamed_att_gt, frame_chunks(mpdta, "countyreal", 4, seed=5), *MPDTA, xformla="~lpop")
    ref = rref_attgt[rref_attgt.scenario == "mpdta_nev_reg_cov"].sort_values(["group", "t"])
    tidy = got.table.sort_values(["group", "period"])
    np.testing.assert_allclose(tidy["estimate"], ref["att"], atol=1e-8, rtol=0)
    np.testing.assert_allclose(tidy["std_error"], ref["se"], rtol=1e-6)
    for ty in TYPES:
        r = rref_aggte[(rref_aggte.scenario == "mpdta_nev_reg_cov") & (rref_aggte.type == ty)]
        assert got.aggregate(ty).overall_att == pytest.approx(r["overall_att"].iloc[0], abs=1e-8)
        assert got.aggregate(ty).overall_se == pytest.approx(r["overall_se"].iloc[0], rel=1e-6)
    mem = _quiet(att_gt, mpdta, *MPDTA, est_method="reg", xformla="~lpop")
    _compare(mem, got, boot=False)


@pytest.mark.parametrize("boot", [False, True])
def test_clustered_matches_in_memory(sims, boot):
    """Clustering by a column coarser than the unit (employees within offices): cluster-robust analytic
    SEs, pre-test and cluster-keyed bootstrap equal att_gt(clustervars=...) for any chunking, also when a
    cluster's units are spread over chunks; text cluster ids as the offices' codes."""
    d = sims[400].copy()
    d["office"] = "OF" + (d["unit"] % 23).astype(str)
    opts = dict(est_method="reg", xformla="~x1", clustervars="office", bstrap=boot, cband=boot, biters=199, seed=3)
    mem = _quiet(att_gt, d, *SIM, boot_draws="unit_keyed", **opts)
    plain = _quiet(att_gt, d, *SIM, boot_draws="unit_keyed", **{**opts, "clustervars": None})
    assert not np.allclose(mem.table["std_error"], plain.table["std_error"], equal_nan=True)
    for n_chunks, order in ((1, None), (4, 2), (9, 5)):
        got = _quiet(streamed_att_gt, frame_chunks(d, "unit", n_chunks, seed=order), *SIM, **opts)
        _compare(mem, got, boot=boot)
        assert got.extra["n_clusters"] == 23 and got.params["clustervars"] == "office"
    # many blocks: the running cluster sums consolidate without changing a digit that matters
    import analysis.did.streamed as streamed_mod

    old = streamed_mod.BLOCK_UNITS
    streamed_mod.BLOCK_UNITS = 7
    try:
        _compare(mem, _quiet(streamed_att_gt, frame_chunks(d, "unit", 3, seed=1), *SIM, **opts), boot=boot)
    finally:
        streamed_mod.BLOCK_UNITS = old


def test_cluster_sums_consolidate_to_bincount():
    from analysis.did.streamed import _ClusterSums

    rng = np.random.default_rng(4)
    keys = rng.integers(0, 3000, size=60_000).astype(np.uint64)
    psi = rng.normal(size=(60_000, 3))
    cs = _ClusterSums(5)
    for s in range(0, 60_000, 500):  # 120 blocks of up to 500 distinct keys: consolidates several times
        cs.add(keys[s:s + 500], psi[s:s + 500, :2], np.array([0, 2]), psi[s:s + 500, 2:], 4)
    got = cs.total()
    uniq, inv = np.unique(keys, return_inverse=True)
    want = np.zeros((len(uniq), 5))
    for j, col in ((0, 0), (2, 1), (4, 2)):
        want[:, j] = np.bincount(inv, weights=psi[:, col])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_cluster_must_be_constant_within_units(sims):
    d = sims[60].assign(office=lambda x: x["period"] % 2)
    with pytest.raises(StreamError, match="'office' varies within units"):
        _quiet(streamed_att_gt, [d], *SIM, clustervars="office")
    with pytest.raises(NotImplementedError, match="one cluster variable"):
        _quiet(streamed_att_gt, [d], *SIM, clustervars=["office", "x2"])


def test_aggregation_options_match(sims):
    d = sims[400]
    opts = dict(est_method="reg", bstrap=True, biters=99, seed=1)
    mem = _quiet(att_gt, d, *SIM, boot_draws="unit_keyed", **opts)
    got = _quiet(streamed_att_gt, frame_chunks(d, "unit", 4), *SIM, aggregations=("dynamic", "group"),
                 min_e=-3, max_e=3, balance_e=1, **opts)
    for ty in ("dynamic", "group"):
        ma = _quiet(aggte, mem, ty, min_e=-3, max_e=3, balance_e=1)
        _close(ma.table["estimate"], got.aggregate(ty).table["estimate"], ty)
        _close(ma.table["std_error"], got.aggregate(ty).table["std_error"], ty)
    with pytest.raises(KeyError, match="not requested"):
        got.aggregate("calendar")
    # a window for the event study only, from the same passes
    per_type = _quiet(streamed_att_gt, frame_chunks(d, "unit", 3), *SIM, aggregations=("simple", "dynamic", "group"),
                      aggregation_options={"dynamic": {"min_e": -2, "max_e": 2}}, **opts)
    for ty, kw in (("simple", {}), ("group", {}), ("dynamic", {"min_e": -2, "max_e": 2})):
        ma = _quiet(aggte, mem, ty, **kw)
        _close(ma.table["estimate"], per_type.aggregate(ty).table["estimate"], ty)
        _close(ma.table["std_error"], per_type.aggregate(ty).table["std_error"], ty)
    with pytest.raises(ValueError, match="not among the aggregations"):
        _quiet(streamed_att_gt, [d], *SIM, aggregations=("simple",), aggregation_options={"dynamic": {"max_e": 1}})


def test_bootstrap_invariant_to_chunks_order_and_id_type(sims):
    d = sims[400].copy()
    opts = dict(bstrap=True, cband=True, biters=199, seed=42, aggregations=("dynamic",))
    base = _quiet(streamed_att_gt, [d], *SIM, **opts)
    for n_chunks, order in ((2, 3), (9, 4)):
        other = _quiet(streamed_att_gt, frame_chunks(d, "unit", n_chunks, seed=order), *SIM, **opts)
        _close(base.table["std_error"], other.table["std_error"], "cells")
        _close(base.aggregate("dynamic").table["std_error"], other.aggregate("dynamic").table["std_error"], "dyn")
    # int32 ids and whole-number float ids are the same units; text ids give other (valid) draws.
    for ids in (d["unit"].astype("int32"), d["unit"].astype(float)):
        same = _quiet(streamed_att_gt, [d.assign(unit=ids)], *SIM, **opts)
        _close(base.table["std_error"], same.table["std_error"], "id dtype")
    text = _quiet(streamed_att_gt, [d.assign(unit="u" + d["unit"].astype(str))], *SIM, **opts)
    _close(base.table["estimate"], text.table["estimate"], "text ids")
    assert not np.allclose(base.table["std_error"], text.table["std_error"], equal_nan=True)
    # A different seed changes the bootstrap SEs but not the analytic ones.
    other_seed = _quiet(streamed_att_gt, [d], *SIM, **{**opts, "seed": 43})
    assert not np.allclose(base.table["std_error"], other_seed.table["std_error"], equal_nan=True)


def test_unit_keyed_multipliers():
    keys = unit_keys(np.arange(20_000))
    for weights in ("rademacher", "mammen"):
        V = keyed_multipliers(keys, biters=200, seed=9, weights=weights)
        assert abs(V.mean()) < 0.01 and abs(V.var() - 1) < 0.01
        # A unit's multipliers depend on (seed, id, draw) only: any subset, any order, fewer draws.
        sub = np.array([19_999, 5, 700])
        np.testing.assert_array_equal(keyed_multipliers(keys[sub], biters=70, seed=9, weights=weights), V[sub, :70])
        assert not np.array_equal(keyed_multipliers(keys, biters=200, seed=10, weights=weights), V)
    psi = np.random.default_rng(0).normal(size=(20_000, 3))
    whole = keyed_draw_sums(psi, keys, biters=50, seed=1)
    parts = keyed_draw_sums(psi[:7_000], keys[:7_000], biters=50, seed=1) + keyed_draw_sums(
        psi[7_000:], keys[7_000:], biters=50, seed=1)
    np.testing.assert_allclose(parts, whole, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(unit_keys(np.array([3, -1])), unit_keys(np.array([3.0, -1.0])))
    with pytest.raises(ValueError, match="seed"):
        keyed_multipliers(keys[:2], biters=3, seed=None)


def test_in_memory_unit_keyed_clusters_and_default_unchanged(mpdta):
    # The default draws (R-like stream) are untouched by the new option.
    a = att_gt(mpdta, *MPDTA, bstrap=True, biters=99, seed=5)
    b = att_gt(mpdta, *MPDTA, bstrap=True, biters=99, seed=5, boot_draws="rng")
    np.testing.assert_array_equal(a.table["std_error"], b.table["std_error"])
    # Clustered unit-keyed draws are keyed by cluster value, whatever the row order.
    d = mpdta.assign(state=mpdta["countyreal"] // 10)
    k1 = att_gt(d, *MPDTA, clustervars="state", bstrap=True, biters=99, seed=5, boot_draws="unit_keyed")
    k2 = att_gt(d.sample(frac=1, random_state=3), *MPDTA, clustervars="state", bstrap=True, biters=99, seed=5,
                boot_draws="unit_keyed")
    np.testing.assert_allclose(k1.table["std_error"], k2.table["std_error"], rtol=TOL)
    with pytest.raises(ValueError, match="boot_draws"):
        att_gt(mpdta, *MPDTA, boot_draws="keyed")


def test_duckdb_source_matches_frames(tmp_path, sims):
    d = sims[400]
    d.to_parquet(tmp_path / "panel.parquet")
    opts = dict(xformla="~x1", bstrap=True, biters=99, seed=3)
    cols = list(SIM) + ["x1"]
    ref = _quiet(streamed_att_gt, [d], *SIM, **opts)
    d.sample(frac=1, random_state=2).to_parquet(tmp_path / "shuffled.parquet")
    for n_chunks, split, order, name in ((1, "hash", True, "panel"), (4, "hash", True, "panel"),
                                         (3, "range", False, "panel"), (3, "range", False, "shuffled")):
        src = DuckDBChunks(str(tmp_path / f"{name}.parquet"), cols, "unit", "period", n_chunks=n_chunks,
                           memory_limit="1GB", threads=1, split=split, order=order)
        got = _quiet(streamed_att_gt, src, *SIM, **opts)
        for ty in TYPES:
            _close(ref.aggregate(ty).table["std_error"], got.aggregate(ty).table["std_error"], ty)
        _close(ref.table["estimate"], got.table["estimate"], "cells")
        assert got.extra["chunks"] == n_chunks


@pytest.mark.slow
def test_spark_source_matches_frames(sims):
    pytest.importorskip("pyspark", reason="PySpark is an optional extra (pip install .[spark])")
    try:
        spark = local_spark("local[2]", "streamed-test")
    except Exception as err:  # no Java runtime
        pytest.skip(f"Spark could not start: {err}")
    d = sims[400]
    opts = dict(bstrap=True, biters=99, seed=3)
    ref = _quiet(streamed_att_gt, [d], *SIM, **opts)
    src = SparkChunks(spark.createDataFrame(d[list(SIM)]), list(SIM), "unit", n_chunks=3)
    # On the executors (map_partitions), and pulled chunk by chunk to the driver (iteration).
    for source in (src, lambda: iter(src)):
        got = _quiet(streamed_att_gt, source, *SIM, **opts)
        for ty in TYPES:
            _close(ref.aggregate(ty).table["std_error"], got.aggregate(ty).table["std_error"], ty)
        _close(ref.table["estimate"], got.table["estimate"], "cells")


def test_data_problems_are_clear_errors(sims):
    d = sims[60][list(SIM) + ["x1"]]
    cases = [
        ([d.iloc[1:]], StreamError, "not balanced"),
        ([d.assign(y=d["y"].where(d.index != 5))], StreamError, "missing"),
        ([d.assign(x1=d["x1"] + d["period"])], StreamError, "time-invariant"),
        ([d, d.iloc[:8]], StreamError, "more than one chunk"),
        ([d.assign(cohort=np.where(d["cohort"] == 0, 7, d["cohort"]))], StreamError, "never-treated"),
        (iter([d]), TypeError, "one-shot"),
        ([d.assign(cohort=np.where(d["period"] == 3, 5, d["cohort"]))], StreamError, "varies within units"),
    ]
    for source, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            _quiet(streamed_att_gt, source, *SIM, xformla="~x1")
    with pytest.raises(NotImplementedError, match="est_method='dr' with covariates"):
        streamed_att_gt([d], *SIM, xformla="~x1", est_method="dr")
    with pytest.raises(NotImplementedError, match="plain column names"):
        streamed_att_gt([d], *SIM, xformla="~np.log(x1)")
    # Messages never show unit ids (they can be NIPs).
    secret = d.assign(unit=d["unit"] + 198_765_432)
    with pytest.raises(StreamError) as err:
        _quiet(streamed_att_gt, [secret.iloc[1:]], *SIM)
    assert "1987654" not in str(err.value)


def test_late_and_first_period_cohorts_follow_att_gt(sims):
    d = sims[400].copy()
    units = d["unit"].to_numpy()
    d.loc[units % 17 == 0, "cohort"] = 1  # treated in the first period: dropped
    d.loc[units % 19 == 0, "cohort"] = 40  # treated after the panel: never treated
    mem = _quiet(att_gt, d, *SIM, est_method="reg")
    got = _quiet(streamed_att_gt, frame_chunks(d, "unit", 3), *SIM)
    notes = " ".join(got.extra["data_notes"])
    assert "already treated in the first period" in notes and "treated as never treated" in notes
    assert got.n == mem.n
    _compare(mem, got, boot=False)
