"""The panels under a memory limit: DuckDB's ``memory_limit`` and spill folder hold for the panels' queries,
and a bounded limit still builds the panels of a 10x data set (README: Engines)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis import schemas
from analysis.clean import clean_raw
from analysis.engine import EngineConfig
from analysis.engine.output import finish_parquet
from analysis.io import ROW_GROUP_ROWS, arrow_schema_of, write_parquet
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


def test_parquet_bytes_do_not_depend_on_how_the_rows_arrive_in_chunks(tmp_path):
    # long unit names repeated by month: a row group's dictionary outgrows the writer's limit and falls back to
    # plain pages at a point that followed the input's chunks (the national unit-month panel had three different
    # bytes: from DuckDB's result, from the same rows read back from Parquet, and streamed by finish_parquet)
    n = 1_100_000
    table = pa.table({"unit_name": pa.array([f"Puskesmas Pembantu Kelurahan Nomor {i // 36:07d} Kecamatan"
                                             for i in range(n)], pa.large_string()),
                      "period": pa.array(np.arange(n) % 36 + 1, pa.int64())})
    want = write_parquet(table.to_pandas(), tmp_path / "one.parquet").read_bytes()
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=100_000))
    assert write_parquet(chunked.to_pandas(), tmp_path / "chunked.parquet").read_bytes() == want
    parts = []
    for i, (lo, hi) in enumerate([(0, 77_777), (77_777, 600_000), (600_000, n)]):  # an engine's parts
        pq.write_table(table.slice(lo, hi - lo), tmp_path / f"part{i}.parquet", row_group_size=122_880)
        parts.append(tmp_path / f"part{i}.parquet")
    streamed = finish_parquet(parts, tmp_path / "streamed.parquet", arrow_schema_of({"unit_name": "str", "period": "int64"}),
                              row_group=ROW_GROUP_ROWS)
    assert streamed.read_bytes() == want
