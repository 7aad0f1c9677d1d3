"""The data layer on engines: DuckDB (default suite) and Spark (marked ``spark``) give the pandas path's
clean tables, rejects and row accounting, row for row (README: Engines)."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from analysis.clean import DataInputError, clean_raw
from analysis.clean.on_engine import scannable
from analysis.config import ParameterError, load_params
from analysis.engine import EngineConfig, spark_available
from analysis.panels import build_panels
from analysis.synth import SynthConfig, generate

from engines_kit import assert_same_outputs, bulk_copy, digests

pytestmark = pytest.mark.xdist_group("engines")  # one worker: the generated data and cleans are shared
KEY = b"engine-test-key"
SPARK = pytest.mark.skipif(bool(spark_available()), reason=f"Spark engine unavailable: {spark_available()}")


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("engines") / "raw", SynthConfig())


@pytest.fixture(scope="module")
def pandas_out(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("engines") / "pandas"
    clean_raw(raw, out, engine="pandas")
    return out


@pytest.fixture(scope="module")
def duckdb_out(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("engines") / "duckdb"
    report = clean_raw(raw, out, engine=EngineConfig("duckdb", memory_limit="256MB"))
    return out, report


def test_duckdb_cleans_like_pandas(pandas_out, duckdb_out):
    out, report = duckdb_out
    assert_same_outputs(pandas_out, out)
    assert report.balanced()
    q = report.quality.set_index("table")
    assert (q.loc[["tickets", "skp", "skm"], "rows_raw"] > 0).all()


def test_pandas_path_merges_its_parts_under_the_runs_memory_limit(raw, pandas_out, tmp_path, monkeypatch):
    """The pandas path's parts (every big table nationally) are merged by DuckDB under ``memory_limit``,
    spilling in the run's scratch folder; an unbounded connection took the national merge past 16 GB.
    A limit small enough to spill gives the same files, byte for byte."""
    from analysis.clean import run

    seen, real = [], run.connect

    def spy(cfg, temp_dir):
        eng = real(cfg, temp_dir)
        seen.append((cfg.engine, eng.con.execute("select current_setting('memory_limit')").fetchone()[0], temp_dir))
        return eng

    monkeypatch.setattr(run, "connect", spy)
    out = tmp_path / "small"
    clean_raw(raw, out, engine=EngineConfig("pandas", memory_limit="64MB"))
    probe = duckdb.connect()
    probe.execute("set memory_limit = '64MB'")
    assert [(e, lim) for e, lim, _ in seen] == [("duckdb", probe.execute("select current_setting('memory_limit')").fetchone()[0])]
    assert seen[0][2].parent.parent == out.parent and not seen[0][2].exists()  # scratch beside the output, removed
    for table in ("tickets", "skp", "skm", "asn"):
        assert (out / f"{table}.parquet").read_bytes() == (pandas_out / f"{table}.parquet").read_bytes(), table


def test_messy_files_take_the_pandas_reader_and_clean_files_are_scanned(raw):
    kinds = {p.relative_to(raw).as_posix(): scannable(p) is not None
             for p in sorted(raw.rglob("*.csv")) if p.parts[-2] in ("antrian", "ekinerja", "skm")}
    assert sum(kinds.values()) > len(kinds) // 2, "most exports are plain UTF-8 and scanned by the engine"
    assert not all(kinds.values()), "the default data has a Windows-1252 or stray-CR export (pandas reader)"


def test_bulk_gzip_partitions_clean_alike_on_both_paths(raw, tmp_path):
    bulk = bulk_copy(raw, tmp_path / "bulk")
    assert sorted(bulk.glob("antrian/*.csv.gz")) and not sorted(bulk.glob("antrian/*.csv"))
    a = clean_raw(bulk, tmp_path / "p", key=KEY, engine="pandas")
    b = clean_raw(bulk, tmp_path / "d", key=KEY, engine="duckdb")
    assert_same_outputs(tmp_path / "p", tmp_path / "d")
    assert b.balanced() and a.balanced()
    files = set(b.quality.loc[b.quality["status"] == "cleaned", "file"])
    assert any(f.endswith(".csv.gz") and f.startswith("ekinerja/skp_16.71_") for f in files)


def test_wrong_column_stops_with_the_pandas_message_and_writes_nothing(raw, tmp_path):
    bad = tmp_path / "raw"
    shutil.copytree(raw, bad, ignore=shutil.ignore_patterns("SYNTHETIC.json", "_truth"))
    victim = sorted((bad / "antrian").glob("*.csv"))[0]
    lines = victim.read_text(encoding="utf-8-sig").splitlines()
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    rows = [line.split(sep) for line in lines]
    for r in rows[1:]:
        r[2] = "kemarin"  # the date column holds words: the wrong column, not a few bad rows
    victim.write_text("\n".join(sep.join(r) for r in rows) + "\n", encoding="utf-8")
    interim = tmp_path / "interim"
    interim.mkdir()
    (interim / "keep.txt").write_text("untouched")
    errors = {}
    for engine in ("pandas", "duckdb"):
        with pytest.raises(DataInputError) as exc:
            clean_raw(bad, interim, key=KEY, engine=engine)
        errors[engine] = str(exc.value)
    assert errors["pandas"] == errors["duckdb"]
    assert victim.relative_to(bad).as_posix() in errors["duckdb"]
    assert sorted(p.name for p in interim.iterdir()) == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".interim-")], "no scratch left behind"


def test_duckdb_panels_equal_the_default_path(duckdb_out, tmp_path):
    out, _ = duckdb_out
    build_panels(out, tmp_path / "a")  # default engine
    build_panels(out, tmp_path / "b", engine=EngineConfig("duckdb", memory_limit="128MB"))
    for p in sorted((tmp_path / "a").glob("*.parquet")):
        pd.testing.assert_frame_equal(pd.read_parquet(p), pd.read_parquet(tmp_path / "b" / p.name), obj=p.name)


def test_engine_parameters_are_validated():
    p = load_params(overrides={"engine": "spark", "spark_master": "spark://host:7077",
                               "spark_conf": {"spark.executor.memory": "8g", "spark.executor.cores": 2}})
    assert p.spark_conf == {"spark.executor.memory": "8g", "spark.executor.cores": "2"}
    assert load_params().engine == "duckdb" and load_params().memory_limit == "4GB"
    for bad, words in (({"engine": "polars"}, "'duckdb', 'spark', 'pandas'"), ({"memory_limit": "lots"}, "4GB"),
                       ({"spark_master": "http://x"}, "spark://host:port"),
                       ({"spark_conf": {"executor.memory": "8g"}}, "start with 'spark.'")):
        with pytest.raises(ParameterError) as exc:
            load_params(overrides=bad)
        assert words in str(exc.value)


@pytest.mark.spark
@SPARK
def test_spark_cleans_and_builds_panels_like_duckdb(raw, duckdb_out, tmp_path, monkeypatch):
    import analysis.panels

    out, _ = duckdb_out
    cfg = EngineConfig("spark", memory_limit="1GB", spark_master="local[2]")
    report = clean_raw(raw, tmp_path / "spark", engine=cfg)
    assert report.balanced()
    assert digests(tmp_path / "spark") == digests(out)
    assert_same_outputs(out, tmp_path / "spark")
    build_panels(out, tmp_path / "pd")
    monkeypatch.setattr(analysis.panels, "ASN_CHUNK_ROWS", 12 * 200)  # Spark: the panels in ranges of keys
    monkeypatch.setattr(analysis.panels, "UNIT_CHUNK_ROWS", 12 * 10)
    monkeypatch.setattr(analysis.panels, "SKM_CHUNK_ROWS", 2000)
    con = analysis.panels.connect_interim(out)
    assert min(len(analysis.panels.asn_ranges(con)), len(analysis.panels.unit_ranges(con)),
               len(analysis.panels.skm_ranges(con))) > 3
    build_panels(tmp_path / "spark", tmp_path / "ps", engine=cfg)
    for p in sorted((tmp_path / "pd").glob("*.parquet")):  # integer sums, not engine float aggregates: same bytes
        assert p.read_bytes() == (tmp_path / "ps" / p.name).read_bytes(), p.name


def test_a_row_the_engine_cannot_parse_gets_the_pandas_readers_message(raw, tmp_path):
    bad = tmp_path / "raw"
    shutil.copytree(raw, bad, ignore=shutil.ignore_patterns("SYNTHETIC.json", "_truth"))
    victim = sorted((bad / "skm").glob("skm_*.csv"))[3]
    text = victim.read_bytes()
    assert scannable(victim) is not None, "pick a file the engine scans"
    first = text.split(b"\n", 1)[0]
    sep = b";" if first.count(b";") > first.count(b",") else b","
    victim.write_bytes(text.rstrip(b"\r\n") + b"\n" + sep.join([b"x"] * (first.count(sep) + 3)) + b"\n")
    errors = {}
    for engine in ("pandas", "duckdb"):
        with pytest.raises(DataInputError) as exc:
            clean_raw(bad, tmp_path / engine, key=KEY, engine=engine)
        errors[engine] = str(exc.value)
    assert errors["pandas"] == errors["duckdb"] and victim.name in errors["duckdb"]


def test_run_with_spark_but_no_pyspark_stops_before_anything_runs(monkeypatch, tmp_path):
    import analysis.engine as E
    from analysis.runner import RunError, run

    monkeypatch.setattr(E, "spark_available", lambda: "PySpark is not installed (pip install '.[spark]')")
    with pytest.raises(RunError, match="engine 'spark' cannot start: PySpark is not installed"):
        run(load_params(overrides={"engine": "spark"}), runs_dir=tmp_path / "runs", render=False,
            say=lambda _: None)
    assert not (tmp_path / "runs").exists()
