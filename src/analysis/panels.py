"""Analysis panels built from the canonical tables, ready for the DiD estimators.

The aggregation is SQL run by DuckDB over the interim Parquet files (or over
in-memory frames, which is how the generator computes its true effects on the
very same panel definition). DuckDB streams Parquet and spills to disk, so the
ticket and SKP aggregations scale past memory on one machine; the SQL is plain
enough to move to a cluster engine (Spark SQL, Trino) unchanged beyond that.

Indices: ``period`` 1..months counts months from the window start (the first
SKP month), ``week`` 1.. counts Sunday-Saturday epi weeks from the first
reported week, ``quarter`` 1.. counts calendar quarters from the window's first.
``first_treat`` is the index of the first period under KPI management (0 = not
adopted in the window).

Out of core (:func:`build_panels`): panels that grow with the raw rows (``skm_respondents``, one row per
survey response: hundreds of millions nationally; ``panel_asn_month``, one per employee and month: 155
million) never pass through pandas: :func:`compute_panels` gives their queries, on the one connection
and views of the other panels, and the engine writes their rows, in key order, as Parquet parts that
:func:`analysis.engine.output.finish_parquet` streams into the panel's file with the writer options, row
groups and Arrow types of :func:`analysis.io.write_parquet` (memory: one row group, 2**20 rows; the bytes
are those of the in-memory path), and the written file is validated in SQL against the same pandera
schema (:mod:`analysis.engine.checks`). Measures over the big tables
(ticket, SKP and SKM aggregates, IKM per unit-quarter) are SQL; what comes back to pandas has one row
per unit and period. DuckDB runs with the engine's ``memory_limit`` and spills to the run's scratch
folder. :func:`compute_panels` still returns every panel as a frame (the generator's truth, tests).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from analysis import measures
from analysis.engine import EngineConfig, connect, frame
from analysis.engine.checks import check_parquet
from analysis.engine.output import finish_parquet
from analysis.io import ROW_GROUP_ROWS, arrow_schema_of, write_parquet
from analysis.panels_asn import PANEL_ASN_MONTH
from analysis.uptake import PANEL_UPTAKE, UPTAKE_GRID, uptake_panel
from analysis.schemas import CANONICAL, GOOD_PREDIKAT, column_spec as _col

INDEX_COLS = ["unit_id", "unit_name", "unit_type", "opd", "kelurahan", "period", "month", "first_treat"]
OUTCOMES_MONTH = ["ikm", "wait_minutes", "service_minutes", "share_within_1h", "online_share", "skp_good_share",
                  "training_coverage", "assessment_score"]
COUNTS_MONTH = ["n_tickets", "n_skm", "n_asn"]
COVARIATES = ["baseline_staff", "distance_km"]


def _schema(name, cols, key, desc):
    return pa.DataFrameSchema(cols, name=name, ordered=True, strict=True, unique=key, description=desc,
                              metadata={"key": key})


_F = "float64"
PANEL_UNIT_MONTH = _schema("panel_unit_month", {
    "unit_id": _col("str", "stable unit code", source="units"),
    "unit_name": _col("str", "unit name", source="units"),
    "unit_type": _col("str", "kind of unit", vocabulary="unit_type", source="units"),
    "opd": _col("str", "parent office", source="units"),
    "kelurahan": _col("str", "kelurahan", source="units"),
    "period": _col("int64", "month index, 1 = window start", source="derived"),
    "month": _col("datetime64[ms]", "first day of the month", source="derived"),
    "first_treat": _col("int64", "period of KPI adoption, 0 = not adopted in window", source="adoption"),
    "adoption_month": _col("datetime64[ms]", "first month under KPI management (empty = never)", nullable=True,
                           source="adoption"),
    "ikm": _col(_F, "IKM of the month's SKM respondents (25-100)", unit="points", nullable=True, source="skm"),
    "wait_minutes": _col(_F, "mean minutes issued -> called", unit="minutes", nullable=True, source="tickets"),
    "service_minutes": _col(_F, "mean minutes served (or called) -> finished", unit="minutes", nullable=True,
                            source="tickets"),
    "share_within_1h": _col(_F, "share of priority tickets finished within 60 min of issue", unit="share",
                            nullable=True, source="tickets"),
    "online_share": _col(_F, "share of tickets booked online", unit="share", nullable=True, source="tickets"),
    "skp_good_share": _col(_F, "share of SKP appraisals Baik or Sangat Baik", unit="share", nullable=True,
                           source="skp"),
    "training_coverage": _col(_F, "share of active ASN with any training started by month end", unit="share",
                              nullable=True, source="asn, training"),
    "assessment_score": _col(_F, "school assessment score of the semester containing the month",
                             unit="points 0-100", nullable=True, source="schools"),
    "n_tickets": _col("int64", "tickets issued in the month", unit="tickets", source="tickets"),
    "n_skm": _col("int64", "SKM respondents in the month", unit="respondents", source="skm"),
    "n_asn": _col("int64", "ASN active at the unit in the month", unit="persons", source="asn"),
    "baseline_staff": _col("int64", "ASN active in period 1 (time-invariant covariate)", unit="persons",
                           source="asn"),
    "distance_km": _col(_F, "distance to the Kantor Camat (time-invariant covariate)", unit="km", source="units"),
}, ["unit_id", "period"], "Unit x month panel of every outcome (NaN where a unit type has no such outcome).")

PANEL_UNIT_WEEK_HEALTH = _schema("panel_unit_week_health", {
    "unit_id": _col("str", "stable unit code", source="units"),
    "unit_name": _col("str", "unit name", source="units"),
    "week": _col("int64", "epi-week index, 1 = first reported week", source="derived"),
    "week_start": _col("datetime64[ms]", "Sunday starting the epi week", source="health"),
    "first_treat": _col("int64", "first week starting on/after the adoption month, 0 = never", source="adoption"),
    "adoption_month": _col("datetime64[ms]", "first month under KPI management (empty = never)", nullable=True,
                           source="adoption"),
    "cases": _col("int64", "cases of all reported syndromes", unit="cases", source="health"),
    "population": _col("int64", "catchment population", unit="persons", source="health"),
    "incidence_per_10k": _col(_F, "cases per 10,000 population", unit="per 10,000", source="health"),
}, ["unit_id", "week"], "Puskesmas/pustu x epi-week panel of communicable-disease incidence.")

PANEL_SKM = _schema("skm_respondents", {
    "response_id": _col("str", "survey form id", source="skm"),
    "unit_id": _col("str", "stable unit code", source="skm"),
    "unit_type": _col("str", "kind of unit", vocabulary="unit_type", source="units"),
    "period": _col("int64", "month index of the response", source="derived"),
    "quarter": _col("int64", "quarter index, 1 = window's first quarter", source="derived"),
    "quarter_label": _col("str", "calendar quarter, e.g. 2023Q1", source="derived"),
    "first_treat": _col("int64", "period of KPI adoption, 0 = never", source="adoption"),
    "first_treat_quarter": _col("int64", "quarter of KPI adoption, 0 = never", source="adoption"),
    **{f"u{i}": _col("int64", f"element U{i} score", unit="1-4", source="skm") for i in range(1, 10)},
    "ikm_resp": _col(_F, "respondent's converted score: mean(U1-U9) x 25", unit="points", source="derived"),
    "survey_date": _col("datetime64[ms]", "date of the response", source="skm"),
    "age": _col("int64", "age", unit="years", source="skm"),
    "sex": _col("str", "sex", source="skm"),
    "education": _col("str", "education", source="skm"),
    "occupation": _col("str", "occupation", source="skm"),
    "service": _col("str", "service used", source="skm"),
}, ["response_id"], "SKM respondents as repeated cross-sections.")

PANEL_IKM_QUARTER = _schema("ikm_unit_quarter", {
    "unit_id": _col("str", "stable unit code", source="skm"),
    "quarter": _col("int64", "quarter index, 1 = window's first quarter", source="derived"),
    "quarter_label": _col("str", "calendar quarter", source="derived"),
    "first_treat_quarter": _col("int64", "quarter of KPI adoption, 0 = never", source="adoption"),
    "users_served": _col("Int64", "people served in the quarter (Krejcie-Morgan N)", nullable=True,
                         source="service_volume"),
    "n": _col("int64", "respondents", source="skm"),
    "required_n": _col("Int64", "Krejcie-Morgan sample size for N = users_served", nullable=True,
                       source="derived"),
    "meets_sample": _col("boolean", "n >= required_n", nullable=True, source="derived"),
    **{f"nrr_u{i}": _col(_F, f"NRR of U{i} (mean score)", unit="1-4", source="derived") for i in range(1, 10)},
    "ikm": _col(_F, "IKM = sum(NRR)/9 x 25", unit="points 25-100", source="derived"),
    "mutu": _col("str", "mutu pelayanan", allowed=("A", "B", "C", "D"), source="derived"),
    "kinerja": _col("str", "kinerja unit pelayanan", source="derived"),
}, ["unit_id", "quarter"], "IKM per unit and quarter (PermenPANRB 14/2017) with sample adequacy.")

PANEL_SCHEMAS = {s.name: s for s in (PANEL_UNIT_MONTH, PANEL_UPTAKE, PANEL_UNIT_WEEK_HEALTH, PANEL_SKM,
                                     PANEL_IKM_QUARTER, PANEL_ASN_MONTH)}

_GOOD = ", ".join(f"'{p}'" for p in GOOD_PREDIKAT)


def _window(con: duckdb.DuckDBPyConnection) -> tuple[pd.Timestamp, int]:
    lo, hi = con.execute("select min(month), max(month) from skp").fetchall()[0]
    if lo is None:
        raise ValueError("the skp table is empty: cannot infer the panel window")
    lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
    return lo, (hi.year - lo.year) * 12 + hi.month - lo.month + 1


def _conform(df: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """The schema's columns and dtypes, in key order. Copies only what changes (copy-on-write): a national
    unit-month panel is 4.3 M rows, and two whole copies beside the engine's result took the panels past
    6 GB."""
    out = df.astype({c: col.metadata["dtype"] for c, col in schema.columns.items()})[list(schema.columns)]
    key = schema.metadata["key"]
    if not pd.MultiIndex.from_frame(out[key]).is_monotonic_increasing:  # the queries order by key already
        out = out.sort_values(key, kind="mergesort")
    return out.reset_index(drop=True)


def _month_index(col: str, start: pd.Timestamp) -> str:
    return f"((year({col}) - {start.year}) * 12 + month({col}) - {start.month} + 1)"


def _periods(start: pd.Timestamp, months: int) -> pd.DataFrame:
    """The window's months as a table, not a generator function: the SQL stays portable to Spark."""
    return pd.DataFrame({"period": range(1, months + 1),
                         "month": pd.date_range(start, periods=months, freq="MS").astype("datetime64[ms]")})


