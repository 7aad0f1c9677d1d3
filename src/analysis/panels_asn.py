"""Employee (ASN) x month panel ``panel_asn_month``: its schema and its periods.

Nationally this panel has about 155 million rows (4.3 million ASN x 36 months), so it never passes
through pandas: its rows are queries of :mod:`analysis.panels` (:func:`analysis.panels.asn_month_queries`,
DuckDB SQL that Spark runs transpiled), one per range of employees (:func:`analysis.panels.asn_ranges`),
on the connection and canonical views of the other panels, which
:func:`analysis.panels.build_panels` writes out of core like ``skm_respondents`` (ordered Parquet parts
streamed by :func:`analysis.engine.output.finish_parquet` into one file with fixed row groups, so equal
rows give equal bytes on either engine; memory is bounded by one row group) and validates in SQL
against :data:`PANEL_ASN_MONTH`. The same query gives the generator's truth its frame
(:func:`analysis.panels.asn_month_panel`). The estimator reads the file back in chunks of employees
(:class:`analysis.did.stream_sources.DuckDBChunks`, ``SparkChunks``).

One row per employee and month of the window (the SKP months) from the month the employee joined
their unit (``active_from``): the unit is the roster's, ``first_treat`` its KPI adoption period
(0 = not adopted in the window, as in ``panel_unit_month``). ``skp_good`` is 1 when the month's
SKP predikat is Baik or Sangat Baik (:data:`analysis.schemas.GOOD_PREDIKAT`, as
:func:`analysis.measures.predikat_shares`), 0 otherwise, empty when the employee has no appraisal
that month. The query reads only ``asn``, ``skp``, ``training`` and ``adoption``, and only the cleaner's
pseudonym ``asn_id`` identifies an employee: no NIP or name is read.
"""

from __future__ import annotations

import pandera.pandas as pa

from analysis.schemas import column_spec as _col

NAME = "panel_asn_month"
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


__all__ = ["NAME", "PANEL_ASN_MONTH", "PERIODS", "period_query"]
