"""The panels under a memory limit: DuckDB's ``memory_limit`` and spill folder hold for the panels' queries,
and a bounded limit still builds the panels of a 10x data set (README: Engines)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import schemas
from analysis.clean import clean_raw
from analysis.engine import EngineConfig
from analysis.io import write_parquet
from analysis.panels import build_panels, compute_panels, connect_interim, open_interim
from analysis.synth import SynthConfig, generate


def test_the_engines_memory_limit_and_spill_folder_hold_for_the_panels(tmp_path):
    interim = tmp_path / "interim"
    interim.mkdir()
    for name, sch in schemas.CANONICAL.items():  # empty canonical tables: the views need files, not rows
        write_parquet(schemas.conform(pd.DataFrame({c: pd.Series([], dtype=t) for c, t in
                                                    schemas.dtypes(sch).items()}), sch), interim / f"{name}.parquet")
    eng, con = open_interim(interim, EngineConfig("pandas", memory_limit="200MB"), tmp_path / "scratch")
    try:
        ref = __import__("duckdb").connect()
        ref.execute("set memory_limit = '200MB'")
        assert con.execute("select current_setting('memory_limit')").fetchone() == \
            ref.execute("select current_setting('memory_limit')").fetchone()
        spill = con.execute("select current_setting('temp_directory')").fetchone()[0]
        assert spill.startswith(str(tmp_path / "scratch")), spill
        assert con.execute("select count(*) from skm").fetchone() == (0,)
    finally:
        eng.close()


@pytest.mark.slow
def test_a_200mb_limit_builds_the_panels_of_a_10x_data_set(tmp_path):
    # 10x tickets and 10x SKM samples (the streamed panel grows with them), a year to keep the test short
    raw = generate(tmp_path / "raw", SynthConfig(scale=10, skm_sample_scale=10, months=12))
    clean_raw(raw, tmp_path / "interim", engine=EngineConfig("duckdb", memory_limit="200MB"))
    got = build_panels(tmp_path / "interim", tmp_path / "processed", engine=EngineConfig("duckdb", memory_limit="200MB"))
    frames = compute_panels(connect_interim(tmp_path / "interim"))
    assert len(frames["skm_respondents"]) > 150_000, "more respondents than DuckDB's row groups (122,880)"
    assert list(got) == list(frames)  # panel_asn_month too: built under the limit, its frame from the same query
    for name, path in got.items():  # the in-memory path's bytes, also past one row group of the engine's parts
        assert path.read_bytes() == write_parquet(frames[name], tmp_path / f"{name}.parquet").read_bytes(), name