def _quarter_index(col: str, start: pd.Timestamp) -> str:
    q0 = start.year * 4 + (start.month - 1) // 3
    return f"(year({col}) * 4 + (month({col}) - 1) // 3 - {q0} + 1)"


def _first_treat(col: str, start: pd.Timestamp, months: int, index=_month_index) -> str:
    """The period (by ``index``) of the adoption month in ``col``: 0 when none or after the window, 1 when
    before it (every panel's ``first_treat``)."""
    return (f"case when {col} is null or {_month_index(col, start)} > {months} then 0 "
            f"else greatest({index(col, start)}, 1) end")


def unit_month_panel(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Unit x month panel from views/tables named like the canonical tables on ``con``."""
    start, months = _window(con)
    mi = lambda c: _month_index(c, start)  # noqa: E731
    con.register("panel_periods", _periods(start, months))
    sql = f"""
    with grid as (
      select u.*, p.period, p.month
      from units u cross join panel_periods p
    ),
    adopt as (
      select unit_id, adoption_month, {_first_treat('adoption_month', start, months)} as first_treat
      from adoption
    ),
    tk as (
      select unit_id, {mi('issued_at')} as period, count(*) as n_tickets,
             avg(date_diff('millisecond', issued_at, called_at)) / 60000.0 as wait_minutes,
             avg(date_diff('millisecond', coalesce(served_at, called_at), finished_at)) / 60000.0 as service_minutes,
             avg(case when priority then
                   (date_diff('millisecond', issued_at, finished_at) / 60000.0 <= {measures.PRIORITY_TARGET_MINUTES})::int
                 end) as share_within_1h,
             avg((channel = 'online')::int) as online_share
      from tickets group by all
    ),
    sk as (
      select unit_id, {mi('month')} as period, avg((predikat in ({_GOOD}))::int) as skp_good_share
      from skp group by all
    ),
    sm as (
      select unit_id, {mi('survey_date')} as period, count(*) as n_skm,
             ({' + '.join(f'avg(u{i})' for i in range(1, 10))}) / 9.0 * 25.0 as ikm
      from skm group by all
    ),
    staff as (
      select g.unit_id, g.period, count(a.asn_id) as n_asn,
             count(t.asn_id) as n_trained
      from grid g
      left join asn a on a.unit_id = g.unit_id and a.active_from <= g.month
      left join (select asn_id, min(start_date) as first_training from training group by asn_id) t
        on t.asn_id = a.asn_id and t.first_training < g.month + interval 1 month
      group by all
    ),
    sc as (
      select g.unit_id, g.period, s.assessment_score
      from grid g join schools s
        on s.unit_id = g.unit_id and g.month >= s.semester_start and g.month < s.semester_start + interval 6 month
    )
    select g.unit_id, g.unit_name, g.unit_type, g.opd, g.kelurahan, g.period, g.month,
           coalesce(a.first_treat, 0) as first_treat, a.adoption_month,
           sm.ikm, tk.wait_minutes, tk.service_minutes, tk.share_within_1h, tk.online_share,
           sk.skp_good_share,
           case when st.n_asn > 0 then st.n_trained / st.n_asn end as training_coverage,
           sc.assessment_score,
           coalesce(tk.n_tickets, 0) as n_tickets, coalesce(sm.n_skm, 0) as n_skm, st.n_asn,
           first(st.n_asn) over (partition by g.unit_id order by g.period) as baseline_staff,
           g.distance_km
    from grid g
    left join adopt a using (unit_id)
    left join tk on tk.unit_id = g.unit_id and tk.period = g.period
    left join sk on sk.unit_id = g.unit_id and sk.period = g.period
    left join sm on sm.unit_id = g.unit_id and sm.period = g.period
    left join staff st on st.unit_id = g.unit_id and st.period = g.period
    left join sc on sc.unit_id = g.unit_id and sc.period = g.period
    order by g.unit_id, g.period
    """
    df = frame(con, sql)
    con.unregister("panel_periods")
    # tickets outside ticketing units and months without tickets: outcome undefined, not zero
    return _conform(df, PANEL_UNIT_MONTH)


def unit_week_health_panel(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    (w0,) = con.execute("select min(week_start) from health").fetchall()[0]
    w0 = pd.Timestamp(w0)
    sql = f"""
    with h as (
      select unit_id, week_start, (date_diff('day', timestamp '{w0}', week_start) // 7) + 1 as week,
             sum(cases) as cases, max(population) as population
      from health group by all
    ),
    adopt as (
      select unit_id, adoption_month from adoption
    ),
    ft as (
      select h.unit_id, coalesce(min(case when a.adoption_month is not null and h.week_start >= a.adoption_month
                                          then h.week end), 0) as first_treat
      from h left join adopt a using (unit_id) group by h.unit_id
    )
    select h.unit_id, u.unit_name, h.week, h.week_start, ft.first_treat, a.adoption_month, h.cases, h.population,
           h.cases / h.population * 10000.0 as incidence_per_10k
    from h join units u using (unit_id) join ft using (unit_id) left join adopt a using (unit_id)
    order by h.unit_id, h.week
    """
    return _conform(frame(con, sql), PANEL_UNIT_WEEK_HEALTH)


def skm_respondents(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _conform(frame(con, skm_respondents_sql(con)), PANEL_SKM)


def skm_respondents_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The respondents' rows (unordered) as one query on the canonical views of ``con``."""
    start, months = _window(con)
    qi = _quarter_index("survey_date", start)
    sql = f"""
    select s.response_id, s.unit_id, u.unit_type, {_month_index('survey_date', start)} as period, {qi} as quarter,
           year(survey_date) || 'Q' || quarter(survey_date) as quarter_label,
           {_first_treat('a.adoption_month', start, months)} as first_treat,
           {_first_treat('a.adoption_month', start, months, _quarter_index)} as first_treat_quarter,
           {', '.join(f's.u{i}' for i in range(1, 10))},
           cast({' + '.join(f's.u{i}' for i in range(1, 10))} as double) / 9 * 25 as ikm_resp,
           s.survey_date, s.age, s.sex, s.education, s.occupation, s.service
    from skm s join units u using (unit_id) left join adoption a using (unit_id)
    """
    return sql


def ikm_unit_quarter(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """IKM per unit and quarter: the engine sums each element's scores per unit-quarter (exact integers,
    so any engine gives the same numbers) and the measures' rules (:func:`measures.ikm_from_means`) take
    the one row per unit-quarter that comes back."""
    el = measures.ELEMENTS
    sql = f"""
    with r as ({skm_respondents_sql(con)}),
    g as (
      select unit_id, quarter, min(quarter_label) as quarter_label, min(first_treat_quarter) as first_treat_quarter,
             count(*) as n, {', '.join(f'sum({e}) as s_{e}' for e in el)}
      from r group by unit_id, quarter
    )
    select g.*, v.users_served
    from g left join service_volume v on v.unit_id = g.unit_id and v.quarter = g.quarter_label
    """
    tab = frame(con, sql).set_index(["unit_id", "quarter"])
    n = tab["n"].astype("int64")
    means = pd.DataFrame({"n": n, **{f"nrr_{e}": tab[f"s_{e}"].astype("float64") / n for e in el}})
    out = measures.ikm_from_means(means, population=tab["users_served"].dropna().astype("float64"))
    out = out.join(tab[["quarter_label", "first_treat_quarter"]]).reset_index()
    out["users_served"] = pd.array(tab["users_served"].to_numpy(), dtype="Float64").astype("Int64")
    return _conform(out, PANEL_IKM_QUARTER)


def asn_month_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The employee-month rows (unordered) as one query on the canonical views of ``con`` and the window's
    months, registered as ``asn_periods`` for the connection's life (the engine may run the query later)."""
    start, months = _window(con)
    con.register("asn_periods", _periods(start, months))
    mi = lambda c: _month_index(c, start)  # noqa: E731
    return f"""
    with adopt as (
      select unit_id, {_first_treat('adoption_month', start, months)} as first_treat from adoption
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
    """


def asn_month_panel(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``panel_asn_month`` as a frame (small data: the generator's truth, tests)."""
    return _conform(frame(con, asn_month_sql(con)), PANEL_ASN_MONTH)


def connect_frames(tables: dict[str, pd.DataFrame]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, df in tables.items():
        con.register(name, df)
    return con


def _canonical_paths(interim_dir: Path) -> dict[str, Path]:
    paths = {}
    for name in CANONICAL:
        path = Path(interim_dir) / f"{name}.parquet"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run cleaning first")
        paths[name] = path
    return paths


def open_interim(interim_dir: Path, engine: EngineConfig, temp_dir: Path):
    """(engine adapter, connection) with a view per canonical table. DuckDB (``pandas`` means DuckDB here)
    gets the engine's memory limit and spills under ``temp_dir``; ``spark`` runs the same SQL transpiled.
    The adapter writes ordered query results as Parquet parts (:meth:`write_parts`)."""
    paths = _canonical_paths(interim_dir)
    if engine.engine == "spark":
        from analysis.engine.spark import SparkConnection

        eng = connect(engine, temp_dir)
        con = SparkConnection(eng)
        for name, path in paths.items():
            con.view_parquet(name, path)
        return eng, con
    eng = connect(replace(engine, engine="duckdb"), temp_dir)
    # every panel query orders its rows by key (or _conform sorts them), so DuckDB need not keep insertion
    # order, which costs memory in the big sorts and joins (the national employee panel ran out there)
    eng.execute("set preserve_insertion_order = false")
    for name, path in paths.items():
        eng.execute(f"create view {name} as select * from read_parquet('{path.as_posix()}')")
    return eng, eng.con


def connect_interim(interim_dir: Path, engine: EngineConfig | None = None, temp_dir: Path | None = None):
    """A connection with a view per canonical table: in-memory DuckDB, or with ``engine`` and ``temp_dir``
    the engine's (:func:`open_interim`: memory limit and spill directory, or Spark)."""
    if engine is not None and temp_dir is not None:
        return open_interim(interim_dir, engine, temp_dir)[1]
    con = duckdb.connect()
    for name, path in _canonical_paths(interim_dir).items():
        con.execute(f"create view {name} as select * from read_parquet('{path.as_posix()}')")
    return con


def iter_panels(con: duckdb.DuckDBPyConnection, stream: bool = False) -> Iterator[tuple[str, pd.DataFrame | str]]:
    """Each panel in turn, as (name, frame); with ``stream``, a panel that grows with the raw rows
    (``skm_respondents``, ``panel_asn_month``) comes as the query of its rows instead, for the engine to
    write out of core (:func:`build_panels`). A panel is made only when the previous one is taken, so a
    consumer that writes and drops each holds one unit-level frame at a time (the national unit-month panel
    is 4.3 M rows: beside the engine's next query it took the panels step past 6 GB)."""
    month = unit_month_panel(con)
    grid = month[UPTAKE_GRID].copy()  # a copy: a column subset would keep the whole panel's blocks alive
    yield "panel_unit_month", month
    del month
    yield "panel_unit_month_uptake", uptake_panel(con, grid)
    del grid
    yield "panel_unit_week_health", unit_week_health_panel(con)
    yield "skm_respondents", skm_respondents_sql(con) if stream else skm_respondents(con)
    yield "ikm_unit_quarter", ikm_unit_quarter(con)
    yield "panel_asn_month", asn_month_sql(con) if stream else asn_month_panel(con)


def compute_panels(con: duckdb.DuckDBPyConnection, stream: bool = False) -> dict[str, pd.DataFrame | str]:
    """Every panel (:func:`iter_panels`) at once: the generator's truth, tests."""
    return dict(iter_panels(con, stream))


def panel_arrow_schema(name: str):
    """The Arrow types of a panel's file: those :func:`analysis.io.write_parquet` gives its frame."""
    return arrow_schema_of({c: col.metadata["dtype"] for c, col in PANEL_SCHEMAS[name].columns.items()})


def _stream(eng, checker, query: str, name: str, dest: Path, scratch: Path) -> Path:
    """Write a streamed panel's rows in key order to ``dest`` and validate the file in SQL."""
    schema = PANEL_SCHEMAS[name]
    order = ", ".join(schema.metadata["key"])
    parts = eng.write_parts(f"select * from ({query}) order by {order}", scratch / "parts" / name)
    try:
        finish_parquet(parts, dest, panel_arrow_schema(name), row_group=ROW_GROUP_ROWS)
    finally:
        shutil.rmtree(scratch / "parts" / name, ignore_errors=True)
    check_parquet(checker, dest, schema, panel_arrow_schema(name))
    return dest


def build_panels(interim_dir: Path, processed_dir: Path, engine: EngineConfig | str | None = None) -> dict[str, Path]:
    """Write the analysis panels as Parquet into ``processed_dir``; return their paths.

    ``engine``: where the SQL runs (``duckdb``, the default, or ``spark``; ``pandas`` means DuckDB here,
    the panels' SQL having no pandas twin). Every panel is written and validated in a scratch folder
    first, so a failure leaves ``processed_dir`` as it was.
    """
    processed_dir = Path(processed_dir)
    processed_dir.mkdir(parents=True, exist_ok=True)
    cfg = engine if isinstance(engine, EngineConfig) else EngineConfig(engine or "duckdb")
    scratch = Path(tempfile.mkdtemp(prefix=f".{processed_dir.name}-engine-", dir=processed_dir.parent))
    staged = {}
    try:
        eng, con = open_interim(Path(interim_dir), cfg, scratch / "engine")
        checker = eng if eng.name == "duckdb" else connect(replace(cfg, engine="duckdb"), scratch / "checks")
        try:
            for name, panel in iter_panels(con, stream=True):
                dest = scratch / f"{name}.parquet"
                if isinstance(panel, str):
                    staged[name] = _stream(eng, checker.con, panel, name, dest, scratch)
                else:
                    PANEL_SCHEMAS[name].validate(panel, lazy=True)  # one row per unit-period, declared values
                    staged[name] = write_parquet(panel, dest)
                del panel  # before the next panel's query runs
        finally:
            con.close()
            if checker is not eng:
                checker.close()
        out = {}
        for name, path in staged.items():
            os.replace(path, processed_dir / path.name)
            out[name] = processed_dir / path.name
        return out
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


__all__ = ["asn_month_panel", "build_panels", "compute_panels", "connect_frames", "connect_interim", "iter_panels",
           "open_interim", "PANEL_SCHEMAS", "OUTCOMES_MONTH"]
