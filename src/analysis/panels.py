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

Out of core (:func:`build_panels`): panels that grow with the units or the raw rows (the unit-month and
uptake panels, 4.3 M rows nationally; ``skm_respondents``, one row per survey response: hundreds of millions;
``panel_asn_month``, one per employee and month: 155 million) never pass through pandas: :func:`iter_panels`
gives their queries, on the one connection, and the engine writes their rows, in key order, as Parquet parts
that :func:`analysis.engine.output.finish_parquet` streams into the panel's file with the writer options, row
groups and Arrow types of :func:`analysis.io.write_parquet` (memory: one row group, 2**20 rows; the bytes
are those of the in-memory path), and the written file is validated in SQL against the same pandera
schema (:mod:`analysis.engine.checks`). The unit-month, uptake and employee panels are one query per range
of their key (:func:`unit_ranges`, :data:`UNIT_CHUNK_ROWS`; :func:`asn_ranges`, :data:`ASN_CHUNK_ROWS`):
tickets and SKM are sorted by unit and SKP by employee, so a range reads its own row groups, and its
aggregates, joins and sort fit in memory instead of spilling (the national employee panel, one 147 M-row
join, ran out of memory). Big tables are
aggregated before they meet a grid (tickets, SKP and SKM per unit and month; staff per unit and starting
month). What comes back to pandas has one row per unit and week or quarter. DuckDB runs with the engine's
``memory_limit`` and spills to the run's scratch folder. :func:`compute_panels` still returns every panel
as a frame (the generator's truth, tests).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from analysis import measures
from analysis.engine import EngineConfig, connect, frame, sql_literal
from analysis.engine.checks import check_parquet
from analysis.engine.output import finish_parquet
from analysis.io import ROW_GROUP_ROWS, arrow_schema_of, write_parquet
from analysis.panels_asn import PANEL_ASN_MONTH
from analysis.uptake import PANEL_UPTAKE, uptake_sql
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


def _register_periods(con: duckdb.DuckDBPyConnection) -> tuple[pd.Timestamp, int]:
    """The window (start, months), its months registered as ``panel_periods`` for the connection's life (the
    engine may run a panel's query later)."""
    start, months = _window(con)
    con.register("panel_periods", _periods(start, months))
    return start, months


Range = tuple[str | None, str | None]  # (low inclusive, high exclusive) of a key; None = open
ALL: Range = (None, None)


def _in_range(col: str, ids: Range) -> str:
    """SQL true when ``col`` lies in ``ids`` (``true`` for the open range)."""
    lo, hi = ids
    conds = ([f"{col} >= {sql_literal(lo)}"] if lo is not None else []) + ([f"{col} < {sql_literal(hi)}"] if hi is not None else [])
    return " and ".join(conds) or "true"


def _key_ranges(con: duckdb.DuckDBPyConnection, table: str, key: str, rows: int) -> list[Range]:
    """Consecutive ranges of ``table``'s ``key`` holding ``rows`` keys each (the last one fewer); one open
    range when the table is smaller."""
    (n,) = con.execute(f"select count(*) from {table}").fetchall()[0]
    if n <= rows:
        return [ALL]
    cuts = [r[0] for r in con.execute(f"""select {key} from (select {key}, row_number() over (order by {key}) as rn
        from {table}) r where rn % {rows} = 1 and rn > 1 order by {key}""").fetchall()]
    return _between(cuts)


def _between(cuts: Sequence[str]) -> list[Range]:
    """The consecutive ranges that increasing ``cuts`` split the key space into (open at both ends)."""
    bounds = [None, *cuts, None]
    return list(zip(bounds[:-1], bounds[1:]))


#: unit-months per query of the unit-month and uptake panels: their aggregates, joins and sort stay far inside
#: the default 4 GB engine limit (nationally 4.3 M unit-months, five ranges; tickets and SKM are sorted by
#: unit, so each range reads its own row groups)
UNIT_CHUNK_ROWS = 2**20
#: employee-months per query of the employee panel: the join with SKP and the sort of one range of employees
#: stay inside the default 4 GB engine limit without spilling (nationally 155 M rows, about ten ranges)
ASN_CHUNK_ROWS = 2**24


#: responses per query of ``skm_respondents``: the sort of one range stays far inside the default 4 GB engine
#: limit (nationally 79 M responses, about ten ranges; the clean SKM table is sorted by ``response_id``, so each
#: range reads its own row groups)
SKM_CHUNK_ROWS = 2**23


def skm_ranges(con: duckdb.DuckDBPyConnection, chunk_rows: int | None = None) -> list[Range]:
    """Ranges of ``response_id`` of about ``chunk_rows`` (default :data:`SKM_CHUNK_ROWS`) responses each.

    The cuts come from a sample of the keys (about 64 per range, those whose hash is 0 modulo a step), not
    from numbering every key as :func:`_key_ranges` does: that sort alone held 4 GB for the nation's 79 M
    responses. The ranges' sizes are approximate (and the engines' hashes differ); the panel's rows and
    bytes do not depend on them."""
    rows = chunk_rows or SKM_CHUNK_ROWS
    (n,) = con.execute("select count(*) from skm").fetchall()[0]
    if n <= rows:
        return [ALL]
    keys = [r[0] for r in con.execute(f"""select response_id from skm where hash(response_id) % {max(1, rows // 64)} = 0
        order by response_id""").fetchall()]
    wanted = -(-n // rows)
    return _between(sorted({keys[len(keys) * i // wanted] for i in range(1, wanted)}) if keys else [])


def unit_ranges(con: duckdb.DuckDBPyConnection, chunk_rows: int | None = None) -> list[Range]:
    """Ranges of ``unit_id`` of about ``chunk_rows`` (default :data:`UNIT_CHUNK_ROWS`) unit-months each."""
    _, months = _window(con)
    return _key_ranges(con, "units", "unit_id", max(1, (chunk_rows or UNIT_CHUNK_ROWS) // months))


def asn_ranges(con: duckdb.DuckDBPyConnection, chunk_rows: int | None = None) -> list[Range]:
    """Ranges of ``asn_id`` of about ``chunk_rows`` (default :data:`ASN_CHUNK_ROWS`) employee-months each."""
    _, months = _window(con)
    return _key_ranges(con, "asn", "asn_id", max(1, (chunk_rows or ASN_CHUNK_ROWS) // months))


def _unit_ctes(start: pd.Timestamp, months: int, units: Range = ALL) -> str:
    """The unit-month grid with its adoption and staff (``grid``, ``adopt``, ``staff``): shared by the
    unit-month and uptake panels.

    Staff are counted from the first month that begins on or after an employee's ``active_from``, trained
    staff from the later of that month and the month of their first course. Each employee adds 1 to their
    unit from that period on: a count per unit and starting period, summed over the periods so far. (A join
    of every unit-month with its whole staff is 155 M rows nationally; this aggregates 4.3 M.) ``units``:
    only the units whose ``unit_id`` lies in this range."""
    mi = lambda c: _month_index(c, start)  # noqa: E731
    joined = f"greatest({mi('a.active_from')} + cast(a.active_from > date_trunc('month', a.active_from) as int), 1)"
    return f"""
    grid as (  -- keys only: the units' names join the final rows (the grid is read three times)
      select u.unit_id, p.period, p.month
      from units u cross join panel_periods p
      where {_in_range('u.unit_id', units)}
    ),
    adopt as (
      select unit_id, adoption_month, {_first_treat('adoption_month', start, months)} as first_treat
      from adoption where {_in_range('unit_id', units)}
    ),
    starts as (
      select a.unit_id, {joined} as p_staff,
             case when t.first_training is not null then greatest({joined}, {mi('t.first_training')}) end as p_trained
      from asn a
      left join (select asn_id, min(start_date) as first_training from training group by asn_id) t
        on t.asn_id = a.asn_id
      where a.active_from is not null and {_in_range('a.unit_id', units)}
    ),
    new_staff as (
      select unit_id, period, sum(n_asn) as n_asn, sum(n_trained) as n_trained from (
        select unit_id, p_staff as period, 1 as n_asn, 0 as n_trained from starts
        union all
        select unit_id, p_trained as period, 0 as n_asn, 1 as n_trained from starts where p_trained is not null
      ) s group by unit_id, period
    ),
    staff as (
      select g.unit_id, g.period,
             cast(sum(coalesce(n.n_asn, 0)) over w as bigint) as n_asn,
             cast(sum(coalesce(n.n_trained, 0)) over w as bigint) as n_trained
      from grid g left join new_staff n on n.unit_id = g.unit_id and n.period = g.period
      window w as (partition by g.unit_id order by g.period rows between unbounded preceding and current row)
    )"""


def _per_range(con: duckdb.DuckDBPyConnection, build, ranges: Sequence[Range]) -> list[str]:
    """``build(start, months, range)`` for each range, the window read and its months registered once."""
    start, months = _register_periods(con)
    return [build(start, months, r) for r in ranges]


def unit_month_queries(con: duckdb.DuckDBPyConnection, ranges: Sequence[Range] = (ALL,)) -> list[str]:
    """The unit-month rows (unordered) on the canonical views of ``con``: one query per range of ``unit_id``."""
    return _per_range(con, _unit_month_sql, ranges)


def _unit_month_sql(start: pd.Timestamp, months: int, units: Range) -> str:
    mi = lambda c: _month_index(c, start)  # noqa: E731
    here = _in_range("unit_id", units)
    return f"""
    with {_unit_ctes(start, months, units)},
    tk as (
      select unit_id, {mi('issued_at')} as period, count(*) as n_tickets,
             avg(date_diff('millisecond', issued_at, called_at)) / 60000.0 as wait_minutes,
             avg(date_diff('millisecond', coalesce(served_at, called_at), finished_at)) / 60000.0 as service_minutes,
             avg(case when priority then
                   (date_diff('millisecond', issued_at, finished_at) / 60000.0 <= {measures.PRIORITY_TARGET_MINUTES})::int
                 end) as share_within_1h,
             avg((channel = 'online')::int) as online_share
      from tickets where {here} group by all
    ),
    sk as (
      select unit_id, {mi('month')} as period, avg((predikat in ({_GOOD}))::int) as skp_good_share
      from skp where {here} group by all
    ),
    sm as (
      select unit_id, {mi('survey_date')} as period, count(*) as n_skm,
             ({' + '.join(f'avg(u{i})' for i in range(1, 10))}) / 9.0 * 25.0 as ikm
      from skm where {here} group by all
    ),
    sc as (
      select g.unit_id, g.period, s.assessment_score
      from grid g join schools s
        on s.unit_id = g.unit_id and g.month >= s.semester_start and g.month < s.semester_start + interval 6 month
    )
    select g.unit_id, u.unit_name, u.unit_type, u.opd, u.kelurahan, g.period, g.month,
           coalesce(a.first_treat, 0) as first_treat, a.adoption_month,
           sm.ikm, tk.wait_minutes, tk.service_minutes, tk.share_within_1h, tk.online_share,
           sk.skp_good_share,
           case when st.n_asn > 0 then st.n_trained / st.n_asn end as training_coverage,
           sc.assessment_score,
           coalesce(tk.n_tickets, 0) as n_tickets, coalesce(sm.n_skm, 0) as n_skm, st.n_asn,
           coalesce(b.n_asn, 0) as baseline_staff,
           u.distance_km
    from grid g
    join units u on u.unit_id = g.unit_id
    left join adopt a on a.unit_id = g.unit_id
    left join tk on tk.unit_id = g.unit_id and tk.period = g.period
    left join sk on sk.unit_id = g.unit_id and sk.period = g.period
    left join sm on sm.unit_id = g.unit_id and sm.period = g.period
    left join staff st on st.unit_id = g.unit_id and st.period = g.period
    left join sc on sc.unit_id = g.unit_id and sc.period = g.period
    left join new_staff b on b.unit_id = g.unit_id and b.period = 1  -- staff of period 1 (p_staff is 1 or later)
    """


def uptake_queries(con: duckdb.DuckDBPyConnection, ranges: Sequence[Range] = (ALL,)) -> list[str]:
    """The uptake rows (unordered) on the unit-month grid of :func:`unit_month_queries`, one query per range."""
    return _per_range(con, _uptake_sql, ranges)


def _uptake_sql(start: pd.Timestamp, months: int, units: Range) -> str:
    grid = f"""with {_unit_ctes(start, months, units)}
    select g.unit_id, g.period, g.month, coalesce(a.first_treat, 0) as first_treat, st.n_asn
    from grid g left join adopt a using (unit_id)
    left join staff st on st.unit_id = g.unit_id and st.period = g.period"""
    return uptake_sql(grid, _in_range("unit_id", units))


def _ordered(query: str, schema: pa.DataFrameSchema) -> str:
    return f"select * from ({query}) q order by {', '.join(schema.metadata['key'])}"


def _frame(con: duckdb.DuckDBPyConnection, query: str, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """A panel query's rows in key order, with the schema's columns and types."""
    return _conform(frame(con, _ordered(query, schema)), schema)


def unit_month_panel(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Unit x month panel from views/tables named like the canonical tables on ``con``."""
    # tickets outside ticketing units and months without tickets: outcome undefined, not zero
    return _frame(con, unit_month_queries(con)[0], PANEL_UNIT_MONTH)


def uptake_panel(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Unit x month uptake of KPI management (:mod:`analysis.uptake`)."""
    return _frame(con, uptake_queries(con)[0], PANEL_UPTAKE)


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
    return _skm_sql(*_window(con), ALL)


def skm_respondents_queries(con: duckdb.DuckDBPyConnection, ranges: Sequence[Range] = (ALL,)) -> list[str]:
    """The respondents' rows (unordered): one query per range of ``response_id`` (:func:`skm_ranges`)."""
    return _per_range(con, _skm_sql, ranges)


def _skm_sql(start: pd.Timestamp, months: int, ids: Range) -> str:
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
    where {_in_range('s.response_id', ids)}
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


def asn_month_queries(con: duckdb.DuckDBPyConnection, ranges: Sequence[Range] = (ALL,)) -> list[str]:
    """The employee-month rows (unordered) on the canonical views of ``con``: one query per range of
    ``asn_id``."""
    return _per_range(con, _asn_month_sql, ranges)


def _asn_month_sql(start: pd.Timestamp, months: int, ids: Range) -> str:
    mi = lambda c: _month_index(c, start)  # noqa: E731
    here = _in_range("asn_id", ids)
    return f"""
    with adopt as (
      select unit_id, {_first_treat('adoption_month', start, months)} as first_treat from adoption
    ),
    sk as (
      select asn_id, {mi('month')} as period, cast((predikat in ({_GOOD})) as int) as good from skp where {here}
    ),
    tr as (
      select asn_id, {mi('start_date')} as period, sum(hours) as jp from training where {here} group by all
    )
    select a.asn_id, a.unit_id, p.period, p.month, cast(coalesce(ad.first_treat, 0) as bigint) as first_treat,
           cast(sk.good as double) as skp_good, cast(coalesce(tr.jp, 0) as bigint) as training_jp
    from (select * from asn where {here}) a
    join panel_periods p on p.period >= {mi('a.active_from')}
    left join adopt ad on ad.unit_id = a.unit_id
    left join sk on sk.asn_id = a.asn_id and sk.period = p.period
    left join tr on tr.asn_id = a.asn_id and tr.period = p.period
    """


def asn_month_panel(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``panel_asn_month`` as a frame (small data: the generator's truth, tests)."""
    return _frame(con, asn_month_queries(con)[0], PANEL_ASN_MONTH)


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


def iter_panels(con: duckdb.DuckDBPyConnection, stream: bool = False) -> Iterator[tuple[str, pd.DataFrame | list[str]]]:
    """Each panel in turn, as (name, frame). With ``stream``, the panels that grow with units or raw rows
    (the unit-month and uptake panels: 4.3 M rows nationally; ``skm_respondents``: hundreds of millions;
    ``panel_asn_month``: 155 M) come as queries instead, for the engine to write out of core
    (:func:`build_panels`): a list of queries whose rows, each in key order, follow one another in key
    order (one query per range of units or employees: :func:`unit_ranges`, :func:`asn_ranges`). A panel is made
    only when the previous one is taken, so a consumer that writes and drops each holds one frame at a
    time."""
    if stream:
        units = unit_ranges(con)
        yield "panel_unit_month", unit_month_queries(con, units)
        yield "panel_unit_month_uptake", uptake_queries(con, units)
    else:
        yield "panel_unit_month", unit_month_panel(con)
        yield "panel_unit_month_uptake", uptake_panel(con)
    yield "panel_unit_week_health", unit_week_health_panel(con)
    yield "skm_respondents", skm_respondents_queries(con, skm_ranges(con)) if stream else skm_respondents(con)
    yield "ikm_unit_quarter", ikm_unit_quarter(con)
    if stream:
        yield "panel_asn_month", asn_month_queries(con, asn_ranges(con))
    else:
        yield "panel_asn_month", asn_month_panel(con)


def compute_panels(con: duckdb.DuckDBPyConnection, stream: bool = False) -> dict[str, pd.DataFrame | list[str]]:
    """Every panel (:func:`iter_panels`) at once: the generator's truth, tests."""
    return dict(iter_panels(con, stream))


def panel_arrow_schema(name: str):
    """The Arrow types of a panel's file: those :func:`analysis.io.write_parquet` gives its frame."""
    return arrow_schema_of({c: col.metadata["dtype"] for c, col in PANEL_SCHEMAS[name].columns.items()})


def _stream(eng, checker, queries: list[str], name: str, dest: Path, scratch: Path) -> Path:
    """Write a streamed panel's rows to ``dest``, each query's in key order after the previous query's, and
    validate the file in SQL."""
    schema = PANEL_SCHEMAS[name]
    folder = scratch / "parts" / name
    try:
        parts = [p for i, q in enumerate(queries) for p in eng.write_parts(_ordered(q, schema), folder / f"{i:05d}")]
        finish_parquet(parts, dest, panel_arrow_schema(name), row_group=ROW_GROUP_ROWS)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
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
                if isinstance(panel, list):
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


__all__ = ["asn_month_panel", "asn_ranges", "build_panels", "skm_ranges", "unit_ranges", "compute_panels", "connect_frames", "connect_interim", "iter_panels",
           "open_interim", "PANEL_SCHEMAS", "OUTCOMES_MONTH"]
