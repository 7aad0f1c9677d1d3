"""Employee-level estimate (analysis.evaluation.asn) on the default synthetic Plaju.

The streamed estimator reading ``panel_asn_month`` through DuckDB chunks must equal the
in-memory ``att_gt``/``aggte`` on the same balanced employees to 1e-10 (clustered by office,
analytic and unit-keyed bootstrap), for any number of chunks; and it must recover the
generator's employee-level truth (``_truth/att_gt.parquet``, panel ``panel_asn_month``).
"""

from __future__ import annotations

import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

from analysis.did import aggte, att_gt
from analysis.did.streamed import streamed_att_gt
from analysis.engine import EngineConfig, spark_available
from analysis.evaluation.asn import (AGGREGATIONS, estimate_asn, headline_table, materialise_sample, sample_query,
                                     source, true_asn_effects)
from analysis.evaluation.estimate import Spec

TOL = 1e-10
ARGS = ("skp_good", "period", "asn_id", "first_treat")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from analysis.clean import clean_raw
    from analysis.panels import build_panels
    from analysis.synth import SynthConfig, generate

    root = tmp_path_factory.mktemp("asn")
    generate(root / "raw", SynthConfig())
    clean_raw(root / "raw", root / "interim")
    build_panels(root / "interim", root / "processed")
    return root


def _balanced(root) -> pd.DataFrame:
    path = (root / "processed" / "panel_asn_month.parquet").as_posix()
    return duckdb.sql(sample_query(f"read_parquet('{path}')", 3)).df()


def _close(a, b, what):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=what)
    ok = ~np.isnan(a)
    np.testing.assert_allclose(b[ok], a[ok], rtol=TOL, atol=TOL, err_msg=what)


@pytest.mark.parametrize("boot", [False, True])
def test_streamed_equals_in_memory_on_the_employee_panel(data, tmp_path, boot):
    d = _balanced(data)
    assert d.groupby("asn_id").size().eq(d["period"].nunique()).all()
    opts = dict(est_method="reg", clustervars="unit_id", bstrap=boot, biters=199, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mem = att_gt(d, *ARGS, boot_draws="unit_keyed", **opts)
        window = {"dynamic": {"min_e": -4, "max_e": 4}}  # the event study's window only, as the pipeline
        want = {a: aggte(mem, a, na_rm=True, **window.get(a, {})) for a in AGGREGATIONS}
        sample, counts = materialise_sample(data / "processed" / "panel_asn_month.parquet", 3, EngineConfig(),
                                            tmp_path)
        assert counts[1] == d["asn_id"].nunique()
        for n_chunks in (1, 3, 7):
            src = source(sample, EngineConfig(), n_chunks, tmp_path)
            got = streamed_att_gt(src, *ARGS, aggregations=AGGREGATIONS, aggregation_options=window, na_rm=True,
                                  bstrap_cells=False, **opts)
            assert got.extra["chunks"] == n_chunks and got.extra["n_clusters"] == d["unit_id"].nunique()
            _close(mem.table["estimate"], got.table["estimate"], "att(g,t)")
            if not boot:  # with the bootstrap, cells keep analytic SEs streamed (bstrap_cells=False)
                _close(mem.table["std_error"], got.table["std_error"], "att(g,t) se")
            for a in AGGREGATIONS:
                for col in ("estimate", "std_error"):
                    _close(want[a].table[col], got.aggregate(a).table[col], f"{a} {col}")


def test_recovers_the_employee_level_truth(data):
    est = estimate_asn(data / "processed", Spec(), n_chunks=3)
    asn = pd.read_parquet(data / "interim" / "asn.parquet")
    d = _balanced(data)
    assert est.employees_panel == len(asn) and est.employees == d["asn_id"].nunique() < len(asn)
    assert est.offices == d["unit_id"].nunique() == 34
    assert est.inference == "analytic" and "34 clusters" in est.inference_reason
    truth = true_asn_effects(data / "raw", est, max_e=12)
    table = headline_table(est, truth)
    assert list(table["type"]) == list(AGGREGATIONS)
    assert table["true_att"].between(0.03, 0.12).all()  # the generator's effect on a good SKP
    assert table["covers_truth"].all(), table
    assert ((table["estimate"] - table["true_att"]).abs() < 3 * table["std_error"]).all()
    # the few-cluster correction: SE x sqrt(G/(G-1)) over the streamed estimator's own SE
    raw = est.result.aggregate("simple").overall_se
    assert table.loc[0, "std_error"] == pytest.approx(raw * np.sqrt(34 / 33), rel=1e-12)
    # bootstrap by office: same estimates, finite SEs of the same size
    boot = headline_table(estimate_asn(data / "processed", Spec(inference="bootstrap", biters=199), n_chunks=2),
                          truth)
    _close(table["estimate"], boot["estimate"], "estimates do not depend on inference")
    assert (boot["std_error"] / table["std_error"]).between(0.6, 1.6).all()


def test_real_exports_have_no_truth_and_a_missing_panel_is_named(data, tmp_path):
    est = estimate_asn(data / "processed", Spec(inference="analytic"), n_chunks=1)
    assert true_asn_effects(tmp_path, est, 12).empty
    assert headline_table(est, true_asn_effects(tmp_path, est, 12))["covers_truth"].isna().all()
    with pytest.raises(FileNotFoundError, match="panel_asn_month.parquet is missing"):
        estimate_asn(tmp_path, Spec())
    # by month, appraisals with gaps leave too few complete employees: said with numbers and the way out
    with pytest.raises(ValueError, match=r"of 664 employees have 'skp_good' in every month .*try asn_period: quarter"):
        estimate_asn(data / "processed", Spec(), period="month")
    assert sorted(p.name for p in (data / "processed").iterdir() if p.name.startswith(".")) == [], "scratch left"


@pytest.mark.spark
@pytest.mark.skipif(bool(spark_available()), reason=f"Spark engine unavailable: {spark_available()}")
def test_spark_partitions_give_the_duckdb_estimate(data):
    spark = estimate_asn(data / "processed", Spec(inference="bootstrap", biters=99), n_chunks=4,
                         engine=EngineConfig("spark"))
    duck = estimate_asn(data / "processed", Spec(inference="bootstrap", biters=99), n_chunks=2)
    for a in AGGREGATIONS:
        _close(duck.aggregates[a].table["estimate"], spark.aggregates[a].table["estimate"], a)
        _close(duck.aggregates[a].table["std_error"], spark.aggregates[a].table["std_error"], a)
