"""Descriptive tables of the evaluation (notebook 02): who adopted when, and the outcomes.

The large tables (tickets, SKP appraisals) are aggregated in DuckDB straight from
Parquet, so these summaries do not need the rows in memory: the same SQL runs
out-of-core on national volumes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from analysis.evaluation.panel import GNAME, IDNAME


def _sql(query: str, **params) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.execute(query, params).df() if params else con.execute(query).df()


def adoption_schedule(panel: pd.DataFrame) -> pd.DataFrame:
    units = panel.sort_values("period").drop_duplicates(IDNAME)
    month_of = panel.drop_duplicates("period").set_index("period")["month"]
    out = units[[IDNAME, "unit_name", "unit_type", "kelurahan", GNAME]].copy()
    out["adoption_month"] = [
        pd.Timestamp(month_of[g]).strftime("%Y-%m") if g > 0 and g in month_of.index else "" for g in out[GNAME]
    ]
    return out.sort_values([GNAME, IDNAME], key=lambda s: s.replace(0, 10**6) if s.name == GNAME else s)


def cohort_sizes(schedule: pd.DataFrame) -> pd.DataFrame:
    return (schedule.groupby([GNAME, "adoption_month"], as_index=False).size()
            .rename(columns={"size": "n_units"}).sort_values(GNAME))


def ikm_unit_quarter(processed_dir: str | Path, units: pd.DataFrame) -> pd.DataFrame:
    ikm = pd.read_parquet(Path(processed_dir) / "ikm_unit_quarter.parquet")
    names = units[[IDNAME, "unit_name", "unit_type"]].drop_duplicates(IDNAME)
    cols = [IDNAME, "unit_name", "unit_type", "quarter", "n", "required_n", "meets_sample", "ikm", "mutu", "kinerja"]
    return ikm.merge(names, on=IDNAME, how="inner")[cols].sort_values([IDNAME, "quarter"]).reset_index(drop=True)


def wait_by_service_channel(interim_dir: str | Path) -> pd.DataFrame:
    tickets = str(Path(interim_dir) / "tickets.parquet")
    return _sql(f"""
        SELECT service, channel, count(*) AS n_tickets,
               avg(date_diff('second', issued_at, called_at)) / 60.0 AS wait_mean,
               median(date_diff('second', issued_at, called_at)) / 60.0 AS wait_median,
               quantile_cont(date_diff('second', issued_at, called_at), 0.9) / 60.0 AS wait_p90,
               avg(CASE WHEN date_diff('second', issued_at, finished_at) <= 3600 THEN 1.0 ELSE 0.0 END)
                   FILTER (WHERE priority) AS within_1h_share
        FROM read_parquet('{tickets}')
        GROUP BY service, channel ORDER BY service, channel""")


def wait_sample(interim_dir: str | Path, limit: int = 20000, seed: int = 1) -> pd.DataFrame:
    """A reproducible sample of ticket waits (minutes) for distribution plots."""
    tickets = str(Path(interim_dir) / "tickets.parquet")
    return _sql(f"""
        SELECT service, channel, date_diff('second', issued_at, called_at) / 60.0 AS wait_minutes
        FROM read_parquet('{tickets}')
        ORDER BY hash(ticket_id || '{int(seed)}') LIMIT {int(limit)}""")


def skp_predikat_shares(interim_dir: str | Path) -> pd.DataFrame:
    skp = str(Path(interim_dir) / "skp.parquet")
    return _sql(f"""
        SELECT year(month) AS year, predikat, count(*) AS n,
               count(*) / sum(count(*)) OVER (PARTITION BY year(month)) AS share
        FROM read_parquet('{skp}') GROUP BY 1, 2 ORDER BY 1, 2""")


def training_coverage(interim_dir: str | Path) -> pd.DataFrame:
    folder = Path(interim_dir)
    return _sql(f"""
        WITH trained AS (SELECT DISTINCT asn_id FROM read_parquet('{folder / "training.parquet"}'))
        SELECT u.unit_type, count(*) AS n_asn, avg(CASE WHEN t.asn_id IS NULL THEN 0.0 ELSE 1.0 END) AS share_trained
        FROM read_parquet('{folder / "asn.parquet"}') a
        JOIN read_parquet('{folder / "units.parquet"}') u USING (unit_id)
        LEFT JOIN trained t USING (asn_id)
        GROUP BY u.unit_type ORDER BY u.unit_type""")


def cohort_trends(panel: pd.DataFrame, yname: str, tname: str = "period") -> pd.DataFrame:
    """Mean outcome per adoption cohort and period (the raw event-study picture)."""
    data = panel[panel[yname].notna()]
    return (data.groupby([GNAME, tname], as_index=False)[yname].mean()
            .rename(columns={yname: "mean"}).assign(outcome=yname))


def rejects_by_reason(interim_dir: str | Path) -> pd.DataFrame:
    rejects = pd.read_parquet(Path(interim_dir) / "rejects.parquet")
    return (rejects.groupby(["table", "reason"], as_index=False).size().rename(columns={"size": "rows"})
            .sort_values(["table", "reason"]).reset_index(drop=True))
