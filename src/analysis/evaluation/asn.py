"""Employee-level effect of KPI adoption: Callaway-Sant'Anna on ``panel_asn_month``, streamed.

Nationally the employee panel has ~155 million rows, so the estimate never holds it: the
streamed estimator (:func:`analysis.did.streamed.streamed_att_gt`) reads the Parquet
panel twice in chunks of employees, through DuckDB (:class:`DuckDBChunks`, under the
run's memory limit) or, with ``engine: spark``, Spark partitions (:class:`SparkChunks`).

Design, and what the streamed estimator does not support:

* **Balanced employees only.** It needs one row per unit and period with no missing
  outcome (as the in-memory ``att_gt``, which drops the other units of an unbalanced
  panel). Monthly SKP appraisals are often missing (in the default synthetic study about one
  month in eight, more before adoption, at random), so few employees have all 36: with
  ``asn_period: quarter`` (the default) the outcome is each employee's share of appraised
  months rated good in each quarter, and adoption the quarter holding the adoption month,
  so the sample is the employees with an appraisal in every quarter of the window.
  ``asn_period: month`` keeps months, for exports where every month is appraised. Either
  way joiners, leavers and employees without an appraisal in some period are left out
  and counted (``n_employees`` of ``n_employees_panel``).
* **Clustered by office.** KPI management is adopted by the office (``unit_id``), so the
  analytic SEs sum the employees' influence functions by office and the multiplier
  bootstrap draws one multiplier per office (keyed by its id). With the project's
  few-cluster rule (:func:`analysis.evaluation.estimate.resolve_inference`) and its
  correction (SE x sqrt(G/(G-1)), t(G-1) intervals), as the unit-level estimates.
  Webb weights (fewer than 12 offices: ``auto`` then uses analytic SEs) and
  randomisation inference are not available streamed; ``inference: randomization``
  falls back to the office bootstrap and says so.
* **No covariates** (the run's unit covariates do not vary by employee) and no unit or
  month selection: every employee of the study over the whole window. ``est_method``
  ``dr``/``ipw``/``reg`` coincide without covariates.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.did._checks import MIN_GROUP_UNITS
from analysis.did.streamed import StreamedResult, streamed_att_gt
from analysis.engine import EngineConfig
from analysis.evaluation.estimate import Spec, resolve_inference, small_sample
from analysis.panels_asn import PERIODS, period_query

YNAME = "skp_good"
PANEL = "panel_asn_month"
IDNAME, TNAME, GNAME, CLUSTER = "asn_id", "period", "first_treat", "unit_id"
AGGREGATIONS = ("simple", "dynamic", "group")


@dataclass
class AsnEstimate:
    result: StreamedResult
    aggregates: dict  # type -> few-cluster corrected aggregation
    inference: str
    inference_reason: str
    employees_panel: int  # employees in panel_asn_month
    employees: int  # employees in the balanced estimation sample
    offices: int  # clusters
    cohort_sizes: dict  # first_treat -> employees of the sample
    period: str = "quarter"  # month or quarter

    def tidy(self) -> pd.DataFrame:
        rows = pd.concat([self.aggregates[a].tidy() for a in AGGREGATIONS], ignore_index=True)
        return rows.assign(outcome=YNAME, level="asn", asn_period=self.period, inference=self.inference,
                           n_employees=self.employees,
                           n_employees_panel=self.employees_panel, n_clusters=self.offices)


def sample_query(source: str, months: int = 1, yname: str = YNAME) -> str:
    """The estimation sample: employees with ``yname`` in every period of the window (one definition for
    both engines)."""
    return f"""
    with p as ({period_query(source, months, yname)})
    select {IDNAME}, {CLUSTER}, {TNAME}, {GNAME}, {yname} from p
    where {IDNAME} in (
      select {IDNAME} from p group by {IDNAME}
      having count({yname}) = (select max({TNAME}) - min({TNAME}) + 1 from p)
         and min({TNAME}) = (select min({TNAME}) from p)
    )"""


def materialise_sample(path: Path, months: int, cfg: EngineConfig, folder: Path, yname: str = YNAME
                       ) -> tuple[Path, tuple[int, int, int, dict[float, int]]]:
    """Write the estimation sample once (DuckDB, under the run's memory limit, spilling into ``folder``)
    as Parquet sorted by employee, so each of the estimator's chunk scans reads it instead of aggregating
    the panel again; return its path and the counts: employees in the panel and in the sample, offices,
    and employees per cohort of the sample."""
    import duckdb

    src, out = f"read_parquet('{path.as_posix()}')", folder / "asn_sample.parquet"
    con = duckdb.connect()
    try:
        con.execute(f"set memory_limit = '{cfg.memory_limit}'")
        con.execute(f"set temp_directory = '{(folder / 'spill').as_posix()}'")
        con.execute(f"copy ({sample_query(src, months, yname)} order by {IDNAME}, {TNAME}) "
                    f"to '{out.as_posix()}' (format parquet)")
        (panel,) = con.execute(f"select count(distinct {IDNAME}) from {src}").fetchone()
        kept = f"(select distinct {IDNAME}, {CLUSTER}, {GNAME} from read_parquet('{out.as_posix()}'))"
        n, offices = con.execute(f"select count(*), count(distinct {CLUSTER}) from {kept}").fetchone()
        sizes = dict(con.execute(f"select {GNAME}, count(*) from {kept} group by all order by 1").fetchall())
    finally:
        con.close()
    return out, (int(panel), int(n), int(offices), {float(g): int(k) for g, k in sizes.items()})


def source(sample: Path, cfg: EngineConfig, n_chunks: int, temp_dir: Path, yname: str = YNAME):
    """The materialised sample as chunks of whole employees: DuckDB queries, or Spark partitions."""
    cols = [IDNAME, CLUSTER, TNAME, GNAME, yname]
    if cfg.engine == "spark":
        from analysis.did.stream_sources import SparkChunks
        from analysis.engine.spark import SparkEngine

        eng = SparkEngine(cfg, temp_dir)
        return SparkChunks(eng.spark.read.parquet(sample.as_posix()), cols, IDNAME, n_chunks=n_chunks)
    from analysis.did.stream_sources import DuckDBChunks

    return DuckDBChunks(sample.as_posix(), cols, IDNAME, TNAME, n_chunks=n_chunks, memory_limit=cfg.memory_limit,
                        temp_directory=(temp_dir / "spill").as_posix())


def estimate_asn(processed_dir: Path | str, spec: Spec, *, engine: EngineConfig | None = None, n_chunks: int = 4,
                 period: str = "quarter", yname: str = YNAME) -> AsnEstimate:
    """Simple, dynamic and group ATT of KPI adoption on the employee-level outcome, clustered by office.

    ``period``: ``month`` or ``quarter`` (see the module docstring); ``spec.min_e``/``max_e`` (months,
    converted to whole periods) bound the event study only, as for the unit-level estimates.
    """
    months = PERIODS[period]
    path = Path(processed_dir) / f"{PANEL}.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: build the panels first (01_clean)")
    cfg = engine or EngineConfig()
    # next to the panel: a Spark cluster that reads the panel reads the sample too
    with tempfile.TemporaryDirectory(prefix=".asn-estimate-", dir=path.parent) as tmp:
        sample, counts = materialise_sample(path, months, cfg, Path(tmp), yname)
        return _estimate(sample, counts, spec, cfg, n_chunks, period, yname, Path(tmp))


def _estimate(sample: Path, counts, spec: Spec, cfg: EngineConfig, n_chunks: int, period: str, yname: str,
              tmp: Path) -> AsnEstimate:
    months = PERIODS[period]
    panel_n, kept, offices, sizes = counts
    never = sizes.get(0.0, 0)
    if kept == 0 or (spec.control_group == "nevertreated" and never < MIN_GROUP_UNITS):
        hint = "; try asn_period: quarter" if period == "month" else ""
        raise ValueError(f"{PANEL}.parquet: {kept} of {panel_n} employees have {yname!r} in every {period} of the window, "
                         f"{never} of them in never-adopting units (at least {MIN_GROUP_UNITS} needed){hint}")
    method, reason = resolve_inference(spec.inference, offices)
    if method == "randomization":
        method, reason = "bootstrap", (f"{reason}; randomisation inference is not available for the streamed "
                                       "employee-level estimate: multiplier bootstrap by office instead")
    boot = method in ("bootstrap", "wild")
    src = source(sample, cfg, n_chunks, tmp, yname)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # data notes are kept in result.extra
        res = streamed_att_gt(src, yname, TNAME, IDNAME, GNAME, clustervars=CLUSTER,
                              control_group=spec.control_group, anticipation=spec.anticipation,
                              est_method=spec.est_method, base_period=spec.base_period,
                              aggregations=AGGREGATIONS, na_rm=True, aggregation_options={"dynamic": {
                                  "min_e": -(-spec.min_e // months), "max_e": spec.max_e // months}},
                              bstrap=boot, bstrap_cells=False, biters=spec.biters, alp=spec.alp, seed=spec.seed)
    aggs = {a: small_sample(res.aggregate(a), offices, spec.alp) for a in AGGREGATIONS}
    return AsnEstimate(res, aggs, method, reason, panel_n, kept, offices, sizes, period)


def true_asn_effects(raw_dir: Path | str, est: AsnEstimate, max_e: int) -> pd.DataFrame:
    """The generator's truth for the overall rows (simple, dynamic, group), weighted like the estimate.

    Cells from ``_truth/att_gt.parquet`` (``panel_asn_month`` or ``panel_asn_quarter``, as the estimate's
    period; means over every appraised employee of a cohort) averaged with the cohort sizes of the
    estimation sample as ``aggte`` does: simple over the post-adoption cells, dynamic over event times
    0..``max_e`` months, group over each cohort's post cells. Empty for real exports.
    """
    empty = pd.DataFrame({"type": pd.Series(dtype="str"), "true_att": pd.Series(dtype="float64")})
    path = Path(raw_dir) / "_truth" / "att_gt.parquet"
    if not path.exists():
        return empty
    cells = pd.read_parquet(path)
    cells = cells[(cells["panel"] == f"panel_asn_{est.period}") & (cells["outcome"] == YNAME)]
    c = est.result.table[["group", "period"]].dropna().merge(cells, on=["group", "period"])
    c["w"] = c["group"].map(pd.Series(est.cohort_sizes, dtype="float64"))
    post = c[c["period"] >= c["group"]].assign(e=lambda d: d["period"] - d["group"])
    if post.empty:
        return empty
    simple = float(np.average(post["att"], weights=post["w"]))
    dyn = post[post["e"] <= max_e // PERIODS[est.period]].groupby("e")[["att", "w"]].apply(
        lambda d: np.average(d["att"], weights=d["w"]))
    theta_g = post.groupby("group")["att"].mean()
    group = float(np.average(theta_g, weights=[est.cohort_sizes[g] for g in theta_g.index]))
    return pd.DataFrame({"type": list(AGGREGATIONS), "true_att": [simple, float(dyn.mean()), group]})


def headline_table(est: AsnEstimate, truth: pd.DataFrame) -> pd.DataFrame:
    """One row per aggregation's overall effect, with the truth (synthetic data) and whether it is covered."""
    tidy = est.tidy()
    rows = tidy[tidy["term"] == "overall"].merge(truth, on="type", how="left") if len(truth) else \
        tidy[tidy["term"] == "overall"].assign(true_att=np.nan)
    rows["covers_truth"] = [bool(lo <= t <= hi) if np.isfinite(t) else pd.NA
                            for lo, hi, t in zip(rows["conf_low"], rows["conf_high"], rows["true_att"])]
    rows["inference_reason"] = est.inference_reason
    return rows[["outcome", "level", "asn_period", "type", "estimate", "std_error", "conf_low", "conf_high", "p_value",
                 "true_att", "covers_truth", "inference", "inference_reason", "n_employees", "n_employees_panel",
                 "n_clusters"]].reset_index(drop=True)


__all__ = ["AsnEstimate", "estimate_asn", "headline_table", "materialise_sample", "sample_query", "source",
           "true_asn_effects"]
