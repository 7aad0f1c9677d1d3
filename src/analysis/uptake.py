"""Uptake of KPI management, unit x month: is the system used, not only adopted?

Four measures from the exports, each a monthly value per unit:

* ``ontime_share``: share of the month's SKP appraisals submitted on time ('tanggal kirim'
  no later than ``measures.SKP_ONTIME_DAYS`` days after the period's last day);
* ``appraised_share``: share of the unit's active ASN with a supervisor's appraisal for
  the month (SKP rows carry the appraising supervisor, 'nip atasan');
* ``rating_spread``: standard deviation of the hasil-kerja rating (below = 1, as expected
  = 2, above = 3): supervisors who rate everyone "as expected" give no feedback that
  differentiates;
* ``training_hours_per_asn``: lesson hours (JP) of courses started in the month by the
  unit's ASN, per active ASN.

Measured after adoption these are outcomes of adoption themselves (post-treatment): the
heterogeneity step says so wherever it splits effects by them.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from analysis import measures
from analysis.schemas import column_spec as _col

UPTAKE_MEASURES = ["ontime_share", "appraised_share", "rating_spread", "training_hours_per_asn"]

PANEL_UPTAKE = pa.DataFrameSchema({
    "unit_id": _col("str", "stable unit code", source="units"),
    "period": _col("int64", "month index, 1 = window start", source="derived"),
    "first_treat": _col("int64", "period of KPI adoption, 0 = not adopted in window", source="adoption"),
    "n_skp": _col("int64", "SKP appraisals of the month", unit="appraisals", source="skp"),
    "n_asn": _col("int64", "ASN active at the unit in the month", unit="persons", source="asn"),
    "ontime_share": _col("float64", f"share of SKP submitted within {measures.SKP_ONTIME_DAYS} days of period end",
                         unit="share", nullable=True, source="skp"),
    "appraised_share": _col("float64", "share of active ASN appraised by a supervisor in the month", unit="share",
                            nullable=True, source="skp, asn"),
    "rating_spread": _col("float64", "sd of hasil-kerja ratings (1-3) of the month", unit="rating points",
                          nullable=True, source="skp"),
    "training_hours_per_asn": _col("float64", "JP of courses started in the month per active ASN", unit="JP",
                                   nullable=True, source="training, asn"),
}, name="panel_unit_month_uptake", ordered=True, strict=True, unique=["unit_id", "period"],
    description="Unit x month uptake of KPI management (use, not adoption on paper).",
    metadata={"key": ["unit_id", "period"]})


def uptake_sql(grid: str, units: str = "true") -> str:
    """The uptake rows (unordered) on the unit-month grid given by the query ``grid`` (columns ``unit_id``,
    ``period``, ``month``, ``first_treat``, ``n_asn``), from the canonical ``skp``, ``training`` and ``asn``;
    ``units``: SQL on ``unit_id`` true for the grid's units (the appraisals and staff read).

    SKP is aggregated per unit and month before it meets the grid (147 M appraisals nationally; a join
    first, then a group by, held the panels step over its memory goal). SKP has one row per employee and
    month (its key, which cleaning enforces), so the employees appraised in a unit-month are its SKP rows:
    no ``count(distinct)``, which keeps every group's set in memory and cannot spill."""
    # the sd from integer sums: exact, so every engine and thread schedule gives the same bits (stddev_pop's
    # parallel merge order changed the last bit between runs on a province)
    r = "(case hasil_kerja when 'di_bawah' then 1 when 'sesuai' then 2 else 3 end)"
    ontime = f"cast(submitted_on <= month + interval 1 month + interval {measures.SKP_ONTIME_DAYS - 1} day as int)"
    return f"""
    with uptake_grid as ({grid}),
    sk as (
      select unit_id, month, count(asn_id) as n_skp, count(*) as n_rows, sum({ontime}) as n_ontime,
             count({ontime}) as n_submitted, sum({r}) as s1, sum({r} * {r}) as s2
      from skp where {units} group by unit_id, month
    ),
    periods as (
      select distinct period, month from uptake_grid
    ),
    tr as (  -- from each course to its employee's unit and month (not every unit-month x its whole staff)
      select a.unit_id, p.period, sum(t.hours) as hours
      from training t join (select asn_id, unit_id from asn where {units}) a on a.asn_id = t.asn_id
      join periods p on p.month = date_trunc('month', t.start_date)
      group by all
    )
    select g.unit_id, g.period, g.first_treat, coalesce(sk.n_skp, 0) as n_skp, g.n_asn,
           case when sk.n_submitted > 0 then sk.n_ontime / sk.n_submitted end as ontime_share,
           case when g.n_asn > 0 then least(coalesce(sk.n_skp, 0) / g.n_asn, 1.0) end as appraised_share,
           sqrt(cast(sk.n_rows * sk.s2 - sk.s1 * sk.s1 as double)) / sk.n_rows as rating_spread,
           case when g.n_asn > 0 then coalesce(tr.hours, 0) / g.n_asn end as training_hours_per_asn
    from uptake_grid g
    left join sk on sk.unit_id = g.unit_id and sk.month = g.month
    left join tr on tr.unit_id = g.unit_id and tr.period = g.period
    """


def uptake_summary(uptake: pd.DataFrame) -> pd.DataFrame:
    """Data-quality view of the uptake measures: per unit, months with each measure and its mean
    before adoption (or never adopted) and from adoption on."""
    d = uptake.assign(phase=((uptake["first_treat"] > 0) & (uptake["period"] >= uptake["first_treat"]))
                      .map({True: "after_adoption", False: "before_or_never"}))
    agg = d.groupby(["unit_id", "phase"], sort=True).agg(
        months=("period", "size"), **{f"{m}_months": (m, "count") for m in UPTAKE_MEASURES},
        **{m: (m, "mean") for m in UPTAKE_MEASURES})
    return agg.reset_index()
