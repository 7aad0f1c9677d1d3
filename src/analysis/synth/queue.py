"""The online-queue launch at one Disdukcapil office: a single-unit intervention with a known effect.

From the launch month on, tickets of the launch office are called sooner: each
wait (issued -> called) is multiplied by ``queue_wait_factor`` and the later
timestamps move with it. Nothing else changes, and no other unit is touched, so
the launch is a one-treated-unit design (synthetic control / synthetic DiD, not
Callaway-Sant'Anna).

Applied to both KPI worlds (the launch does not depend on KPI adoption), so the
KPI truth stays the KPI effect on the observed panel. The launch's own truth is
the exact sample effect on the launch office's monthly panel outcomes:
``Y(with launch) - Y(without launch)``, per post-launch month and averaged over
them (``period`` missing), written to ``_truth/single_office.parquet``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.panels import OUTCOMES_MONTH


@dataclass(frozen=True)
class QueueLaunch:
    unit_id: str
    period: int  # first month (1-based panel period) with the online queue
    wait_factor: float


def launch_of(cfg, cal) -> QueueLaunch | None:
    """The launch in ``cfg`` on calendar ``cal``, or None when disabled or outside the generated window."""
    if not cfg.queue_launch_month:
        return None
    period = int(cal.period_of([pd.Timestamp(cfg.queue_launch_month + "-01")])[0])
    if not 2 <= period <= len(cal.months):
        return None
    return QueueLaunch(cfg.queue_unit, period, cfg.queue_wait_factor)


def apply_launch(tables: dict[str, pd.DataFrame], cal, launch: QueueLaunch | None) -> dict[str, pd.DataFrame]:
    """Tables with the launch office's waits shortened from the launch month on (a new dict, inputs untouched)."""
    if launch is None:
        return tables
    tk = tables["tickets"]
    hit = (tk["unit_id"] == launch.unit_id).to_numpy() & (cal.period_of(tk["issued_at"]) >= launch.period)
    wait = (tk["called_at"] - tk["issued_at"]).dt.total_seconds().to_numpy()
    shift = np.where(hit, np.round(wait * launch.wait_factor) - wait, 0.0)
    delta = pd.to_timedelta(shift, unit="s")
    tk = tk.copy()
    for col in ("called_at", "served_at", "finished_at"):
        tk[col] = tk[col] + delta
    return {**tables, "tickets": tk}


def single_office_truth(month_with: pd.DataFrame, month_without: pd.DataFrame, launch: QueueLaunch,
                        outcomes: list[str] = OUTCOMES_MONTH) -> pd.DataFrame:
    """True effect of the launch on the office's monthly outcomes: per post month and the post-month mean."""
    key = ["unit_id", "period"]
    a = month_with[month_with["unit_id"] == launch.unit_id]
    b = month_without[month_without["unit_id"] == launch.unit_id]
    m = a.merge(b[key + outcomes], on=key, suffixes=("", "_without"))
    m = m[m["period"] >= launch.period]
    rows = []
    for y in outcomes:
        d = m[y].astype("float64") - m[f"{y}_without"].astype("float64")
        if d.isna().all() or (d.abs() < 1e-12).all():
            continue
        for p, v in zip(m["period"], d):
            rows.append((y, launch.unit_id, launch.period, int(p), float(v)))
        rows.append((y, launch.unit_id, launch.period, pd.NA, float(d.mean())))
    out = pd.DataFrame(rows, columns=["outcome", "unit_id", "launch_period", "period", "att"])
    return out.astype({"outcome": "str", "unit_id": "str", "launch_period": "int64", "period": "Int64",
                       "att": "float64"})
