"""Employee (ASN) x month panel ``panel_asn_month``, written by the query engine straight to Parquet.

Nationally this panel has about 155 million rows (4.3 million ASN x 36 months), so it never passes
through pandas: the engine (DuckDB by default, Spark for ``engine: spark``) runs one query over the
canonical Parquet files and writes its ordered result as Parquet parts, which
:func:`analysis.engine.output.finish_parquet` streams into one file with fixed row groups (equal
rows give equal bytes on either engine; memory is bounded by one row group). The estimator reads it
back in chunks of employees (:class:`analysis.did.stream_sources.DuckDBChunks`, ``SparkChunks``).

One row per employee and month of the window (the SKP months) from the month the employee joined
their unit (``active_from``): the unit is the roster's, ``first_treat`` its KPI adoption period
(0 = not adopted in the window, as in ``panel_unit_month``). ``skp_good`` is 1 when the month's
SKP predikat is Baik or Sangat Baik (:data:`analysis.schemas.GOOD_PREDIKAT`, as
:func:`analysis.measures.predikat_shares`), 0 otherwise, empty when the employee has no appraisal
that month. Only the cleaner's pseudonym ``asn_id`` identifies an employee: no NIP or name is read.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow

from analysis.engine import EngineConfig, connect
from analysis.engine.output import finish_parquet
from analysis.io import ROW_GROUP_ROWS, arrow_schema_of
from analysis.schemas import GOOD_PREDIKAT, column_spec as _col

NAME = "panel_asn_month"
#: canonical tables the panel reads (never ``skm``, ``tickets``: no identifiers beyond these are needed)
SOURCES = ("asn", "skp", "training", "adoption")
KEY = ["asn_id", "period"]

PANEL_ASN_MONTH = pa.DataFrameSchema({
    "asn_id": _col("str", "keyed pseudonym of the employee's NIP/NI (never the NIP)", source="asn"),
    "unit_id": _col("str", "the employee's unit (roster)", source="asn"),
    "period": _col("int64", "month index, 1 = window start", source="derived"),
    "month": _col("datetime64[ms]", "first day of the month", source="derived"),
    "first_treat": _col("int64", "period of the unit's KPI adoption, 0 = not adopted in window", source="adoption"),
    "skp_good": _col("float64", "1 if the month's SKP predikat is Baik or Sangat Baik, else 0; empty = no appraisal",
                     unit="0/1", nullable=True, source="skp"),
    "training_jp": _col("int64", "lesson hours of the courses the employee started in the month",
                        unit="JP (45 min)", source="training"),
}, name=NAME, ordered=True, strict=True, unique=KEY, metadata={"key": KEY},
    description="Employee x month panel (pseudonymised) from the month the employee joined the unit.")

#: months per period of the employee-level estimate (``asn_period``)
PERIODS = {"month": 1, "quarter": 3}


def period_query(source: str, months: int, yname: str = "skp_good") -> str:
    """The employee panel by periods of ``months`` months (one definition for both engines and the
    generator's truth): ``yname`` averaged over the appraised months of each period, ``first_treat`` the
    period holding the adoption month (0 = never)."""
    per = lambda c: f"cast(floor(({c} - 1) / {months}) as bigint) + 1"  # noqa: E731
    return f"""
    select asn_id, unit_id, period, first_treat, avg({yname}) as {yname} from (
      select asn_id, unit_id, {per('period')} as period,
             case when first_treat = 0 then 0 else {per('first_treat')} end as first_treat, {yname}
      from {source}
    ) m group by asn_id, unit_id, period, first_treat"""


_GOOD = ", ".join(f"'{p}'" for p in GOOD_PREDIKAT)


def _month_index(col: str, start: pd.Timestamp) -> str:
    return f"((year({col}) - {start.year}) * 12 + month({col}) - {start.month} + 1)"


def window(engine) -> tuple[pd.Timestamp, int]:
    """First SKP month and the number of months to the last (the window of every monthly panel)."""
    ((lo, hi),) = engine.rows("select min(month), max(month) from skp")
    if lo is None:
        raise ValueError("the skp table is empty: cannot infer the panel window")
    lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
    return lo, (hi.year - lo.year) * 12 + hi.month - lo.month + 1


def periods_table(start: pd.Timestamp, months: int) -> pyarrow.Table:
    """The window's months as a table (not a generator function: the SQL stays portable to Spark)."""
    month = pd.date_range(start, periods=months, freq="MS").astype("datetime64[ms]")
    return pyarrow.table({"period": pyarrow.array(range(1, months + 1), pyarrow.int64()),
                          "month": pyarrow.array(month)})


def asn_month_query(start: pd.Timestamp, months: int) -> str:
    """The panel's one definition (DuckDB dialect; Spark runs it transpiled), over views named like the
    canonical tables plus ``asn_periods`` (:func:`periods_table`)."""
    mi = lambda c: _month_index(c, start)  # noqa: E731
    return f"""
    with adopt as (
      select unit_id,
             case when adoption_month is null then 0
                  when {mi('adoption_month')} > {months} then 0
                  else greatest({mi('adoption_month')}, 1) end as first_treat
      from adoption
    ),
    sk as (
      select asn_id, {mi('month')} as period, cast((predikat in ({_GOOD})) as int) as good from skp
    ),
    tr as (
      select asn_id, {mi('start_date')} as period, sum(hours) as jp from training group by all
    )
    select a.asn_id, a.unit_id, p.period, p.month, cast(coalesce(ad.first_treat, 0) as bigint) as first_treat,
           cast(sk.good as double) as skp_good, cast(coalesce(tr.jp, 0) as bigint) as training_jp
    from asn a
    join asn_periods p on p.period >= {mi('a.active_from')}
    left join adopt ad on ad.unit_id = a.unit_id
    left join sk on sk.asn_id = a.asn_id and sk.period = p.period
    left join tr on tr.asn_id = a.asn_id and tr.period = p.period
    order by a.asn_id, p.period
    """


def _view_parquet(engine, name: str, path: Path) -> None:
    if engine.name == "spark":
        engine.spark.read.parquet(path.as_posix()).createOrReplaceTempView(name)
    else:
        engine.execute(f"create or replace view {name} as select * from read_parquet('{path.as_posix()}')")


def file_schema() -> pyarrow.Schema:
    """The panel file's Arrow types: those :func:`analysis.io.write_parquet` gives every other panel."""
    return arrow_schema_of({c: col.metadata["dtype"] for c, col in PANEL_ASN_MONTH.columns.items()})


def write_asn_month_panel(interim_dir: Path, processed_dir: Path, engine: EngineConfig | None = None) -> Path:
    """Write ``panel_asn_month.parquet`` into ``processed_dir`` from the canonical tables in ``interim_dir``.

    Runs on the engine of ``engine`` (DuckDB with its memory limit and a spill folder by default);
    a failure leaves no panel file behind.
    """
    cfg = engine or EngineConfig()
    if cfg.engine == "pandas":  # the panels' SQL has no pandas twin: DuckDB runs it (as in build_panels)
        cfg = EngineConfig("duckdb", memory_limit=cfg.memory_limit)
    interim_dir, processed_dir = Path(interim_dir), Path(processed_dir)
    paths = {n: interim_dir / f"{n}.parquet" for n in SOURCES}
    for path in paths.values():
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run cleaning first")
    processed_dir.mkdir(parents=True, exist_ok=True)
    dest = processed_dir / f"{NAME}.parquet"
    scratch = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=processed_dir))
    try:
        eng = connect(cfg, scratch)
        try:
            for name, path in paths.items():
                _view_parquet(eng, name, path)
            start, months = window(eng)
            eng.register("asn_periods", periods_table(start, months))
            parts = eng.write_parts(asn_month_query(start, months), scratch / "parts")
            tmp = finish_parquet(parts, scratch / dest.name, file_schema(), row_group=ROW_GROUP_ROWS)
        finally:
            eng.close()
        tmp.replace(dest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dest


def asn_month_frame(tables: dict[str, pd.DataFrame], temp_dir: Path | None = None) -> pd.DataFrame:
    """The same panel from canonical tables in memory (small data: the generator's truth, tests)."""
    from analysis.engine.duck import DuckDBEngine

    with tempfile.TemporaryDirectory(dir=temp_dir) as tmp:
        eng = DuckDBEngine(EngineConfig(), Path(tmp))
        try:
            for name in SOURCES:
                eng.register(name, pyarrow.Table.from_pandas(tables[name], preserve_index=False))
            start, months = window(eng)
            eng.register("asn_periods", periods_table(start, months))
            out = eng.arrow(asn_month_query(start, months)).to_pandas()
        finally:
            eng.close()
    return pd.DataFrame({c: out[c].astype(t.metadata["dtype"]) for c, t in PANEL_ASN_MONTH.columns.items()})


__all__ = ["NAME", "PANEL_ASN_MONTH", "PERIODS", "asn_month_frame", "asn_month_query", "period_query",
           "write_asn_month_panel"]
